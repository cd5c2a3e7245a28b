"""Rendering official documents to PDF with WeasyPrint.

Every document is a Django template under ``templates/documents/`` extending
``documents/base.html``, which sets A4, the Noto CJK fonts from Debian's ``fonts-noto-cjk``
and page numbers printed as official documents print them: “— 1 —”; and the 核验码 of the
audit chain's head at the moment of printing (workflows/chain.py), so the paper copy a unit
keeps is an anchor too: the 核验 page (/inbox/verify/) says whether the chain still holds it.
"""

from django.template.loader import render_to_string


def render_pdf(template_name: str, context: dict) -> bytes:
    # Imported here: WeasyPrint loads Pango at import, which only the PDF paths need.
    from weasyprint import HTML

    from .chain import current_code

    # A caller that reads in one snapshot may pass its own code, read in that snapshot.
    html = render_to_string(template_name, {"verification_code": current_code(), **context})
    return HTML(string=html, base_url=None).write_pdf()

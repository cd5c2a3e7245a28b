"""Rendering official documents to PDF with WeasyPrint.

Every document is a Django template under ``templates/documents/`` extending
``documents/base.html``, which sets A4, the Noto CJK fonts from Debian's ``fonts-noto-cjk``
and page numbers printed as official documents print them: “— 1 —”.
"""

from django.template.loader import render_to_string


def render_pdf(template_name: str, context: dict) -> bytes:
    # Imported here: WeasyPrint loads Pango at import, which only the PDF paths need.
    from weasyprint import HTML

    html = render_to_string(template_name, context)
    return HTML(string=html, base_url=None).write_pdf()

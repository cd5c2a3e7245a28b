"""Rendering official documents to PDF with WeasyPrint.

Every document is a Django template under ``templates/documents/`` extending
``documents/base.html``, which sets A4, the Noto CJK fonts from Debian's ``fonts-noto-cjk``
and page numbers printed as official documents print them: “— 1 —”; and the 核验码 of the
audit chain's head at the moment of printing (workflows/chain.py), so the paper copy a unit
keeps is an anchor too: the 核验 page (/inbox/verify/) says whether the chain still holds it.

Two things make a long table (a 500-row 附件2) cheaper to print, measured in
docs/performance.md ("Documents (issue 13, part 4)"):

* WeasyPrint's user-agent stylesheet without the rules for footnotes and notes. They are
  written for every element (``::footnote-call``, ``::note-marker``, …), so WeasyPrint
  computed five pseudo-element styles for each of the ~3,500 elements of the table although
  no document of ours has a footnote; ``::marker`` is kept for list items (``li::marker``),
  the only elements that have markers here. A WeasyPrint that no longer reads
  ``HTML._ua_stylesheets`` simply uses its own sheet again: the same document, slower.
* One ``FontConfiguration`` per thread instead of a new one per document (Pango's font map
  is not shared between threads).
"""

import functools
import threading

from django.template.loader import render_to_string

# Selectors of WeasyPrint's user-agent rules that no document of ours needs (see above).
_UNUSED_UA_RULES = ("::footnote-call", "::footnote-marker", "::note-call", "::note-marker", "::note-callback")
_thread = threading.local()


@functools.cache
def _ua_stylesheet():
    import tinycss2
    from weasyprint import CSS
    from weasyprint.html import UA

    rules = []
    for rule in tinycss2.parse_stylesheet(UA, skip_comments=True, skip_whitespace=True):
        if rule.type == "qualified-rule":
            selector = tinycss2.serialize(rule.prelude).strip()
            if selector in _UNUSED_UA_RULES:
                continue
            if selector == "::marker":
                rule.prelude = tinycss2.parse_component_value_list("li::marker ")
        rules.append(tinycss2.serialize([rule]))
    return CSS(string="\n".join(rules))


@functools.cache
def _document_html_class():
    from weasyprint import HTML

    class DocumentHTML(HTML):
        def _ua_stylesheets(self, forms=False):
            return [_ua_stylesheet()]

    return DocumentHTML


def _font_config():
    if not hasattr(_thread, "font_config"):
        from weasyprint.text.fonts import FontConfiguration

        _thread.font_config = FontConfiguration()
    return _thread.font_config


def html_to_pdf(html: str) -> bytes:
    """The PDF of a document's HTML (WeasyPrint loads Pango at import: only PDF paths import it)."""
    return _document_html_class()(string=html, base_url=None).write_pdf(font_config=_font_config())


def render_pdf(template_name: str, context: dict) -> bytes:
    from .chain import current_code

    # A caller that reads in one snapshot may pass its own code, read in that snapshot.
    html = render_to_string(template_name, {"verification_code": current_code(), **context})
    return html_to_pdf(html)

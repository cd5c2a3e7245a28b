"""The user-agent stylesheet the official PDFs are printed with (workflows/pdf.py).

It is WeasyPrint's own without the footnote and note rules, which cost a long 附件2 five
pseudo-element styles per element; everything else must stay, and lists keep their numbers.
"""

import io
import threading

from pypdf import PdfReader
from weasyprint.html import UA_STYLESHEET

from workflows import pdf


def _pseudo_elements(entries) -> list[str]:
    return sorted(entry[3] for entry in entries if entry[3])


def _rules(entries) -> list[tuple]:
    """Each rule's specificity, pseudo-element and the properties it sets."""
    return [(e[1], e[3], [name for name, _value, _important in e[4][0]]) for e in entries]


def test_only_the_footnote_and_note_rules_are_left_out_and_markers_stay_on_list_items():
    theirs, ours = UA_STYLESHEET.matcher, pdf._ua_stylesheet().matcher
    # The rules WeasyPrint tries on every element, whatever its name.
    assert _pseudo_elements(theirs.other_selectors) == [
        "footnote-call", "footnote-marker", "marker", "note-call", "note-callback", "note-marker"
    ]  # fmt: skip
    assert _pseudo_elements(ours.other_selectors) == []
    assert len(ours.other_selectors) == len(theirs.other_selectors) - 6
    # ::marker now sits with li's rules; every element's own rules are WeasyPrint's.
    assert _pseudo_elements(ours.lower_local_name_selectors["li"]) == ["marker"]
    names = set(theirs.lower_local_name_selectors) | set(ours.lower_local_name_selectors)
    for name in names - {"li"}:
        mine, original = (m.lower_local_name_selectors.get(name, []) for m in (ours, theirs))
        assert _rules(mine) == _rules(original), name
    assert len(ours.lower_local_name_selectors["li"]) == len(theirs.lower_local_name_selectors["li"]) + 1
    assert ours.class_selectors == theirs.class_selectors == {}
    assert ours.id_selectors == theirs.id_selectors == {}


def test_a_numbered_list_still_prints_its_numbers():
    html = '<html lang="zh-Hans"><body><ol><li>第一条</li><li>第二条</li></ol><p>正文</p></body></html>'
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.html_to_pdf(html))).pages)
    assert "1." in text and "2." in text and "第二条" in text


def test_the_font_configuration_is_reused_within_a_thread_only():
    first = pdf._font_config()
    assert pdf._font_config() is first
    other = []
    thread = threading.Thread(target=lambda: other.append(pdf._font_config()))
    thread.start()
    thread.join()
    assert other and other[0] is not first

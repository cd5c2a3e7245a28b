"""Rules about free text shared by the pages, the import and the services: invisible direction
controls (a name or an opinion holding one displays reversed) and the Chinese length refusal."""

import re

from django.utils.translation import gettext as _

# Invisible direction controls (LRE…RLO, LRI…PDI): text holding one displays reversed.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def bidi_refusal(label, text: str) -> str:
    """The refusal for ``text`` holding a direction control, '' when it holds none."""
    found = BIDI_CONTROLS.search(text or "")
    if found is None:
        return ""
    return _("%(label)s含有看不见的文字方向控制符（U+%(code)04X），会使文字倒序显示，请删除后重新填写") % {
        "label": label,
        "code": ord(found.group()),
    }


def strip_bidi(text) -> str:
    """``text`` without direction controls, for showing data written before they were refused."""
    return BIDI_CONTROLS.sub("", "" if text is None else str(text))

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


def checked_text(label: str, value, limit: int, *, required_message: str = "") -> str:
    """A service's own check of a free text (a form checks too; a command or the API may not):
    stripped, required if ``required_message`` is given, at most ``limit`` characters, no
    direction controls. Raises the ``GuardError`` that says which."""
    from .errors import GuardError

    value = (value or "").strip()
    if required_message and not value:
        raise GuardError(required_message)
    if len(value) > limit:
        raise GuardError(
            _("%(label)s最多 %(limit)d 字，现有 %(count)d 字。") % {"label": label, "limit": limit, "count": len(value)}
        )
    if refusal := bidi_refusal(label, value):
        raise GuardError(f"{refusal}。")
    return value

"""Choice labels translated once per language, not once per row (issue 13, part 4).

``instance.get_FOO_display()`` rebuilds a hashable copy of the field's choices on every call, and
hashing each lazy label translates it: on a 200-event trail that was ~20,000 ``gettext`` calls
and most of the page's time. A table of plain strings per (choices, language) answers the same.
"""

from django.utils.translation import get_language

_tables: dict = {}


def label(choices, value) -> str:
    """The label of ``value`` among ``choices`` (a TextChoices class, or a dict of lazy labels such
    as ``CHANGE_LABELS``), in the active language; ``value`` itself when it is not one of them."""
    key = (id(choices), get_language())
    table = _tables.get(key)
    if table is None:
        pairs = choices.items() if isinstance(choices, dict) else ((m.value, m.label) for m in choices)
        table = _tables[key] = {value: str(text) for value, text in pairs}
    return table.get(value, value)

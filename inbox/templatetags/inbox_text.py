"""Template filters for what users wrote and how tasks are named.

``plain`` shows stored free text without invisible direction controls: text written before they
were refused (``forms/text.py``) must not display reversed. ``task_state`` is the one wording of a
task's state (``workflows.task_status``)."""

from django import template

from workflows.task_status import task_state_label
from workflows.text import strip_bidi
from workflows.visibility import named

register = template.Library()


@register.filter
def plain(value) -> str:
    return strip_bidi(value)


@register.filter
def task_state(task, owner_name: str = "") -> str:
    if not owner_name and task.owner_id:
        owner = task.owner
        owner_name = (getattr(getattr(owner, "teacher", None), "name", "") or owner.get_full_name()) if owner else ""
    return task_state_label(task, owner_name)


@register.filter
def with_names(events):
    """A history as pages show it: people by name, never by username (``visibility.named``)."""
    return named(events or [])

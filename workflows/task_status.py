"""What a task's state is called on every page: one wording for case and report tasks alike, so
the 报表待办 list and the task page cannot disagree (one said 待认领, the other 办理中)."""

from django.utils.translation import gettext as _

from .flows import OPEN_TASK_STATUSES


def task_state_label(task, owner_name: str = "") -> str:
    """待认领 / 张三 办理中 / 已办结（已完成）. ``owner_name`` is the owner as the viewer may read it."""
    if task.status not in OPEN_TASK_STATUSES:
        detail = getattr(task, "status_label", "")
        return _("已办结（%(s)s）") % {"s": detail} if detail else _("已办结")
    if task.owner_id:
        return _("%(who)s 办理中") % {"who": owner_name} if owner_name else _("办理中")
    return _("待认领")

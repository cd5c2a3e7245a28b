"""批量审批 and 列表上直接“同意”: which tasks may be approved together, or from the list, and how
many at once (issue 11).

Only 支部审核 and 单位审核 qualify: approving them asks for nothing but an optional opinion.
市级备案 asks for a 完成年度 and 结对 for mentors, so they are done on the task page. A task
may go into a batch only once the approver has opened its page (``TaskOpened``): a batch is a
quicker way of saying yes to material one has seen, not a way of not looking.
"""

from collections.abc import Iterable

from django.utils.translation import gettext as _

from ..errors import AlreadyHandled, GuardError, NotInScope
from ..flows import CaseFlow
from ..models import CaseTask
from ..models.approvals import TaskOpened
from ..selectors import tasks_in_scope
from .tasks import OPEN, check_act, may

# How many tasks one 批量审批 takes: enough for a branch's round, few enough to have read them.
BULK_LIMIT = 20
# The steps whose approval needs no input besides the optional opinion.
NO_INPUT_STEPS = (CaseFlow.branch_review, CaseFlow.unit_review)


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def needs_no_input(task) -> bool:
    """支部审核 / 单位审核: “同意” needs nothing but an optional opinion."""
    return task.flow_task in NO_INPUT_STEPS


def opened_task_ids(actor, task_ids: Iterable[int]) -> set[int]:
    """Of ``task_ids``, those whose page ``actor`` has opened."""
    ids = list(task_ids)
    if not ids or not actor.is_authenticated:
        return set()
    return set(TaskOpened.objects.filter(user=actor, task_id__in=ids).values_list("task_id", flat=True))


def _task_ids(raw_ids) -> list[int]:
    ids = []
    for raw in raw_ids:
        text = str(raw).strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 15:
            raise GuardError(_("所选任务编号“%(id)s”无效，请刷新列表后重新选择。") % {"id": text[:20]})
        ids.append(int(text))
    return list(dict.fromkeys(ids))  # a task ticked twice is approved once


def check_bulk_batch(actor, raw_ids) -> list[CaseTask]:
    """The whole selection, before anything is changed: not empty, not over ``BULK_LIMIT``, every
    task in scope, all of one step and that step one that needs no input. Returns the tasks in
    the order they were selected; raises the guard that refuses the whole batch otherwise."""
    ids = _task_ids(raw_ids)
    if not ids:
        raise GuardError(_("请至少勾选一项任务，再点“批量同意”。"))
    if len(ids) > BULK_LIMIT:
        raise GuardError(
            _("一次最多批量审批 %(limit)d 项，您选择了 %(n)d 项。请减少勾选，分批办理。")
            % {"limit": BULK_LIMIT, "n": len(ids)}
        )
    found = {t.pk: t for t in tasks_in_scope(actor).filter(pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotInScope(
            _("所选任务中有 %(n)d 项未找到，或不在您的管辖范围内。请刷新列表后重新选择。") % {"n": len(missing)}
        )
    tasks = [found[i] for i in ids]
    for task in tasks:
        if not needs_no_input(task):
            raise GuardError(
                _("“%(title)s”需要在任务页面填写内容后办理，不能批量审批。请取消勾选该项，逐项办理。")
                % {"title": task.flow_task.task_title}
            )
    steps = {task.flow_task for task in tasks}
    if len(steps) > 1:
        raise GuardError(
            _("批量审批只能选择同一步骤的任务，您同时选择了%(steps)s。请按步骤分开办理。")
            % {"steps": "、".join(sorted(str(step.task_title) for step in steps))}
        )
    return tasks


def check_bulk_item(actor, task, *, opened: bool) -> None:
    """One task of a batch: still open, ``actor`` may act on it, and has opened its page."""
    if task.status not in OPEN and task.owner_id and task.owner_id != actor.pk:
        raise AlreadyHandled(
            _("该任务已被 %(who)s 处理（%(status)s），未重复审批。")
            % {"who": _name(task.owner), "status": task.status_label}
        )
    check_act(actor, task)
    if not opened:
        raise GuardError(_("您尚未打开过该任务，请先查看材料再批量审批。"))


def may_bulk_approve(actor, task, opened_ids: set[int]) -> bool:
    """A tick box on the list row (``opened_ids``: ``opened_task_ids`` of the page)."""
    return needs_no_input(task) and may(check_bulk_item, actor, task, opened=task.pk in opened_ids)


def check_quick_approve(actor, task) -> None:
    """“同意” from a list row: a step that needs no input, which ``actor`` may do now."""
    if not needs_no_input(task):
        raise GuardError(
            _("“%(title)s”需要在任务页面填写内容后办理，不能在列表上直接同意。请打开任务办理。")
            % {"title": task.flow_task.task_title}
        )
    check_act(actor, task)


def may_quick_approve(actor, task) -> bool:
    return needs_no_input(task) and may(check_quick_approve, actor, task)

"""批量审批: approving several 支部审核 (or 单位审核) tasks with one opinion (issue 11).

Each task goes through ``case_approve`` on its own: its own lock and transaction, its own 同意
audit event (noted ``{"bulk": true, "batch": …}``), so one task that someone else handled in
the meantime is refused alone and the rest go on. What may go into a batch is
``workflows.access.bulk``.
"""

import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .. import access
from ..errors import GuardError
from ..models import CaseTask
from ..models.approvals import TaskOpened
from .cases import case_approve


@dataclass(frozen=True)
class ItemResult:
    """One task of a batch: approved (``ok``) or refused, with the service's message."""

    task_id: int
    case_id: int
    label: str  # 培养对象 · 步骤, as the results page lists it
    ok: bool
    message: str
    status: int = 200


def _label(task: CaseTask) -> str:
    return f"{task.case.teacher.name} · {task.flow_task.task_title}"


def bulk_approve(*, actor, task_ids, reason: str = "") -> list[ItemResult]:
    """批量同意: approve each selected task with the one opinion ``reason``.

    The whole batch is refused before anything changes if the selection is empty, over
    ``BULK_LIMIT``, out of scope, or mixes steps (``access.check_bulk_batch``). After that each
    task is its own decision: a task handled by someone else meanwhile, or never opened by
    ``actor``, is refused with its reason and the others are approved all the same.
    """
    tasks = access.check_bulk_batch(actor, task_ids)
    opened = access.opened_task_ids(actor, [task.pk for task in tasks])
    batch = uuid.uuid4().hex[:12]  # ties the batch's audit events together
    results = []
    for task in tasks:
        try:
            access.check_bulk_item(actor, task, opened=task.pk in opened)
            case_approve(
                actor=actor,
                task_id=task.pk,
                reason=reason,
                changes={"bulk": True, "batch": batch, "batch_size": len(tasks)},
            )
        except GuardError as error:
            results.append(ItemResult(task.pk, task.case_id, _label(task), False, error.message, error.status))
        else:
            results.append(ItemResult(task.pk, task.case_id, _label(task), True, _("已通过，已报上一级。")))
    return results


def task_mark_opened(*, actor, task: CaseTask) -> None:
    """Note that ``actor`` opened an open task's page, once (批量审批 takes only such tasks).

    Not an audit event: it records a read, not a decision, and changes nothing of the case; the
    decision it enables is audited as each task's 同意.
    """
    if not actor.is_authenticated or task.status not in access.tasks.OPEN:
        return
    if TaskOpened.objects.filter(task=task, user=actor).exists():
        return
    try:
        with transaction.atomic():
            TaskOpened.objects.create(task=task, user=actor)
    except IntegrityError:  # two tabs opened it at once: it is noted either way
        pass

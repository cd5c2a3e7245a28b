"""Claiming, releasing and reassigning inbox tasks."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from viewflow.workflow.status import STATUS

from .. import access
from ..errors import AlreadyHandled, GuardError
from ..models import AuditAction, CaseTask, Role
from ..selectors import user_holds
from .audit import set_owner
from .cases import _lookup_task_case_id
from .locking import locked_case


def _locked_task(actor, task_id):
    return locked_case(_lookup_task_case_id(actor, task_id))


def _display(user) -> str:
    return user.get_full_name() or user.get_username()


def task_claim(*, actor, task_id: int) -> CaseTask:
    """认领: take a task from the organisation's queue into one's own inbox."""
    lock = _locked_task(actor, task_id)
    with lock as case:
        task = CaseTask.objects.select_related("owner", "org").get(pk=task_id)
        access.check_claim(actor, task)
        set_owner(task, actor, case=case, by=actor, action=AuditAction.CLAIM, role=task.role, org=task.org)
    return task


def task_unclaim(*, actor, task_id: int) -> CaseTask:
    """放回: return a claimed task to the organisation's queue."""
    lock = _locked_task(actor, task_id)
    with lock as case:
        task = CaseTask.objects.select_related("owner", "org").get(pk=task_id)
        access.check_unclaim(actor, task)
        set_owner(task, None, case=case, by=actor, action=AuditAction.UNCLAIM, role=task.role, org=task.org)
    return task


# 改派: views call it before the form.
task_check_supervisor = access.check_supervise


def task_reassign(*, actor, task_id: int, to_user_id: int, reason: str = "") -> CaseTask:
    """转办: a supervisor (a role at a higher organisation) hands the task to another holder."""
    lock = _locked_task(actor, task_id)
    with lock as case:
        task = CaseTask.objects.select_related("owner", "org").get(pk=task_id)
        if task.status not in (STATUS.NEW, STATUS.ASSIGNED):
            raise AlreadyHandled(_("该任务已办理完毕，不能改派。"))
        supervisor = task_check_supervisor(actor, task)
        if not task.role:
            raise GuardError(
                _("该任务只能由指定的培养人或培养对象本人办理，不能改派；如需更换培养人，请在案例页“更换培养人”。")
            )
        target = get_user_model().objects.filter(pk=to_user_id).first()
        if target is None or not user_holds(target, task.role, task.org):
            raise GuardError(
                _("改派对象须是%(org)s的%(role)s，请从列表中选择。")
                % {"org": task.org.name, "role": Role(task.role).label}
            )
        if target.pk == task.owner_id:
            raise GuardError(
                _("该任务现在就由%(who)s办理，改派须选择另一位%(role)s。")
                % {"who": target.get_full_name() or _("该承办人"), "role": Role(task.role).label}
            )
        set_owner(
            task,
            target,
            case=case,
            by=actor,
            action=AuditAction.REASSIGN,
            role=supervisor.role,
            org=supervisor.org,
            reason=(reason or "").strip(),
        )
    return task

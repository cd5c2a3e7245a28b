"""Claiming, releasing and reassigning inbox tasks."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from viewflow.workflow.status import STATUS

from ..errors import AlreadyHandled, GuardError, NotPermitted
from ..flows import CaseFlow
from ..models import AuditAction, CaseTask, Role
from ..models.people import ACTING_ROLES
from ..selectors import user_holds, user_holds_over
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
        if task.status != STATUS.NEW:
            who = _display(task.owner) if task.owner_id else _("他人")
            raise AlreadyHandled(_("该任务已被%(who)s认领或办理，请刷新待认领列表。") % {"who": who})
        if not task.role or not user_holds(actor, task.role, task.org):
            raise NotPermitted(
                _("该任务须由%(org)s的%(role)s认领，您没有该身份。")
                % {"org": task.org.name, "role": Role(task.role).label if task.role else _("培养人")}
            )
        set_owner(task, actor, case=case, by=actor, action=AuditAction.CLAIM, role=task.role, org=task.org)
    return task


def task_unclaim(*, actor, task_id: int) -> CaseTask:
    """放回: return a claimed task to the organisation's queue."""
    lock = _locked_task(actor, task_id)
    with lock as case:
        task = CaseTask.objects.select_related("owner", "org").get(pk=task_id)
        if task.owner_id != actor.pk and not (task.role and user_holds(actor, task.role, task.org)):
            raise NotPermitted(_("您不是该任务的承办人，不能放回。"))
        if task.status != STATUS.ASSIGNED or task.owner_id != actor.pk:
            raise AlreadyHandled(_("该任务不在您的待办中（可能已办理或已改派），请刷新页面。"))
        if not task.role and task.flow_task == CaseFlow.accept:
            raise GuardError(_("结对确认任务是指定给您本人的，不能放回；如不能承担，请选择“谢绝结对”并说明理由。"))
        if not task.role:
            raise GuardError(_("该任务是指定给您本人办理的，不能放回待认领。"))
        set_owner(task, None, case=case, by=actor, action=AuditAction.UNCLAIM, role=task.role, org=task.org)
    return task


def task_check_supervisor(actor, task: CaseTask):
    """The role by which ``actor`` supervises the task's organisation; views call it before the form."""
    supervisor = user_holds_over(actor, ACTING_ROLES, task.org, strict=True)
    if supervisor is None:
        raise NotPermitted(_("只有上级组织的负责人可以改派任务。"))
    return supervisor


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

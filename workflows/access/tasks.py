"""Acting on a task: who may act, claim, release, 改派 and 催办, and who manages a case."""

from django.utils.translation import gettext as _
from viewflow.workflow.status import STATUS

from ..errors import AlreadyHandled, GuardError, NotInScope, NotPermitted
from ..models import Role
from ..models.people import ACTING_ROLES
from ..selectors import cases_for_user, own_teacher_id, user_holds, user_holds_over
from .deputies import check_deputy_task, principal_owner

OPEN = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
# Who manages a case out of band (暂停/恢复/退出/更换培养人).
CASE_MANAGERS = (Role.OFFICER, Role.REVIEWER, Role.CITY_ADMIN)


def may(check, *args, **kwargs) -> bool:
    """A ``check_*`` rule as a boolean, for a button."""
    try:
        check(*args, **kwargs)
    except GuardError:
        return False
    return True


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def check_act(actor, task) -> None:
    """Whether ``actor`` may act on ``task`` now; raises the guard that says why not.

    Views call it before validating a form (so a user without the role hears that first);
    services call it again under the lock.
    """
    if task.status not in OPEN:
        raise AlreadyHandled(
            _("该任务已被处理（%(status)s），无需重复操作。请返回待办列表刷新。") % {"status": task.status_label}
        )
    if task.owner_id != actor.pk and not (task.role and user_holds(actor, task.role, task.org)):
        if not task.role:
            who = _name(task.owner) if task.owner_id else _("指定的承办人")
            raise NotPermitted(_("该任务只能由%(who)s本人办理。") % {"who": who})
        raise NotPermitted(
            _("该任务须由%(org)s的%(role)s办理，您没有该身份。") % {"org": task.org.name, "role": Role(task.role).label}
        )
    if task.role and task.owner_id == actor.pk and not user_holds(actor, task.role, task.org):
        # Claimed while holding the role (or as someone's 代理人), which has since ended: the
        # step waits for its holders again, before ``tick`` gives it back.
        raise NotPermitted(
            _("您已不再担任%(org)s的%(role)s（任职或代理已结束），不能再办理此任务。请联系上级组织改派给现任负责人。")
            % {"org": task.org.name, "role": Role(task.role).label}
        )
    check_not_own_case(actor, task)
    check_deputy_task(actor, task)
    # A 代理人 acts on the principal's claimed steps too (access/deputies.py).
    if task.owner_id and task.owner_id != actor.pk and principal_owner(actor, task) is None:
        raise AlreadyHandled(
            _("该任务已由 %(who)s 认领办理，您不能再处理。如需改派，请联系上级。") % {"who": _name(task.owner)}
        )


def check_not_own_case(actor, task) -> None:
    """回避: nobody handles a role step (提交, 审核, 备案 …) of their own case, whatever roles they
    hold; the step stays with the organisation's other holders (or a supervisor's 改派)."""
    if task.role and _is_own_case(actor, task):
        raise NotPermitted(
            _("这是您本人的培养案例，须回避，不能办理其中的“%(title)s”；请由本组织其他负责人办理。")
            % {"title": task.flow_task.task_title}
        )


_UNREAD = object()


def _is_own_case(actor, task) -> bool:
    """Whether ``actor`` is the task's trainee: by the trainee's teacher record list rows carry
    (``selectors.rows_for_ids``), by the case's teacher otherwise."""
    teacher_id = getattr(task, "trainee_teacher_id", _UNREAD)
    if teacher_id is _UNREAD:
        return task.case.teacher.user_id == actor.pk
    return teacher_id is not None and teacher_id == own_teacher_id(actor)


def may_act(actor, task) -> bool:
    return may(check_act, actor, task)


def check_claim(actor, task) -> None:
    """认领: an unclaimed task, by a holder of the step's role at its organisation."""
    if task.status != STATUS.NEW:
        who = _name(task.owner) if task.owner_id else _("他人")
        raise AlreadyHandled(_("该任务已被%(who)s认领或办理，请刷新待认领列表。") % {"who": who})
    if not task.role or not user_holds(actor, task.role, task.org):
        raise NotPermitted(
            _("该任务须由%(org)s的%(role)s认领，您没有该身份。")
            % {"org": task.org.name, "role": Role(task.role).label if task.role else _("培养人")}
        )
    check_not_own_case(actor, task)
    check_deputy_task(actor, task)


def may_claim(actor, task) -> bool:
    return may(check_claim, actor, task)


def check_unclaim(actor, task) -> None:
    """放回: the holder puts a claimed task of a role back in the queue."""
    if task.owner_id != actor.pk and not (task.role and user_holds(actor, task.role, task.org)):
        raise NotPermitted(_("您不是该任务的承办人，不能放回。"))
    if task.status != STATUS.ASSIGNED or task.owner_id != actor.pk:
        raise AlreadyHandled(_("该任务不在您的待办中（可能已办理或已改派），请刷新页面。"))
    if not task.role:
        from ..flows import CaseFlow

        if task.flow_task == CaseFlow.accept:
            raise GuardError(_("结对确认任务是指定给您本人的，不能放回；如不能承担，请选择“谢绝结对”并说明理由。"))
        raise GuardError(_("该任务是指定给您本人办理的，不能放回待认领。"))


def may_unclaim(actor, task) -> bool:
    return may(check_unclaim, actor, task)


def check_supervise(actor, task):
    """改派: the role by which ``actor`` supervises the task's organisation (a higher one)."""
    supervisor = user_holds_over(actor, ACTING_ROLES, task.org, strict=True)
    if supervisor is None:
        raise NotPermitted(_("只有上级组织的负责人可以改派任务。"))
    return supervisor


def may_supervise(actor, task) -> bool:
    return task.status in OPEN and bool(task.role) and may(check_supervise, actor, task)


def check_urge(actor, task):
    """催办: a user at a higher level: a role above the step's organisation, or, for a mentor's
    or trainee's own task, a role at the case's organisation or above."""
    assignment = user_holds_over(actor, ACTING_ROLES, task.org, strict=bool(task.role))
    if assignment is None or task.owner_id == actor.pk:
        raise NotPermitted(_("只有上级组织的负责人可以催办该任务。"))
    return assignment


def may_urge(actor, task) -> bool:
    return task.status in OPEN and may(check_urge, actor, task)


def check_case_manager(actor, case):
    """The officer / reviewer / city role by which ``actor`` may manage ``case``."""
    assignment = user_holds_over(actor, CASE_MANAGERS, case.org)
    if assignment is None:
        if cases_for_user(actor).filter(pk=case.pk).exists():
            raise NotPermitted(_("您在该案例所在组织没有党务干部、审核人或市级管理员身份，不能执行此操作。"))
        raise NotInScope(_("未找到该培养案例，或它不在您的管辖范围内。"))
    return assignment

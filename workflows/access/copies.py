"""抄送 and 评论: who may copy a task, to whom, who may end a copy, and who may comment.

抄送, the rules this module enforces:
- Who copies: whoever may act on an open official step (a task with a role: 审核, 备案, 结对 …)
  right now (``check_act``: its holder, or a role holder at its organisation while it is
  unclaimed). A mentor's or trainee's task is not copied: who else reads a case is an
  official's decision.
- To whom: people holding an official role today (党务干部, 支部书记, 审核人, 市级管理员, 审计) at the
  case's organisation or one of its ancestors (they already read it), or at any organisation
  of the case's unit (a colleague school or branch of the same 区县 / 直属单位). Never anyone in
  another unit: a copy must not carry a teacher's file, and their 政治面貌, out of the unit
  that keeps it. Never the trainee, one of the case's mentors, or the copier; at most
  ``MAX_RECIPIENTS`` people at once; once per task and person while the copy stands.
- Ending it: the copier, or a supervisor of the step's organisation (改派's rule), revokes it;
  it ends by itself when the case closes (完成 / 退出 / 不予通过).

评论: officials with an acting role over the case comment on any of its tasks (an auditor only
reads); its trainee and mentors comment on the training tasks they take part in
(``visibility.takes_part``). A comment never moves the case or the task; a closed case takes
none (its file is archived for inspection).
"""

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from .. import visibility
from ..errors import AlreadyHandled, GuardError, NotInScope, NotPermitted
from ..models import CaseCopy, CaseMentor, RoleAssignment
from ..models.cases import CLOSED_STATES
from ..models.people import ACTING_ROLES
from ..selectors import user_holds_over
from .tasks import check_act, may

MAX_RECIPIENTS = 10
# The roles a copy may go to: a case's officials (``visibility.OFFICIAL_ROLES``).
COPY_ROLES = visibility.OFFICIAL_ROLES


def _name(user) -> str:
    teacher = getattr(user, "teacher", None)
    if teacher is not None:
        return teacher.name
    return user.get_full_name() or user.get_username()


# --- 抄送 -------------------------------------------------------------------------------------


def check_copy(actor, task) -> None:
    """抄送: an open official step, by whoever may act on it now."""
    if not task.role:
        raise NotPermitted(_("只有干部办理的步骤可以抄送；培养人和培养对象的任务不能抄送。"))
    if task.case.state in CLOSED_STATES:
        raise AlreadyHandled(_("该案例已结束，不能再抄送。"))
    check_act(actor, task)


def may_copy(actor, task) -> bool:
    return may(check_copy, actor, task)


def copy_recipients(case, *, actor) -> QuerySet:
    """Everyone a copy of ``case`` may go to (see the module's docstring), by name."""
    ancestors = [int(pk) for pk in case.org.path.strip("/").split("/") if pk]
    holders = (
        RoleAssignment.objects.active()
        .filter(role__in=COPY_ROLES)
        .filter(Q(org_id__in=ancestors) | Q(org__unit_id=case.unit_id))
        .values("user_id")
    )
    mentors = CaseMentor.objects.filter(case=case, teacher__user__isnull=False).values("teacher__user_id")
    people = get_user_model().objects.filter(pk__in=holders, is_active=True).exclude(pk=actor.pk)
    if case.teacher.user_id:
        people = people.exclude(pk=case.teacher.user_id)
    return people.exclude(pk__in=mentors).select_related("teacher").order_by("first_name", "username")


def check_copy_to(actor, task, recipients) -> None:
    """The people chosen for a copy of ``task``: some, not too many, each one allowed and not
    already holding a standing copy of it."""
    if not recipients:
        raise GuardError(_("请选择抄送对象。"))
    if len(recipients) > MAX_RECIPIENTS:
        raise GuardError(
            _("一次最多抄送 %(max)d 人，您选择了 %(n)d 人，请分批抄送。")
            % {"max": MAX_RECIPIENTS, "n": len(recipients)}
        )
    chosen = [u.pk for u in recipients]
    allowed = set(copy_recipients(task.case, actor=actor).filter(pk__in=chosen).values_list("pk", flat=True))
    refused = [u for u in recipients if u.pk not in allowed]
    if refused:
        raise GuardError(
            _("不能抄送给%(who)s：抄送对象须是本案例所属单位或上级组织的干部，且不是培养对象、培养人或您本人。")
            % {"who": "、".join(_name(u) for u in refused)}
        )
    already = CaseCopy.objects.filter(task=task, recipient__in=recipients, revoked_at__isnull=True)
    if already.exists():
        names = "、".join(_name(c.recipient) for c in already.select_related("recipient__teacher"))
        raise GuardError(_("已抄送给%(who)s，无需重复抄送；请取消勾选后再提交。") % {"who": names})


def check_copy_revoke(actor, copy) -> None:
    """撤销抄送: the copier, or a supervisor of the step's organisation, while the copy stands."""
    if copy.revoked_at is not None:
        raise AlreadyHandled(_("该抄送已经撤销，无需重复操作。请刷新页面。"))
    if copy.case.state in CLOSED_STATES:
        raise AlreadyHandled(_("该案例已结束，抄送已随之结束，无需撤销。"))
    if copy.copied_by_id != actor.pk and user_holds_over(actor, ACTING_ROLES, copy.task.org, strict=True) is None:
        raise NotPermitted(_("只有抄送人本人或上级组织的负责人可以撤销抄送。"))


def may_revoke_copy(actor, copy) -> bool:
    return may(check_copy_revoke, actor, copy)


# --- 评论 -------------------------------------------------------------------------------------


def comment_is_internal(role: str, task) -> bool:
    """An official's comment on a lifecycle step is internal (the case's officials only); a
    comment on a training task, or by its trainee or mentor, is shared with its participants."""
    from ..flows import training_nodes

    return role not in ("trainee", "mentor") and task.flow_task not in training_nodes()


def check_comment(actor, task) -> tuple[str, object]:
    """评论: the role and organisation ``actor`` comments in, or the guard that says why not.

    The caller has found the task through ``selectors.task_for_user`` (scope).
    """
    from ..flows import training_nodes

    case = task.case
    if case.state in CLOSED_STATES:
        raise GuardError(_("该案例已结束（%(state)s），不能再评论。") % {"state": case.get_state_display()})
    view = visibility.case_view(actor, case)
    if view.is_official:
        assignment = user_holds_over(actor, ACTING_ROLES, case.org)
        if assignment is None:
            raise NotPermitted(_("审计身份只能查阅，不能评论。"))
        return assignment.role, assignment.org
    if view.standing in (visibility.Standing.TRAINEE, visibility.Standing.MENTOR):
        if task.flow_task not in training_nodes() or not visibility.takes_part(view, task):
            raise NotPermitted(_("培养人和培养对象只能在自己参与的培养任务（培养记录、学期成果、培养人意见）上评论。"))
        return ("trainee" if view.is_trainee else "mentor"), case.org
    raise NotInScope(_("未找到该任务，或它不在您的管辖范围内。"))


def may_comment(actor, task) -> bool:
    return may(check_comment, actor, task)

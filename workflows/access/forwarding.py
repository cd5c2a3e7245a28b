"""转交 / 加签: who may hand a step to a colleague, who may ask a colleague's opinion, and whom.

The programme's rules restrict both:

- 转交 moves a step between the holders of its role at its organisation, because the plan gives
  each review to an office (支部审核 to the branch, 单位审核 to the county or direct unit), not to
  whoever the holder picks. A mentor's or a trainee's own task (结对确认, 培养记录, 学期成果 …) is
  theirs by name: it is never handed on.
- 加签 asks an official in the case's line (the step's organisation or one above it, so the person
  may read the case) for an opinion. Never the trainee (the one assessed) nor one of the case's
  mentors (who trained them and signed the records under review), never oneself. One open 加签 per
  step: the step waits for it. 后加签 (the colleague's 同意 moves the case on) is kept to 支部审核 and
  单位审核: 市级备案 writes the 附件2 row, which stays the city administrator's own decision.
"""

from django.contrib.auth import get_user_model
from django.db.models import BigIntegerField, Exists, OuterRef
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from ..errors import AlreadyHandled, GuardError, NotPermitted
from ..models import CaseTask, Role, RoleAssignment
from ..models.people import ACTING_ROLES
from ..selectors import user_holds, user_holds_over, users_holding
from .tasks import OPEN, check_act, check_not_own_case, may

FORWARD_REASON_MAX = 500
COUNTERSIGN_TEXT_MAX = 1000


class Position:
    """前加签 (before me: I decide after the colleague's opinion) / 后加签 (after me: my approval
    stands once the colleague agrees)."""

    BEFORE = "before"
    AFTER = "after"
    CHOICES = ((BEFORE, "前加签"), (AFTER, "后加签"))


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def _nodes():
    from ..flows import CaseFlow

    return CaseFlow


def open_countersign(task) -> CaseTask | None:
    """The 加签 task still open on ``task`` (at most one), with its owner."""
    return (
        CaseTask.objects.filter(
            case_id=task.case_id, flow_task=_nodes().countersign, status__in=OPEN, data__parent=task.pk
        )
        .select_related("owner")
        .first()
    )


def open_countersign_exists() -> Exists:
    """Whether ``open_countersign`` would find one, as an expression on a query of steps: the
    task re-read under the lock is annotated with it (``has_open_countersign``), so that
    ``check_countersign_clear`` reads nothing more when none is open."""
    parent = Cast(KeyTextTransform("parent", "data"), BigIntegerField())  # a 加签's step, by id
    return Exists(
        CaseTask.objects.annotate(countersign_parent=parent).filter(
            case_id=OuterRef("case_id"),
            flow_task=_nodes().countersign,
            status__in=OPEN,
            countersign_parent=OuterRef("pk"),
        )
    )


def countersigns_of(task) -> list[CaseTask]:
    """Every 加签 of ``task``, oldest first (the answers are in ``data``; the trail has them too)."""
    return list(
        CaseTask.objects.filter(case_id=task.case_id, flow_task=_nodes().countersign, data__parent=task.pk)
        .select_related("owner")
        .order_by("id")
    )


def check_countersign_clear(task) -> None:
    """A step with an open 加签 waits for the colleague's opinion before anyone decides on it.

    A task read with ``open_countersign_exists`` (``has_open_countersign``) is only read again
    when one is open, for the refusal's name."""
    if getattr(task, "has_open_countersign", None) is False:
        return
    side = open_countersign(task)
    if side is None:
        return
    who = _name(side.owner)
    if side.data.get("position") == Position.AFTER:
        raise GuardError(
            _("已后加签给%(who)s，其审核同意后案例即报上一级；请等待其意见，如不同意，任务会回到您这里。")
            % {"who": who}
        )
    raise GuardError(_("已加签给%(who)s，等待其审核意见后再办理。") % {"who": who})


# --- 转交 ------------------------------------------------------------------------------------


def check_forward(actor, task) -> None:
    """转交: the step's holder (its owner, or a holder of its role while it is unclaimed)."""
    check_act(actor, task)  # closed: 409; not the holder: 403
    if not task.role:
        raise GuardError(_("该任务只能由本人办理，不能转交。如不能承担，请联系党务干部。"))
    check_countersign_clear(task)
    if not forward_candidates(task, actor).exists():
        raise GuardError(
            _("%(org)s没有其他在任的%(role)s，无法转交；如需他人办理，请联系上级改派。")
            % {"org": task.org.name, "role": Role(task.role).label}
        )


def may_forward(actor, task) -> bool:
    return task.status in OPEN and may(check_forward, actor, task)


def forward_candidates(task, actor=None):
    """The colleagues holding the step's role at its organisation, without whoever holds it now
    (or is about to forward it) and without the trainee (回避)."""
    if not task.role:
        return get_user_model().objects.none()
    return (
        users_holding(task.role, task.org)
        .exclude(pk__in=[i for i in (task.owner_id, getattr(actor, "pk", None), task.case.teacher.user_id) if i])
        .filter(is_active=True)
    )


def check_forward_target(actor, task, target) -> None:
    role = Role(task.role).label
    if target is None or not target.is_active or not user_holds(target, task.role, task.org):
        raise GuardError(
            _("转交对象须是%(org)s在任的%(role)s，请从列表中选择。") % {"org": task.org.name, "role": role}
        )
    if target.pk == actor.pk or target.pk == task.owner_id:
        raise GuardError(
            _("该任务现在就由%(who)s办理，转交须选择另一位%(role)s。") % {"who": _name(target), "role": role}
        )
    try:
        check_not_own_case(target, task)
    except NotPermitted:
        raise GuardError(
            _("%(who)s 是该案例的培养对象本人，须回避，不能转交给他/她。") % {"who": _name(target)}
        ) from None


# --- 加签 ------------------------------------------------------------------------------------


def _review_nodes():
    flow = _nodes()
    return (flow.branch_review, flow.unit_review, flow.city_filing)


def _after_nodes():
    flow = _nodes()
    return (flow.branch_review, flow.unit_review)


def check_countersign_ask(actor, task, position: str = Position.BEFORE) -> None:
    """加签: the holder of a review step (支部审核, 单位审核, 市级备案; 后加签 not at 市级备案)."""
    check_act(actor, task)
    if task.flow_task not in _review_nodes():
        raise GuardError(
            _("只有支部审核、单位审核和市级备案可以加签，“%(title)s”不能。") % {"title": task.flow_task.task_title}
        )
    if position not in (Position.BEFORE, Position.AFTER):
        raise GuardError(_("请选择加签方式：前加签（对方先审，您再决定）或后加签（您同意后，再请对方审核）。"))
    if position == Position.AFTER and task.flow_task not in _after_nodes():
        raise GuardError(_("市级备案不能后加签：备案生成附件2汇总行，须由市级管理员本人决定。可以前加签征求意见。"))
    check_countersign_clear(task)
    if not countersign_candidates(task, actor).exists():
        raise GuardError(
            _("%(org)s及其上级组织没有可以加签的负责人（培养对象本人和培养人不能加签）。") % {"org": task.org.name}
        )


def may_countersign(actor, task) -> bool:
    return task.status in OPEN and may(check_countersign_ask, actor, task)


def _mentor_user_ids(case) -> set[int]:
    return set(case.mentors.exclude(teacher__user__isnull=True).values_list("teacher__user_id", flat=True))


def countersign_candidates(task, actor=None):
    """Who may be asked: an active official at the step's organisation or above it (so within the
    case's scope), not the trainee, not a mentor of the case, not the step's holder (nor the one
    asking, while the step is still unclaimed)."""
    holders = RoleAssignment.objects.active().filter(role__in=ACTING_ROLES, org_id__in=task.org.ancestor_ids)
    excluded = _mentor_user_ids(task.case) | {task.case.teacher.user_id, task.owner_id, getattr(actor, "pk", None)}
    return (
        get_user_model()
        .objects.filter(pk__in=holders.values("user_id"), is_active=True)
        .exclude(pk__in=[i for i in excluded if i])
        .order_by("username")
    )


def check_countersign_target(actor, task, target) -> RoleAssignment:
    """The official role by which ``target`` may be asked; refuses the people the rules exclude."""
    if target is None or not target.is_active:
        raise GuardError(_("所选加签对象不存在或账号已停用，请从列表中选择。"))
    if target.pk == actor.pk or target.pk == task.owner_id:
        raise GuardError(_("不能加签给自己：加签是请另一位负责人先（或再）审核。"))
    if target.pk == task.case.teacher.user_id:
        raise GuardError(_("%(who)s 是该案例的培养对象本人，不能参与审核。") % {"who": _name(target)})
    if target.pk in _mentor_user_ids(task.case):
        raise GuardError(
            _("%(who)s 是该案例的培养人，参与了培养和记录，不能再对本案例加签审核。请另选一位负责人。")
            % {"who": _name(target)}
        )
    assignment = user_holds_over(target, ACTING_ROLES, task.org)
    if assignment is None:
        raise GuardError(
            _("加签对象须是%(org)s或其上级组织在任的党务干部、支部书记、审核人或市级管理员，%(who)s 不是。")
            % {"org": task.org.name, "who": _name(target)}
        )
    return assignment


def check_countersign_answer(actor, side) -> RoleAssignment:
    """Answering a 加签: the person asked, while the step it belongs to is still open."""
    check_act(actor, side)
    if side.flow_task != _nodes().countersign:
        raise GuardError(_("此操作不适用于“%(title)s”任务。") % {"title": side.flow_task.task_title})
    assignment = user_holds_over(actor, ACTING_ROLES, side.org)
    if assignment is None:
        raise NotPermitted(_("您已不在%(org)s或其上级组织任职，不能再办理该加签。") % {"org": side.org.name})
    parent = CaseTask.objects.filter(pk=side.data.get("parent")).first()
    if parent is None or parent.status not in OPEN:
        raise AlreadyHandled(_("加签所属的审核任务已结束，无需再办理。请返回待办列表刷新。"))
    return assignment


def may_answer_countersign(actor, side) -> bool:
    return side.status in OPEN and may(check_countersign_answer, actor, side)

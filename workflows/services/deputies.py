"""代理人 (issue 11): naming a deputy for a period, ending it early, and its lapse in ``tick``.

While an arrangement stands, the deputy holds the principal's acting roles
(``selectors.deputised_assignments``) and the trail says "李四（代张三）" (``audit.audit_log``).
When it ends, early or by ``tick`` after its last day, the role steps the deputy took during
it and has not finished go back to the principal (to the queue if they no longer hold the
role), and both are told.

Lock order, as every writer here: the arrangement's row, then a case (no wait), then the
audit chain's head (inside ``audit_log``).
"""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.status import STATUS

from ..access import deputies as rules
from ..errors import AlreadyHandled, GuardError, NotInScope
from ..models import AuditAction, CaseTask, Deputy, NotificationKind, RoleAssignment
from ..models.people import ACTING_ROLES
from ..periods import end_of_day
from ..selectors import deputies_for_user, own_assignments
from ..text import bidi_refusal
from .audit import actor_display_name, audit_log, set_owner
from .locking import locked_case
from .notify import notify

REASON_MAX_LENGTH = 200


def _period(arrangement: Deputy) -> str:
    return _("%(start)s 至 %(end)s") % {
        "start": arrangement.start_date.isoformat(),
        "end": arrangement.end_date.isoformat(),
    }


def _changes(arrangement: Deputy, **more) -> dict:
    return {
        "principal": actor_display_name(arrangement.principal),
        "deputy": actor_display_name(arrangement.deputy),
        "period": _period(arrangement),
        **more,
    }


def _clean_reason(reason: str, *, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise GuardError(_("请填写代理事由（如出差、休假、培训）。"))
    if len(reason) > REASON_MAX_LENGTH:
        raise GuardError(
            _("事由最多 %(limit)d 字，现有 %(count)d 字。") % {"limit": REASON_MAX_LENGTH, "count": len(reason)}
        )
    if refusal := bidi_refusal(_("事由"), reason):
        raise GuardError(f"{refusal}。")
    return reason


def _check_period(start_date: datetime.date, end_date: datetime.date) -> None:
    today = timezone.localdate()
    if start_date < today:
        raise GuardError(
            _("代理开始日期不能早于今天（%(today)s），已过去的日子不能补设代理。") % {"today": today.isoformat()}
        )
    if end_date < start_date:
        raise GuardError(_("代理结束日期不能早于开始日期，请重新选择。"))
    days = (end_date - start_date).days + 1
    if days > rules.MAX_DEPUTY_DAYS:
        raise GuardError(
            _("代理期限最长 %(max)d 天（含首尾两天），现为 %(days)d 天；更长的离岗请调整任职。")
            % {"max": rules.MAX_DEPUTY_DAYS, "days": days}
        )


def _standing(**filters):
    """Arrangements not ended early and not lapsed (in force or still to come)."""
    return Deputy.objects.filter(ended_at__isnull=True, lapsed_at__isnull=True, **filters)


def deputy_set(
    *, actor, principal_id: int, deputy_id: int, start_date: datetime.date, end_date: datetime.date, reason: str
) -> Deputy:
    """设置代理人: the principal, or someone above them, names who acts for them for a period."""
    users = get_user_model()
    principal = users.objects.filter(pk=principal_id, is_active=True).first()
    if principal is None:
        raise NotInScope(_("未找到该用户，或其不在您的管辖范围内。"))
    org, capacity = rules.check_can_set(actor, principal)
    deputy = users.objects.filter(pk=deputy_id).first()
    rules.check_deputy_candidate(actor, principal, deputy, org)
    reason = _clean_reason(reason, required=True)
    _check_period(start_date, end_date)
    with transaction.atomic():
        # One arrangement at a time per principal: two settings racing wait for each other here.
        users.objects.select_for_update().filter(pk=principal.pk).first()
        overlap = _standing(principal=principal, start_date__lte=end_date, end_date__gte=start_date).first()
        if overlap is not None:
            raise GuardError(
                _("%(who)s 在 %(period)s 已有代理人 %(deputy)s，期限不能重叠；如需更换，请先提前结束原安排。")
                % {
                    "who": actor_display_name(principal),
                    "period": _period(overlap),
                    "deputy": actor_display_name(overlap.deputy),
                }
            )
        away = _standing(principal=deputy, start_date__lte=end_date, end_date__gte=start_date).first()
        if away is not None:
            raise GuardError(
                _("%(who)s 在 %(period)s 本人也不在岗（已由 %(deputy)s 代理），不能在此期间代理他人，请另选。")
                % {
                    "who": actor_display_name(deputy),
                    "period": _period(away),
                    "deputy": actor_display_name(away.deputy),
                }
            )
        arrangement = Deputy.objects.create(
            principal=principal,
            deputy=deputy,
            org=org,
            start_date=start_date,
            end_date=end_date,
            reason=reason,
            created_by=actor,
        )
        audit_log(
            actor=actor,
            action=AuditAction.DEPUTY_SET,
            case=None,
            role=capacity.role,
            org=capacity.org,
            reason=reason,
            changes=_changes(arrangement),
        )
        notify(
            [principal, deputy],
            kind=NotificationKind.DEPUTY,
            message=_(
                "%(by)s 指定 %(deputy)s 于 %(period)s 代理 %(principal)s 办理%(org)s的审批事项（事由：%(reason)s）。"
            )
            % {
                "by": actor_display_name(actor),
                "deputy": actor_display_name(deputy),
                "period": _period(arrangement),
                "principal": actor_display_name(principal),
                "org": org.name,
                "reason": reason,
            },
        )
    return arrangement


def _capacity(actor, arrangement: Deputy):
    """The role in which ``actor`` ends an arrangement (for the audit event)."""
    path = arrangement.org.path
    mine = [a for a in own_assignments(actor) if a.role in ACTING_ROLES and path.startswith(a.org.path)]
    above = [a for a in mine if a.org.path != path]
    chosen = (above or mine or [None])[0]
    return (chosen.role, chosen.org) if chosen is not None else ("", arrangement.org)


def deputy_end(*, actor, deputy_id: int, reason: str = "") -> Deputy:
    """提前结束代理: the principal (back early) or someone above them ends the arrangement now."""
    reason = _clean_reason(reason, required=False)
    with transaction.atomic():
        arrangement = (
            Deputy.objects.select_for_update(of=("self",))
            .select_related("principal", "deputy", "org")
            .filter(pk=deputy_id)
            .first()
        )
        if arrangement is None or not deputies_for_user(actor).filter(pk=arrangement.pk).exists():
            raise NotInScope(_("未找到该代理安排，或它不在您的管辖范围内。"))
        rules.check_can_end(actor, arrangement)
        now = timezone.now()
        arrangement.ended_at = now
        arrangement.ended_by = actor
        arrangement.save(update_fields=["ended_at", "ended_by"])
        returned = _return_tasks(arrangement, last_day=min(timezone.localdate(now), arrangement.end_date))
        role, org = _capacity(actor, arrangement)
        audit_log(
            actor=actor,
            action=AuditAction.DEPUTY_END,
            case=None,
            role=role,
            org=org,
            reason=reason,
            changes=_changes(arrangement, returned_tasks=returned),
        )
        _tell_end(
            arrangement,
            _("%(by)s 已提前结束 %(deputy)s 代理 %(principal)s 的安排（原定 %(period)s）。")
            % {
                "by": actor_display_name(actor),
                "deputy": actor_display_name(arrangement.deputy),
                "principal": actor_display_name(arrangement.principal),
                "period": _period(arrangement),
            },
            returned,
        )
    return arrangement


def _tell_end(arrangement: Deputy, message: str, returned: list[str]) -> None:
    if returned:
        message += _("%(deputy)s 已认领但未办完的 %(n)d 项任务已交回：%(tasks)s。") % {
            "deputy": actor_display_name(arrangement.deputy),
            "n": len(returned),
            "tasks": "、".join(returned),
        }
    notify([arrangement.principal, arrangement.deputy], kind=NotificationKind.DEPUTY, message=message)


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _return_tasks(arrangement: Deputy, *, last_day: datetime.date) -> list[str]:
    """Give back what the deputy took as a deputy and has not finished: open role steps they
    own, assigned during the arrangement, in a role they hold only through it. Each goes to
    the principal if they still hold the role, else back to the organisation's queue.
    Returns the tasks' labels, for the event and the notification."""
    principal, deputy = arrangement.principal, arrangement.deputy
    # The principal's roles in force at some point of the arrangement (one may have ended meanwhile).
    lent = set(
        RoleAssignment.objects.filter(user=principal, role__in=ACTING_ROLES, org__path__startswith=arrangement.org.path)
        .filter(Q(start_date__isnull=True) | Q(start_date__lte=last_day))
        .filter(Q(end_date__isnull=True) | Q(end_date__gt=arrangement.start_date))
        .values_list("role", "org_id")
    )
    own = set(RoleAssignment.objects.active().filter(user=deputy).values_list("role", "org_id"))
    taken = CaseTask.objects.filter(
        flow_task_type="HUMAN",
        owner=deputy,
        status__in=[STATUS.ASSIGNED, STATUS.STARTED],
        assigned__gte=_local_midnight(arrangement.start_date),
        assigned__lte=end_of_day(last_day),
    ).exclude(role="")
    returned = []
    for task_id, case_id, role, org_id in taken.order_by("pk").values_list("pk", "case_id", "role", "org_id"):
        if (role, org_id) not in lent or (role, org_id) in own:
            continue
        with locked_case(case_id) as case:
            task = CaseTask.objects.select_related("org", "owner", "case__teacher").get(pk=task_id)
            if task.owner_id != deputy.pk or task.status not in (STATUS.ASSIGNED, STATUS.STARTED):
                continue
            holds = RoleAssignment.objects.active().filter(user=principal, role=role, org_id=org_id).exists()
            set_owner(
                task,
                principal if holds else None,
                case=case,
                by=None,
                action=AuditAction.REASSIGN,
                role="system",
                org=task.org,
                reason=_("代理结束，交回被代理人") if holds else _("代理结束，被代理人已不在任，放回待认领"),
                note={"deputy": actor_display_name(deputy)},
            )
            returned.append(f"「{task.title}」（{task.case.teacher.name}）")
    return returned


def deputies_lapse(now: datetime.datetime | None = None) -> tuple[int, int]:
    """``tick``: arrangements whose last day has passed lapse by themselves, once each.

    Returns (lapsed, busy): an arrangement whose tasks sit in a case someone is working on is
    left for the next tick, whole (nothing of it is written).
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    due = _standing(end_date__lt=today).order_by("pk").values_list("pk", flat=True)
    lapsed = busy = 0
    for pk in list(due):
        try:
            with transaction.atomic():
                arrangement = (
                    _standing(pk=pk, end_date__lt=today)
                    .select_for_update(skip_locked=True, of=("self",))
                    .select_related("principal", "deputy", "org")
                    .first()
                )
                if arrangement is None:  # another tick has it, or it was ended meanwhile
                    continue
                arrangement.lapsed_at = now
                arrangement.save(update_fields=["lapsed_at"])
                returned = _return_tasks(arrangement, last_day=arrangement.end_date)
                audit_log(
                    actor=None,
                    action=AuditAction.DEPUTY_LAPSE,
                    case=None,
                    role="system",
                    org=arrangement.org,
                    changes=_changes(arrangement, returned_tasks=returned),
                )
                _tell_end(
                    arrangement,
                    _("%(deputy)s 代理 %(principal)s 的安排（%(period)s）已到期，自动结束。")
                    % {
                        "deputy": actor_display_name(arrangement.deputy),
                        "principal": actor_display_name(arrangement.principal),
                        "period": _period(arrangement),
                    },
                    returned,
                )
        except AlreadyHandled:
            busy += 1
            continue
        lapsed += 1
    return lapsed, busy

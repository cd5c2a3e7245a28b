"""Reminders, 催办 and escalation: ``manage.py tick`` and the 催办 button.

Every reminder is sent at most once: its ``TaskReminder`` row (unique per task and key)
is inserted first, in the same transaction as the notifications, the audit event and any
change to the task. Two ``tick`` processes racing for one reminder both try the insert;
the database admits one, and the other sends nothing. E-mail leaves only after commit.
"""

import datetime
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.mail import send_mass_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import access
from ..errors import AlreadyHandled
from ..flows import OPEN_TASK_STATUSES
from ..models import (
    AuditAction,
    Case,
    CaseState,
    CaseTask,
    Notification,
    NotificationKind,
    Organisation,
    RoleAssignment,
    TaskReminder,
    UnitPolicy,
)
from ..models.cases import ACTIVE_STATES
from ..models.people import ACTING_ROLES
from ..selectors import users_holding
from ..workdays import Calendar, escalate_from, remind_from
from .audit import actor_display_name, audit_log, lock_chain_head
from .locking import locked_case
from .training import sync_obligations

log = logging.getLogger(__name__)


def task_recipients(task: CaseTask) -> list:
    """Whoever must act: the owner, or everyone holding the step's role at its organisation."""
    if task.owner_id:
        return [task.owner]
    return list(users_holding(task.role, task.org)) if task.role else []


def supervisor_org(task: CaseTask) -> Organisation | None:
    """Where an overdue task is escalated: for a mentor's or trainee's own task, the nearest
    organisation (from the case's own) with someone holding a role; for a role's step, the
    nearest strict ancestor of the step's organisation with such a holder."""
    ancestors = task.org.ancestor_ids  # from the organisation itself up to the city
    if task.role:
        ancestors = [pk for pk in ancestors if pk != task.org_id]
    held = set(
        RoleAssignment.objects.active()
        .filter(org_id__in=ancestors, role__in=ACTING_ROLES)
        .values_list("org_id", flat=True)
    )
    for pk in ancestors:
        if pk in held:
            return Organisation.objects.get(pk=pk)
    return None


def _holders(org: Organisation) -> list:
    from django.contrib.auth import get_user_model

    holders = RoleAssignment.objects.active().filter(org=org, role__in=ACTING_ROLES).values("user_id")
    return list(get_user_model().objects.filter(pk__in=holders).order_by("username"))


def _send(
    task: CaseTask,
    key: str,
    kind: str,
    message: str,
    users: list,
    *,
    case: Case,
    action: str,
    actor=None,
    role: str = "system",
    org=None,
    reason: str = "",
    changes: dict | None = None,
) -> bool:
    """Send one reminder once. Returns False when it had already been sent."""
    try:
        with transaction.atomic():
            reminder = TaskReminder.objects.create(task=task, key=key, sent_by=actor)
    except IntegrityError:
        return False
    users = [u for u in dict.fromkeys(users) if u is not None]
    Notification.objects.bulk_create(
        [
            Notification(
                recipient=user,
                reminder=reminder,
                kind=kind,
                task=task,
                case=case,
                message=message[:300],
                emailed=bool(user.email),
            )
            for user in users
        ]
    )
    mails = [(_("【双培】%(kind)s") % {"kind": NotificationKind(kind).label}, message, None, [u.email]) for u in users]
    mails = [m for m in mails if m[3][0]]
    if mails:
        transaction.on_commit(lambda: _mail(mails))
    audit_log(
        actor=actor,
        action=action,
        case=case,
        role=role,
        org=org or task.org,
        task=task,
        from_state=case.state,
        to_state=case.state,
        reason=reason,
        changes={"task": task.title, "recipients": [actor_display_name(u) for u in users], **(changes or {})},
    )
    return True


def _mail(mails) -> None:
    try:
        send_mass_mail(mails, fail_silently=False)
    except Exception:  # noqa: BLE001 - the in-app notification stands; the failure is logged
        log.exception("sending %d reminder e-mails failed", len(mails))


def _label(task: CaseTask) -> str:
    return f"「{task.title}」（{task.case.teacher.name}）"


def _due(task: CaseTask) -> str:
    return timezone.localtime(task.due_at).strftime("%Y-%m-%d")


# --- tick ------------------------------------------------------------------------------


@dataclass
class TickReport:
    opened: int = 0
    cancelled: int = 0
    busy_cases: int = 0
    due_soon: int = 0
    overdue: int = 0
    escalated: int = 0
    deputies_lapsed: int = 0
    lines: list = field(default_factory=list)

    def summary(self) -> str:
        return _(
            "下发培养任务 %(opened)d 项、撤销 %(cancelled)d 项；到期提醒 %(due_soon)d 条，逾期提醒 %(overdue)d 条，"
            "升级督办 %(escalated)d 条%(busy)s。"
        ) % {
            "opened": self.opened,
            "cancelled": self.cancelled,
            "due_soon": self.due_soon,
            "overdue": self.overdue,
            "escalated": self.escalated,
            "busy": _("；%(n)d 个案例正被他人处理，下次再补") % {"n": self.busy_cases} if self.busy_cases else "",
        } + (_("到期结束代理 %(n)d 项。") % {"n": self.deputies_lapsed} if self.deputies_lapsed else "")


def tick(now: datetime.datetime | None = None) -> TickReport:
    """One pass: open the training work that is due, then remind, mark overdue and escalate."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    report = TickReport()
    # Periods and semesters turn over at midnight, and every transition syncs its case, so a
    # case needs the daily sync only once a day.
    due_for_sync = Case.objects.filter(state=CaseState.TRAINING).filter(
        Q(obligations_synced_on__isnull=True) | Q(obligations_synced_on__lt=today)
    )
    for case_id in due_for_sync.order_by("pk").values_list("pk", flat=True):
        try:
            with locked_case(case_id) as case:
                if case.state != CaseState.TRAINING:
                    continue
                result = sync_obligations(case, today=today)
        except AlreadyHandled:
            report.busy_cases += 1
            continue
        report.opened += len(result["tasks"])
        report.cancelled += len(result["cancelled"])

    # 代理人 whose last day has passed lapse first, so the steps they give back are reminded
    # to the principal below.
    from .deputies import deputies_lapse

    report.deputies_lapsed, busy = deputies_lapse(now)
    report.busy_cases += busy

    policies = {p.unit_id: p for p in UnitPolicy.objects.all()}
    max_before = max([p.remind_before_days for p in policies.values()] + [UnitPolicy().remind_before_days])
    # Only tasks that may need something now: due within the longest reminder window, not yet
    # escalated, and not already reminded for what they are waiting for next.
    reminded = TaskReminder.objects.filter(task=OuterRef("pk"))
    candidates = (
        CaseTask.objects.filter(
            flow_task_type="HUMAN",
            status__in=OPEN_TASK_STATUSES,
            # A superset of the working-day window (workflows/workdays.py); _remind decides exactly.
            due_at__lte=now + timedelta(days=2 * max_before + 10),
            escalated_to__isnull=True,
            case__state__in=ACTIVE_STATES,
        )
        .exclude(Q(due_at__gt=now) & Exists(reminded.filter(key="due_soon")))
        .order_by("pk")
        .values_list("pk", "case__unit_id", "due_at", "overdue_at", Exists(reminded.filter(key="overdue")))
    )
    rows = list(candidates)
    # What each candidate needs now, decided before any lock: most need nothing yet (reminded
    # as overdue, escalation not yet due; or not yet in their reminder window), and a pass over
    # a province's tens of thousands of open steps must not take the chain's lock for each
    # (bench/province.py, docs/performance.md). _remind decides again under the lock.
    cal = None
    if rows:
        days = [timezone.localdate(due) for _pk, _unit, due, _o, _r in rows]
        cal = Calendar(min(days) - timedelta(days=120), max(days) + timedelta(days=120))
    for task_id, unit_id, due, overdue_at, overdue_sent in rows:
        policy = policies.get(unit_id) or UnitPolicy()
        if now < due:
            if now < remind_from(due, policy.remind_before_days, cal):
                continue
        elif overdue_sent and overdue_at is not None and now < escalate_from(due, policy.escalate_after_days, cal):
            continue
        with transaction.atomic():
            # The audit chain's head first, as every audited writer takes it after its own rows: a
            # service that audited and then closes this task must not wait for us while we wait
            # for the head (a deadlock on PostgreSQL).
            lock_chain_head()
            # One tick at a time per task; another tick skips it rather than waiting.
            task = (
                CaseTask.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("case__teacher", "org", "owner", "duty", "work")
                .filter(pk=task_id, status__in=OPEN_TASK_STATUSES)
                .first()
            )
            if task is None:
                continue
            _remind(task, now, policy, report)
    return report


def _remind(task: CaseTask, now, policy: UnitPolicy, report: TickReport) -> None:
    case = task.case
    due = task.due_at
    if remind_from(due, policy.remind_before_days) <= now < due:
        message = _("%(task)s将于 %(due)s 到期，请及时办理。") % {"task": _label(task), "due": _due(task)}
        if _send(
            task,
            "due_soon",
            NotificationKind.DUE_SOON,
            message,
            task_recipients(task),
            case=case,
            action=AuditAction.REMIND,
        ):
            report.due_soon += 1
    if now < due:
        return
    if task.overdue_at is None:
        CaseTask.objects.filter(pk=task.pk, overdue_at__isnull=True).update(overdue_at=now)
    message = _("%(task)s已于 %(due)s 到期，尚未办理，请尽快办理。") % {"task": _label(task), "due": _due(task)}
    if _send(
        task,
        "overdue",
        NotificationKind.OVERDUE,
        message,
        task_recipients(task),
        case=case,
        action=AuditAction.OVERDUE,
        changes={"due_at": _due(task)},
    ):
        report.overdue += 1
    if task.escalated_to_id or now < escalate_from(due, policy.escalate_after_days):
        return
    org = supervisor_org(task)
    if org is None:
        return
    handler = actor_display_name(task.owner) if task.owner_id else _("%(org)s，尚无人认领") % {"org": task.org.name}
    message = _("%(task)s（承办：%(who)s）已逾期超过 %(days)d 个工作日，升级至%(org)s督办。") % {
        "task": _label(task),
        "who": handler,
        "days": policy.escalate_after_days,
        "org": org.name,
    }
    if _send(
        task,
        "escalated",
        NotificationKind.ESCALATED,
        message,
        _holders(org),
        case=case,
        action=AuditAction.ESCALATE,
        changes={"escalated_to": org.name},
    ):
        CaseTask.objects.filter(pk=task.pk).update(escalated_to=org, escalated_at=now)
        report.escalated += 1


# --- 催办 --------------------------------------------------------------------------------


# 催办: who may (workflows/access/tasks.py).
check_can_urge = access.check_urge


def task_urge(*, actor, task_id: int, reason: str = "") -> int:
    """催办: remind whoever must act, at most once a day per task. Returns how many were notified."""
    from .cases import _lookup_task_case_id

    reason = (reason or "").strip()
    with locked_case(_lookup_task_case_id(actor, task_id)) as case:
        task = CaseTask.objects.select_related("case__teacher", "org", "owner", "duty", "work").get(pk=task_id)
        if task.status not in OPEN_TASK_STATUSES:
            raise AlreadyHandled(_("该任务已办理完毕或已撤销，无需催办。"))
        assignment = check_can_urge(actor, task)
        today = timezone.localdate()
        key = f"urged:{today.isoformat()}"
        earlier = TaskReminder.objects.filter(task=task, key=key).select_related("sent_by").first()
        if earlier is not None:
            raise AlreadyHandled(
                _("该任务今天已由 %(who)s 于 %(at)s 催办过，每个任务每天最多催办一次，请明天再试。")
                % {
                    "who": actor_display_name(earlier.sent_by),
                    "at": timezone.localtime(earlier.sent_at).strftime("%H:%M"),
                }
            )
        users = task_recipients(task)
        message = _("%(who)s 催办%(task)s，期限 %(due)s。%(reason)s") % {
            "who": actor_display_name(actor),
            "task": _label(task),
            "due": _due(task) if task.due_at else "—",
            "reason": reason,
        }
        _send(
            task,
            key,
            NotificationKind.URGED,
            message,
            users,
            case=case,
            action=AuditAction.URGE,
            actor=actor,
            role=assignment.role,
            org=assignment.org,
            reason=reason,
        )
    return len(users)


# --- the notification centre ------------------------------------------------------------


def notification_mark_read(notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])


def notifications_mark_all_read(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())

"""结对帮带 and 培养教育的具体措施 (seed 000 §三(二)).

- 老人带新人 (带德、带才、带教、带研) and 骨干带党员 pairs: the school's 党务干部 registers a pair
  (``pair_add``) and ends it with a reason (``pair_end``); either teacher of the pair records its
  activities (``pair_activity_add``: 听课指导、业务督导、专题教研、谈心交流 …).
- 培养措施: an accepted mentor of a case writes the plan at the start and submits it to the
  branch (``measure_submit``, each submission a new version); the case's 支部书记 approves it or
  returns it with a note (``measure_review``); a returned plan is revised as a new version.
  The approved plan is printed in the 附件3 ledger.

Who may do each is ``workflows.access.pairs``; each write here is one transaction with its
audit event (pairs: ``case=None``, the actor's role and organisation, or ``mentor`` for a
teacher; 培养措施: the case).

Notifications: a returned plan tells its mentors (``NotificationKind.RETURNED``); a new pair
tells both teachers, an activity the other teacher, and a submitted plan the branch's 支部书记
(``NotificationKind.PAIRING``).
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..access import pairs as rules
from ..errors import GuardError, NotInScope
from ..models import (
    ActivityForm,
    AuditAction,
    Case,
    CaseMentor,
    MentoringPair,
    MentorStatus,
    NotificationKind,
    PairActivity,
    PairFocus,
    PairKind,
    PlanStatus,
    Role,
    Teacher,
    TrainingMeasure,
)
from ..routing import nearest_org_with_role
from ..selectors import users_holding
from ..text import checked_text as _text
from .audit import actor_display_name, audit_log
from .locking import locked_case
from .notify import notify

GOALS_MAX = 1000
REASON_MAX = 200
ACTIVITY_MAX = 2000
MEASURE_MAX = 3000
NOTE_MAX = 1000


def _locked_pair(pair_id: int) -> MentoringPair:
    pair = (
        MentoringPair.objects.select_for_update()
        .select_related("org", "senior__org", "junior__org")
        .filter(pk=pair_id)
        .first()
    )
    if pair is None:
        raise NotInScope(_("未找到该结对，或它不在您的管辖范围内。"))
    return pair


def _focus_labels(focus: list[str]) -> list[str]:
    return [str(PairFocus(f).label) for f in focus]


# --- 结对帮带 --------------------------------------------------------------------------------


def pair_add(
    *,
    actor,
    kind: str,
    senior_id: int,
    junior_id: int,
    focus: list[str] | tuple = (),
    goals: str = "",
    started_on: datetime.date | None = None,
) -> MentoringPair:
    """登记结对帮带: the school's 党务干部 pairs two of its teachers (老人带新人 or 骨干带党员)."""
    goals = _text(_("帮带目标"), goals, GOALS_MAX)
    focus = list(dict.fromkeys(focus or ()))
    today = timezone.localdate()
    started_on = started_on or today
    if started_on > today:
        raise GuardError(
            _("结对日期 %(day)s 晚于今天（%(today)s）；请在结对确定后再登记。")
            % {"day": started_on.isoformat(), "today": today.isoformat()}
        )
    with transaction.atomic():
        # Both teachers' rows, in id order: two registrations of the same pair wait for each
        # other here, so "one open pair per kind, senior and junior" holds.
        locked = {
            t.pk: t
            for t in Teacher.objects.select_for_update()
            .select_related("org")
            .filter(pk__in=[senior_id, junior_id])
            .order_by("pk")
        }
        senior, junior = locked.get(senior_id), locked.get(junior_id)
        school, capacity = rules.check_pair_add(actor, kind=kind, senior=senior, junior=junior, focus=focus)
        pair = MentoringPair.objects.create(
            kind=kind,
            senior=senior,
            junior=junior,
            org=school,
            focus=focus,
            goals=goals,
            started_on=started_on,
            created_by=actor,
        )
        audit_log(
            actor=actor,
            action=AuditAction.PAIR_ADD,
            case=None,
            role=capacity.role,
            org=capacity.org,
            changes={
                "pair": pair.pk,
                "pair_kind": str(PairKind(kind).label),
                "senior": senior.name,
                "junior": junior.name,
                "school": school.name,
                "focus": _focus_labels(focus),
                "goals": goals,
                "started_on": started_on.isoformat(),
            },
        )
        label = str(PairKind(kind).label)
        for teacher, other in ((senior, junior), (junior, senior)):
            notify(
                [teacher.user],
                kind=NotificationKind.PAIRING,
                message=_("您已与%(other)s结成“%(kind)s”帮带对子（%(school)s），可在“结对帮带”中记录帮带活动。")
                % {"other": other.name, "kind": label, "school": school.name},
            )
    return pair


def pair_end(*, actor, pair_id: int, reason: str, ended_on: datetime.date | None = None) -> MentoringPair:
    """结束结对帮带, with the reason (帮带期满、教师调离 …), by the school's 党务干部."""
    reason = _text(_("结束原因"), reason, REASON_MAX, required_message=_("请填写结束原因（如帮带期满、教师调离）。"))
    today = timezone.localdate()
    ended_on = ended_on or today
    with transaction.atomic():
        pair = _locked_pair(pair_id)
        capacity = rules.check_pair_end(actor, pair)
        if ended_on > today or ended_on < pair.started_on:
            raise GuardError(
                _("结束日期须在结对日期 %(since)s 与今天 %(today)s 之间。")
                % {"since": pair.started_on.isoformat(), "today": today.isoformat()}
            )
        pair.ended_on = ended_on
        pair.ended_reason = reason
        pair.save(update_fields=["ended_on", "ended_reason"])
        audit_log(
            actor=actor,
            action=AuditAction.PAIR_END,
            case=None,
            role=capacity.role,
            org=capacity.org,
            reason=reason,
            changes={
                "pair": pair.pk,
                "pair_kind": pair.get_kind_display(),
                "senior": pair.senior.name,
                "junior": pair.junior.name,
                "ended_on": ended_on.isoformat(),
            },
        )
    return pair


def pair_activity_add(*, actor, pair_id: int, date: datetime.date | None, form: str, content: str) -> PairActivity:
    """记录帮带活动: either teacher of the pair writes down one 听课指导、业务督导、专题教研 …"""
    content = _text(
        _("活动内容及成效"),
        content,
        ACTIVITY_MAX,
        required_message=_("请填写活动内容及成效（做了什么、有什么收获）。"),
    )
    if form not in ActivityForm.values:
        raise GuardError(_("请选择活动形式（听课指导、业务督导、专题教研、谈心交流等）。"))
    with transaction.atomic():
        pair = _locked_pair(pair_id)
        rules.check_pair_activity(actor, pair)
        rules.check_activity_date(pair, date)
        activity = PairActivity.objects.create(pair=pair, date=date, form=form, content=content, written_by=actor)
        audit_log(
            actor=actor,
            action=AuditAction.PAIR_ACTIVITY,
            case=None,
            role="mentor",
            org=pair.org,
            changes={
                "pair": pair.pk,
                "activity": activity.pk,
                "senior": pair.senior.name,
                "junior": pair.junior.name,
                "date": date.isoformat(),
                "activity_form": str(ActivityForm(form).label),
                "activity_content": content,
            },
        )
        other = pair.junior if actor.pk == pair.senior.user_id else pair.senior
        notify(
            [other.user],
            kind=NotificationKind.PAIRING,
            message=_("%(who)s记录了一次帮带活动（%(form)s，%(day)s）。")
            % {"who": actor_display_name(actor), "form": ActivityForm(form).label, "day": date.isoformat()},
        )
    return activity


# --- 培养教育的具体措施 ------------------------------------------------------------------------


def measure_submit(*, actor, case_id: int, text: str) -> TrainingMeasure:
    """The mentor submits the case's 培养措施 (a new version) to the branch for review."""
    text = _text(
        _("培养教育的具体措施"),
        text,
        MEASURE_MAX,
        required_message=_("请填写培养教育的具体措施（如理论学习、谈心谈话、参加党的活动的安排）。"),
    )
    if not Case.objects.filter(pk=case_id).exists():
        raise NotInScope(_("未找到该培养案例，或它不在您的管辖范围内。"))
    with locked_case(case_id) as case:
        rules.check_measure_write(actor, case)
        version = (case.measures.order_by("-version").values_list("version", flat=True).first() or 0) + 1
        measure = TrainingMeasure.objects.create(
            case=case, version=version, text=text, written_by=actor, status=PlanStatus.SUBMITTED
        )
        audit_log(
            actor=actor,
            action=AuditAction.MEASURE_SUBMIT,
            case=case,
            role="mentor",
            org=case.org,
            changes={
                "measure": measure.pk,
                "version": version,
                "measure_text": text,
                "measure_status": ["", str(PlanStatus.SUBMITTED.label)],
            },
        )
        branch = nearest_org_with_role(case.org, Role.BRANCH_SECRETARY)
        if branch is not None:
            notify(
                list(users_holding(Role.BRANCH_SECRETARY, branch)),
                kind=NotificationKind.PAIRING,
                message=_("%(who)s提交了%(trainee)s的培养措施（第 %(v)d 版），请审核。")
                % {"who": actor_display_name(actor), "trainee": case.teacher.name, "v": version},
                case=case,
            )
    return measure


def measure_review(*, actor, measure_id: int, approve: bool, note: str = "") -> TrainingMeasure:
    """The case's 支部书记 approves the submitted plan, or returns it with a note (the mentor
    revises it as a new version)."""
    note = _text(
        _("审核意见"),
        note,
        NOTE_MAX,
        required_message="" if approve else _("退回时请填写审核意见，写明需要修改的地方，培养人据此修改后重新提交。"),
    )
    case_id = TrainingMeasure.objects.filter(pk=measure_id).values_list("case_id", flat=True).first()
    if case_id is None:
        raise NotInScope(_("未找到该培养措施，或它不在您的管辖范围内。"))
    with locked_case(case_id) as case:
        measure = TrainingMeasure.objects.select_for_update().get(pk=measure_id)
        measure.case = case
        capacity = rules.check_measure_review(actor, measure)
        old = measure.get_status_display()
        measure.status = PlanStatus.APPROVED if approve else PlanStatus.RETURNED
        measure.reviewed_by = actor
        measure.reviewed_at = timezone.now()
        measure.review_note = note
        measure.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
        audit_log(
            actor=actor,
            action=AuditAction.MEASURE_REVIEW,
            case=case,
            role=capacity.role,
            org=capacity.org,
            reason=note,
            changes={
                "measure": measure.pk,
                "version": measure.version,
                "measure_status": [str(old), str(measure.get_status_display())],
            },
        )
        if not approve:
            mentors = CaseMentor.objects.filter(case=case, status=MentorStatus.ACCEPTED).select_related("teacher__user")
            notify(
                [m.teacher.user for m in mentors],
                kind=NotificationKind.RETURNED,
                message=_("%(name)s 的第 %(v)d 版培养措施被支部退回：%(note)s 请修改后重新提交。")
                % {"name": case.teacher.name, "v": measure.version, "note": note},
                case=case,
            )
    return measure

"""结对帮带 and 培养教育的具体措施 (seed 000 §三(二)): who may register, end and record a pair,
who writes a case's 培养措施 and who reviews it, and what each user may read.

结对帮带 (beside the 双培 cases):
- 老人带新人: an experienced teacher helps a young one, one to one, through 带德、带才、带教、带研
  (at least one of them).
- 骨干带党员: a 非中共党员骨干教师 (``is_backbone`` and not a party member) helps a 党员教师
  (正式 or 预备党员) with 听课指导、业务督导、专题教研、谈心交流.
- The school's 党务干部 (an OFFICER at the school or above it) registers a pair of two teachers
  of the same school (or direct unit) and ends it with a reason. One open pair per kind, senior
  and junior; nobody is paired with themself.
- Both teachers of an open pair record its activities (either may write: the junior's own
  account of a 听课指导 is as much a record as the senior's). Everyone holding a role at or above
  the school reads the pairs (an auditor too, read-only).

培养措施 (per case, §三(二) 二: 制定培养教育的具体措施):
- An accepted mentor of an open case (their own account) writes the plan and submits it to the
  branch; each submission is a new version. While a version waits for review no other is
  submitted; a returned or an approved plan may be revised as a new version.
- The case's 支部书记 (BRANCH_SECRETARY at the nearest organisation above the case that has one,
  as the 支部审核 step is routed) approves the version or returns it with a note; never a plan
  they wrote themself (a 支部书记 who is also the case's mentor).
- Readers: the case's officials and its mentors see every version with the notes; the trainee
  sees only the approved plan (it is about them; the branch's working notes are not).
"""

import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ..errors import AlreadyHandled, GuardError, NotInScope, NotPermitted
from ..models import (
    Case,
    CaseMentor,
    MentoringPair,
    MentorStatus,
    Organisation,
    PairActivity,
    PairFocus,
    PairKind,
    PlanStatus,
    Role,
    RoleAssignment,
    Teacher,
    TrainingMeasure,
)
from ..models.cases import CLOSED_STATES
from ..models.organisations import SCHOOL_LEVEL_KINDS
from ..selectors import _path_q, own_assignments

# --- reading pairs -------------------------------------------------------------------------


def _paths(user) -> list[str]:
    return [a.org.path for a in own_assignments(user)]


def teacher_of(user) -> Teacher | None:
    if not user.is_authenticated:
        return None
    return getattr(user, "teacher", None)


def _own_pairs_q(user) -> Q:
    teacher = teacher_of(user)
    if teacher is None:
        return Q(pk__in=[])
    return Q(senior=teacher) | Q(junior=teacher)


def pairs_for_user(user) -> QuerySet[MentoringPair]:
    """The pairs in the user's subtree (any role) and the pairs they are one of the teachers of."""
    if not user.is_authenticated:
        return MentoringPair.objects.none()
    return (
        MentoringPair.objects.filter(_path_q("org__path", _paths(user)) | _own_pairs_q(user))
        .select_related("senior", "senior__org", "junior", "junior__org", "org", "created_by")
        .order_by("ended_on", "-started_on", "-id")
    )


def my_pairs(user) -> QuerySet[MentoringPair]:
    """The pairs the user is one of the two teachers of (their own page)."""
    return pairs_for_user(user).filter(_own_pairs_q(user))


def pair_for_user(user, pair_id) -> MentoringPair:
    pair = pairs_for_user(user).filter(pk=pair_id).first()
    if pair is None:
        raise NotInScope(_("未找到该结对，或它不在您的管辖范围内。"))
    return pair


def activities_of(pair: MentoringPair) -> QuerySet[PairActivity]:
    return pair.activities.select_related("written_by", "written_by__teacher").order_by("date", "id")


def may_read_pairs(user) -> bool:
    """The menu entry: every role holder, and a teacher who is in a pair."""
    return bool(_paths(user)) or my_pairs(user).exists()


def check_can_read_pairs(user) -> None:
    if not may_read_pairs(user):
        raise NotPermitted(
            _(
                "结对帮带页面向学校、区县教育局、直属单位和市委教育工委的工作人员，以及结对的教师开放；您没有在任的角色，也不在任何结对中。"
            )
        )


# --- registering and ending a pair ---------------------------------------------------------


def _officer_over(user, org: Organisation) -> RoleAssignment | None:
    for a in own_assignments(user):
        if a.role == Role.OFFICER and org.path.startswith(a.org.path):
            return a
    return None


def officer_schools(user) -> list[Organisation]:
    """The schools (and direct units) where ``user`` may register pairs."""
    paths = [a.org.path for a in own_assignments(user) if a.role == Role.OFFICER]
    if not paths:
        return []
    return list(Organisation.objects.filter(_path_q("path", paths), kind__in=SCHOOL_LEVEL_KINDS).order_by("path"))


def may_add_pair(user) -> bool:
    return bool(officer_schools(user))


def check_can_add_pair(user) -> None:
    if not may_add_pair(user):
        raise NotPermitted(_("只有学校（或上级组织）的党务干部可以登记结对帮带；您可以查看结对和帮带活动。"))


def pairable_teachers(user) -> QuerySet[Teacher]:
    """Teachers of the schools where the user is 党务干部 (the registration form's choices)."""
    paths = [s.path for s in officer_schools(user)]
    return Teacher.objects.filter(_path_q("org__path", paths)).select_related("org").order_by("org__path", "name")


def _in_scope(user, teacher: Teacher | None) -> bool:
    return teacher is not None and any(teacher.org.path.startswith(p) for p in _paths(user))


def check_pair_add(
    user, *, kind: str, senior: Teacher | None, junior: Teacher | None, focus: list[str]
) -> tuple[Organisation, RoleAssignment]:
    """Register a pair: the school both teachers teach at, and the officer's assignment there.

    The order says what to fix first: who (scope, then role), then the pair itself."""
    if not _in_scope(user, senior) or not _in_scope(user, junior):
        raise NotInScope(_("未找到该教师，或该教师不在您的管辖范围内。"))
    school = senior.org.school_level()
    if school is None:
        raise GuardError(_("%(name)s 不在任何学校，不能结对。") % {"name": senior.name})
    capacity = _officer_over(user, school)
    if capacity is None:
        raise NotPermitted(_("只有%(school)s的党务干部可以登记结对帮带。") % {"school": school.name})
    if senior.pk == junior.pk:
        raise GuardError(_("帮带人和被帮带人是同一位教师（%(name)s），请选择两位不同的教师。") % {"name": senior.name})
    junior_school = junior.org.school_level()
    if junior_school is None or junior_school.pk != school.pk:
        raise GuardError(
            _("结对帮带在同一所学校内进行：%(senior)s 在%(school)s，%(junior)s 不在；请选择同校的教师。")
            % {"senior": senior.name, "school": school.name, "junior": junior.name}
        )
    if kind == PairKind.SENIOR_JUNIOR:
        if not focus or any(f not in PairFocus.values for f in focus):
            raise GuardError(_("老人带新人请至少选择一项帮带内容（带德、带才、带教、带研）。"))
    elif kind == PairKind.BACKBONE_MEMBER:
        if senior.is_party_member or not senior.is_backbone:
            raise GuardError(
                _(
                    "骨干带党员的帮带人须是非中共党员骨干教师；%(name)s 的政治面貌为“%(status)s”%(backbone)s。"
                    "请另选一位非党员骨干教师，或改为老人带新人。"
                )
                % {
                    "name": senior.name,
                    "status": senior.get_party_status_display(),
                    "backbone": "" if senior.is_backbone else _("，且未登记为骨干教师"),
                }
            )
        if not junior.is_party_member:
            raise GuardError(
                _(
                    "骨干带党员的被帮带人须是党员教师（正式党员或预备党员）；"
                    "%(name)s 的政治面貌为“%(status)s”，请另选教师。"
                )
                % {"name": junior.name, "status": junior.get_party_status_display()}
            )
        if any(f not in PairFocus.values for f in focus):
            raise GuardError(_("帮带内容只能是带德、带才、带教、带研。"))
    else:
        raise GuardError(_("请选择帮带形式（老人带新人或骨干带党员）。"))
    existing = MentoringPair.objects.filter(kind=kind, senior=senior, junior=junior, ended_on__isnull=True).first()
    if existing is not None:
        raise GuardError(
            _("%(senior)s 与 %(junior)s 已有一个进行中的%(kind)s结对（%(since)s 起）；请勿重复登记。")
            % {
                "senior": senior.name,
                "junior": junior.name,
                "kind": existing.get_kind_display(),
                "since": existing.started_on.isoformat(),
            }
        )
    return school, capacity


def _check_pair_officer(user, pair: MentoringPair) -> RoleAssignment:
    if not any(pair.org.path.startswith(p) for p in _paths(user)):
        raise NotInScope(_("未找到该结对，或它不在您的管辖范围内。"))
    capacity = _officer_over(user, pair.org)
    if capacity is None:
        raise NotPermitted(_("只有%(school)s的党务干部可以结束结对帮带。") % {"school": pair.org.name})
    return capacity


def check_pair_end(user, pair: MentoringPair) -> RoleAssignment:
    capacity = _check_pair_officer(user, pair)
    if pair.ended_on is not None:
        raise AlreadyHandled(
            _("该结对已于 %(day)s 结束，无需再次结束。请刷新页面。") % {"day": pair.ended_on.isoformat()}
        )
    return capacity


def _allowed(check, *args, **kwargs) -> bool:
    try:
        check(*args, **kwargs)
    except GuardError:
        return False
    return True


def may_end_pair(user, pair: MentoringPair) -> bool:
    return _allowed(check_pair_end, user, pair)


# --- activities ----------------------------------------------------------------------------


def check_pair_activity(user, pair: MentoringPair) -> None:
    """Either teacher of an open pair records its activities; nobody else does."""
    teacher = teacher_of(user)
    mine = teacher is not None and teacher.pk in (pair.senior_id, pair.junior_id)
    if not mine:
        if not any(pair.org.path.startswith(p) for p in _paths(user)):
            raise NotInScope(_("未找到该结对，或它不在您的管辖范围内。"))
        raise NotPermitted(
            _("帮带活动由结对的两位教师（%(senior)s、%(junior)s）本人记录，您不能代为记录。")
            % {"senior": pair.senior.name, "junior": pair.junior.name}
        )
    if pair.ended_on is not None:
        raise AlreadyHandled(_("该结对已于 %(day)s 结束，不能再记录帮带活动。") % {"day": pair.ended_on.isoformat()})


def check_activity_date(pair: MentoringPair, date: datetime.date | None) -> None:
    today = timezone.localdate()
    if date is None:
        raise GuardError(_("请填写活动日期。"))
    if date > today:
        raise GuardError(
            _("活动日期 %(day)s 晚于今天（%(today)s）；请在活动开展后再记录。")
            % {"day": date.isoformat(), "today": today.isoformat()}
        )
    if date < pair.started_on:
        raise GuardError(
            _("活动日期 %(day)s 早于结对日期 %(since)s，请核对日期。")
            % {"day": date.isoformat(), "since": pair.started_on.isoformat()}
        )


def may_record_activity(user, pair: MentoringPair) -> bool:
    return _allowed(check_pair_activity, user, pair)


# --- 培养措施 --------------------------------------------------------------------------------


def measures_of(case: Case) -> list[TrainingMeasure]:
    return list(case.measures.select_related("written_by", "written_by__teacher", "reviewed_by").order_by("version"))


def approved_measure(case: Case) -> TrainingMeasure | None:
    """The plan in force: the newest approved version (what the 附件3 ledger prints)."""
    return (
        TrainingMeasure.objects.filter(case=case, status=PlanStatus.APPROVED)
        .select_related("written_by", "written_by__teacher", "reviewed_by")
        .order_by("-version")
        .first()
    )


def _accepted_mentorship(user, case: Case) -> CaseMentor | None:
    teacher = teacher_of(user)
    if teacher is None:
        return None
    return CaseMentor.objects.filter(case=case, teacher=teacher, status=MentorStatus.ACCEPTED).first()


def check_measure_write(user, case: Case) -> CaseMentor:
    """Submit a (new version of the) plan: an accepted mentor of the open case, nothing waiting."""
    mentorship = _accepted_mentorship(user, case)
    if mentorship is None:
        raise NotPermitted(_("培养教育的具体措施由该案例已结对的培养人本人制定；您不是该案例的培养人。"))
    if case.state in CLOSED_STATES:
        raise AlreadyHandled(_("该案例已%(state)s，不能再制定培养措施。") % {"state": case.get_state_display()})
    waiting = case.measures.filter(status=PlanStatus.SUBMITTED).order_by("-version").first()
    if waiting is not None:
        raise AlreadyHandled(
            _("第 %(v)d 版培养措施正在等待支部审核；审核（通过或退回）后才能提交新版本。") % {"v": waiting.version}
        )
    return mentorship


def may_write_measure(user, case: Case) -> bool:
    return _allowed(check_measure_write, user, case)


def measure_reviewer_org(case: Case) -> Organisation | None:
    """The branch that reviews the plan: where the case's 支部审核 goes."""
    from ..routing import nearest_org_with_role

    try:
        return nearest_org_with_role(case.org, Role.BRANCH_SECRETARY)
    except GuardError:
        return None


def check_measure_review(user, measure: TrainingMeasure) -> RoleAssignment:
    """批准 or 退回 a submitted plan: the 支部书记 of the case's branch, and nobody else."""
    from ..selectors import cases_for_user

    case = measure.case
    if not cases_for_user(user).filter(pk=case.pk).exists():
        raise NotInScope(_("未找到该培养措施，或它不在您的管辖范围内。"))
    branch = measure_reviewer_org(case)
    capacity = next(
        (
            a
            for a in own_assignments(user)
            if branch is not None and a.role == Role.BRANCH_SECRETARY and a.org_id == branch.pk
        ),
        None,
    )
    if capacity is None:
        where = branch.name if branch else _("所在党支部")
        raise NotPermitted(_("培养措施由%(branch)s的支部书记审核，您不能审核。") % {"branch": where})
    if measure.written_by_id == user.pk:
        raise NotPermitted(_("这份培养措施是您本人制定的，不能由您审核；请由支部的另一位负责人或上级党组织审核。"))
    if measure.status != PlanStatus.SUBMITTED:
        raise AlreadyHandled(
            _("第 %(v)d 版培养措施当前为“%(state)s”，不在待审核状态。请刷新页面。")
            % {"v": measure.version, "state": measure.get_status_display()}
        )
    return capacity


def may_review_measure(user, measure: TrainingMeasure) -> bool:
    return _allowed(check_measure_review, user, measure)


def measures_for(user, case: Case) -> list[TrainingMeasure]:
    """The versions of the case's plan with the branch's notes, for the case's officials and its
    mentors. Everyone else who sees the case (the trainee) reads only the approved plan
    (``approved_measure``), without the history or the notes."""
    teacher = teacher_of(user)
    official = any(case.scope_path.startswith(p) for p in _paths(user))
    mentor = teacher is not None and case.mentors.filter(teacher=teacher).exists()
    if official or mentor:
        return measures_of(case)
    return []

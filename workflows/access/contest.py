"""双培论文评比 (seed 000 §三(四)): who runs the contest, who judges what, who reads the results.

- The city (市级管理员 at the city) opens the year's contest, moves it through its stages
  (征集中 → 单位评审 → 市级评审 → 已公布), appoints the city judges and publishes.
- Each unit's 审核人 (at the 区县教育局 / 直属单位 itself) appoints the unit's judges and, while
  单位评审 runs, recommends its best entries to the city (at most ``advance_limit``).
- A judge scores only the entries of their level in the stage that is open: a unit judge their
  unit's entries during 单位评审, a city judge the recommended entries during 市级评审; never an
  entry written by themself or by someone they mentor (回避).
- Judges see entries only by their anonymous code; names appear once the contest is published,
  to the officials whose subtree holds the entry's case (the city sees all).

Services call the ``check_*`` functions to refuse; views ask the ``may_*`` ones.
"""

import math

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from ..errors import AlreadyHandled, GuardError, NotInScope, NotPermitted
from ..models import Attachment, CaseMentor, Organisation, OrgKind, Role
from ..models.organisations import UNIT_KINDS
from ..models.people import ACTING_ROLES
from ..models.programme import ContestEntry, ContestJudge, ContestState, JudgeLevel, PaperContest
from ..selectors import ACTIVE_MENTOR, own_assignments

# Who reads the contest pages at all: the officials (as ``visibility.OFFICIAL_ROLES``) and judges.
READER_ROLES = (Role.OFFICER, Role.BRANCH_SECRETARY, Role.REVIEWER, Role.CITY_ADMIN, Role.AUDITOR)
# A unit recommends at most this share of its entries (rounded up, at least one).
ADVANCE_SHARE = 0.3
# The stage in which each level scores.
SCORING_STAGE = {JudgeLevel.UNIT: ContestState.UNIT_JUDGING, JudgeLevel.CITY: ContestState.CITY_JUDGING}
NEXT_STAGE = {
    ContestState.OPEN: ContestState.UNIT_JUDGING,
    ContestState.UNIT_JUDGING: ContestState.CITY_JUDGING,
    ContestState.CITY_JUDGING: ContestState.PUBLISHED,
}


def advance_limit(entry_count: int) -> int:
    """How many of a unit's ``entry_count`` entries it may recommend to the city."""
    return max(1, math.ceil(entry_count * ADVANCE_SHARE)) if entry_count else 0


# --- the city ----------------------------------------------------------------------------


def city_assignment(user):
    """The user's 市级管理员 assignment at the city, or None."""
    for a in own_assignments(user):
        if a.role == Role.CITY_ADMIN and a.org.kind == OrgKind.CITY:
            return a
    return None


def check_can_run(user):
    """发起、推进、聘请市级评委、公布: the city's. Returns the assignment it is done in."""
    assignment = city_assignment(user)
    if assignment is None:
        raise NotPermitted(_("只有市级管理员可以发起、推进和公布论文评比；如需调整，请联系市委教育工委。"))
    return assignment


def may_run(user) -> bool:
    return city_assignment(user) is not None


# --- the units ---------------------------------------------------------------------------


def reviewer_units(user) -> list[Organisation]:
    """The units (区县教育局 / 直属单位) where the user is 审核人."""
    return [a.org for a in own_assignments(user) if a.role == Role.REVIEWER and a.org.kind in UNIT_KINDS]


def check_can_manage_unit(user, unit: Organisation):
    """聘请单位评委 and 推荐: the unit's 审核人. Returns the assignment."""
    for a in own_assignments(user):
        if a.role == Role.REVIEWER and a.org_id == unit.pk:
            return a
    raise NotPermitted(_("只有%(unit)s的审核人可以聘请本单位评委和推荐论文参加市级评审。") % {"unit": unit.name})


def check_is_unit_reviewer(user) -> None:
    if not reviewer_units(user):
        raise NotPermitted(_("只有各单位的审核人可以推荐论文参加市级评审。"))


def may_manage_unit(user, unit: Organisation) -> bool:
    try:
        check_can_manage_unit(user, unit)
    except GuardError:
        return False
    return True


def check_judge_candidate(candidate, *, level: str, unit: Organisation | None) -> None:
    """A judge is an active account holding an acting role (an 审计 reads, never scores): for a
    unit, inside the unit or at the city; for the city, anywhere."""
    if candidate is None or not candidate.is_active:
        raise GuardError(_("未找到该评委的在用账号，请核对用户名。"))
    held = [a for a in own_assignments(candidate) if a.role in ACTING_ROLES]
    if level == JudgeLevel.UNIT:
        held = [a for a in held if a.org.path.startswith(unit.path) or a.org.kind == OrgKind.CITY]
    if not held:
        where = unit.name if level == JudgeLevel.UNIT else _("全市")
        raise GuardError(
            _("评委须是%(where)s在任的党务干部、支部书记、审核人或市级管理员；%(who)s 不符合，请另选。")
            % {"where": where, "who": candidate.get_full_name() or candidate.get_username()}
        )


def judge_assignment(user, level: str, unit: Organisation | None):
    """The acting assignment a judge scores in (for the audit event's role and organisation)."""
    held = [a for a in own_assignments(user) if a.role in ACTING_ROLES]
    if level == JudgeLevel.UNIT and unit is not None:
        inside = [a for a in held if a.org.path.startswith(unit.path)]
        held = inside or held
    return held[0] if held else None


# --- reading -----------------------------------------------------------------------------


def _reader_paths(user) -> list[str]:
    return [a.org.path for a in own_assignments(user) if a.role in READER_ROLES]


def reads_all(user) -> bool:
    """City officials (市级管理员, 市级审计) read every unit's entries."""
    return any(a.role in READER_ROLES and a.org.kind == OrgKind.CITY for a in own_assignments(user))


def is_judge(user) -> bool:
    return user.is_authenticated and ContestJudge.objects.filter(user=user).exists()


def may_read(user) -> bool:
    return bool(_reader_paths(user)) or is_judge(user)


def check_can_read(user) -> None:
    if not may_read(user):
        raise NotPermitted(_("论文评比页面仅向各级党务干部、审核人、市级管理员、审计和受聘评委开放。"))


def entries_q(user) -> Q:
    """The entries whose details (unit, score, later the author) ``user`` may read as an official."""
    if reads_all(user):
        return Q()
    q = Q(pk__in=[])
    for path in _reader_paths(user):
        q |= Q(work__case__scope_path__startswith=path)
    return q


def may_manage_judges(user, contest: PaperContest) -> bool:
    return contest.state != ContestState.PUBLISHED and (may_run(user) or bool(reviewer_units(user)))


def check_can_appoint(user) -> None:
    """Who may appoint judges at all (which level and unit is the service's check)."""
    if not may_run(user) and not reviewer_units(user):
        raise NotPermitted(_("只有市级管理员可以聘请市级评委，各单位审核人可以聘请本单位评委。"))


# --- judging -----------------------------------------------------------------------------


def judges_of(user, contest: PaperContest) -> list[ContestJudge]:
    if not user.is_authenticated:
        return []
    return list(ContestJudge.objects.filter(contest=contest, user=user).select_related("unit"))


def judge_sees(judge: ContestJudge, entry: ContestEntry) -> bool:
    """A unit judge: the unit's entries; a city judge: the entries recommended to the city."""
    if judge.level == JudgeLevel.UNIT:
        return entry.unit_id == judge.unit_id
    return entry.advanced


def mentored_case_ids(user) -> set[int]:
    """The cases ``user`` mentors now: their papers are not theirs to judge."""
    return set(
        CaseMentor.objects.filter(teacher__user=user, status__in=ACTIVE_MENTOR).values_list("case_id", flat=True)
    )


def conflict(user, entry: ContestEntry, mentored: set[int] | None = None) -> bool:
    """回避: the paper is the judge's own, or its author is someone they mentor (``mentored``:
    ``mentored_case_ids(user)``, read once by a page that asks for many entries)."""
    case = entry.work.case
    if case.teacher.user_id == user.pk:
        return True
    return case.pk in (mentored if mentored is not None else mentored_case_ids(user))


def check_can_see_entry(user, entry: ContestEntry) -> list[ContestJudge]:
    """The user's judge appointments that show them ``entry``; 404 for anyone else."""
    seen = [j for j in judges_of(user, entry.contest) if judge_sees(j, entry)]
    if not seen:
        raise NotInScope(_("未找到该参评论文，或它不在您的评审范围内。"))
    return seen


def check_can_score(user, entry: ContestEntry) -> ContestJudge:
    """The appointment a judge scores ``entry`` in, now; refuses with what is wrong."""
    seen = check_can_see_entry(user, entry)
    state = entry.contest.state
    judge = next((j for j in seen if SCORING_STAGE[j.level] == state), None)
    if judge is None:
        raise AlreadyHandled(
            _("本次评比当前处于“%(stage)s”阶段，您所在级别的评审未在进行，不能评分或修改评分。")
            % {"stage": ContestState(state).label}
        )
    if conflict(user, entry):
        raise NotPermitted(_("该论文的作者是您本人或您培养的对象，您须回避，不能为其评分。"))
    return judge


def may_score(user, entry: ContestEntry) -> bool:
    try:
        check_can_score(user, entry)
    except GuardError:
        return False
    return True


# --- reads the pages need, scoped here beside the rules that scope them --------------------


def entries_for(user, contest: PaperContest):
    """The contest's entries ``user`` reads as an official (the city: all; a unit: its own)."""
    return (
        contest.entries.filter(entries_q(user))
        .select_related("unit", "work__case__teacher", "work__case__org")
        .order_by("unit__sort_order", "unit_id", "code")
    )


def judge_entries(judge: ContestJudge):
    """What one appointment shows its judge, by code only (``has_file``: a paper was uploaded)."""
    uploaded = Attachment.objects.filter(work=OuterRef("work"))
    qs = (
        judge.contest.entries.select_related("work__case__teacher").annotate(has_file=Exists(uploaded)).order_by("code")
    )
    if judge.level == JudgeLevel.UNIT:
        return qs.filter(unit_id=judge.unit_id)
    return qs.filter(advanced=True)


def judges_for(user, contest: PaperContest):
    """The judges ``user`` manages or oversees: the city all, a unit's 审核人 the unit's."""
    qs = contest.judges.select_related("user", "unit").order_by("level", "unit__sort_order", "user__username")
    if may_run(user) or reads_all(user):
        return qs
    return qs.filter(unit__in=reviewer_units(user))


def case_awards(case):
    """The published 论文评比 results of the case's papers: on the trainee's file."""
    return (
        ContestEntry.objects.filter(work__case=case, contest__state=ContestState.PUBLISHED)
        .select_related("contest", "work")
        .order_by("-contest__year")
    )

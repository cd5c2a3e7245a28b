"""双培论文评比 (seed 000 §三(四): 结合教育科研开展“双培”论文评比活动): one contest a year,
fed by the semester 论文 the mentors accepted, judged anonymously at unit and then city level.

- ``contest_open``: the city opens year Y's contest; its entries are every accepted 论文 whose
  semester began in calendar year Y (2026春 and 2026秋 for 2026), each under a random code.
- ``contest_sync``: papers accepted later join while the contest is 征集中 (idempotent).
- ``contest_judge_appoint``: the city appoints city judges, a unit's 审核人 the unit's judges.
- ``contest_score``: a judge scores an entry of their level in the open stage (one score per
  judge per entry, changeable while the stage is open).
- ``contest_recommend``: during 单位评审 the unit's 审核人 recommends its best entries (by the
  mean of its judges' scores) to the city.
- ``contest_advance``: the city moves the contest to the next stage; ``contest_publish`` ends
  市级评审: each entry's city score is the mean of the city judges', the award follows by
  score band (``AWARD_BANDS``), and the results become visible with names.

Every write locks the contest row, re-reads, checks ``workflows.access.contest`` and writes its
audit event in the same transaction. A score's event is on the paper's case and marked for the
case's officials only (the case's mentor and trainee do not read the judges' scores).
"""

import secrets
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..access import contest as rules
from ..errors import AlreadyHandled, GuardError, NotInScope
from ..models import AuditAction, NotificationKind, Organisation, SemesterWork, WorkItem, WorkStatus
from ..models.programme import (
    Award,
    ContestEntry,
    ContestJudge,
    ContestScore,
    ContestState,
    JudgeLevel,
    PaperContest,
)
from .audit import actor_display_name, audit_log
from .notify import notify

COMMENT_MAX_LENGTH = 500
TITLE_MAX_LENGTH = 200
SCORE_MIN, SCORE_MAX = Decimal("0"), Decimal("100")
# 市级评审平均分 → 奖项: the first band the score reaches. Entries not recommended, or without a
# city score, get 未获奖.
AWARD_BANDS = (
    (Decimal("90"), Award.FIRST),
    (Decimal("80"), Award.SECOND),
    (Decimal("70"), Award.THIRD),
    (Decimal("60"), Award.MERIT),
)
# Letters and digits nobody misreads (no 0/O, 1/I/L): the code is typed and read aloud.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
INTERNAL = {"internal": "仅干部可见"}


def award_for(score: Decimal | None) -> str:
    if score is None:
        return Award.NONE
    for floor, award in AWARD_BANDS:
        if score >= floor:
            return award
    return Award.NONE


def _mean(values) -> Decimal | None:
    values = list(values)
    if not values:
        return None
    return (sum(values, Decimal("0")) / len(values)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _locked(contest_id: int) -> PaperContest:
    contest = PaperContest.objects.select_for_update().filter(pk=contest_id).first()
    if contest is None:
        raise NotInScope(_("未找到该论文评比。"))
    return contest


def _expect(contest: PaperContest, *states) -> None:
    if contest.state not in states:
        raise AlreadyHandled(
            _("该评比当前处于“%(stage)s”阶段，不能进行这项操作；请刷新页面查看最新状态。")
            % {"stage": ContestState(contest.state).label}
        )


def _new_code(year: int, taken: set[str]) -> str:
    """A random code, never derived from ids or names (an author cannot be worked out from it)."""
    while True:
        code = f"{year}-" + "".join(secrets.choice(CODE_ALPHABET) for _i in range(4))
        if code not in taken:
            taken.add(code)
            return code


def eligible_papers(year: int):
    """THE definition of what a year's contest takes: accepted 论文 of semesters begun in ``year``."""
    return SemesterWork.objects.filter(
        item=WorkItem.PAPER, status=WorkStatus.ACCEPTED, semester_start__year=year
    ).select_related("case")


def _add_entries(contest: PaperContest) -> list[ContestEntry]:
    have = set(contest.entries.values_list("work_id", flat=True))
    taken = set(contest.entries.values_list("code", flat=True))
    added = []
    for work in eligible_papers(contest.year).exclude(pk__in=have).order_by("id"):
        added.append(
            ContestEntry.objects.create(
                contest=contest, work=work, unit_id=work.case.unit_id, code=_new_code(contest.year, taken)
            )
        )
    return added


def contest_open(*, actor, year: int, title: str) -> PaperContest:
    """发起 year's 论文评比 (the city): the contest and its entries, under random codes."""
    assignment = rules.check_can_run(actor)
    this_year = timezone.localdate().year
    if not 2000 <= year <= this_year + 1:
        raise GuardError(_("年度须在 2000 至 %(max)d 之间，请重新填写。") % {"max": this_year + 1})
    title = (title or "").strip() or _("%(year)d年度“双培”论文评比") % {"year": year}
    with transaction.atomic():
        if PaperContest.objects.select_for_update().filter(year=year).exists():
            raise AlreadyHandled(_("%(year)d年度的论文评比已经发起，请在列表中打开它。") % {"year": year})
        try:
            with transaction.atomic():
                contest = PaperContest.objects.create(year=year, title=title, opened_by=actor)
        except IntegrityError:
            raise AlreadyHandled(_("%(year)d年度的论文评比已经发起，请在列表中打开它。") % {"year": year}) from None
        added = _add_entries(contest)
        audit_log(
            actor=actor,
            action=AuditAction.CONTEST_OPEN,
            case=None,
            role=assignment.role,
            org=assignment.org,
            changes={"contest": contest.title, "year": year, "entries": len(added)},
        )
    return contest


def contest_sync(*, actor, contest_id: int) -> list[ContestEntry]:
    """收录新通过的论文 while the contest is 征集中; a second run adds nothing."""
    assignment = rules.check_can_run(actor)
    with transaction.atomic():
        contest = _locked(contest_id)
        _expect(contest, ContestState.OPEN)
        added = _add_entries(contest)
        if added:
            audit_log(
                actor=actor,
                action=AuditAction.CONTEST_OPEN,
                case=None,
                role=assignment.role,
                org=assignment.org,
                changes={"contest": contest.title, "entries_added": len(added)},
            )
    return added


def contest_judge_appoint(
    *, actor, contest_id: int, judge_user, level: str, unit_id: int | None = None
) -> ContestJudge:
    """聘请评委: city judges by the city, a unit's judges by the unit's 审核人."""
    with transaction.atomic():
        contest = _locked(contest_id)
        if level == JudgeLevel.CITY:
            assignment = rules.check_can_run(actor)
            unit = None
            _expect(contest, ContestState.OPEN, ContestState.UNIT_JUDGING, ContestState.CITY_JUDGING)
        elif level == JudgeLevel.UNIT:
            unit = Organisation.objects.filter(pk=unit_id, kind__in=rules.UNIT_KINDS).first()
            if unit is None:
                raise GuardError(_("请选择评委所属的单位。"))
            assignment = rules.check_can_manage_unit(actor, unit)
            _expect(contest, ContestState.OPEN, ContestState.UNIT_JUDGING)
        else:
            raise GuardError(_("请选择评审级别（单位评审或市级评审）。"))
        rules.check_judge_candidate(judge_user, level=level, unit=unit)
        if ContestJudge.objects.filter(contest=contest, user=judge_user, level=level, unit=unit).exists():
            raise AlreadyHandled(
                _("%(who)s 已是本次评比的评委，无需重复聘请。") % {"who": actor_display_name(judge_user)}
            )
        judge = ContestJudge.objects.create(
            contest=contest, user=judge_user, level=level, unit=unit, appointed_by=actor
        )
        audit_log(
            actor=actor,
            action=AuditAction.CONTEST_JUDGE,
            case=None,
            role=assignment.role,
            org=assignment.org,
            changes={
                "contest": contest.title,
                "judge": actor_display_name(judge_user),
                "level": str(JudgeLevel(level).label),
                **({"unit": unit.name} if unit else {}),
            },
        )
    return judge


def contest_score(*, actor, entry_id: int, score: Decimal, comment: str = "") -> ContestScore:
    """评分: one score per judge per entry, changed (and audited again) while the stage is open."""
    comment = (comment or "").strip()
    entry = ContestEntry.objects.filter(pk=entry_id).first()
    if entry is None:
        raise NotInScope(_("未找到该参评论文，或它不在您的评审范围内。"))
    with transaction.atomic():
        _locked(entry.contest_id)
        entry = ContestEntry.objects.select_related("contest", "work__case__teacher").get(pk=entry_id)
        judge = rules.check_can_score(actor, entry)
        if score is None or not SCORE_MIN <= score <= SCORE_MAX or score != score.quantize(Decimal("0.01")):
            raise GuardError(_("得分须是 0 至 100 之间的数，最多两位小数，请重新填写。"))
        if len(comment) > COMMENT_MAX_LENGTH:
            raise GuardError(_("评语最多 %(max)d 字，现有 %(n)d 字。") % {"max": COMMENT_MAX_LENGTH, "n": len(comment)})
        row = ContestScore.objects.filter(entry=entry, judge=judge).first()
        old = row.score if row else None
        if row is None:
            row = ContestScore.objects.create(entry=entry, judge=judge, score=score, comment=comment)
        else:
            row.score, row.comment = score, comment
            row.save(update_fields=["score", "comment"])
        assignment = rules.judge_assignment(actor, judge.level, judge.unit)
        audit_log(
            actor=actor,
            action=AuditAction.CONTEST_SCORE,
            # No case: a score on the paper's case would show the code, the mark and the author
            # together to any official of the unit, other judges among them. The contest's own
            # trail (by code) keeps it; publication writes the award on the case.
            case=None,
            role=assignment.role if assignment else "",
            org=assignment.org if assignment else None,
            changes={
                "code": entry.code,
                "level": str(JudgeLevel(judge.level).label),
                "score": [str(old) if old is not None else "", str(score.quantize(Decimal("0.01")))],
                **INTERNAL,
            },
        )
    return row


def unit_means(contest: PaperContest) -> dict[int, Decimal]:
    """Each entry's mean of its unit judges' scores."""
    rows = ContestScore.objects.filter(entry__contest=contest, judge__level=JudgeLevel.UNIT)
    return _means(rows)


def city_means(contest: PaperContest) -> dict[int, Decimal]:
    rows = ContestScore.objects.filter(entry__contest=contest, judge__level=JudgeLevel.CITY)
    return _means(rows)


def _means(rows) -> dict[int, Decimal]:
    found: dict[int, list[Decimal]] = {}
    for entry_id, score in rows.values_list("entry_id", "score"):
        found.setdefault(entry_id, []).append(score)
    return {entry_id: _mean(scores) for entry_id, scores in found.items()}


def contest_recommend(*, actor, contest_id: int, unit_id: int, entry_ids: list[int]) -> list[ContestEntry]:
    """推荐参加市级评审 (the unit's 审核人, during 单位评审): replaces the unit's earlier choice."""
    with transaction.atomic():
        contest = _locked(contest_id)
        unit = Organisation.objects.filter(pk=unit_id, kind__in=rules.UNIT_KINDS).first()
        if unit is None:
            raise NotInScope(_("未找到该单位。"))
        assignment = rules.check_can_manage_unit(actor, unit)
        _expect(contest, ContestState.UNIT_JUDGING)
        entries = list(contest.entries.filter(unit=unit).order_by("code"))
        chosen_ids = set(entry_ids)
        chosen = [e for e in entries if e.pk in chosen_ids]
        if len(chosen) != len(chosen_ids):
            raise GuardError(_("所选论文不属于本单位的参评论文，请刷新页面后重新选择。"))
        if not chosen:
            raise GuardError(_("请至少选择一篇推荐参加市级评审的论文。"))
        limit = rules.advance_limit(len(entries))
        if len(chosen) > limit:
            raise GuardError(
                _("本单位共 %(n)d 篇参评论文，最多推荐 %(limit)d 篇（30%%，向上取整），现选了 %(k)d 篇。")
                % {"n": len(entries), "limit": limit, "k": len(chosen)}
            )
        means = unit_means(contest)
        unscored = [e.code for e in chosen if e.pk not in means]
        if unscored:
            raise GuardError(
                _("以下论文尚无单位评委评分，不能推荐：%(codes)s。请待评委评分后再推荐。")
                % {"codes": "、".join(unscored)}
            )
        for e in entries:
            e.unit_score = means.get(e.pk)
            e.advanced = e.pk in chosen_ids
            e.save(update_fields=["unit_score", "advanced"])
        audit_log(
            actor=actor,
            action=AuditAction.CONTEST_ADVANCE,
            case=None,
            role=assignment.role,
            org=assignment.org,
            changes={"contest": contest.title, "unit": unit.name, "advanced": "、".join(e.code for e in chosen)},
        )
    return chosen


def contest_advance(*, actor, contest_id: int, from_state: str) -> PaperContest:
    """进入下一阶段 (the city): 征集中 → 单位评审 → 市级评审. ``from_state`` is the stage the
    page showed: a second click, or a stale page, is refused instead of skipping a stage."""
    assignment = rules.check_can_run(actor)
    with transaction.atomic():
        contest = _locked(contest_id)
        _expect(contest, from_state)
        if contest.state == ContestState.OPEN:
            if not contest.entries.exists():
                raise GuardError(_("本次评比还没有参评论文，不能开始评审；请先收录已通过的论文。"))
        elif contest.state == ContestState.UNIT_JUDGING:
            means = unit_means(contest)
            if not contest.entries.filter(advanced=True).exists():
                raise GuardError(_("还没有单位推荐论文参加市级评审，不能进入市级评审；请先由各单位审核人推荐。"))
            for e in contest.entries.all():
                e.unit_score = means.get(e.pk)
                e.save(update_fields=["unit_score"])
        else:
            raise AlreadyHandled(_("市级评审结束后请点“公布结果”。"))
        old = contest.state
        contest.state = rules.NEXT_STAGE[old]
        contest.save(update_fields=["state"])
        audit_log(
            actor=actor,
            action=AuditAction.CONTEST_ADVANCE,
            case=None,
            role=assignment.role,
            org=assignment.org,
            changes={
                "contest": contest.title,
                "stage": [str(ContestState(old).label), str(ContestState(contest.state).label)],
            },
        )
    return contest


def contest_publish(*, actor, contest_id: int) -> PaperContest:
    """公布结果 (the city, at the end of 市级评审): city scores, awards by band, names visible."""
    assignment = rules.check_can_run(actor)
    with transaction.atomic():
        contest = _locked(contest_id)
        _expect(contest, ContestState.CITY_JUDGING)
        means = city_means(contest)
        entries = list(contest.entries.select_related("work__case").order_by("code"))
        missing = [e.code for e in entries if e.advanced and e.pk not in means]
        if missing:
            raise GuardError(
                _("以下推荐论文尚无市级评委评分：%(codes)s。请待评分完成后再公布。") % {"codes": "、".join(missing)}
            )
        for e in entries:
            e.city_score = means.get(e.pk) if e.advanced else None
            e.award = award_for(e.city_score)
            e.save(update_fields=["city_score", "award"])
            # On the trainee's file: the award is on the case's own trail.
            audit_log(
                actor=actor,
                action=AuditAction.CONTEST_PUBLISH,
                case=e.work.case,
                role=assignment.role,
                org=assignment.org,
                changes={"contest": contest.title, "code": e.code, "award": str(Award(e.award).label)},
            )
            notify(
                [e.work.case.teacher.user],
                kind=NotificationKind.CONTEST,
                message=_("%(contest)s结果已公布：您的论文《%(title)s》%(award)s。")
                % {"contest": contest.title, "title": e.work.title, "award": Award(e.award).label},
                case=e.work.case,
            )
        contest.state = ContestState.PUBLISHED
        contest.published_at = timezone.now()
        contest.save(update_fields=["state", "published_at"])
        audit_log(
            actor=actor,
            action=AuditAction.CONTEST_PUBLISH,
            case=None,
            role=assignment.role,
            org=assignment.org,
            changes={
                "contest": contest.title,
                "stage": [str(ContestState.CITY_JUDGING.label), str(ContestState.PUBLISHED.label)],
                "entries": len(entries),
            },
        )
    return contest

"""进度预测: per unit and year, what the cases in the pipeline can still deliver by 9月10日.

The annual 附件2 is due on 10 September (``settings.ANNEX2_DUE``); a unit's year is judged
against its approved yearly quota (``QuotaYear``). For each open case the forecast gives the
earliest day it can complete, given its gates:

- 培养中: the gate's minimum training period (``earliest_submission``, pauses excluded), or
  today if that has passed, then 支部审核 → 单位审核 → 市级备案, each estimated by its due days
  (``settings.SHUANGPEI_DUE_DAYS``) counted in working days. What else the gate still lacks
  (semester work, 培养人意见) is listed beside it: the date assumes it is done in time.
- 登记造册 / 结对: training starts once pairing and acceptance are done (their due days from
  today), then as above.
- 支部审核 / 单位审核 / 市级备案: the remaining steps' working days from today.
- 暂停: unknown; listed apart and never counted.

A case counts for year Y when its earliest completion falls on or before 9月10日 of Y, and
after 9月10日 of Y−1 if that deadline is still ahead (a case that can make the earlier
deadline counts there). Once Y's 9月10日 has passed, only the year's completions count. The
result is an upper bound: "at most this many by 9月10日".

``completion_estimate`` and ``counts_for_year`` are pure; ``unit_forecasts`` reads the rows of
the units it is given (the caller scopes them: ``workflows.access.plans.forecast_units``).
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from .deadlines import annex2_due
from .models import Annex2Row, Case, CaseState, PlanState, ProgrammePolicy, QuotaYear
from .periods import add_months
from .workdays import add_workdays

KINDS = ("1", "2")
S = CaseState
# The review steps after submission, in order, and the due-days key of each.
REVIEW_STEPS = ((S.BRANCH_REVIEW, "branch_review"), (S.UNIT_REVIEW, "unit_review"), (S.CITY_FILING, "city_filing"))
PIPELINE_STATES = (S.REGISTERED, S.PAIRED, S.TRAINING, S.BRANCH_REVIEW, S.UNIT_REVIEW, S.CITY_FILING, S.PAUSED)


def review_days(from_state: str | None = None, days: dict | None = None) -> int:
    """Working days of the review steps from ``from_state`` on (None: all three)."""
    days = days if days is not None else settings.SHUANGPEI_DUE_DAYS
    keys = [key for state, key in REVIEW_STEPS]
    if from_state is not None:
        keys = keys[[state for state, key in REVIEW_STEPS].index(from_state) :]
    return sum(days[key] for key in keys)


def completion_estimate(
    *,
    state: str,
    today: datetime.date,
    min_months: int,
    ready_on: datetime.date | None = None,
    days: dict | None = None,
    add=add_workdays,
) -> tuple[datetime.date | None, datetime.date | None]:
    """(earliest submission to 支部审核, earliest completion) of a case in ``state``; (None, None)
    for a paused or closed case. ``ready_on`` is the training gate's date for a 培养中 case."""
    days = days if days is not None else settings.SHUANGPEI_DUE_DAYS
    if state in (S.REGISTERED, S.PAIRED):
        before = days["accept"] + (days["pair"] if state == S.REGISTERED else 0)
        ready_on = add_months(add(today, before), min_months)
    elif state == S.TRAINING:
        if ready_on is None:
            return None, None
    elif state in (S.BRANCH_REVIEW, S.UNIT_REVIEW, S.CITY_FILING):
        return None, add(today, review_days(state, days))
    else:
        return None, None
    return ready_on, add(max(ready_on, today), review_days(None, days))


def counts_for_year(completes_on: datetime.date | None, year: int, today: datetime.date) -> bool:
    """Whether a case that can complete on ``completes_on`` counts toward ``year``'s 9月10日."""
    due = annex2_due(year)
    if completes_on is None or due < today or completes_on > due:
        return False
    earlier = annex2_due(year - 1)
    return not (earlier >= today and completes_on <= earlier)


def forecast_year(today: datetime.date | None = None) -> int:
    """The year whose 9月10日 comes next: this year until the day has passed, then the next."""
    today = today or timezone.localdate()
    return today.year if today <= annex2_due(today.year) else today.year + 1


@dataclass
class CaseForecast:
    case_id: int
    name: str
    kind: str
    state: str
    ready_on: datetime.date | None
    completes_on: datetime.date | None
    counts: bool = False
    missing: list[str] = field(default_factory=list)

    @property
    def state_label(self) -> str:
        return str(CaseState(self.state).label)


@dataclass
class KindForecast:
    kind: str
    year: int
    due: datetime.date
    today: datetime.date
    quota: int | None = None
    quota_source: str = ""  # "approved", "proposed" (submitted, not yet approved) or "" (none)
    completed: int = 0
    possible: int = 0
    paused: int = 0

    @property
    def maximum(self) -> int:
        return self.completed + self.possible

    @property
    def gap(self) -> int | None:
        return None if self.quota is None else max(0, self.quota - self.maximum)

    @property
    def passed(self) -> bool:
        return self.due < self.today

    @property
    def message(self) -> str:
        facts = {"max": self.maximum, "quota": self.quota, "gap": self.gap, "done": self.completed}
        if self.passed:
            lead = _("%(year)s 年 9月10日已过，当年已完成 %(done)s 人") % {**facts, "year": self.year}
        else:
            lead = _("按当前进度，9月10日前最多完成 %(max)s 人") % facts
        if self.quota is None:
            return lead + _("，该年度尚无年度计划数")
        label = _("年度计划") if self.quota_source == "approved" else _("上报的年度计划（待市级审批）")
        if self.gap:
            return lead + _("，距%(label)s %(quota)s 人还差 %(gap)s 人") % {**facts, "label": label}
        return lead + _("，可以达到%(label)s %(quota)s 人") % {**facts, "label": label}


@dataclass
class UnitForecast:
    unit: object
    year: int
    kinds: dict[str, KindForecast]
    cases: list[CaseForecast]  # open and moving, soonest first
    paused: list[CaseForecast]

    @property
    def by_stage(self) -> list[tuple[str, int]]:
        counts = Counter(c.state for c in self.cases + self.paused)
        return [(str(state.label), counts[state]) for state in PIPELINE_STATES if counts[state]]

    @property
    def has_gap(self) -> bool:
        return any(k.gap for k in self.kinds.values())


def _quotas(units, year: int) -> dict[tuple[int, str], tuple[int, str]]:
    from .figures import plan_for_year  # the dashboard's one rule for "the plan of a year"

    plan = plan_for_year(year)
    if plan is None or not plan.first_year <= year <= plan.last_year:
        return {}
    found = {}
    rows = QuotaYear.objects.filter(unit_plan__plan=plan, unit_plan__unit__in=units, year=year).values_list(
        "unit_plan__unit_id", "unit_plan__state", "kind", "proposed", "approved"
    )
    for unit_id, state, kind, proposed, approved in rows:
        if approved is not None:
            found[(unit_id, kind)] = (approved, "approved")
        elif state == PlanState.SUBMITTED:
            found[(unit_id, kind)] = (proposed, "proposed")
    return found


def unit_forecasts(units, year: int, *, today: datetime.date | None = None, with_cases: bool = True):
    """The forecast of each unit in ``units`` (already scoped to the reader) for ``year``."""
    from .services.training import earliest_submission, gate_missing

    today = today or timezone.localdate()
    units = list(units)
    due = annex2_due(year)
    policy = ProgrammePolicy.current()
    memo: dict[tuple[datetime.date, int], datetime.date] = {}

    def add(day, n):
        if (day, n) not in memo:
            memo[(day, n)] = add_workdays(day, n)
        return memo[(day, n)]

    quotas = _quotas(units, year)
    done = Counter()
    for unit_id, kind, n in (
        Annex2Row.objects.filter(unit__in=units, year=year)
        .values_list("unit_id", "kind")
        .annotate(n=Count("id"))
        .order_by()
    ):
        done[(unit_id, kind)] = n
    result = {}
    for unit in units:
        kinds = {}
        for kind in KINDS:
            quota, source = quotas.get((unit.pk, kind), (None, ""))
            kinds[kind] = KindForecast(
                kind, year, due, today, quota=quota, quota_source=source, completed=done[(unit.pk, kind)]
            )
        result[unit.pk] = UnitForecast(unit=unit, year=year, kinds=kinds, cases=[], paused=[])
    cases = Case.objects.filter(unit__in=units, state__in=PIPELINE_STATES).select_related("teacher")
    for case in cases.order_by("id"):
        forecast = result[case.unit_id]
        ready_on = earliest_submission(case) if case.state == S.TRAINING else None
        ready_on, completes_on = completion_estimate(
            state=case.state, today=today, min_months=policy.min_months(case.kind), ready_on=ready_on, add=add
        )
        item = CaseForecast(case.pk, case.teacher.name, case.kind, case.state, ready_on, completes_on)
        if case.state == S.PAUSED:
            forecast.paused.append(item)
            forecast.kinds[case.kind].paused += 1
            continue
        item.counts = counts_for_year(completes_on, year, today)
        forecast.kinds[case.kind].possible += item.counts
        if with_cases and case.state == S.TRAINING:
            # Beyond the period itself (already in the date): what else the gate still needs.
            missing = gate_missing(case, today)
            item.missing = missing[1:] if ready_on and today < ready_on else missing
        forecast.cases.append(item)
    for forecast in result.values():
        forecast.cases.sort(key=lambda c: (c.completes_on or datetime.date.max, c.case_id))
    return [result[unit.pk] for unit in units]

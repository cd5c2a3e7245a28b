"""The city-wide check of a three-year plan's year breakdowns (附件1 注).

Each unit breaks its three-year quota down by year; the city adjusts the breakdowns "to make
sure that every year the education system trains 150 骨干教师 into party members (类别1) and
240 party-member teachers into 教学和管理骨干 (类别2)" (seed 000, 附件1 注). This module says,
per year and 类别, what the units' numbers add up to across the city and how far short of the
minimum it falls.

A unit the city has approved counts by its approved numbers; a unit not yet approved counts by
what it proposed and is named, so the page can say the sum is provisional. The check never
blocks an approval (the city adjusts afterwards); it tells the city before it decides, and the
approval's audit event records the result.

``year_checks`` and ``three_year_notes`` are pure (the facts in, the words out); ``city_check``
and ``city_notes`` read the plan's rows.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .documents import CITY_YEARLY_MINIMUM
from .models import PlanState, Quota, QuotaPlan, QuotaYear

KINDS = ("1", "2")


@dataclass(frozen=True)
class UnitYear:
    """One unit's number for one year and 类别, as the check counts it."""

    unit_id: int
    unit_name: str
    state: str  # PlanState of the unit's breakdown
    year: int
    kind: str
    proposed: int
    approved: int | None

    @property
    def counted(self) -> int:
        if self.state == PlanState.APPROVED and self.approved is not None:
            return self.approved
        return self.proposed

    @property
    def provisional(self) -> bool:
        return not (self.state == PlanState.APPROVED and self.approved is not None)


@dataclass
class YearCheck:
    """The city-wide sum of one year and 类别 against the yearly minimum."""

    year: int
    kind: str
    minimum: int
    total: int = 0
    # Units counted by what they proposed (not yet approved), by name.
    provisional_units: list[str] = field(default_factory=list)

    @property
    def shortfall(self) -> int:
        return max(0, self.minimum - self.total)

    @property
    def met(self) -> bool:
        return self.total >= self.minimum

    @property
    def message(self) -> str:
        facts = {"year": self.year, "kind": self.kind, "total": self.total, "minimum": self.minimum}
        if self.met:
            text = _("%(year)s 年类别%(kind)s 全市合计 %(total)s 人，达到每年 %(minimum)s 人的目标") % facts
        else:
            text = _(
                "%(year)s 年类别%(kind)s 全市合计 %(total)s 人，低于每年 %(minimum)s 人的目标，还差 %(short)s 人"
            ) % {**facts, "short": self.shortfall}
        if self.provisional_units:
            text += _("（其中 %(n)s 个单位尚未审批，按上报数计）") % {"n": len(self.provisional_units)}
        return text


def year_checks(
    numbers: Iterable[UnitYear], years: Iterable[int], minimums: dict[str, int] = CITY_YEARLY_MINIMUM
) -> list[YearCheck]:
    """Per year (in order) and 类别 (1, then 2): the sum over units against the minimum."""
    checks = {(year, kind): YearCheck(year, kind, minimums[kind]) for year in years for kind in KINDS}
    for number in numbers:
        check = checks.get((number.year, number.kind))
        if check is None:
            continue
        check.total += number.counted
        if number.provisional and number.unit_name not in check.provisional_units:
            check.provisional_units.append(number.unit_name)
    return list(checks.values())


def three_year_notes(totals: dict[str, int], years: int, minimums: dict[str, int] = CITY_YEARLY_MINIMUM) -> list[str]:
    """What the three-year quotas leave to the breakdown: whether they can meet the minimum
    every year at all, and how much room there is between years."""
    notes = []
    for kind in KINDS:
        total, need = totals.get(kind, 0), minimums[kind] * years
        facts = {"kind": kind, "total": total, "minimum": minimums[kind], "years": years, "need": need}
        if total < need:
            notes.append(
                _(
                    "类别%(kind)s三年计划数合计 %(total)s 人，不足每年 %(minimum)s 人 × %(years)s 年 = %(need)s 人，"
                    "无论怎样分解都有年度达不到目标，还差 %(short)s 人。"
                )
                % {**facts, "short": need - total}
            )
        elif total == need:
            notes.append(
                _(
                    "类别%(kind)s三年计划数合计 %(total)s 人，恰好等于每年 %(minimum)s 人 × %(years)s 年：只有每年都"
                    "分解到 %(minimum)s 人才能年年达标，任何一年少排都会形成缺口。"
                )
                % facts
            )
        else:
            notes.append(
                _(
                    "类别%(kind)s三年计划数合计 %(total)s 人，比每年 %(minimum)s 人 × %(years)s 年多 %(spare)s 人，"
                    "各年之间可调剂的余量为 %(spare)s 人。"
                )
                % {**facts, "spare": total - need}
            )
    return notes


def plan_numbers(plan: QuotaPlan, *, overrides: dict | None = None) -> list[UnitYear]:
    """The plan's year cells of every unit. ``overrides`` ({unit_id: {(year, kind): n}}) counts
    those units as approved with the given numbers: the city's adjustment as typed, before it
    is saved."""
    overrides = overrides or {}
    numbers = []
    rows = QuotaYear.objects.filter(unit_plan__plan=plan).values_list(
        "unit_plan__unit_id", "unit_plan__unit__name", "unit_plan__state", "year", "kind", "proposed", "approved"
    )
    for unit_id, name, state, year, kind, proposed, approved in rows.order_by("unit_plan__unit__sort_order", "id"):
        if unit_id in overrides and (year, kind) in overrides[unit_id]:
            state, approved = PlanState.APPROVED, overrides[unit_id][(year, kind)]
        numbers.append(UnitYear(unit_id, name, state, year, kind, proposed, approved))
    return numbers


def city_check(plan: QuotaPlan, *, overrides: dict | None = None) -> list[YearCheck]:
    """The city-wide check of ``plan`` as its rows stand (see ``plan_numbers`` for overrides)."""
    return year_checks(plan_numbers(plan, overrides=overrides), plan.years)


def city_notes(plan: QuotaPlan) -> list[str]:
    totals = {kind: 0 for kind in KINDS}
    for kind, total in Quota.objects.filter(plan=plan).values_list("kind", "total"):
        totals[kind] += total
    return three_year_notes(totals, len(plan.years))


def shortfalls(checks: Iterable[YearCheck]) -> list[YearCheck]:
    return [check for check in checks if not check.met]

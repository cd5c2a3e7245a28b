"""统计看板 and the half-year 通报: the figures, their charts (inline SVG) and the bulletin PDF.

Every figure is computed for a *scope* (the city, the units a user oversees, or a school's
slice) and a year, in a fixed number of aggregate queries however many units there are:

- quota vs completed per unit and 类别 (附件1 plan, 附件2 rows);
- the city-wide yearly minimums (≥150 类别1, ≥240 类别2 completions);
- the two 80% targets (目标任务 of the plan);
- cases per stage and overdue open tasks per unit;
- each unit's 附件2 report for the year (due by 10 September).

The dashboard page and the bulletin PDF call the same functions, so they always agree.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .deadlines import annex2_due, annex2_standing, overdue_unreported
from .errors import GuardError, NotPermitted
from .models import (
    Annex2Row,
    AnnualReport,
    Appraisal,
    AppraisalResult,
    Case,
    CaseKind,
    CaseState,
    CaseTask,
    Organisation,
    OrgKind,
    PartyAdmission,
    Quota,
    QuotaPlan,
    QuotaYear,
    ReportState,
)
from .models.organisations import UNIT_KINDS
from .selectors import units_for_user, user_assignments

KINDS = (CaseKind.CULTIVATE_MEMBER.value, CaseKind.CULTIVATE_BACKBONE.value)
# City-wide minimum completions per year (DOMAIN §8).
CITY_MINIMUMS = {"1": 150, "2": 240}
# The two 80% targets of the plan's 目标任务.
TARGET_PERCENT = 80
OPEN_STATUSES = ("NEW", "ASSIGNED", "STARTED")
FIRST_YEAR = 2000


def check_year(value, *, default: int | None = None) -> int:
    """A four-digit year from a query string, or a Chinese 400."""
    if value in (None, ""):
        return default if default is not None else timezone.localdate().year
    try:
        year = int(str(value).strip())
    except ValueError:
        raise GuardError(_("年度须为四位数字，例如 2026。")) from None
    if not FIRST_YEAR <= year <= 2100:
        raise GuardError(_("年度须为四位数字，例如 2026。"))
    return year


def _pct(numerator: int, denominator: int | None) -> float | None:
    if not denominator:
        return None
    return numerator * 100.0 / denominator


def pct_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


# --- the scope ------------------------------------------------------------------------


@dataclass
class Slice:
    """One row of the dashboard: a unit, or (for a school's users) a school or branch."""

    org: Organisation
    is_unit: bool

    @property
    def name(self) -> str:
        return self.org.name


@dataclass
class Scope:
    """What a user's dashboard covers: ``level`` is "city", "unit" or "school"."""

    level: str
    slices: list[Slice]
    paths: list[str]

    @property
    def is_city(self) -> bool:
        return self.level == "city"

    @property
    def unit_ids(self) -> list[int]:
        return [s.org.pk for s in self.slices if s.is_unit]

    @property
    def label(self) -> str:
        if self.is_city:
            return _("全市")
        return "、".join(s.name for s in self.slices)


def dashboard_scope(user) -> Scope:
    """The city for city users, the user's units for a unit's users, else the user's school slice.

    Users holding no role (培养人, 培养对象 and anyone else) are refused.
    """
    assignments = user_assignments(user)
    if not assignments:
        raise NotPermitted(
            _(
                "统计看板仅向党务干部、支部书记、审核人、市级管理员和审计人员开放；"
                "培养人和培养对象请在“我的待办”中查看自己的任务。"
            )
        )
    city = next((a.org for a in assignments if a.org.kind == OrgKind.CITY), None)
    if city is not None:
        units = Organisation.objects.filter(kind__in=UNIT_KINDS, path__startswith=city.path)
        return Scope("city", [Slice(u, True) for u in units.order_by("sort_order", "id")], [city.path])
    units = list(units_for_user(user))
    if units:
        return Scope("unit", [Slice(u, True) for u in units], [u.path for u in units])
    # Schools and branches: the slice below the unit, without the unit's plan.
    orgs = sorted({a.org.pk: a.org for a in assignments}.values(), key=lambda o: o.path)
    top = [o for o in orgs if not any(o.path != p.path and o.path.startswith(p.path) for p in orgs)]
    return Scope("school", [Slice(o, False) for o in top], [o.path for o in top])


def _paths_q(field_name: str, paths: list[str]) -> Q:
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{field_name}__startswith": path})
    return q


def _slice_of(scope: Scope, *, unit_id=None, path: str | None = None) -> Slice | None:
    """The slice a row belongs to: by unit for unit rows, by path prefix for a school's slice."""
    for s in scope.slices:
        if s.is_unit and unit_id is not None and s.org.pk == unit_id:
            return s
        if not s.is_unit and path is not None and path.startswith(s.org.path):
            return s
    return None


# --- the figures ------------------------------------------------------------------------


@dataclass
class KindFigure:
    """One 类别 of one unit (or the total): the year's plan and completions, and the three-year plan."""

    kind: str
    quota: int | None = None  # the year's number: approved by the city, else proposed by the unit
    quota_source: str = ""  # "approved", "proposed", or "" when the unit has no year breakdown
    completed: int = 0
    total: int | None = None  # the three-year quota (附件1 row)
    completed_to_date: int = 0  # completions over the plan's years up to the selected year
    # In a total: the completions of the units that have a plan for the year (the rate's numerator).
    planned_completed: int | None = None

    @property
    def completed_against_plan(self) -> int:
        if self.planned_completed is not None:
            return self.planned_completed
        return self.completed if self.quota is not None else 0

    @property
    def pct(self) -> float | None:
        return _pct(self.completed_against_plan, self.quota)

    @property
    def total_pct(self) -> float | None:
        return _pct(self.completed_to_date, self.total)

    @property
    def below_plan(self) -> bool:
        return self.quota is not None and self.completed < self.quota

    @property
    def quota_text(self) -> str:
        if self.quota is None:
            return _("未分解")
        if self.quota_source == "proposed":
            return _("%(n)d（单位上报，待核定）") % {"n": self.quota}
        if self.quota_source == "mixed":
            return _("%(n)d（部分待核定）") % {"n": self.quota}
        return str(self.quota)

    @property
    def pct_text(self) -> str:
        return pct_text(self.pct)

    def add(self, other: "KindFigure") -> None:
        """Sum another unit's figure into this total.

        The total's rate counts only the units with a plan for the year: a unit without one
        adds its completions to the total but not to the rate's numerator.
        """
        if other.quota is not None:
            self.planned_completed = (self.planned_completed or 0) + other.completed_against_plan
            if self.quota is None:
                self.quota, self.quota_source = other.quota, other.quota_source
            else:
                self.quota += other.quota
                if self.quota_source != other.quota_source:
                    self.quota_source = "mixed"
        if other.total is not None:
            self.total = (self.total or 0) + other.total
        self.completed += other.completed
        self.completed_to_date += other.completed_to_date


@dataclass
class ReportStatus:
    """A unit's 附件2 for the year: its latest version, and how it stands against 10 September."""

    status: str  # "none", or the latest version's state
    due: datetime.date
    today: datetime.date
    version: int | None = None
    submitted_at: datetime.datetime | None = None
    reported: bool = False  # some version was submitted or accepted (returned ones do not count)
    late: bool = False  # first submitted after the due date

    @property
    def days_left(self) -> int:
        """Days to the due date; negative when it has passed."""
        return (self.due - self.today).days

    @property
    def overdue(self) -> bool:
        """逾期未报 (``workflows.deadlines``): due date passed, nothing submitted or accepted."""
        return overdue_unreported(due=self.due, today=self.today, reported=self.reported)

    @property
    def label(self) -> str:
        labels = {
            "none": _("未报送"),
            ReportState.SUBMITTED: _("已报送，待市级审核"),
            ReportState.ACCEPTED: _("市级已接收"),
            ReportState.RETURNED: _("已退回，待重新报送"),
            ReportState.SUPERSEDED: _("已被更正版本取代"),
        }
        text = str(labels.get(self.status, self.status))
        if self.version and self.version > 1:
            text = _("%(text)s（第%(v)d版）") % {"text": text, "v": self.version}
        if self.overdue:
            return _("逾期未报（%(text)s）") % {"text": text} if self.status != "none" else _("逾期未报")
        if self.late:
            text = _("%(text)s，逾期报送") % {"text": text}
        return text

    @property
    def days_text(self) -> str:
        if self.reported:
            return "—"
        if self.days_left >= 0:
            return _("剩 %(n)d 天") % {"n": self.days_left}
        return _("已逾期 %(n)d 天") % {"n": -self.days_left}


def report_status(versions: list, *, due: datetime.date, today: datetime.date) -> ReportStatus:
    """The status from a unit's versions for the year (any objects with version, state, submitted_at).

    Kept apart from the query so it can be checked on plain rows.
    """
    if not versions:
        return ReportStatus("none", due=due, today=today)
    latest = max(versions, key=lambda r: r.version)
    standing = annex2_standing(versions, due=due, today=today)
    return ReportStatus(
        latest.state,
        due=due,
        today=today,
        version=latest.version,
        submitted_at=latest.submitted_at,
        reported=standing.reported,
        late=standing.late,
    )


@dataclass
class SliceFigures:
    slice: Slice
    kinds: dict[str, KindFigure]
    stages: dict[str, int] = field(default_factory=dict)
    overdue_tasks: int = 0
    report: ReportStatus | None = None

    @property
    def org(self) -> Organisation:
        return self.slice.org

    @property
    def name(self) -> str:
        return self.slice.name

    @property
    def quota(self) -> int | None:
        known = [k.quota for k in self.kinds.values() if k.quota is not None]
        return sum(known) if known else None

    @property
    def completed(self) -> int:
        return sum(k.completed for k in self.kinds.values())

    @property
    def pct(self) -> float | None:
        return _pct(sum(k.completed_against_plan for k in self.kinds.values()), self.quota)

    @property
    def pct_text(self) -> str:
        return pct_text(self.pct)

    @property
    def below_plan(self) -> list[KindFigure]:
        return [k for k in self.kinds.values() if k.below_plan]

    @property
    def stage_list(self) -> list[int]:
        return [self.stages.get(value, 0) for value in CaseState.values]

    @property
    def case_count(self) -> int:
        return sum(self.stages.values())


@dataclass
class Minimum:
    """A city-wide yearly minimum, and how far the city (or the user's units) got."""

    kind: str
    target: int
    completed: int
    city_wide: bool

    @property
    def pct(self) -> float | None:
        return _pct(self.completed, self.target)

    @property
    def met(self) -> bool:
        return self.completed >= self.target

    @property
    def kind_label(self) -> str:
        return str(CaseKind(self.kind).label)

    @property
    def text(self) -> str:
        values = {"kind": self.kind, "n": self.completed, "target": self.target, "pct": pct_text(self.pct)}
        if self.city_wide:
            verdict = _("已达到") if self.met else _("未达到")
            return _("类别%(kind)s：全市完成 %(n)d 人，年度最低 %(target)d 人（%(pct)s），%(verdict)s") % {
                **values,
                "verdict": verdict,
            }
        return _("类别%(kind)s：本单位完成 %(n)d 人，占全市年度最低任务 %(target)d 人的 %(pct)s") % values


@dataclass
class Target:
    """One of the two 80% targets: numerator over denominator, or 无数据."""

    key: str
    title: str
    numerator: int
    denominator: int
    numerator_label: str
    denominator_label: str

    @property
    def share(self) -> float | None:
        return _pct(self.numerator, self.denominator)

    @property
    def has_data(self) -> bool:
        return self.denominator > 0

    @property
    def met(self) -> bool | None:
        if not self.has_data:
            return None
        return self.numerator * 100 >= TARGET_PERCENT * self.denominator

    @property
    def verdict(self) -> str:
        if not self.has_data:
            return _("无数据")
        return _("达标（≥80%）") if self.met else _("未达标（<80%）")

    @property
    def text(self) -> str:
        if not self.has_data:
            return _("%(title)s：无数据（%(den)s为 0）") % {"title": self.title, "den": self.denominator_label}
        return _("%(title)s：%(num)d / %(den)d = %(pct)s，%(verdict)s") % {
            "title": self.title,
            "num": self.numerator,
            "den": self.denominator,
            "pct": pct_text(self.share),
            "verdict": self.verdict,
        }


@dataclass
class Dashboard:
    scope: Scope
    year: int
    today: datetime.date
    plan: QuotaPlan | None
    rows: list[SliceFigures]
    totals: dict[str, KindFigure]
    minimums: list[Minimum]
    targets: list[Target]
    due: datetime.date

    @property
    def overdue_tasks(self) -> int:
        return sum(r.overdue_tasks for r in self.rows)

    @property
    def stage_labels(self) -> list[str]:
        return [str(label) for label in CaseState.labels]

    @property
    def stage_totals(self) -> list[int]:
        return [sum(col) for col in zip(*(r.stage_list for r in self.rows), strict=False)] or [0] * len(
            CaseState.values
        )

    @property
    def total_completed(self) -> int:
        return sum(k.completed for k in self.totals.values())

    @property
    def total_quota(self) -> int | None:
        known = [k.quota for k in self.totals.values() if k.quota is not None]
        return sum(known) if known else None

    @property
    def total_pct_text(self) -> str:
        return pct_text(_pct(sum(k.completed_against_plan for k in self.totals.values()), self.total_quota))

    @property
    def has_reports(self) -> bool:
        return any(r.report is not None for r in self.rows)

    @property
    def problems(self) -> list[str]:
        return problems(self)

    @property
    def charts(self) -> dict[str, SafeString]:
        return {
            "quota": svg_quota_bars(self.rows),
            "minimums": svg_minimums(self.minimums),
            "targets": svg_targets(self.targets),
        }


def plan_for_year(year: int) -> QuotaPlan | None:
    """The latest 三年计划 covering the year, else the latest plan imported."""
    plans = QuotaPlan.objects.order_by("-first_year", "-id")
    return plans.filter(first_year__lte=year, last_year__gte=year).first() or plans.first()


def quota_figures(scope: Scope, year: int, plan: QuotaPlan | None) -> dict[int, dict[str, KindFigure]]:
    """Per slice and 类别: the year's plan and completions, the three-year plan and completions to date.

    Three queries: completions (one GROUP BY over the plan's years), the 附件1 rows, the year's breakdown.
    """
    figures = {s.org.pk: {k: KindFigure(k) for k in KINDS} for s in scope.slices}
    first = min(plan.first_year, year) if plan else year
    rows = Annex2Row.objects.filter(year__gte=first, year__lte=year)
    if scope.level == "school":
        rows = rows.filter(_paths_q("case__scope_path", scope.paths)).values("case__scope_path", "year", "kind")
        key = "case__scope_path"
    else:
        rows = rows.filter(unit_id__in=scope.unit_ids).values("unit_id", "year", "kind")
        key = "unit_id"
    for row in rows.annotate(n=Count("id")).order_by():
        found = _slice_of(scope, path=row[key]) if scope.level == "school" else _slice_of(scope, unit_id=row[key])
        if found is None:
            continue
        figure = figures[found.org.pk][row["kind"]]
        if row["year"] == year:
            figure.completed += row["n"]
        if plan and plan.first_year <= row["year"] <= min(plan.last_year, year):
            figure.completed_to_date += row["n"]
    if plan is None or scope.level == "school":
        return figures  # 附件1 quotas are set per unit; a school has no share of its own
    for row in (
        Quota.objects.filter(plan=plan, unit_id__in=scope.unit_ids)
        .values("unit_id", "kind")
        .annotate(total=Sum("total"))
        .order_by()
    ):
        figures[row["unit_id"]][row["kind"]].total = row["total"]
    for row in QuotaYear.objects.filter(unit_plan__plan=plan, unit_plan__unit_id__in=scope.unit_ids, year=year).values(
        "unit_plan__unit_id", "kind", "proposed", "approved"
    ):
        figure = figures[row["unit_plan__unit_id"]][row["kind"]]
        if row["approved"] is not None:
            figure.quota, figure.quota_source = row["approved"], "approved"
        else:
            figure.quota, figure.quota_source = row["proposed"], "proposed"
    return figures


def minimum_figures(scope: Scope, year: int) -> list[Minimum]:
    """Completions of the year per 类别: city-wide for the city, the units' own contribution otherwise."""
    rows = Annex2Row.objects.filter(year=year)
    if scope.level == "unit":
        rows = rows.filter(unit_id__in=scope.unit_ids)
    elif scope.level == "school":
        rows = rows.filter(_paths_q("case__scope_path", scope.paths))
    counts = dict(rows.values_list("kind").annotate(n=Count("id")).order_by())
    return [Minimum(k, CITY_MINIMUMS[k], counts.get(k, 0), city_wide=scope.is_city) for k in KINDS]


def target_figures(scope: Scope, year: int) -> list[Target]:
    """The two 80% targets for teachers in the scope (two aggregate queries)."""
    teacher_q = Q() if scope.is_city else _paths_q("teacher__org__path", scope.paths)
    excellent = Appraisal.objects.filter(teacher=OuterRef("teacher"), year=year, result=AppraisalResult.EXCELLENT)
    admitted = PartyAdmission.objects.filter(
        teacher_q, admitted_on__gte=datetime.date(year, 1, 1), admitted_on__lte=datetime.date(year, 12, 31)
    ).aggregate(total=Count("id"), excellent=Count("id", filter=Q(Exists(excellent))))
    commended = Appraisal.objects.filter(teacher_q, year=year, result=AppraisalResult.EXCELLENT).aggregate(
        total=Count("id"), members=Count("id", filter=Q(party_member=True))
    )
    return [
        Target(
            "admitted",
            _("年度新发展教师党员中获评“优秀”的比例"),
            admitted["excellent"],
            admitted["total"],
            _("获评“优秀”人数"),
            _("年度新发展教师党员人数"),
        ),
        Target(
            "commended",
            _("年度评选表彰的“优秀”教师中党员的比例"),
            commended["members"],
            commended["total"],
            _("其中党员人数"),
            _("年度获评“优秀”教师人数"),
        ),
    ]


def stage_figures(scope: Scope) -> dict[int, dict[str, int]]:
    """Cases per stage (as they stand now), per slice: one GROUP BY."""
    counts: dict[int, dict[str, int]] = {s.org.pk: {} for s in scope.slices}
    if scope.level == "school":
        rows = Case.objects.filter(_paths_q("scope_path", scope.paths)).values("scope_path", "state")
    else:
        rows = Case.objects.filter(unit_id__in=scope.unit_ids).values("unit_id", "state")
    for row in rows.annotate(n=Count("id")).order_by():
        found = (
            _slice_of(scope, path=row["scope_path"])
            if scope.level == "school"
            else _slice_of(scope, unit_id=row["unit_id"])
        )
        if found is not None:
            bucket = counts[found.org.pk]
            bucket[row["state"]] = bucket.get(row["state"], 0) + row["n"]
    return counts


def overdue_figures(scope: Scope, now: datetime.datetime | None = None) -> dict[int, int]:
    """Open tasks past their due time, per slice (by the case's unit or place): one GROUP BY."""
    now = now or timezone.now()
    tasks = CaseTask.objects.filter(status__in=OPEN_STATUSES, due_at__lt=now)
    counts = {s.org.pk: 0 for s in scope.slices}
    if scope.level == "school":
        rows = tasks.filter(_paths_q("case__scope_path", scope.paths)).values("case__scope_path")
    else:
        rows = tasks.filter(case__unit_id__in=scope.unit_ids).values("case__unit_id")
    for row in rows.annotate(n=Count("id")).order_by():
        found = (
            _slice_of(scope, path=row["case__scope_path"])
            if scope.level == "school"
            else _slice_of(scope, unit_id=row["case__unit_id"])
        )
        if found is not None:
            counts[found.org.pk] += row["n"]
    return counts


def report_figures(scope: Scope, year: int, today: datetime.date) -> dict[int, ReportStatus]:
    """Each unit's 附件2 for the year (one query over every version)."""
    due = annex2_due(year)
    versions: dict[int, list] = {pk: [] for pk in scope.unit_ids}
    for report in AnnualReport.objects.filter(unit_id__in=scope.unit_ids, year=year).only(
        "id", "unit_id", "version", "state", "submitted_at"
    ):
        versions[report.unit_id].append(report)
    return {pk: report_status(rows, due=due, today=today) for pk, rows in versions.items()}


def dashboard(user, year: int, *, today: datetime.date | None = None, scope: Scope | None = None) -> Dashboard:
    """Every figure of the 统计看板 for the user's scope and the year."""
    scope = scope or dashboard_scope(user)
    today = today or timezone.localdate()
    plan = plan_for_year(year)
    kinds = quota_figures(scope, year, plan)
    stages = stage_figures(scope)
    overdue = overdue_figures(scope)
    reports = report_figures(scope, year, today) if scope.level != "school" else {}
    rows = [
        SliceFigures(
            s,
            kinds[s.org.pk],
            stages=stages.get(s.org.pk, {}),
            overdue_tasks=overdue.get(s.org.pk, 0),
            report=reports.get(s.org.pk),
        )
        for s in scope.slices
    ]
    totals = {k: KindFigure(k) for k in KINDS}
    for row in rows:
        for k in KINDS:
            totals[k].add(row.kinds[k])
    return Dashboard(
        scope=scope,
        year=year,
        today=today,
        plan=plan,
        rows=rows,
        totals=totals,
        minimums=minimum_figures(scope, year),
        targets=target_figures(scope, year),
        due=annex2_due(year),
    )


def dashboard_years(today: datetime.date | None = None) -> list[int]:
    """Years offered by the year selector: the plans' years, years with completions, and this year."""
    this_year = (today or timezone.localdate()).year
    years = {this_year, this_year - 1}
    for first, last in QuotaPlan.objects.values_list("first_year", "last_year"):
        years.update(range(first, last + 1))
    years.update(Annex2Row.objects.values_list("year", flat=True).distinct().order_by())
    return sorted((y for y in years if FIRST_YEAR <= y <= this_year + 1), reverse=True)


def problems(board: Dashboard) -> list[str]:
    """四、存在的问题, written from the figures: plans behind, reports late, tasks overdue, targets missed."""
    found = []
    behind = []
    for row in board.rows:
        parts = [
            _("类别%(kind)s 完成 %(n)d 人，年度计划 %(q)d 人，完成率 %(pct)s")
            % {"kind": k.kind, "n": k.completed, "q": k.quota, "pct": k.pct_text}
            for k in row.below_plan
        ]
        if parts:
            behind.append(f"{row.name}（{'；'.join(parts)}）")
    if behind:
        found.append(_("%(n)d 个单位未完成年度计划：%(list)s。") % {"n": len(behind), "list": "；".join(behind)})
    unplanned = [r.name for r in board.rows if r.slice.is_unit and board.plan and r.quota is None]
    if unplanned:
        found.append(
            _("%(n)d 个单位尚无本年度计划分解：%(list)s。") % {"n": len(unplanned), "list": "、".join(unplanned)}
        )
    late = [r.name for r in board.rows if r.report is not None and r.report.overdue]
    if late:
        found.append(
            _("%(n)d 个单位%(year)d年度附件2逾期未报（截止日期 %(due)s）：%(list)s。")
            % {"n": len(late), "year": board.year, "due": _date_text(board.due), "list": "、".join(late)}
        )
    returned = [r.name for r in board.rows if r.report is not None and r.report.status == ReportState.RETURNED]
    if returned:
        found.append(_("附件2被退回、尚待重新报送：%(list)s。") % {"list": "、".join(returned)})
    overdue = [f"{r.name}（{r.overdue_tasks} 项）" for r in board.rows if r.overdue_tasks]
    if overdue:
        found.append(
            _("共有 %(n)d 项待办任务逾期未办理：%(list)s。") % {"n": board.overdue_tasks, "list": "、".join(overdue)}
        )
    if board.scope.is_city:
        for minimum in board.minimums:
            if not minimum.met:
                found.append(
                    _("全市类别%(kind)s完成 %(n)d 人，距年度最低 %(target)d 人尚差 %(gap)d 人。")
                    % {
                        "kind": minimum.kind,
                        "n": minimum.completed,
                        "target": minimum.target,
                        "gap": minimum.target - minimum.completed,
                    }
                )
    for target in board.targets:
        if target.met is False:
            found.append(
                _("%(title)s为 %(pct)s（%(num)d / %(den)d），低于 80%% 的目标。")
                % {
                    "title": target.title,
                    "pct": pct_text(target.share),
                    "num": target.numerator,
                    "den": target.denominator,
                }
            )
        elif target.met is None:
            found.append(_("%(title)s暂无数据，请及时登记评优结果和发展党员情况。") % {"title": target.title})
    return found


def _date_text(day: datetime.date) -> str:
    return _("%(y)d年%(m)d月%(d)d日") % {"y": day.year, "m": day.month, "d": day.day}


# --- charts: inline SVG, readable in black and white ---------------------------------

FONT = "Noto Sans CJK SC, Noto Serif CJK SC, sans-serif"
NAME_CHARS = 10  # characters of a unit's name that fit left of the bars on one line


def _patterns(prefix: str) -> str:
    """Hatching for 类别1, dots for 类别2, solid grey for the plan: told apart without colour."""
    return (
        "<defs>"
        f'<pattern id="{prefix}-hatch" patternUnits="userSpaceOnUse" width="6" height="6">'
        '<rect width="6" height="6" fill="#fff"/>'
        '<path d="M0,6 L6,0 M-1,1 L1,-1 M5,7 L7,5" stroke="#000" stroke-width="1.4"/></pattern>'
        f'<pattern id="{prefix}-dots" patternUnits="userSpaceOnUse" width="5" height="5">'
        '<rect width="5" height="5" fill="#fff"/><circle cx="2.5" cy="2.5" r="1.3" fill="#000"/></pattern>'
        "</defs>"
    )


def _text(x, y, text, *, size=12, anchor="start", weight="normal") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-family="{FONT}" font-size="{size}" fill="#000" '
        f'text-anchor="{anchor}" font-weight="{weight}">{escape(text)}</text>'
    )


def _svg(width: int, height: int, body: str, *, label: str) -> SafeString:
    return mark_safe(  # every text run is escaped by _text
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sp-chart" role="img" aria-label="{escape(label)}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">{body}</svg>'
    )


def svg_quota_bars(rows: list[SliceFigures]) -> SafeString:
    """Horizontal bars per unit and 类别: the plan as an outlined bar, completions filled over it."""
    label_w, bar_w, text_w, line_h, gap, top = 170, 270, 200, 17, 8, 34
    width = label_w + bar_w + text_w
    height = top + len(rows) * (2 * line_h + gap) + 6
    scale_max = max([1] + [max(k.quota or 0, k.completed) for r in rows for k in r.kinds.values()])
    fills = {"1": "url(#q-hatch)", "2": "url(#q-dots)"}
    parts = [_patterns("q")]
    # Legend: what each mark means, in words.
    parts.append('<rect x="0" y="6" width="22" height="12" fill="#fff" stroke="#000" stroke-width="1"/>')
    parts.append(_text(28, 16, _("年度计划数"), size=11))
    parts.append('<rect x="110" y="6" width="22" height="12" fill="url(#q-hatch)" stroke="#000" stroke-width="0.8"/>')
    parts.append(_text(138, 16, _("类别1已完成"), size=11))
    parts.append('<rect x="230" y="6" width="22" height="12" fill="url(#q-dots)" stroke="#000" stroke-width="0.8"/>')
    parts.append(_text(258, 16, _("类别2已完成"), size=11))
    parts.append(_text(width - 4, 16, _("单位：人"), size=11, anchor="end"))
    y = top
    for row in rows:
        # Long names (大通湖区教育和卫生健康局) take both lines rather than run into the bars.
        if len(row.name) > NAME_CHARS:
            parts.append(_text(0, y + 12, row.name[:NAME_CHARS], size=11, weight="bold"))
            parts.append(_text(0, y + line_h + 12, row.name[NAME_CHARS:], size=11, weight="bold"))
        else:
            parts.append(_text(0, y + line_h + 4, row.name, size=11, weight="bold"))
        for i, kind in enumerate(KINDS):
            figure = row.kinds[kind]
            by = y + i * line_h
            parts.append(_text(label_w - 6, by + 12, _("类别%(kind)s") % {"kind": kind}, size=10, anchor="end"))
            if figure.quota:
                w = bar_w * figure.quota / scale_max
                parts.append(
                    f'<rect x="{label_w}" y="{by + 1}" width="{w:.1f}" height="{line_h - 4}" '
                    'fill="#fff" stroke="#000" stroke-width="1"/>'
                )
            if figure.completed:
                w = bar_w * figure.completed / scale_max
                parts.append(
                    f'<rect x="{label_w}" y="{by + 4}" width="{w:.1f}" height="{line_h - 10}" '
                    f'fill="{fills[kind]}" stroke="#000" stroke-width="0.8"/>'
                )
            quota = figure.quota if figure.quota is not None else _("未分解")
            text = _("完成 %(n)s / 计划 %(q)s（%(pct)s）") % {"n": figure.completed, "q": quota, "pct": figure.pct_text}
            parts.append(_text(label_w + bar_w + 8, by + 12, text, size=11))
        parts.append(
            f'<line x1="0" y1="{y + 2 * line_h + gap / 2:.1f}" x2="{width}" y2="{y + 2 * line_h + gap / 2:.1f}" '
            'stroke="#bbb" stroke-width="0.5"/>'
        )
        y += 2 * line_h + gap
    return _svg(width, height, "".join(parts), label=_("各单位年度计划与完成情况"))


def _progress(parts, y, *, text, value, maximum, mark, mark_label, fill, width) -> None:
    """One titled progress bar: the track, the filled part, and a labelled tick at the mark."""
    track = width - 20
    parts.append(_text(0, y + 12, text, size=12))
    parts.append(f'<rect x="0" y="{y + 20}" width="{track}" height="16" fill="#fff" stroke="#000" stroke-width="1"/>')
    if value and maximum:
        w = track * min(value, maximum) / maximum
        parts.append(
            f'<rect x="0" y="{y + 20}" width="{w:.1f}" height="16" fill="{fill}" stroke="#000" stroke-width="0.8"/>'
        )
    if maximum:
        mx = track * mark / maximum
        parts.append(f'<line x1="{mx:.1f}" y1="{y + 16}" x2="{mx:.1f}" y2="{y + 40}" stroke="#000" stroke-width="2"/>')
        parts.append(_text(mx, y + 52, mark_label, size=10, anchor="middle"))


def svg_minimums(minimums: list[Minimum]) -> SafeString:
    """Two progress bars: this year's completions of each 类别 against the city-wide minimum."""
    width, step = 640, 62
    parts = [_patterns("m")]
    for i, minimum in enumerate(minimums):
        maximum = max(minimum.target, minimum.completed)
        _progress(
            parts,
            4 + i * step,
            text=minimum.text,
            value=minimum.completed,
            maximum=maximum,
            mark=minimum.target,
            mark_label=_("最低 %(n)d") % {"n": minimum.target},
            fill="url(#m-hatch)" if minimum.kind == "1" else "url(#m-dots)",
            width=width,
        )
    return _svg(width, 4 + len(minimums) * step, "".join(parts), label=_("年度最低完成数"))


def svg_targets(targets: list[Target]) -> SafeString:
    """Two bars from 0 to 100%, each with the 80% mark; 无数据 leaves the bar empty and says so."""
    width, step = 640, 62
    parts = [_patterns("t")]
    for i, target in enumerate(targets):
        _progress(
            parts,
            4 + i * step,
            text=target.text,
            value=target.share or 0,
            maximum=100,
            mark=TARGET_PERCENT,
            mark_label="80%",
            fill="url(#t-hatch)",
            width=width,
        )
    return _svg(width, 4 + len(targets) * step, "".join(parts), label=_("两个80%目标"))


# --- the half-year 通报 -----------------------------------------------------------------

CITY_ISSUER = "中共益阳市委教育工作委员会"


def bulletin_title(board: Dashboard, half: int) -> str:
    half_text = _("上半年") if half == 1 else _("下半年")
    if board.scope.is_city:
        return _("益阳市教育系统“双培”工程%(year)d年%(half)s工作情况通报") % {"year": board.year, "half": half_text}
    return _("%(unit)s“双培”工程%(year)d年%(half)s工作情况通报") % {
        "unit": board.scope.label,
        "year": board.year,
        "half": half_text,
    }


def bulletin_pdf(user, *, year: int, half: int, today: datetime.date | None = None) -> tuple[str, str, bytes]:
    """每半年通报一次: the city's bulletin for city users, a unit's own for its users."""
    from .pdf import render_pdf

    if half not in (1, 2):
        raise GuardError(_("半年度只能是 1（上半年）或 2（下半年）。"))
    scope = dashboard_scope(user)
    if scope.level == "school":
        raise NotPermitted(_("半年工作情况通报由市委教育工委和各单位印发；学校党组织请在统计看板中查看本校情况。"))
    board = dashboard(user, year, today=today, scope=scope)
    issuer = CITY_ISSUER if scope.is_city else _("%(unit)s党组织") % {"unit": scope.label}
    title = bulletin_title(board, half)
    content = render_pdf(
        "documents/bulletin.html",
        {
            "board": board,
            "title": title,
            "issuer": issuer,
            "half": half,
            "dated": _date_text(board.today),
            "due": _date_text(board.due),
            "charts": board.charts,
            "problems": board.problems,
        },
    )
    return f"{title}.pdf", "application/pdf", content

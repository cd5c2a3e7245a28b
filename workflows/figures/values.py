"""The figures of the 统计看板 as values: what each number is, how it is summed, what it says.

No queries here (they are in ``workflows/selectors_figures.py``, scoped like every selector)
and no drawing (``workflows/charts.py``); the objects are plain enough to be checked on rows
built by hand.
"""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from ..deadlines import annex2_standing, overdue_unreported
from ..errors import GuardError
from ..models import CaseKind, CaseState, Organisation, QuotaPlan, ReportState

KINDS = (CaseKind.CULTIVATE_MEMBER.value, CaseKind.CULTIVATE_BACKBONE.value)
# City-wide minimum completions per year (DOMAIN §8).
CITY_MINIMUMS = {"1": 150, "2": 240}
# The two 80% targets of the plan's 目标任务.
TARGET_PERCENT = 80
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
    measures: list = field(default_factory=list)  # 长沙's measures (``changsha.Share``)

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
        from ..charts import dashboard_charts  # drawing lives apart (workflows/charts.py)

        return dashboard_charts(self)


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
            % {"n": len(late), "year": board.year, "due": date_text(board.due), "list": "、".join(late)}
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


def date_text(day: datetime.date) -> str:
    return _("%(y)d年%(m)d月%(d)d日") % {"y": day.year, "m": day.month, "d": day.day}

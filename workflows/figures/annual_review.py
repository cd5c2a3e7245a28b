"""年度党建工作考核 (seed 000 §四(三): 作为年度党建工作考核的一项重要内容): one figure set per unit.

For each 区县教育局 / 直属单位 and year:

- 计划完成率: the year's completions (附件2 rows) over the city's approved yearly quota, per 类别
  and in all (a 类别 not yet approved counts in neither side of the rate);
- 附件2 报送: 按时报送 / 逾期报送 / 逾期未报 / 未到截止日期, from ``workflows.deadlines`` (the one 逾期 rule);
- 培养记录完整率: the record periods ended that year (before today) with their record written;
- the two 80% targets (``values.Target``) for the unit's teachers.

The reads are ``selectors_figures.assessment_rows``; this module only says what they mean and
writes the workbook.
"""

import datetime
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .values import KINDS, KindFigure, ReportStatus, Target, _pct, pct_text


@dataclass
class AssessmentRow:
    unit: object  # Organisation
    kinds: dict[str, KindFigure]
    report: ReportStatus
    records_due: int
    records_written: int
    targets: list[Target] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.unit.name

    def approved(self, kind: str) -> int | None:
        figure = self.kinds[kind]
        return figure.quota if figure.quota_source == "approved" else None

    def kind_rate(self, kind: str) -> float | None:
        return _pct(self.kinds[kind].completed, self.approved(kind))

    @property
    def approved_quota(self) -> int | None:
        known = [q for k in KINDS if (q := self.approved(k)) is not None]
        return sum(known) if known else None

    @property
    def completed(self) -> int:
        return sum(self.kinds[k].completed for k in KINDS)

    @property
    def completed_against_approved(self) -> int:
        return sum(self.kinds[k].completed for k in KINDS if self.approved(k) is not None)

    @property
    def quota_rate(self) -> float | None:
        return _pct(self.completed_against_approved, self.approved_quota)

    @property
    def quota_rate_text(self) -> str:
        return pct_text(self.quota_rate) if self.approved_quota else str(_("未核定"))

    @property
    def timeliness(self) -> str:
        """on_time | late | overdue | pending (not sent, not yet due)."""
        if self.report.reported:
            return "late" if self.report.late else "on_time"
        return "overdue" if self.report.overdue else "pending"

    @property
    def timeliness_label(self) -> str:
        return str(
            {
                "on_time": _("按时报送"),
                "late": _("逾期报送"),
                "overdue": _("逾期未报"),
                "pending": _("未报送（未到截止日期）"),
            }[self.timeliness]
        )

    @property
    def records_rate(self) -> float | None:
        return _pct(self.records_written, self.records_due)

    @property
    def records_rate_text(self) -> str:
        return pct_text(self.records_rate) if self.records_due else str(_("无应记周期"))


@dataclass
class Assessment:
    year: int
    today: datetime.date
    due: datetime.date
    rows: list[AssessmentRow]
    city_wide: bool

    @property
    def label(self) -> str:
        return _("全市") if self.city_wide else "、".join(r.name for r in self.rows)


def header() -> list[str]:
    return [
        _("序号"),
        _("单位"),
        _("类别1 核定计划"),
        _("类别1 完成"),
        _("类别1 完成率"),
        _("类别2 核定计划"),
        _("类别2 完成"),
        _("类别2 完成率"),
        _("合计完成率"),
        _("附件2 报送"),
        _("应记周期"),
        _("已记周期"),
        _("培养记录完整率"),
        _("目标一 比例"),
        _("目标一 结论"),
        _("目标二 比例"),
        _("目标二 结论"),
    ]


def _approved_cell(row: AssessmentRow, kind: str):
    value = row.approved(kind)
    return value if value is not None else str(_("未核定"))


def _rate_cell(value: float | None):
    return round(value / 100, 4) if value is not None else "—"


def assessment_xlsx(assessment: Assessment) -> tuple[str, str, bytes]:
    """The figure set as a workbook (one row per unit), printable on A4 landscape."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from ..spreadsheet import print_setup, xlsx_bytes

    title = _("%(scope)s%(year)d年度党建工作考核（“双培”工程）") % {
        "scope": assessment.label,
        "year": assessment.year,
    }
    wb = Workbook()
    ws = wb.active
    ws.title = str(_("年度考核"))
    columns = header()
    ws.append([title])
    ws.cell(row=1, column=1).font = Font(bold=True, size=14)
    ws.cell(row=1, column=1).alignment = Alignment(horizontal="center")
    ws.append(columns)
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    for i, row in enumerate(assessment.rows, start=1):
        one, two = (row.kinds[k] for k in KINDS)
        admitted, commended = (row.targets + [None, None])[:2]
        ws.append(
            [
                i,
                row.name,
                _approved_cell(row, KINDS[0]),
                one.completed,
                _rate_cell(row.kind_rate(KINDS[0])),
                _approved_cell(row, KINDS[1]),
                two.completed,
                _rate_cell(row.kind_rate(KINDS[1])),
                _rate_cell(row.quota_rate),
                row.timeliness_label,
                row.records_due,
                row.records_written,
                _rate_cell(row.records_rate),
                _rate_cell(admitted.share) if admitted else "—",
                admitted.verdict if admitted else "—",
                _rate_cell(commended.share) if commended else "—",
                commended.verdict if commended else "—",
            ]
        )
        for column in (5, 8, 9, 13, 14, 16):
            cell = ws.cell(row=ws.max_row, column=column)
            if isinstance(cell.value, float):
                cell.number_format = "0.0%"
    widths = [6, 24, 10, 8, 10, 10, 8, 10, 10, 20, 8, 8, 12, 10, 14, 10, 14]
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[ws.cell(row=2, column=column).column_letter].width = width
    ws.append([])
    ws.append(
        [
            str(
                _(
                    "说明：完成率 = 当年附件2汇总行 ÷ 市级核定的年度计划数；附件2须于 %(due)s 前报送；"
                    "培养记录完整率 = 当年已结束的记录周期中已写记录的比例；统计日期 %(today)s。"
                )
                % {"due": assessment.due.isoformat(), "today": assessment.today.isoformat()}
            )
        ]
    )
    ws.freeze_panes = "C3"
    print_setup(ws, title_row=1, header_rows=(2, 2), columns=len(columns))
    filename = f"{title}.xlsx"
    return filename, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx_bytes(wb)

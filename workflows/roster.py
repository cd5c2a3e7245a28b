"""登记造册名册: a unit's or school's register of candidates, on screen, as XLSX and as PDF.

The cases come from ``selectors.roster_cases`` (scoped to the reader); this module only
shapes them into the roster's rows and renders the files. Each renderer returns
``(filename, mimetype, bytes)`` like the other documents. 政治面貌 is sensitive personal
information (PIPL art. 28) and is deliberately not a column.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from .documents import KIND_BOXES, XLSX_MIME, _dated_text, _pdf
from .models import Case, CaseState, MentorStatus, Organisation, OrgKind
from .services.cases import birth_month
from .spreadsheet import append_note_rows, print_setup, xlsx_bytes

ROSTER_TITLE = "益阳市教育系统“双培”工程培养对象登记造册名册"
ROSTER_HEADER = [
    "序号",
    "姓名",
    "性别",
    "出生年月",
    "学校/支部",
    "类别",
    "当前阶段",
    "培养人",
    "登记日期",
    "结对日期",
    "培养开始日期",
    "最近一次状态变化",
]
STATE_LABELS = dict(CaseState.choices)


def roster_notes(include_closed: bool) -> list[str]:
    scope = "含已完成、已退出、不予通过的培养对象" if include_closed else "不含已完成、已退出、不予通过的培养对象"
    return [
        "注：",
        f"1. 本名册列出已登记造册的“双培”培养对象（含暂停），{scope}。",
        "2. “双培”类别：“1”为“骨干教师培养成共产党员”，“2”为“党员教师培养成教学骨干”。“1”在前，“2”在后，分别编号。",
        "3. 培养人后注“（待接受）”的尚未接受结对，注“（已离任）”的已不再担任该对象的培养人。",
    ]


def dot_date(value) -> str:
    """A date as the roster prints it: 2026.03.05 (出生年月 is YYYY.MM in the same style)."""
    return f"{value.year:04d}.{value.month:02d}.{value.day:02d}" if value else ""


@dataclass
class RosterRow:
    case_id: int
    no: int
    name: str
    sex: str
    birth_month: str
    school: str
    branch: str
    kind: str
    stage: str
    mentors: str
    registered: datetime.date
    paired: datetime.date | None
    training_started: datetime.date | None
    last_change_on: datetime.date | None
    last_change: str

    def cells(self) -> list:
        """The row as the files print it, dates as dates (a workbook keeps them as dates)."""
        return [
            self.no,
            self.name,
            self.sex,
            self.birth_month,
            self.place,
            self.kind,
            self.stage,
            self.mentors,
            self.registered,
            self.paired,
            self.training_started,
            self.last_change_text,
        ]

    def texts(self) -> list[str]:
        """The row as the page and the PDF print it."""
        return [dot_date(v) if isinstance(v, datetime.date) else ("" if v is None else str(v)) for v in self.cells()]

    @property
    def place(self) -> str:
        """学校/支部: the school (or direct unit), and the branch when the case sits in one."""
        return f"{self.school}／{self.branch}" if self.branch else self.school

    @property
    def last_change_date(self) -> str:
        return dot_date(self.last_change_on)

    @property
    def last_change_text(self) -> str:
        return f"{self.last_change_date} {self.last_change}".strip()


def _school_and_branch(case: Case) -> tuple[str, str]:
    org = case.org
    if org.kind == OrgKind.BRANCH and org.parent_id:
        return org.parent.name, org.name
    return org.name, ""


def _stage(case: Case) -> str:
    label = STATE_LABELS[case.state]
    if case.state == CaseState.PAUSED and case.paused_from:
        return f"{label}（暂停前：{STATE_LABELS[case.paused_from]}）"
    return str(label)


def _mentor_names(mentors) -> str:
    """Current mentors, then the ones who left after accepting (marked); a never-accepted leaver is not shown."""
    names = []
    for m in mentors:
        if m.status == MentorStatus.ACCEPTED:
            names.append(m.teacher.name)
        elif m.status == MentorStatus.PENDING:
            names.append(f"{m.teacher.name}（待接受）")
        elif m.status == MentorStatus.LEFT and m.responded_at:
            names.append(f"{m.teacher.name}（已离任）")
    return "、".join(names)


def _paired_on(mentors) -> datetime.date | None:
    shown = [m.assigned_at for m in mentors if m.status != MentorStatus.LEFT or m.responded_at]
    return timezone.localdate(min(shown)) if shown else None


def _last_change(case: Case) -> tuple[datetime.date | None, str]:
    at = getattr(case, "last_change_at", None)
    if at is None:
        return None, ""
    before, after = case.last_change_from, case.last_change_to
    text = f"{STATE_LABELS[before]}→{STATE_LABELS[after]}" if before else str(STATE_LABELS[after])
    return timezone.localdate(at), text


def roster_groups(cases: list[Case]) -> list[dict]:
    """Both 类别, 1 first, each numbered from 1; a 类别 with no case is kept (an empty group)."""
    groups = []
    for kind, label in KIND_BOXES:
        rows = []
        for case in (c for c in cases if c.kind == kind):
            changed_on, change = _last_change(case)
            school, branch = _school_and_branch(case)
            mentors = getattr(case, "roster_mentors", [])
            rows.append(
                RosterRow(
                    case_id=case.pk,
                    no=len(rows) + 1,
                    name=case.teacher.name,
                    sex=case.teacher.get_sex_display(),
                    birth_month=birth_month(case.teacher),
                    school=school,
                    branch=branch,
                    kind=kind,
                    stage=_stage(case),
                    mentors=_mentor_names(mentors),
                    registered=timezone.localdate(case.registered_at),
                    paired=_paired_on(mentors),
                    training_started=case.training_started_on,
                    last_change_on=changed_on,
                    last_change=change,
                )
            )
        groups.append({"kind": kind, "label": label, "heading": f"类别{kind}　{label}（{len(rows)} 人）", "rows": rows})
    return groups


def roster_unit_name(org: Organisation) -> str:
    """单位名称 on the roster: a school is named with its county bureau."""
    if org.kind == OrgKind.SCHOOL and org.unit_id and org.unit_id != org.pk:
        return f"{org.unit.name}　{org.name}"
    return org.name


def _filename(org: Organisation, dated: datetime.date, ext: str) -> str:
    return f"登记造册名册_{org.name}_{dated:%Y%m%d}.{ext}"


def roster_pdf(*, org: Organisation, groups: list[dict], dated: datetime.date, include_closed: bool = False):
    """The roster as an official document: title, 单位名称 and date, 类别 1 then 类别 2, the 注."""
    context = {
        "title": ROSTER_TITLE,
        "unit_name": roster_unit_name(org),
        "dated": _dated_text(dated),
        "header": ROSTER_HEADER,
        "groups": groups,
        "notes": roster_notes(include_closed),
        "generated_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
    }
    return _filename(org, dated, "pdf"), "application/pdf", _pdf("documents/roster.html", context)


def roster_xlsx(*, org: Organisation, groups: list[dict], dated: datetime.date, include_closed: bool = False):
    """The roster as a workbook laid out like the PDF; dates are real dates, shown as 2026.03.05."""
    wb = Workbook()
    ws = wb.active
    ws.title = "登记造册名册"
    width = len(ROSTER_HEADER)
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    left = Alignment(horizontal="left", vertical="center", wrap_text=True)
    group_fill = PatternFill(fill_type="solid", start_color="EEEEEE", end_color="EEEEEE")

    ws.append([ROSTER_TITLE])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws["A1"].font = Font(size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append([f"单位名称：{roster_unit_name(org)}", *[None] * (width - 2), _dated_text(dated)])
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=6)
    ws.cell(row=2, column=width).alignment = Alignment(horizontal="right")
    ws.append(ROSTER_HEADER)
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
    for group in groups:
        ws.append([group["heading"]])
        line = ws.max_row
        ws.merge_cells(start_row=line, start_column=1, end_row=line, end_column=width)
        ws.cell(row=line, column=1).font = Font(bold=True)
        ws.cell(row=line, column=1).fill = group_fill
        for row in group["rows"]:
            ws.append(row.cells())
            for column in (9, 10, 11):
                ws.cell(row=ws.max_row, column=column).number_format = "yyyy.mm.dd"
    for line in ws.iter_rows(min_row=header_row, max_row=ws.max_row, max_col=width):
        for cell in line:
            cell.border = border
            cell.alignment = centre
        if line[0].row > header_row and isinstance(line[0].value, str):  # the 类别 headings
            line[0].alignment = left
    for column, size in enumerate((6, 10, 6, 10, 28, 6, 16, 22, 12, 12, 13, 24), 1):
        ws.column_dimensions[get_column_letter(column)].width = size
    append_note_rows(ws, roster_notes(include_closed), columns=width)
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    print_setup(ws, title_row=1, header_rows=(header_row, header_row), columns=width)
    return _filename(org, dated, "xlsx"), XLSX_MIME, xlsx_bytes(wb)

"""Rendering 附件2 and 附件3 and the 完成情况 workbook as files.

Each document renderer returns ``(filename, mimetype, bytes)``.
"""

import gc
from contextlib import contextmanager

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from .models import Annex2Row, Case, CaseMentor, MentorStatus, Organisation
from .pdf import render_pdf
from .periods import semester_label
from .spreadsheet import append_note_rows, csv_bytes, print_setup, xlsx_bytes

ANNEX2_TITLE = "益阳市教育系统“双培”工程实施情况汇总表"
ANNEX2_HEADER = ["序号", "姓名", "出生年月", "“双培”类别", "完成年度", "备注"]
ANNEX2_NOTES = [
    "注：",
    "“双培”类别填写相应序号，“骨干教师培养成共产党员”为“1”，“党员教师培养成教学骨干”为“2”。“1”填前，“2”填后。",
    "完成年度根据培养计划和各单位实际确定，市委教育工委按照各单位上报情况进行调整。",
]


def annex2_table(rows: list[Annex2Row]) -> list[list]:
    """The table body: numbered within the unit, 类别 1 before 类别 2 (rows arrive in that order)."""
    return [[n, r.name, r.birth_month, r.kind, r.year, r.note] for n, r in enumerate(rows, 1)]


def _filename(unit: Organisation, year: int, ext: str) -> str:
    return f"附件2_{unit.name}_{year}.{ext}"


def annex2_csv(*, unit: Organisation, year: int, rows: list[Annex2Row]) -> tuple[str, str, bytes]:
    content = csv_bytes([ANNEX2_HEADER, *annex2_table(rows)])
    return _filename(unit, year, "csv"), "text/csv; charset=utf-8", content


def annex2_xlsx(*, unit: Organisation, year: int, rows: list[Annex2Row], dated=None) -> tuple[str, str, bytes]:
    wb = Workbook()
    ws = wb.active
    ws.title = f"{year}"
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws.append(["附件2"])
    ws.append([ANNEX2_TITLE])
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=6)
    ws["A2"].font = Font(size=16, bold=True)
    ws["A2"].alignment = Alignment(horizontal="center")
    date_text = f"{dated.year} 年 {dated.month} 月 {dated.day} 日" if dated else "20   年   月  日"
    ws.append([f"单位名称：{unit.name}", None, None, None, date_text])
    ws.append(ANNEX2_HEADER)
    for row in annex2_table(rows):
        ws.append(row)
    for line in ws.iter_rows(min_row=4, max_row=ws.max_row, max_col=6):
        for cell in line:
            cell.border = border
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for column, width in zip("ABCDEF", (8, 14, 12, 12, 12, 30), strict=True):
        ws.column_dimensions[column].width = width
    append_note_rows(ws, ANNEX2_NOTES, columns=6)
    print_setup(ws, title_row=2, header_rows=(4, 4), columns=6)
    return (
        _filename(unit, year, "xlsx"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        xlsx_bytes(wb),
    )


# --- 完成情况 --------------------------------------------------------------------------

MISSING_FILL = PatternFill(fill_type="solid", start_color="FFC7CE", end_color="FFC7CE")
MISSING_FONT = Font(color="9C0006", bold=True)


def completeness_xlsx(semesters, rows) -> bytes:
    """The 完成情况 matrix as a workbook: a title, two header rows, one row per trainee.

    A missing cell keeps its words (未完成…, 缺 N 期) and is also filled red.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = _("完成情况")
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    headers = [_("序号"), _("姓名"), _("“双培”类别"), _("学校（单位）"), _("阶段")]
    items = [_("典型案例"), _("论文"), _("培养记录")]
    facts = len(headers)
    width = facts + 3 * len(semesters)

    ws.append([_("“双培”培养完成情况")])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws["A1"].font = Font(size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center")

    top = list(headers)
    for start in semesters:
        top += [semester_label(start), None, None]
    ws.append(top)
    ws.append([None] * facts + items * len(semesters))
    for column in range(1, facts + 1):
        ws.merge_cells(start_row=2, start_column=column, end_row=3, end_column=column)
    for n in range(len(semesters)):
        first = facts + 1 + 3 * n
        ws.merge_cells(start_row=2, start_column=first, end_row=2, end_column=first + 2)

    for number, row in enumerate(rows, 1):
        ws.append([number, *row.facts, *(cell.text for cell in row.cells)])
        line = ws.max_row
        for offset, cell in enumerate(row.cells):
            if cell.missing:
                target = ws.cell(row=line, column=facts + 1 + offset)
                target.fill = MISSING_FILL
                target.font = MISSING_FONT

    for line in ws.iter_rows(min_row=2, max_row=ws.max_row, max_col=width):
        for cell in line:
            cell.border = border
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for line in ws.iter_rows(min_row=2, max_row=3, max_col=width):
        for cell in line:
            cell.font = Font(bold=True)
    for column, size in enumerate((6, 10, 8, 20, 16), 1):
        ws.column_dimensions[get_column_letter(column)].width = size
    for column in range(facts + 1, width + 1):
        ws.column_dimensions[get_column_letter(column)].width = 14
    ws.freeze_panes = ws.cell(row=4, column=facts + 1)
    print_setup(ws, title_row=1, header_rows=(2, 3), columns=width)
    return xlsx_bytes(wb)


# --- 附件3 台账 (PDF) -------------------------------------------------------------------


def _pdf(template_name: str, context: dict) -> bytes:
    """``render_pdf`` with Python's cyclic garbage collector paused while WeasyPrint works.

    WeasyPrint builds a tree of a few hundred thousand objects for a long table; every
    collection of the oldest generation walks all of them again, and it ran dozens of times
    per document: a quarter of the time of a 500-row 附件2 (docs/performance.md). The
    collector catches up as soon as it is enabled again; the cost is some 90 MB more at peak.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return render_pdf(template_name, context)
    finally:
        if enabled:
            gc.enable()


LEDGER_TITLE = "益阳市教育系统“双培”对象培养台账"
LEDGER_HEADER = ["序号", "日期", "形式", "培养人", "培养内容及成效", "签名/签名时间"]
KIND_BOXES = [("1", "骨干教师培养成共产党员"), ("2", "党员教师培养成教学骨干")]
BLANK_SIGNATURE = "培养人（签名）：＿＿＿＿　　年　月　日"


# The content column holds about 16 characters a line; a record of more lines than this (a
# third of a page) may be split across pages, shorter ones are kept whole.
LONG_RECORD_LINES = 15


def _estimated_lines(text: str, per_line: int = 16) -> int:
    return sum(max(1, -(-len(line) // per_line)) for line in text.splitlines() or [""])


def cn_date(value) -> str:
    """A date as official documents print it: 2026年3月5日."""
    return f"{value.year}年{value.month}月{value.day}日"


def kind_boxes(kind: str) -> str:
    """The two 类别 check boxes with the case's ticked: （√）… 　（　）…"""
    return "　".join(f"（{'√' if value == kind else '　'}）{label}" for value, label in KIND_BOXES)


@contextmanager
def _consistent_read():
    """One transaction for every read of a document, so its parts agree with each other.

    On PostgreSQL the outermost block asks for REPEATABLE READ: every statement then sees the
    same snapshot (under the default READ COMMITTED each would see its own). Inside an outer
    transaction (a test, ATOMIC_REQUESTS) the level cannot change any more and stays as it is.
    """
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def ledger_context(case: Case) -> dict:
    """Everything 附件3 shows, read in one transaction together with the newest audit event."""
    from .selectors import case_events, current_opinions, current_records

    with _consistent_read():
        case = Case.objects.select_related("teacher", "unit").get(pk=case.pk)
        mentors = [
            m
            for m in CaseMentor.objects.filter(case=case).select_related("teacher").order_by("id")
            if m.status == MentorStatus.ACCEPTED or (m.status == MentorStatus.LEFT and m.responded_at)
        ]
        records = current_records(case)
        opinions = current_opinions(case)
        from .access.pairs import approved_measure

        measure = approved_measure(case)  # 培养教育的具体措施: the branch-approved plan in force
        # The newest event of the case's trail; a read of the trail (TRAIL_ACCESS_ACTIONS) is not one.
        last_event = case_events(case).order_by("-id").first()
    names = [m.teacher.name + ("（已离任）" if m.status == MentorStatus.LEFT else "") for m in mentors]
    positions = [m.teacher.position for m in mentors]
    return {
        "case": case,
        "title": LEDGER_TITLE,
        "header": LEDGER_HEADER,
        "mentor_names": "、".join(names),
        "mentor_positions": "、".join(p or "—" for p in positions) if any(positions) else "",
        "trainee": case.teacher.name,
        "registered": cn_date(timezone.localtime(case.registered_at)),
        "kind_boxes": kind_boxes(case.kind),
        "measure": measure.text if measure else "",
        "measure_version": measure.version if measure else None,
        "records": [
            {
                "n": n,
                "date": cn_date(r.date),
                "kind": r.get_kind_display(),
                "mentor": r.mentor.teacher.name,
                "content": r.content,
                "signer": r.mentor.teacher.name,
                "signed_at": timezone.localtime(r.signed_at).strftime("%Y-%m-%d %H:%M"),
                "version": r.version,
                "long": _estimated_lines(r.content) > LONG_RECORD_LINES,
            }
            for n, r in enumerate(records, 1)
        ],
        "opinions": [
            {
                "text": o.text,
                "signature": f"培养人（签名）：{o.mentor.teacher.name}",
                "date": cn_date(timezone.localtime(o.signed_at)),
            }
            for o in opinions
        ],
        "blank_signature": BLANK_SIGNATURE,
        "generated_at": timezone.localtime().strftime("%Y-%m-%d %H:%M:%S"),
        "last_event_id": last_event.pk if last_event else None,
        "last_event_at": timezone.localtime(last_event.at).strftime("%Y-%m-%d %H:%M:%S") if last_event else "",
    }


def ledger_pdf(case: Case) -> tuple[str, str, bytes]:
    """附件3 培养台账 of one case as a PDF, agreeing with the audit log when it is generated."""
    context = ledger_context(case)
    content = _pdf("documents/ledger.html", context)
    case = context["case"]
    return f"附件3_培养台账_{case.teacher.name}_{case.pk}.pdf", "application/pdf", content


# --- 附件2 as an official document (PDF) and the city's consolidated table --------------

ANNEX2_CITY_TITLE = ANNEX2_TITLE + "（全市汇总）"
# DOMAIN §8: city-wide each year, at least 150 type-1 and 240 type-2 completions.
CITY_YEARLY_MINIMUM = {"1": 150, "2": 240}
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _annex2_order(rows) -> list:
    """类别 1 before 类别 2, keeping the order within each (rows may be a stored snapshot)."""
    return sorted(rows, key=lambda r: str(r.kind))


def _dated_text(dated) -> str:
    return f"{dated.year} 年 {dated.month} 月 {dated.day} 日" if dated else "20　　年　　月　　日"


def _counts(rows) -> dict[str, int]:
    return {kind: sum(str(r.kind) == kind for r in rows) for kind in ("1", "2")}


def unit_heading(unit: Organisation, rows) -> str:
    counts = _counts(rows)
    return f"{unit.name}（类别1 {counts['1']} 人，类别2 {counts['2']} 人）"


def city_totals(units) -> list[str]:
    """The closing 合计 lines: each 类别's city total against its yearly minimum."""
    counts = _counts([r for _unit, rows in units for r in rows])
    lines = []
    for kind, label in KIND_BOXES:
        minimum = CITY_YEARLY_MINIMUM[kind]
        verdict = "达到" if counts[kind] >= minimum else "未达到"
        lines.append(
            f"全市合计 类别{kind}（{label}）：{counts[kind]} 人，年度目标不少于 {minimum} 人，{verdict}年度目标"
        )
    return lines


def annex2_pdf(*, unit: Organisation, year: int, rows, dated=None) -> tuple[str, str, bytes]:
    """A unit's 附件2 as the official document: heading, 单位名称 and date, the table, the 注."""
    context = {
        "title": ANNEX2_TITLE,
        "unit_name": unit.name,
        "year": year,
        "meta_left": f"单位名称：{unit.name}",
        "dated": _dated_text(dated),
        "header": ANNEX2_HEADER,
        "groups": [{"heading": "", "table": annex2_table(_annex2_order(rows))}],
        "totals": [],
        "notes": ANNEX2_NOTES,
    }
    return _filename(unit, year, "pdf"), "application/pdf", _pdf("documents/annex2.html", context)


def _city_filename(year: int, ext: str) -> str:
    return f"附件2_全市汇总_{year}.{ext}"


def annex2_city_pdf(*, year: int, units, dated=None) -> tuple[str, str, bytes]:
    """The city's table of every unit: per unit a heading with its counts and its rows numbered
    within it (类别 1 first), then the city's 合计 against the yearly minimums."""
    groups = [{"heading": unit_heading(unit, rows), "table": annex2_table(_annex2_order(rows))} for unit, rows in units]
    context = {
        "title": ANNEX2_CITY_TITLE,
        "unit_name": "全市汇总",
        "year": year,
        "meta_left": f"完成年度：{year}",
        "dated": _dated_text(dated),
        "header": ANNEX2_HEADER,
        "groups": groups,
        "totals": city_totals(units),
        "notes": ANNEX2_NOTES,
    }
    return _city_filename(year, "pdf"), "application/pdf", _pdf("documents/annex2.html", context)


def annex2_city_xlsx(*, year: int, units, dated=None) -> tuple[str, str, bytes]:
    """The city's table as a workbook, laid out as :func:`annex2_city_pdf`."""
    wb = Workbook()
    ws = wb.active
    ws.title = f"{year}"
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    unit_fill = PatternFill(fill_type="solid", start_color="EEEEEE", end_color="EEEEEE")
    ws.append(["附件2"])
    ws.append([ANNEX2_CITY_TITLE])
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=6)
    ws["A2"].font = Font(size=16, bold=True)
    ws["A2"].alignment = Alignment(horizontal="center")
    ws.append([f"完成年度：{year}", None, None, None, _dated_text(dated)])
    ws.append(ANNEX2_HEADER)
    first = ws.max_row
    for cell in ws[first]:
        cell.font = Font(bold=True)

    def full_width(text: str, **style) -> None:
        ws.append([text])
        line = ws.max_row
        ws.merge_cells(start_row=line, start_column=1, end_row=line, end_column=6)
        for key, value in style.items():
            setattr(ws.cell(row=line, column=1), key, value)

    for unit, rows in units:
        full_width(unit_heading(unit, rows), font=Font(bold=True), fill=unit_fill)
        for row in annex2_table(_annex2_order(rows)):
            ws.append(row)
    for line in city_totals(units):
        full_width(line, font=Font(bold=True))
    left = Alignment(horizontal="left", vertical="center", wrap_text=True)
    for line in ws.iter_rows(min_row=first, max_row=ws.max_row, max_col=6):
        for cell in line:
            cell.border = border
            cell.alignment = centre
        if line[0].row > first and isinstance(line[0].value, str):  # unit headings and 合计 read from the left
            line[0].alignment = left
    for column, width in zip("ABCDEF", (8, 14, 12, 12, 12, 30), strict=True):
        ws.column_dimensions[column].width = width
    append_note_rows(ws, ANNEX2_NOTES, columns=6)
    ws.freeze_panes = ws.cell(row=first + 1, column=1)
    print_setup(ws, title_row=2, header_rows=(first, first), columns=6)
    return _city_filename(year, "xlsx"), XLSX_MIME, xlsx_bytes(wb)

"""Rendering 附件2 (each renderer returns ``(filename, mimetype, bytes)``) and the 完成情况 workbook as files."""

import csv
import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from .models import Annex2Row, Organisation
from .periods import semester_label

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
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(ANNEX2_HEADER)
    writer.writerows(annex2_table(rows))
    # The BOM lets Excel on the bureau's Windows machines read the UTF-8 file correctly.
    return _filename(unit, year, "csv"), "text/csv; charset=utf-8", ("\ufeff" + buffer.getvalue()).encode("utf-8")


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
    for text in ANNEX2_NOTES:
        ws.append([text])
    for column, width in zip("ABCDEF", (8, 14, 12, 12, 12, 30), strict=True):
        ws.column_dimensions[column].width = width
    out = io.BytesIO()
    wb.save(out)
    return (
        _filename(unit, year, "xlsx"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        out.getvalue(),
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
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

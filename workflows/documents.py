"""Rendering 附件2 as files. Each renderer returns ``(filename, mimetype, bytes)``."""

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

from .models import Annex2Row, Organisation

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

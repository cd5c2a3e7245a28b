"""Write 附件1 (the three-year quota table of the 2019 plan) as XLSX and CSV samples.

    .venv/bin/python scripts/make_quota_sample.py [OUTPUT_DIR]   # default: docs/samples

The table is copied literally from the seed document, layout included: the “附件1” line and
the title, two blocks side by side (区县 on the left, 驻益高校 and 市直单位 on the right), each
ending with its 合计 row, and the 注 line. The right block's 合计 is printed as 70 / 80 although
its rows add up to 70 / 90; the stated 80 is kept on purpose, so that the importer reports it.

Running it again writes byte-identical files (fixed timestamps inside the XLSX), so the
files' sha256 stays the same.
"""

import datetime
import io
import sys
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.writer.excel import ExcelWriter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the project's own packages are beside it

from workflows.spreadsheet import csv_bytes, protect_workbook  # noqa: E402  (needs ROOT on the path)

STEM = "附件1_三年实施计划指导性任务表_2019-2021"
FIXED_TIME = datetime.datetime(2019, 4, 15, 0, 0, 0)

ANNEX_LINE = "附件1"
TITLE = "益阳市教育系统“双培”工程三年实施计划指导性任务表（2019-2021）"
HEADER = ["单  位", "骨干教师培养成共产党员数", "党员教师培养成教学骨干数"]
LEFT = [
    ("安化县教体局", 60, 100),
    ("桃江县教育局", 60, 100),
    ("资阳区教育局", 60, 100),
    ("赫山区教育局", 60, 100),
    ("沅江市教育局", 60, 100),
    ("南县教育局", 60, 100),
    ("大通湖区教育和卫生健康局", 20, 40),
]
LEFT_TOTAL = ("合计", 380, 640)
RIGHT = [
    ("湖南城市学院", 30, 40),
    ("湖南工艺美院", 10, 15),
    ("湖南兵器工业高级技工学校", 3, 3),
    ("益阳医学高等专科学校", 10, 15),
    ("益阳职业技术学院", 6, 6),
    ("市一中（益阳师范）", 3, 3),
    ("益阳广播电视大学", 2, 2),
    ("益阳高级技工学校", 2, 2),
    ("市特殊教育学校", 1, 1),
    ("市中心幼儿园", 1, 1),
    ("朝阳国际实验学校", 1, 1),
    ("科达职业技术学校", 1, 1),
]
# As printed in the seed: the rows add up to 70 / 90, the table says 70 / 80.
RIGHT_TOTAL = ("合计", 70, 80)
NOTE = (
    "注：各单位先上报三年实施计划数，确定到年份。根据上报情况，市委教育工委再对各单位上报计划进行调整，"
    "确保全市教育系统每年骨干教师培养成党员数达到150人，党员教师培养成教学和管理骨干数240人。"
)
WIDTH = 7  # A–C left block, D a gap, E–G right block


def grid() -> list[list]:
    """The sheet, row by row (row 1 first), as Excel would show it."""
    rows: list[list] = [[ANNEX_LINE] + [""] * (WIDTH - 1), [TITLE] + [""] * (WIDTH - 1)]
    rows.append(HEADER + [""] + HEADER)
    for i in range(max(len(LEFT), len(RIGHT))):
        left = list(LEFT[i]) if i < len(LEFT) else ["", "", ""]
        right = list(RIGHT[i]) if i < len(RIGHT) else ["", "", ""]
        rows.append(left + [""] + right)
    rows.append(list(LEFT_TOTAL) + [""] + list(RIGHT_TOTAL))
    rows.append([NOTE] + [""] * (WIDTH - 1))
    return rows


def write_csv(path: Path) -> None:
    path.write_bytes(csv_bytes(grid()))


def write_xlsx(path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "附件1"
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    rows = grid()
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value != "":
                ws.cell(row=r, column=c, value=value)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=WIDTH)
    ws.merge_cells(start_row=len(rows), start_column=1, end_row=len(rows), end_column=WIDTH)
    ws["A1"].font = Font(name="黑体", size=12)
    ws["A2"].font = Font(name="方正小标宋简体", size=16)
    ws["A2"].alignment = centre
    ws.row_dimensions[2].height = 36
    ws.row_dimensions[3].height = 42
    for r in range(3, len(rows)):
        for c in (1, 2, 3, 5, 6, 7):
            cell = ws.cell(row=r, column=c)
            cell.border = box
            cell.alignment = centre
            if r == 3 or r == len(rows) - 1:
                cell.font = Font(bold=True)
    note = ws.cell(row=len(rows), column=1)
    note.alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[len(rows)].height = 48
    for letter, width in zip("ABCDEFG", (26, 14, 14, 3, 26, 14, 14), strict=True):
        ws.column_dimensions[letter].width = width
    wb.properties.creator = "中共益阳市委教育工作委员会"
    wb.properties.title = TITLE
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME

    # ExcelWriter directly (save_workbook would stamp "modified" with now), then re-pack the
    # archive with fixed entry times so that the bytes are the same on every run.
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(protect_workbook(wb), archive).save()
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, src.read(name))
    path.write_bytes(out.getvalue())


def main(argv: list[str]) -> None:
    target = Path(argv[1]) if len(argv) > 1 else ROOT / "docs" / "samples"
    target.mkdir(parents=True, exist_ok=True)
    write_xlsx(target / f"{STEM}.xlsx")
    write_csv(target / f"{STEM}.csv")
    print(f"已生成：{target / (STEM + '.xlsx')}")
    print(f"已生成：{target / (STEM + '.csv')}")


if __name__ == "__main__":
    main(sys.argv)

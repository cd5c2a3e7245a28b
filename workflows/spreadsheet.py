"""The one way the app writes spreadsheet cells: never as a live formula.

A trainee can be named ``=HYPERLINK("http://…","点我")``; a CSV or XLSX that carried the
name as it is would run it in the reviewer's Excel or WPS (CSV / formula injection). Any
text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written as
text instead, following OWASP's advice:

- CSV: the field is prefixed with a single quote ``'``; a spreadsheet shows it as text.
- XLSX: the cell's type is string (openpyxl otherwise stores any ``str`` starting with
  ``=`` as a formula) and its style carries ``quotePrefix``, so editing the cell in Excel
  does not turn it into a formula either. The value itself stays exactly the name.

Numbers and dates are left alone: they stay numbers and dates. Every CSV and XLSX the app
writes goes through :func:`csv_bytes` / :func:`xlsx_bytes` (or :func:`protect_workbook` for a
writer that saves the workbook itself); ``tests/test_export_safety.py`` checks each export.

Units print the workbooks and stamp them, so every sheet also carries its print setup
(:func:`print_setup`): A4, the orientation its width needs, fit to one page wide, the header
rows repeated on every page, margins, long cells wrapped and the title across the table.
``tests/test_workbook_print.py`` prints each through LibreOffice and reads page 1.
"""

import csv
import io

from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value) -> bool:
    """Whether a spreadsheet would read ``value`` as the start of a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def csv_cell(value):
    """One CSV field, made safe: formula-looking text gets a leading ``'``; anything else as it is."""
    return "'" + value if looks_like_formula(value) else value


def csv_bytes(rows, *, bom: bool = True, lineterminator: str = "\r\n") -> bytes:
    """Rows as UTF-8 CSV, every field through :func:`csv_cell`.

    The BOM lets Excel on the bureau's Windows machines read the UTF-8 file correctly.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=lineterminator)
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


def protect_cell(cell) -> None:
    """Make one openpyxl cell safe: formula-looking text is stored as a string, quote-prefixed."""
    if looks_like_formula(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True


def protect_workbook(wb):
    """Every cell of every sheet through :func:`protect_cell`; returns the workbook.

    Run just before saving, after all values and styles are set, so no later assignment
    can turn a cell back into a formula.
    """
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                protect_cell(cell)
    return wb


# Column width units (about one Latin character) that fit on A4 between 1.5 cm margins.
PORTRAIT_WIDTH = 95
DEFAULT_COLUMN_WIDTH = 8.43


def table_width(ws) -> float:
    """The sheet's used columns, summed in width units."""
    total = 0.0
    for column in range(1, ws.max_column + 1):
        dimension = ws.column_dimensions.get(get_column_letter(column))
        total += dimension.width if dimension is not None and dimension.width else DEFAULT_COLUMN_WIDTH
    return total


def print_setup(ws, *, header_rows: tuple[int, int] | None = None, title_row: int | None = None, columns=None) -> None:
    """Make a sheet print as an official table: A4, portrait or landscape by its width, one page
    wide (as many pages tall as it needs), ``header_rows`` (first, last) repeated on each page,
    1.5 cm margins, centred, and ``title_row`` merged across the ``columns`` of the table."""
    columns = columns or ws.max_column
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if table_width(ws) > PORTRAIT_WIDTH else "portrait"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages tall as the rows need
    ws.page_margins = PageMargins(left=0.6, right=0.6, top=0.7, bottom=0.7, header=0.3, footer=0.3)
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    if header_rows is not None:
        ws.print_title_rows = f"{header_rows[0]}:{header_rows[1]}"
    if title_row is not None and columns > 1:
        merged = any(r.min_row == title_row and r.min_col == 1 and r.max_col >= columns for r in ws.merged_cells.ranges)
        if not merged:
            ws.merge_cells(start_row=title_row, start_column=1, end_row=title_row, end_column=columns)
    ws._shuangpei_print = True


def _wrap_long_cells(ws) -> None:
    """A text longer than its column wraps instead of running into the next one or off the page."""
    widths = {}
    columns = ws.max_column
    for row in ws.iter_rows():
        filled = [c for c in row if c.value not in (None, "")]
        if (
            columns > 1
            and len(filled) == 1
            and filled[0].column == 1
            and isinstance(filled[0].value, str)
            and not _in_merge(ws, filled[0])
            and _text_units(filled[0].value) > (ws.column_dimensions["A"].width or DEFAULT_COLUMN_WIDTH)
        ):
            # A line of its own (a note, a 说明, a scope line): across the table, wrapped.
            ws.merge_cells(start_row=filled[0].row, start_column=1, end_row=filled[0].row, end_column=columns)
            filled[0].alignment = Alignment(horizontal="left", vertical="top", wrap_text=True)
            continue
        for cell in row:
            if not isinstance(cell.value, str):
                continue
            letter = cell.column_letter
            if letter not in widths:
                dimension = ws.column_dimensions.get(letter)
                widths[letter] = dimension.width if dimension is not None and dimension.width else DEFAULT_COLUMN_WIDTH
            # A CJK character takes about two width units.
            needed = sum(2 if ord(ch) > 0x2E7F else 1 for ch in cell.value)
            if needed > widths[letter] and not cell.alignment.wrap_text and not _in_merge(ws, cell):
                a = cell.alignment
                cell.alignment = Alignment(
                    horizontal=a.horizontal, vertical=a.vertical or "top", wrap_text=True, indent=a.indent
                )


def append_note_rows(ws, lines, *, columns: int) -> None:
    """Notes under a table (注：…): each line across the table's width, wrapped, its row tall
    enough for the wrapped text (a spreadsheet does not size a merged row by itself)."""
    width = sum(
        (ws.column_dimensions[get_column_letter(c)].width or DEFAULT_COLUMN_WIDTH) for c in range(1, columns + 1)
    )
    for text in lines:
        ws.append([text])
        line = ws.max_row
        ws.merge_cells(start_row=line, start_column=1, end_row=line, end_column=columns)
        ws.cell(row=line, column=1).alignment = Alignment(horizontal="left", vertical="top", wrap_text=True)
        needed = sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
        ws.row_dimensions[line].height = 16 * max(1, -(-int(needed * 1.1) // int(width)))


LINE_HEIGHT = 15  # points per line of 11-pt text


def _text_units(text: str) -> int:
    """Width units a text needs on one line (a CJK character takes about two)."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _fit_row_heights(ws) -> None:
    """Give each row with wrapped text the height its longest cell needs: LibreOffice (and WPS)
    print a row at its stored height, so a wrapped header would lose its first line."""
    widths = {}

    def width(column: int) -> float:
        if column not in widths:
            dimension = ws.column_dimensions.get(get_column_letter(column))
            widths[column] = dimension.width if dimension is not None and dimension.width else DEFAULT_COLUMN_WIDTH
        return widths[column]

    spans = {(r.min_row, r.min_col): sum(width(c) for c in range(r.min_col, r.max_col + 1)) for r in ws.merged_cells}
    for row in ws.iter_rows():
        if not row or ws.row_dimensions[row[0].row].height is not None:
            continue
        lines = 1
        for cell in row:
            if not isinstance(cell.value, str) or not cell.alignment.wrap_text:
                continue
            available = spans.get((cell.row, cell.column), width(cell.column))
            for part in cell.value.split("\n"):
                lines_here = -(-int(_text_units(part) * 1.1) // max(1, int(available)))
                lines = max(lines, lines_here)
        if lines > 1:
            ws.row_dimensions[row[0].row].height = LINE_HEIGHT * lines + 3


def _in_merge(ws, cell) -> bool:
    return any(cell.coordinate in r for r in ws.merged_cells.ranges)


def xlsx_bytes(wb) -> bytes:
    """The workbook, protected and set up to print, as the bytes of an .xlsx file.

    A sheet its writer did not set up with :func:`print_setup` gets the defaults (A4, fit to
    width, margins; no repeated rows, since only the writer knows its header)."""
    for ws in wb.worksheets:
        if not getattr(ws, "_shuangpei_print", False):
            print_setup(ws)
        _wrap_long_cells(ws)
        _fit_row_heights(ws)
    out = io.BytesIO()
    protect_workbook(wb).save(out)
    return out.getvalue()

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
"""

import csv
import io

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


def xlsx_bytes(wb) -> bytes:
    """The workbook, protected, as the bytes of an .xlsx file."""
    out = io.BytesIO()
    protect_workbook(wb).save(out)
    return out.getvalue()

"""附件1: importing the three-year quota table, and reading it back.

The file is read as the city office has it: an XLSX or a CSV with a title, one or more
blocks “单位 | 骨干教师培养成共产党员数 | 党员教师培养成教学骨干数” side by side, each ending
with a 合计 row, and a 注 line. Totals are always computed from the unit rows; a stated 合计
that disagrees with its rows is reported as an inconsistency and never trusted.

Every bad row (unknown unit, not a whole number, negative, a unit twice) is collected, so
that one attempt tells the office everything to fix; if there is any, nothing is imported.
"""

import csv
import difflib
import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import PurePath

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from ..errors import GuardError, NotPermitted
from ..models import (
    AuditAction,
    CaseKind,
    FileKind,
    Organisation,
    OrgKind,
    Quota,
    QuotaPlan,
    QuotaYear,
    Role,
    UnitPlan,
)
from ..models.organisations import UNIT_KINDS
from ..selectors import own_assignments, user_holds
from .attachments import check_zip_structure
from .audit import audit_log

KINDS = (CaseKind.CULTIVATE_MEMBER.value, CaseKind.CULTIVATE_BACKBONE.value)
# The column headings of 附件1, used in messages whatever the file's own wording.
KIND_HEADINGS = {"1": "骨干教师培养成共产党员数", "2": "党员教师培养成教学骨干数"}
DEFAULT_TITLE = "益阳市教育系统“双培”工程三年实施计划指导性任务表"
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_QUOTA = 100_000
MAX_PLAN_YEARS = 10

_SPACES = re.compile(r"\s+")
_YEARS = re.compile(r"(\d{4})\s*[-—–－~～至到]+\s*(\d{4})")
_YEARS_SUFFIX = re.compile(r"[（(]\s*\d{4}\s*[-—–－~～至到]+\s*\d{4}\s*(年)?\s*[)）]\s*$")
_ANNEX_LINE = re.compile(r"^附件\s*\d*[:：]?$")


def _norm(value) -> str:
    """A cell as text, full-width forms folded and every space removed (“单  位” → “单位”)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _SPACES.sub("", unicodedata.normalize("NFKC", str(value)))


def _show(value) -> str:
    """A cell as the office typed it, for messages."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _where(row: int, col: int) -> str:
    return _("第 %(row)s 行 %(col)s 列") % {"row": row, "col": get_column_letter(col + 1)}


def _row_span(rows: list[int]) -> str:
    if not rows:
        return _("（该栏没有单位行）")
    if len(rows) == 1:
        return _("第 %(row)s 行") % {"row": rows[0]}
    return _("第 %(first)s—%(last)s 行") % {"first": rows[0], "last": rows[-1]}


@dataclass
class QuotaRow:
    """One unit's line in the file."""

    row: int  # the file's row number, 1-based as Excel shows it
    column: int  # 0-based column of the unit name
    name: str  # as written
    unit: Organisation
    numbers: dict[str, int]  # 类别 → three-year quota


@dataclass
class Block:
    """One “单位 | 类别1 | 类别2” block and the rows under its header."""

    label: str  # 左栏 / 右栏 / 第 3 栏 / ""
    header_row: int
    column: int  # 0-based column of “单位”
    kind_columns: dict[str, int]
    rows: list[QuotaRow] = field(default_factory=list)
    # 类别 → (stated value, row, 0-based column) of the block's 合计 row.
    stated: dict[str, tuple[int, int, int]] = field(default_factory=dict)

    @property
    def computed(self) -> dict[str, int]:
        return {kind: sum(r.numbers[kind] for r in self.rows) for kind in KINDS}

    @property
    def row_numbers(self) -> list[int]:
        return [r.row for r in self.rows]


@dataclass
class ParsedTable:
    filename: str
    title: str = ""
    years: tuple[int, int] | None = None  # the year range the title states, if any
    blocks: list[Block] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    inconsistencies: list[dict] = field(default_factory=list)

    @property
    def rows(self) -> list[QuotaRow]:
        return [row for block in self.blocks for row in block.rows]

    @property
    def totals(self) -> dict[str, int]:
        """Computed from the unit rows of every block."""
        return {kind: sum(r.numbers[kind] for r in self.rows) for kind in KINDS}


# --- reading the file ----------------------------------------------------------------


def _read_grid(content: bytes, filename: str) -> list[list]:
    """The sheet as rows of cell values; row i of the list is the file's row i + 1."""
    suffix = PurePath(filename or "").suffix.lower()
    if len(content) > MAX_FILE_BYTES:
        raise GuardError(_("文件超过 5 MB，不像是附件1表格，请检查后重新选择。"))
    if not content:
        raise GuardError(_("文件是空的，请重新选择附件1文件。"))
    if suffix in (".xlsx", ".xlsm"):
        if zipfile.is_zipfile(io.BytesIO(content)):  # a zip bomb is refused before openpyxl unpacks it
            check_zip_structure(io.BytesIO(content), filename, FileKind.XLSX)
        return _read_xlsx(content)
    if suffix in (".csv", ".txt"):
        return _read_csv(content)
    if suffix in (".xls", ".et", ".wps"):
        raise GuardError(
            _("暂不支持 %(suffix)s 格式，请在 Excel 或 WPS 中“另存为” .xlsx 或 CSV 后再导入。") % {"suffix": suffix}
        )
    raise GuardError(_("只能导入 XLSX 或 CSV 格式的附件1表格（文件名以 .xlsx 或 .csv 结尾）。"))


def _read_xlsx(content: bytes) -> list[list]:
    try:
        workbook = load_workbook(io.BytesIO(content), data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged or mislabelled file
        raise GuardError(
            _("无法读取该 XLSX 文件，可能已损坏或并非 Excel 文件，请在 Excel 中重新保存后再导入。")
        ) from None
    grids = []
    for sheet in workbook.worksheets:
        grid = [
            list(row)
            for row in sheet.iter_rows(
                min_row=1, min_col=1, max_row=max(sheet.max_row, 1), max_col=max(sheet.max_column, 1), values_only=True
            )
        ]
        if any(_norm(v) == "单位" for row in grid for v in row):
            return grid
        grids.append(grid)
    return grids[0] if grids else []


def _read_csv(content: bytes) -> list[list]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes nearly everything
        raise GuardError(_("无法识别 CSV 文件的编码，请在 Excel 中另存为“CSV UTF-8（逗号分隔）”后再导入。"))
    delimiter = "\t" if text.count("\t") > text.count(",") else ","
    return [list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


def _cell(grid: list[list], row: int, col: int):
    """0-based access that treats anything outside the sheet as blank."""
    if row < len(grid) and col < len(grid[row]):
        value = grid[row][col]
        return None if isinstance(value, str) and not value.strip() else value
    return None


def _kind_of_heading(text: str) -> str | None:
    if "共产党员" in text or "成党员" in text:
        return "1"
    if "教学" in text or "管理骨干" in text or "骨干数" in text:
        return "2"
    return None


def _kind_columns(grid, header_row: int, col: int) -> dict[str, int]:
    """Which of the two columns right of “单位” holds which 类别 (by its heading, else 1 then 2)."""
    found = {_kind_of_heading(_norm(_cell(grid, header_row, col + i))): col + i for i in (1, 2)}
    if set(found) == {"1", "2"}:
        return found
    return {"1": col + 1, "2": col + 2}


def _whole_number(value) -> tuple[int | None, str | None]:
    """(number, None) or (None, what is wrong)."""
    if isinstance(value, bool):
        return None, "not_whole"
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            return None, "not_whole"
        number = int(value)
    else:
        text = _norm(value).replace(",", "").replace("，", "")
        try:
            decimal = Decimal(text)
        except InvalidOperation:
            return None, "not_whole"
        if not decimal.is_finite() or decimal != decimal.to_integral_value():
            return None, "not_whole"
        number = int(decimal)
    if number < 0:
        return None, "negative"
    if number > MAX_QUOTA:
        return None, "too_large"
    return number, None


def _number_error(problem: str, row: int, col: int, raw, what: str) -> str:
    where = _where(row, col)
    shown = _show(raw)
    if problem == "negative":
        return _("%(where)s：%(what)s不能为负数（填的是 %(value)s），请填写 0 或正整数。") % {
            "where": where,
            "what": what,
            "value": shown,
        }
    if problem == "too_large":
        return _("%(where)s：%(what)s填的“%(value)s”过大，请核对后填写。") % {
            "where": where,
            "what": what,
            "value": shown,
        }
    return _("%(where)s：%(what)s填的“%(value)s”不是整数，请填写阿拉伯数字的整数（如 10），没有计划的填 0。") % {
        "where": where,
        "what": what,
        "value": shown,
    }


class _Units:
    """The first-level units of 附件1, found by name as the office writes it."""

    def __init__(self):
        self.by_name: dict[str, list[Organisation]] = {}
        for org in Organisation.objects.filter(kind__in=UNIT_KINDS).order_by("sort_order", "id"):
            self.by_name.setdefault(_norm(org.name), []).append(org)

    def find(self, name: str) -> list[Organisation]:
        return self.by_name.get(_norm(name), [])

    def close_to(self, name: str) -> list[str]:
        key = _norm(name)
        names = {k: orgs[0].name for k, orgs in self.by_name.items()}
        close = [names[k] for k in difflib.get_close_matches(key, list(names), n=3, cutoff=0.75)]
        close += [n for k, n in names.items() if key and (key in k or k in key) and n not in close]
        return close[:3]

    def is_unit(self, name: str) -> bool:
        return _norm(name) in self.by_name


def _is_total(name: str) -> bool:
    return name in ("合计", "总计")


def _is_note(name: str) -> bool:
    return name == "注" or name.startswith(("注:", "注：", "说明:", "说明："))


def parse_quota_table(content: bytes, filename: str) -> ParsedTable:
    """Read 附件1 from an XLSX or CSV file: its blocks, rows, errors and inconsistencies.

    Raises :class:`GuardError` only when the file cannot be read at all; every problem with
    a row is collected in ``errors`` (one message per bad cell, naming its row and column).
    """
    grid = _read_grid(content, filename)
    table = ParsedTable(filename=filename)
    headers = sorted(
        (r, c) for r, row in enumerate(grid) for c, value in enumerate(row) if _norm(_cell(grid, r, c)) == "单位"
    )
    if not headers:
        table.errors.append(
            _(
                "文件中没有找到表头“单位”。请使用附件1的格式：每栏三列，依次为“单位”“%(h1)s”“%(h2)s”，"
                "表头下每行一个单位。"
            )
            % {"h1": KIND_HEADINGS["1"], "h2": KIND_HEADINGS["2"]}
        )
        return table

    # The title: the text above the first header, without the “附件1” line.
    lines = []
    for r in range(headers[0][0]):
        text = " ".join(_show(v) for v in grid[r] if _norm(v))
        if text and not _ANNEX_LINE.match(_norm(text)):
            lines.append(text)
    table.title = "".join(lines)[:200]
    found_years = _YEARS.search(_norm(table.title))
    if found_years:
        table.years = (int(found_years.group(1)), int(found_years.group(2)))

    same_row = len({r for r, _c in headers}) == 1
    for i, (r, c) in enumerate(headers, start=1):
        if same_row and len(headers) == 1:
            label = ""
        elif same_row and len(headers) == 2:
            label = _("左栏") if i == 1 else _("右栏")
        else:
            label = _("第 %(n)s 栏") % {"n": i}
        table.blocks.append(Block(label=label, header_row=r + 1, column=c, kind_columns=_kind_columns(grid, r, c)))

    units = _Units()
    seen: dict[int, tuple[int, int]] = {}  # unit id → (row, 0-based column) where it first appeared
    for block in table.blocks:
        _read_block(grid, headers, block, units, seen, table.errors)

    if not table.rows and not table.errors:
        table.errors.append(_("表中没有任何单位的计划数，请在“单位”表头下逐行填写各单位及其计划数。"))

    for block in table.blocks:
        computed = block.computed
        for kind in KINDS:
            if kind not in block.stated:
                continue
            stated, row, col = block.stated[kind]
            if stated == computed[kind]:
                continue
            heading = KIND_HEADINGS[kind]
            message = _("%(where)s：%(block)s“%(heading)s”合计写作 %(stated)s，按%(rows)s计算为 %(computed)s") % {
                "where": _where(row, col),
                "block": block.label,
                "heading": heading,
                "stated": stated,
                "rows": _row_span(block.row_numbers),
                "computed": computed[kind],
            }
            table.inconsistencies.append(
                {
                    "block": block.label,
                    "kind": kind,
                    "stated": stated,
                    "computed": computed[kind],
                    "rows": block.row_numbers,
                    "total_row": row,
                    "column": get_column_letter(col + 1),
                    "message": message,
                }
            )
    return table


def _read_block(grid, headers, block: Block, units: _Units, seen: dict, errors: list[str]) -> None:
    col = block.column
    # The block runs down to the next “单位” header in the same column, or the sheet's end.
    end = min([r for r, c in headers if c == col and r + 1 > block.header_row] + [len(grid)])
    total_row = None
    for r in range(block.header_row, end):
        row_no = r + 1
        raw_name = _cell(grid, r, col)
        name = _norm(raw_name)
        raw = {kind: _cell(grid, r, c) for kind, c in block.kind_columns.items()}
        if not name and all(v is None for v in raw.values()):
            continue
        if _is_note(name):
            break
        if total_row is not None:
            # Below the 合计: notes and signatures are fine, but a unit here would not be counted.
            if units.is_unit(name) or (not name and any(v is not None for v in raw.values())):
                errors.append(
                    _("%(where)s：这一行在合计行（第 %(total)s 行）之下，不会计入该栏，请移到合计行之上。")
                    % {"where": _where(row_no, col), "total": total_row}
                )
            continue
        if _is_total(name):
            total_row = row_no
            for kind, c in block.kind_columns.items():
                if raw[kind] is None:
                    continue
                number, problem = _whole_number(raw[kind])
                if problem:
                    errors.append(
                        _("%(where)s：合计“%(value)s”不是有效的整数，请改为数字或留空（合计由系统按各行计算）。")
                        % {"where": _where(row_no, c), "value": _show(raw[kind])}
                    )
                else:
                    block.stated[kind] = (number, row_no, c)
            continue
        if not name:
            errors.append(
                _("%(where)s：这一行填了计划数但没有单位名称，请补上单位名称或删去这一行。")
                % {"where": _where(row_no, col)}
            )
            continue
        shown_name = _show(raw_name)
        row_ok = True
        found = units.find(name)
        if not found:
            close = units.close_to(name)
            if close:
                hint = _("是否应为：%(names)s？") % {"names": "、".join(f"“{n}”" for n in close)}
            else:
                hint = _("请按附件1的单位名称填写。")
            errors.append(
                _("%(where)s：单位“%(name)s”不在附件1的单位名单中，%(hint)s")
                % {"where": _where(row_no, col), "name": shown_name, "hint": hint}
            )
            row_ok = False
        elif len(found) > 1:
            errors.append(
                _("%(where)s：单位名称“%(name)s”对应多个单位，请联系系统管理员核对单位名称。")
                % {"where": _where(row_no, col), "name": shown_name}
            )
            row_ok = False
        numbers = {}
        for kind, c in block.kind_columns.items():
            what = _("“%(heading)s”") % {"heading": KIND_HEADINGS[kind]}
            if raw[kind] is None:
                errors.append(
                    _("%(where)s：“%(name)s”的%(what)s未填写，请填写整数，没有计划的填 0。")
                    % {"where": _where(row_no, c), "name": shown_name, "what": what}
                )
                row_ok = False
                continue
            number, problem = _whole_number(raw[kind])
            if problem:
                errors.append(_number_error(problem, row_no, c, raw[kind], what))
                row_ok = False
            else:
                numbers[kind] = number
        if found and len(found) == 1:
            unit = found[0]
            if unit.pk in seen:
                first_row, first_col = seen[unit.pk]
                errors.append(
                    _(
                        "%(where)s：单位“%(name)s”重复出现（%(first)s已填写过），每个单位只填一行，请删去或合并其中一行。"
                    )
                    % {"where": _where(row_no, col), "name": unit.name, "first": _where(first_row, first_col)}
                )
                row_ok = False
            else:
                seen[unit.pk] = (row_no, col)
        if row_ok:
            block.rows.append(QuotaRow(row=row_no, column=col, name=shown_name, unit=found[0], numbers=numbers))


# --- importing -------------------------------------------------------------------------


def city_of(user) -> Organisation | None:
    """The city organisation where the user holds 市级管理员, if any."""
    for assignment in own_assignments(user):
        if assignment.org.kind == OrgKind.CITY and user_holds(user, Role.CITY_ADMIN, assignment.org):
            return assignment.org
    return None


def can_import(user) -> bool:
    return user is not None and city_of(user) is not None


def _title_from(parsed: ParsedTable) -> str:
    title = _YEARS_SUFFIX.sub("", parsed.title).strip() if parsed.title else ""
    return (title or DEFAULT_TITLE)[:200]


def import_quota(
    *,
    actor,
    content: bytes,
    filename: str,
    first_year: int = 2019,
    last_year: int = 2021,
    title: str = "",
    system: bool = False,
) -> QuotaPlan:
    """Import 附件1: one QuotaPlan, a Quota per unit and 类别, a draft UnitPlan per unit.

    Only a 市级管理员 (held at the city) may import; ``system=True`` (the management command
    without ``--user``) acts as the system. Any bad row refuses the whole file, listing every
    one. The same file (by sha256) is never imported twice.
    """
    if system and actor is None:
        city = Organisation.objects.filter(kind=OrgKind.CITY).order_by("id").first()
        role = "system"
    else:
        city = city_of(actor) if actor is not None and actor.is_authenticated else None
        if city is None:
            raise NotPermitted(_("只有市级管理员可以导入三年实施计划（附件1）。"))
        role = Role.CITY_ADMIN
    if not (2000 <= first_year <= last_year <= 2100) or last_year - first_year >= MAX_PLAN_YEARS:
        raise GuardError(
            _("计划年度不正确：起始年度 %(first)s、截止年度 %(last)s。请填写四位年份，截止年度不早于起始年度。")
            % {"first": first_year, "last": last_year}
        )
    sha256 = hashlib.sha256(content).hexdigest()
    _refuse_duplicate(sha256)
    parsed = parse_quota_table(content, filename)
    if parsed.errors:
        raise GuardError(
            "\n".join(
                [_("文件“%(name)s”有 %(n)s 处需要修改，未导入任何数据：") % {"name": filename, "n": len(parsed.errors)}]
                + parsed.errors
            )
        )
    if parsed.years and parsed.years != (first_year, last_year):
        raise GuardError(
            _("文件标题写的是 %(f1)s—%(l1)s 年，导入时选择的是 %(f2)s—%(l2)s 年，请核对计划年度后重新导入。")
            % {"f1": parsed.years[0], "l1": parsed.years[1], "f2": first_year, "l2": last_year}
        )

    with transaction.atomic():
        if city is not None:
            # One import at a time: the duplicate check below then sees every committed plan.
            Organisation.objects.select_for_update().filter(pk=city.pk).first()
        _refuse_duplicate(sha256)
        plan = QuotaPlan.objects.create(
            title=(title or "").strip()[:200] or _title_from(parsed),
            first_year=first_year,
            last_year=last_year,
            source_name=PurePath(filename or "").name[:255],
            sha256=sha256,
            inconsistencies=parsed.inconsistencies,
            imported_by=actor,
        )
        Quota.objects.bulk_create(
            Quota(plan=plan, unit=row.unit, kind=kind, total=row.numbers[kind], source_row=row.row)
            for row in parsed.rows
            for kind in KINDS
        )
        unit_plans = [UnitPlan.objects.create(plan=plan, unit=row.unit) for row in parsed.rows]
        QuotaYear.objects.bulk_create(
            QuotaYear(unit_plan=unit_plan, year=year, kind=kind, proposed=0)
            for unit_plan in unit_plans
            for year in plan.years
            for kind in KINDS
        )
        # Each unit's 年度分解 task; a unit with no 审核人 yet gets it from tick once one is named.
        from .reports import plan_round_open

        for unit_plan in unit_plans:
            plan_round_open(unit_plan)
        audit_log(
            actor=actor,
            action=AuditAction.QUOTA_IMPORT,
            case=None,
            role=role,
            org=city,
            changes={
                "source_name": plan.source_name,
                "sha256": sha256,
                "plan_years": f"{first_year}—{last_year}",
                "rows": len(parsed.rows),
                "totals": {KIND_HEADINGS[kind]: total for kind, total in plan_totals(plan).items()},
                "inconsistencies": [item["message"] for item in parsed.inconsistencies],
            },
        )
    return plan


def _refuse_duplicate(sha256: str) -> None:
    earlier = QuotaPlan.objects.filter(sha256=sha256).order_by("id").first()
    if earlier is not None:
        raise GuardError(
            _("该文件已于 %(at)s 导入为“%(plan)s”（导入文件：%(name)s），内容完全相同，无需重复导入。")
            % {"at": f"{earlier.imported_at:%Y-%m-%d %H:%M}", "plan": earlier, "name": earlier.source_name}
        )


# --- reading plans back -------------------------------------------------------------------


def plan_totals(plan: QuotaPlan, units=None) -> dict[str, int]:
    """The plan's totals per 类别, computed from its Quota rows (optionally only some units)."""
    quotas = Quota.objects.filter(plan=plan)
    if units is not None:
        quotas = quotas.filter(unit__in=units)
    sums = dict(quotas.values_list("kind").annotate(total=Sum("total")).values_list("kind", "total"))
    return {kind: sums.get(kind) or 0 for kind in KINDS}


def visible_unit_ids(user) -> set[int] | None:
    """Whose quota rows the user may read: None for everyone (a role at the city), else own units."""
    ids: set[int] = set()
    for assignment in own_assignments(user):
        if assignment.org.kind == OrgKind.CITY:
            return None
        if assignment.org.unit_id:
            ids.add(assignment.org.unit_id)
    return ids

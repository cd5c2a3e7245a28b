"""Loading a unit's people from one XLSX workbook: its schools and branches, its teachers, and
the accounts and roles of those who work the programme.

The workbook has three sheets (the template comes from ``people_template``):
- 学校与支部: 名称 | 类型 (学校 / 党支部) | 上级组织
- 教师: 教师编号 | 姓名 | 性别 | 出生日期 | 学校 | 支部 | 任教学科 | 职务 | 政治面貌 | 职称 | 骨干教师 |
  荣誉 | 拟列入类别
- 账号与角色: 用户名 | 姓名 | 教师编号 | 电子邮箱 | 任职学校或单位 | 任职支部 | 角色 | 开始日期 | 结束日期

Everything is checked first and every bad cell is listed (sheet, row, column, what is wrong
and how to write it); if there is any, nothing is written. A clean file is written in one
transaction through the same helpers as the pages (``services.people``), which write and
audit only what differs: the same file twice changes nothing and leaves no event.

Keys: an organisation is its name under its parent; a teacher is their 教师编号 (city-wide,
kept across schools, so a changed school is a transfer); an account is its username; a role
is (username, organisation, role).
"""

import datetime
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..errors import GuardError, NotInScope
from ..models import AuditAction, FileKind, Organisation, OrgKind, PartyStatus, Role, RoleAssignment, Sex, Teacher
from ..models.organisations import SCHOOL_LEVEL_KINDS, UNIT_KINDS
from ..spreadsheet import print_setup, xlsx_bytes
from ..text import bidi_refusal
from . import people
from .attachments import check_zip_structure
from .people import Acting

MAX_FILE_BYTES = 5 * 1024 * 1024
# An XLSX is a ZIP: judge it by what it would unpack to, not by its size on the wire.
MAX_ERRORS = 500

SHEET_ORGS, SHEET_TEACHERS, SHEET_ACCOUNTS = "学校与支部", "教师", "账号与角色"
ORG_COLUMNS = {"name": "名称", "kind": "类型", "parent": "上级组织"}
TEACHER_COLUMNS = {
    "staff_no": "教师编号",
    "name": "姓名",
    "sex": "性别",
    "birth_date": "出生日期",
    "school": "学校",
    "branch": "支部",
    "subject": "任教学科",
    "position": "职务",
    "party_status": "政治面貌",
    "titles": "职称",
    "is_backbone": "骨干教师",
    "honours": "荣誉",
    "planned_kind": "拟列入类别",
}
ACCOUNT_COLUMNS = {
    "username": "用户名",
    "full_name": "姓名",
    "staff_no": "教师编号",
    "email": "电子邮箱",
    "org": "任职学校或单位",
    "branch": "任职支部",
    "role": "角色",
    "start_date": "开始日期",
    "end_date": "结束日期",
}
REQUIRED = {
    SHEET_ORGS: ("name", "kind", "parent"),
    SHEET_TEACHERS: ("staff_no", "name", "sex", "birth_date", "school", "party_status"),
    SHEET_ACCOUNTS: ("username",),
}
COLUMNS = {SHEET_ORGS: ORG_COLUMNS, SHEET_TEACHERS: TEACHER_COLUMNS, SHEET_ACCOUNTS: ACCOUNT_COLUMNS}
# Each stored text column is checked against its model field (``people.field_max_length``).
MAX_ROWS = 5000

ORG_KIND_WORDS = {"学校": OrgKind.SCHOOL, "党支部": OrgKind.BRANCH, "支部": OrgKind.BRANCH}
SEX_WORDS = {str(label): value for value, label in Sex.choices}
PARTY_WORDS = {str(label): value for value, label in PartyStatus.choices} | {"中共党员": PartyStatus.FULL}
ROLE_WORDS = {str(label): value for value, label in Role.choices}
YES_WORDS = {"是": True, "否": False, "": False}
KIND_WORDS = {"": "", "1": "1", "2": "2", "类别1": "1", "类别2": "2"}
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_PATH_SPLIT = re.compile(r"\s*[/／]\s*")


COUNT_LABELS = {
    "org_created": gettext_lazy("新增组织"),
    "teacher_created": gettext_lazy("新增教师"),
    "teacher_updated": gettext_lazy("更新教师"),
    "account_created": gettext_lazy("新增账号"),
    "account_updated": gettext_lazy("更新账号"),
    "role_created": gettext_lazy("新增任职"),
    "role_updated": gettext_lazy("更新任职"),
}


class ImportRejected(GuardError):
    """The file has bad cells: ``errors`` lists each one; nothing was imported."""

    def __init__(self, errors: list[str]):
        if len(errors) > MAX_ERRORS:
            message = _(
                "文件中有 %(n)d 处错误，下面列出前 %(shown)d 处；未导入任何数据。请按下列提示逐项修改后重新导入。"
            ) % {"n": len(errors), "shown": MAX_ERRORS}
        else:
            message = _("文件中有 %(n)d 处错误，未导入任何数据。请按下列提示逐项修改后重新导入。") % {"n": len(errors)}
        super().__init__(message)
        self.errors = errors[:MAX_ERRORS]

    def __str__(self) -> str:
        return "\n".join([self.message, *self.errors])


@dataclass
class ImportResult:
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(self.counts.values())

    def summary(self) -> str:
        if not self.changed:
            return _("文件与系统中的数据一致，没有需要导入或更新的内容。")
        return "，".join(f"{COUNT_LABELS[k]} {n} 条" for k, n in self.counts.items() if n) + "。"


# --- cells ---------------------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def _fold(text: str) -> str:
    """For matching only (names, words): full-width forms folded, spaces removed; data keeps what was typed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _header(value) -> str:
    return re.sub(r"[*]", "", _fold(_text(value)))


@dataclass
class Row:
    sheet: str
    number: int  # as Excel shows it
    cells: dict  # key -> raw value
    columns: dict  # key -> 1-based column

    def text(self, key: str) -> str:
        return _text(self.cells.get(key))

    def where(self, key: str) -> str:
        return _("%(sheet)s 第 %(row)d 行 %(col)s 列") % {
            "sheet": self.sheet,
            "row": self.number,
            "col": get_column_letter(self.columns[key]),
        }

    @property
    def blank(self) -> bool:
        return not any(_text(v) for v in self.cells.values())


class Errors(list):
    def at(self, row: Row, key: str, message: str) -> None:
        self.append(f"{row.where(key)}：{message}")


def _read_sheets(content: bytes, errors: Errors) -> dict[str, list[Row]]:
    if not content:
        raise GuardError(_("文件是空的，请选择填写好的人员名单（XLSX）。"))
    if len(content) > MAX_FILE_BYTES:
        raise GuardError(_("文件超过 5 MB，请检查是否选错了文件，或分单位分批导入。"))
    # A zip bomb is refused from the archive's directory, before openpyxl opens it (one check for every upload).
    check_zip_structure(io.BytesIO(content), _("人员名单"), FileKind.XLSX)
    try:
        book = load_workbook(io.BytesIO(content), data_only=True, read_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged or mislabelled file
        raise GuardError(
            _(
                "无法读取该文件，它可能已损坏或不是 XLSX 格式。"
                "请下载导入模板，在 Excel 或 WPS 中填写并保存为 .xlsx 后再导入。"
            )
        ) from None
    sheets: dict[str, list[Row]] = {}
    names = {re.sub(r"\s+", "", ws.title): ws for ws in book.worksheets}
    if not any(name in names for name in COLUMNS):
        raise GuardError(_("文件中没有“学校与支部”“教师”“账号与角色”中的任何一个工作表，请使用下载的导入模板填写。"))
    for sheet, columns in COLUMNS.items():
        ws = names.get(sheet)
        if ws is None:
            continue
        rows = ws.iter_rows(values_only=True)
        header = next(rows, ())
        by_heading = {_header(v): i + 1 for i, v in enumerate(header) if _header(v)}
        found = {key: by_heading[heading] for key, heading in columns.items() if heading in by_heading}
        missing = [columns[key] for key in REQUIRED[sheet] if key not in found]
        if missing:
            errors.append(
                _("%(sheet)s 第 1 行：缺少“%(cols)s”列，请使用导入模板的表头。")
                % {"sheet": sheet, "cols": "”“".join(missing)}
            )
            continue
        parsed = []
        for number, values in enumerate(rows, start=2):
            cells = {key: values[col - 1] if col - 1 < len(values) else None for key, col in found.items()}
            row = Row(sheet, number, cells, found)
            if not row.blank:
                parsed.append(row)
                if len(parsed) > MAX_ROWS:
                    break
        if len(parsed) > MAX_ROWS:
            # Counted without keeping the cells: a sheet this large is refused before any check.
            total = len(parsed) + sum(1 for values in rows if any(_text(v) for v in values))
            book.close()
            raise GuardError(
                _("%(sheet)s 工作表有 %(n)d 行，超过每次 %(max)d 行的上限，请分批导入。")
                % {"sheet": sheet, "n": total, "max": MAX_ROWS}
            )
        for row in parsed:
            for key, value in row.cells.items():
                if isinstance(value, str) and (refusal := bidi_refusal(columns[key], value)):
                    errors.at(row, key, refusal)
        sheets[sheet] = parsed
    book.close()
    return sheets


def _date(row: Row, key: str, errors: Errors, label: str, *, required: bool):
    value = row.cells.get(key)
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = _text(value)
    if not text:
        if required:
            errors.at(row, key, _("请填写%(label)s，格式如 1985-03-09") % {"label": label})
        return None
    match = _DATE.match(text)
    try:
        if match is None:
            raise ValueError
        return datetime.date(*(int(g) for g in match.groups()))
    except ValueError:
        errors.at(
            row, key, _("%(label)s“%(text)s”不是有效日期，请按 1985-03-09 的格式填写") % {"label": label, "text": text}
        )
        return None


def _choice(row: Row, key: str, words: dict, errors: Errors, label: str, *, required: bool = True):
    text = row.text(key)
    if not text and required:
        errors.at(row, key, _("请填写%(label)s") % {"label": label})
        return None
    if _fold(text) in words:
        return words[_fold(text)]
    offered = "、".join(w for w in words if w)
    errors.at(
        row,
        key,
        _("%(label)s“%(text)s”无法识别，请填写%(offered)s之一") % {"label": label, "text": text, "offered": offered},
    )
    return None


def _plain(row: Row, key: str, errors: Errors, label: str, *, field=None, required: bool = False) -> str:
    """A text cell; ``field`` = (model, field name) where it is stored, whose length it must fit."""
    text = row.text(key)
    if required and not text:
        errors.at(row, key, _("%(label)s不能为空") % {"label": label})
    if field is not None and (refusal := people.length_refusal(label, text, people.field_max_length(*field))):
        errors.at(row, key, refusal)
    return text


# --- the organisations of the subtree, and those the file adds ------------------------------------------


@dataclass(eq=False)
class NewOrg:
    name: str
    kind: str
    parent: object  # Organisation or NewOrg
    row: Row
    pk = None

    def get_kind_display(self) -> str:
        return str(OrgKind(self.kind).label)


class Tree:
    """The importer's subtree in memory, so a whole file resolves in a handful of queries."""

    def __init__(self, root: Organisation):
        self.root = root
        self.orgs = list(Organisation.objects.filter(path__startswith=root.path))
        self.by_pk = {o.pk: o for o in self.orgs}
        self.by_name: dict[str, list] = {}
        for org in self.orgs:
            self.by_name.setdefault(_fold(org.name), []).append(org)

    def parent_of(self, org):
        return org.parent if isinstance(org, NewOrg) else self.by_pk.get(org.parent_id)

    def child(self, parent, name: str):
        for org in self.by_name.get(_fold(name), []):
            if self.parent_of(org) is parent:
                return org
        return None

    def add(self, org: NewOrg) -> None:
        self.by_name.setdefault(_fold(org.name), []).append(org)

    def find(self, row: Row, key: str, kinds, errors: Errors, *, under=None):
        """The organisation a cell names: “名称” (unique in the subtree) or “上级/名称”."""
        text = row.text(key)
        parts = [p for p in _PATH_SPLIT.split(text) if p]
        if not parts:
            return None
        name = parts[-1]
        named = self.by_name.get(_fold(name), [])
        if under is not None:
            named = [o for o in named if self.parent_of(o) is under]
        elif len(parts) > 1:
            named = [o for o in named if (p := self.parent_of(o)) is not None and _fold(p.name) == _fold(parts[-2])]
        found = [o for o in named if o.kind in kinds]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            errors.at(
                row,
                key,
                _("您的管辖范围内有 %(n)d 个名为“%(name)s”的组织，请写成“上级组织/%(name)s”以区分")
                % {"n": len(found), "name": name},
            )
        elif named:
            expected = "、".join(str(OrgKind(k).label) for k in kinds)
            errors.at(
                row,
                key,
                _("“%(name)s”是%(kind)s，此列须填%(expected)s")
                % {"name": name, "kind": named[0].get_kind_display(), "expected": expected},
            )
        elif Organisation.objects.filter(name=name).exclude(path__startswith=self.root.path).exists():
            errors.at(
                row,
                key,
                _("“%(name)s”不在您的管辖范围（%(root)s）内，不能导入到该组织。请只填写本单位的学校和支部")
                % {"name": text, "root": self.root.name},
            )
        elif under is not None:
            errors.at(
                row,
                key,
                _("“%(parent)s”下没有名为“%(name)s”的党支部，请先在“学校与支部”表中添加")
                % {"parent": under.name, "name": name},
            )
        else:
            errors.at(
                row,
                key,
                _("找不到名为“%(name)s”的学校或组织，请核对名称，或先在“学校与支部”表中添加") % {"name": text},
            )
        return None


# --- checking the file -------------------------------------------------------------------------------


@dataclass
class Plan:
    """What a clean file will write, in order."""

    orgs: list[NewOrg] = field(default_factory=list)
    teachers: list[tuple] = field(default_factory=list)  # (existing Teacher or None, values, org)
    accounts: list[tuple] = field(default_factory=list)  # (existing user or None, username, values)
    roles: list[tuple] = field(default_factory=list)  # (username, org, role, start, end)


def _check_orgs(rows: list[Row], tree: Tree, errors: Errors, plan: Plan) -> None:
    pending = []
    for row in rows:
        name = _plain(row, "name", errors, _("名称"), field=(Organisation, "name"), required=True)
        kind = _choice(row, "kind", ORG_KIND_WORDS, errors, _("类型"))
        if not row.text("parent"):
            errors.at(row, "parent", _("请填写上级组织（学校填所属区县教育局，党支部填所属学校或直属单位）"))
        pending.append((row, name, kind))
    seen: dict = {}
    # Schools first, so that a branch may sit under a school added by the same file.
    for wanted in (OrgKind.SCHOOL, OrgKind.BRANCH):
        for row, name, kind in pending:
            if kind != wanted or not name or not row.text("parent"):
                continue
            parent_kinds = (OrgKind.COUNTY,) if kind == OrgKind.SCHOOL else SCHOOL_LEVEL_KINDS
            parent = tree.find(row, "parent", parent_kinds, errors)
            if parent is None:
                continue
            key = (id(parent), _fold(name))
            if key in seen:
                errors.at(row, "name", _("与第 %(row)d 行重复（同一上级下的同名组织）") % {"row": seen[key]})
                continue
            seen[key] = row.number
            existing = tree.child(parent, name)
            if existing is not None:
                if existing.kind != kind:
                    errors.at(
                        row,
                        "kind",
                        _("“%(name)s”已登记为%(kind)s，与本行不一致；组织类型不能通过导入修改")
                        % {"name": name, "kind": existing.get_kind_display()},
                    )
                continue
            new = NewOrg(name=name, kind=kind, parent=parent, row=row)
            tree.add(new)
            plan.orgs.append(new)


def _check_teachers(rows: list[Row], tree: Tree, errors: Errors, plan: Plan) -> dict:
    """Returns 教师编号 → the teacher as it will stand (existing Teacher or the planned values)."""
    by_no: dict[str, tuple] = {}
    seen_no: dict[str, int] = {}
    adopted: dict[int, int] = {}
    numbers = [row.text("staff_no") for row in rows if row.text("staff_no")]
    existing = {t.staff_no: t for t in Teacher.objects.filter(staff_no__in=numbers).select_related("org")}
    # Teachers entered before 教师编号 existed, by (name, birth date): one query, not one per row.
    legacy_by: dict[tuple, list] = {}
    names = {row.text("name") for row in rows if row.text("name")}
    for t in Teacher.objects.filter(staff_no__isnull=True, name__in=names, org__path__startswith=tree.root.path):
        legacy_by.setdefault((t.name, t.birth_date), []).append(t)
    for row in rows:
        before = len(errors)
        staff_no = _plain(row, "staff_no", errors, _("教师编号"), field=(Teacher, "staff_no"), required=True)
        if staff_no in seen_no:
            errors.at(
                row,
                "staff_no",
                _("教师编号“%(no)s”与第 %(row)d 行重复，每名教师只能填写一行")
                % {"no": staff_no, "row": seen_no[staff_no]},
            )
        elif staff_no:
            seen_no[staff_no] = row.number
        values = {
            "staff_no": staff_no,
            "name": _plain(row, "name", errors, _("姓名"), field=(Teacher, "name"), required=True),
            "sex": _choice(row, "sex", SEX_WORDS, errors, _("性别")),
            "birth_date": _date(row, "birth_date", errors, _("出生日期"), required=True),
            "subject": _plain(row, "subject", errors, _("任教学科"), field=(Teacher, "subject")),
            "position": _plain(row, "position", errors, _("职务"), field=(Teacher, "position")),
            "party_status": _choice(row, "party_status", PARTY_WORDS, errors, _("政治面貌")),
            "titles": _plain(row, "titles", errors, _("职称"), field=(Teacher, "titles")),
            "is_backbone": _choice(row, "is_backbone", YES_WORDS, errors, _("骨干教师"), required=False)
            if "is_backbone" in row.columns
            else False,
            "honours": _plain(row, "honours", errors, _("荣誉"), field=(Teacher, "honours"))
            if "honours" in row.columns
            else "",
            "planned_kind": _choice(row, "planned_kind", KIND_WORDS, errors, _("拟列入类别"), required=False)
            if "planned_kind" in row.columns
            else "",
        }
        birth = values["birth_date"]
        if birth is not None and not people.EARLIEST_BIRTH <= birth <= timezone.localdate():
            errors.at(
                row, "birth_date", _("出生日期“%(text)s”须在 1940-01-01 至今天之间") % {"text": row.text("birth_date")}
            )
        if values["planned_kind"] and values["party_status"]:
            conflict = people.party_kind_conflict(values["planned_kind"], values["party_status"])
            if conflict:
                col = get_column_letter(row.columns["planned_kind"])
                errors.at(
                    row,
                    "party_status",
                    _("%(conflict)s（见 %(col)s 列），请更正政治面貌或拟列入类别") % {"conflict": conflict, "col": col},
                )
        org = tree.find(row, "school", SCHOOL_LEVEL_KINDS, errors)
        if org is not None and row.text("branch"):
            org = tree.find(row, "branch", (OrgKind.BRANCH,), errors, under=org)
        teacher = existing.get(staff_no)
        if teacher is not None and not teacher.org.path.startswith(tree.root.path):
            errors.at(
                row,
                "staff_no",
                _(
                    "教师编号“%(no)s”已登记在您管辖范围以外的单位，不能在此导入；跨单位调动请由共同的上级（如市级管理员）办理"
                )
                % {"no": staff_no},
            )
            continue
        if teacher is None and values["name"] and birth is not None:
            # A teacher entered before 教师编号 existed: the same name and birth date in scope.
            legacy = legacy_by.get((values["name"], birth), [])
            if len(legacy) == 1:
                teacher = legacy[0]
                if teacher.pk in adopted:
                    errors.at(
                        row,
                        "staff_no",
                        _("与第 %(row)d 行对应同一名已登记教师，请核对教师编号") % {"row": adopted[teacher.pk]},
                    )
                    continue
                adopted[teacher.pk] = row.number
        if len(errors) == before and org is not None:
            plan.teachers.append((teacher, values, org))
            by_no[staff_no] = (teacher, row)
    return by_no


@dataclass
class Appointing:
    """Who imports (None: 系统) and what roles the file's accounts hold now, for the one rule of
    ``people.appointment_refusal``: a row that would grant or change a role is refused at the
    importer's own account or at their own level; an unchanged row passes (re-importing a list
    that includes oneself changes nothing)."""

    actor: object
    managing: list
    current: dict  # (username, org pk, role) -> RoleAssignment


def _path_of(org) -> str:
    # An organisation the file adds sits under its parent: strictly below it, path not yet known.
    return _path_of(org.parent) + "+/" if isinstance(org, NewOrg) else org.path


def _check_accounts(rows: list[Row], tree: Tree, errors: Errors, plan: Plan, teachers: dict, actor=None) -> None:
    User = get_user_model()
    usernames = {row.text("username") for row in rows}
    existing = {u.username: u for u in User.objects.filter(username__in=usernames)}
    appointing = Appointing(
        actor,
        people.managing_assignments(actor) if actor is not None else [],
        {
            (a.user.username, a.org_id, a.role): a
            for a in RoleAssignment.objects.filter(user__username__in=usernames).select_related("user")
        },
    )
    numbers = {row.text("staff_no") for row in rows if row.text("staff_no")} - set(teachers)
    known = {t.staff_no: t for t in Teacher.objects.filter(staff_no__in=numbers, org__path__startswith=tree.root.path)}
    first_row: dict[str, Row] = {}
    account_values: dict[str, dict] = {}
    has_role: set = set()
    linked: dict[str, str] = {}
    seen_roles: dict = {}
    validate_username = UnicodeUsernameValidator()
    for row in rows:
        username = _plain(row, "username", errors, _("用户名"), field=(User, "username"), required=True)
        if not username or len(username) > people.field_max_length(User, "username"):
            continue
        try:
            validate_username(username)
        except ValidationError:
            errors.at(
                row,
                "username",
                _("用户名“%(name)s”只能由字母、数字和 @ . + - _ 组成，最多 150 个字符") % {"name": username},
            )
            continue
        account = existing.get(username)
        if account is not None and not people.account_in_subtree(account, tree.root):
            errors.at(
                row,
                "username",
                _("用户名“%(name)s”已被您管辖范围以外的人使用，请换一个用户名") % {"name": username},
            )
            continue
        values = {
            "full_name": _plain(row, "full_name", errors, _("姓名"), field=(User, "first_name"))
            if "full_name" in row.columns
            else "",
            "email": _plain(row, "email", errors, _("电子邮箱"), field=(User, "email"))
            if "email" in row.columns
            else "",
        }
        if values["email"] and len(values["email"]) <= people.field_max_length(User, "email"):
            try:
                validate_email(values["email"])
            except ValidationError:
                errors.at(row, "email", _("电子邮箱“%(text)s”格式不对，如 name@example.cn") % {"text": values["email"]})
        staff_no = row.text("staff_no")
        if staff_no:
            planned = teachers.get(staff_no)
            teacher = planned[0] if planned else known.get(staff_no)
            if planned is None and teacher is None:
                errors.at(
                    row, "staff_no", _("找不到教师编号为“%(no)s”的教师，请先在“教师”表中填写该教师") % {"no": staff_no}
                )
            elif teacher is not None and teacher.user_id and teacher.user_id != (account.pk if account else None):
                errors.at(row, "staff_no", _("教师编号“%(no)s”的教师已关联了另一个账号") % {"no": staff_no})
            elif staff_no in linked and linked[staff_no] != username:
                errors.at(
                    row,
                    "staff_no",
                    _("教师编号“%(no)s”已在本表中关联账号“%(name)s”") % {"no": staff_no, "name": linked[staff_no]},
                )
            else:
                linked[staff_no] = username
                values["staff_no"] = staff_no
        if username in first_row:
            first = account_values[username]
            for key, label in (("full_name", _("姓名")), ("email", _("电子邮箱")), ("staff_no", _("教师编号"))):
                if key in values and values[key] and first.get(key, "") != values[key]:
                    errors.at(
                        row,
                        key,
                        _("%(label)s与第 %(row)d 行（同一用户名）填写的不一致")
                        % {"label": label, "row": first_row[username].number},
                    )
        else:
            first_row[username], account_values[username] = row, values
        _check_role(row, username, tree, errors, plan, seen_roles, has_role, appointing)
    for username, row in first_row.items():
        values = account_values[username]
        if username not in has_role and not values.get("staff_no"):
            errors.at(row, "username", _("账号须关联教师编号，或至少填写一项任职（组织、角色、开始日期）"))
        plan.accounts.append((existing.get(username), username, values))


def _check_role(
    row: Row, username: str, tree: Tree, errors: Errors, plan: Plan, seen: dict, has_role: set, appointing: Appointing
) -> None:
    keys = ("org", "branch", "role", "start_date", "end_date")
    if not any(row.text(k) for k in keys if k in row.columns):
        return
    has_role.add(username)
    for key, label in (("org", _("任职学校或单位")), ("role", _("角色")), ("start_date", _("开始日期"))):
        if key not in row.columns:
            errors.append(_("%(sheet)s 第 1 行：缺少“%(col)s”列") % {"sheet": row.sheet, "col": label})
            return
    org = None
    if row.text("org"):
        kinds = (OrgKind.CITY, *UNIT_KINDS, OrgKind.SCHOOL)
        org = tree.find(row, "org", kinds, errors)
        if org is not None and row.text("branch"):
            org = tree.find(row, "branch", (OrgKind.BRANCH,), errors, under=org)
    else:
        errors.at(row, "org", _("请填写任职的学校或单位"))
    role = _choice(row, "role", ROLE_WORDS, errors, _("角色"))
    start = _date(row, "start_date", errors, _("开始日期"), required=True)
    end = _date(row, "end_date", errors, _("结束日期"), required=False) if "end_date" in row.columns else None
    if start and end and end < start:
        errors.at(row, "end_date", _("结束日期 %(end)s 早于开始日期 %(start)s") % {"end": end, "start": start})
    if org is None or role is None:
        return
    conflict = people.role_org_conflict(role, org)
    if conflict:
        errors.at(row, "role", conflict)
        return
    current = appointing.current.get((username, org.pk, role)) if org.pk else None
    unchanged = current is not None and current.start_date == start and (end or current.end_date) == current.end_date
    refusal = (
        ""
        if unchanged
        else people.appointment_refusal(
            appointing.actor, username=username, org_path=_path_of(org), managing=appointing.managing
        )
    )
    if refusal:
        errors.at(row, "username" if username == getattr(appointing.actor, "username", None) else "org", refusal)
        return
    key = (username, id(org), role)
    if key in seen:
        errors.at(row, "role", _("与第 %(row)d 行重复（同一账号在同一组织的同一角色）") % {"row": seen[key]})
        return
    seen[key] = row.number
    if start is not None:
        plan.roles.append((username, org, role, start, end))


@dataclass
class Parsed:
    """The workbook read into rows, and the cells already bad on their own (before the database)."""

    sheets: dict
    errors: list


def parse_file(content: bytes) -> Parsed:
    """Open and read the workbook (the slow part: done before the write transaction)."""
    errors = Errors()
    sheets = _read_sheets(content, errors)
    return Parsed(sheets, list(errors))


def check_file(content, root: Organisation, *, actor=None) -> Plan:
    """Check the whole workbook (bytes, or already ``parse_file``d) against ``root``'s subtree as
    ``actor`` (None: 系统); raise ``ImportRejected`` listing every bad cell, or return what a clean
    file will write. Reads only."""
    parsed = content if isinstance(content, Parsed) else parse_file(content)
    errors = Errors(parsed.errors)
    sheets = parsed.sheets
    tree = Tree(root)
    plan = Plan()
    _check_orgs(sheets.get(SHEET_ORGS, []), tree, errors, plan)
    teachers = _check_teachers(sheets.get(SHEET_TEACHERS, []), tree, errors, plan)
    _check_accounts(sheets.get(SHEET_ACCOUNTS, []), tree, errors, plan, teachers, actor)
    if errors:
        raise ImportRejected(errors)
    return plan


# --- writing ----------------------------------------------------------------------------------


def import_people(*, actor, root_id, content: bytes, filename: str = "", system: bool = False) -> ImportResult:
    """导入人员名单: check the whole file, then write it in one transaction, auditing each change.

    ``system``: the command line with no --user (the event's actor is 系统).

    The file is read and fully checked before the write transaction opens (on SQLite that
    transaction holds the database's only write lock: a bad or large file must not hold up every
    other user); inside it, with the unit locked, it is checked again against what is stored now
    (someone may have changed it meanwhile) and written.
    """
    root = Organisation.objects.filter(pk=root_id).first()
    if root is None:
        raise NotInScope(_("未找到该单位，或它不在您的管辖范围内，不能向其导入人员。"))
    if not system:
        people.check_can_import(actor, root)
    parsed = parse_file(content)
    by = None if system else actor
    check_file(parsed, root, actor=by)  # a bad file is refused without taking the write lock
    with transaction.atomic():
        root = Organisation.objects.select_for_update().filter(pk=root_id).first()
        if root is None:
            raise NotInScope(_("未找到该单位，或它不在您的管辖范围内，不能向其导入人员。"))
        assignment = None if system else people.check_can_import(actor, root)
        acting = Acting(actor, assignment)
        plan = check_file(parsed, root, actor=by)  # raises before anything is written
        result = ImportResult(counts=dict.fromkeys(COUNT_LABELS, 0))
        created: dict[int, Organisation] = {}

        def real(org):
            return created[id(org)] if isinstance(org, NewOrg) else org

        for new in plan.orgs:
            org, done = people.save_organisation(acting, name=new.name, kind=new.kind, parent=real(new.parent))
            created[id(new)] = org
            if done:
                result.counts["org_created"] += 1
        teachers_by_no = {}
        # Locked and read afresh in one query (not one per row).
        locked = Teacher.objects.select_for_update().in_bulk([t.pk for t, _v, _o in plan.teachers if t is not None])
        for teacher, values, org in plan.teachers:
            if teacher is not None:
                teacher = locked[teacher.pk]
            teacher, done = people.save_teacher(acting, teacher, values, real(org))
            teachers_by_no[teacher.staff_no] = teacher
            if done:
                result.counts[f"teacher_{done}"] += 1
        accounts = {}
        for account, username, values in plan.accounts:
            values = dict(values)
            staff_no = values.pop("staff_no", None)
            if staff_no:
                values["teacher"] = teachers_by_no.get(staff_no) or Teacher.objects.get(staff_no=staff_no)
            account, done = people.save_account(acting, account, username=username, values=values)
            accounts[username] = account
            if done:
                result.counts[f"account_{done}"] += 1
        for username, org, role, start, end in plan.roles:
            account = accounts[username]
            current = account.role_assignments.filter(org=real(org), role=role).first()
            if end is None and current is not None:
                end = current.end_date  # a blank end date never reopens an ended role
            _assignment, done = people.save_role(acting, account, real(org), role, start, end)
            if done:
                result.counts[f"role_{done}"] += 1
        if result.changed:
            acting.log(
                AuditAction.PEOPLE_IMPORT,
                {
                    "source_name": filename,
                    "sha256": hashlib.sha256(content).hexdigest(),
                    "unit": root.name,
                    "counts": {str(COUNT_LABELS[k]): v for k, v in result.counts.items() if v},
                },
            )
    return result


# --- the template ------------------------------------------------------------------------------------


INSTRUCTIONS = (
    ("工作表", "说明"),
    (
        "学校与支部",
        "每行一个学校或党支部。类型填“学校”或“党支部”；学校的上级组织填所属区县教育局，党支部的上级组织填所属学校或直属单位。已有的组织不必重复填写，重复填写也不会重复创建。",
    ),
    (
        "教师",
        "每行一名教师。教师编号为全国教师管理信息系统中的编号，全市唯一，调动后不变；再次导入时按教师编号找到同一名教师，学校或支部变化即为调动。",
    ),
    (
        "教师",
        "出生日期按 1985-03-09 的格式填写；性别填“男”或“女”；"
        "政治面貌填群众、入党积极分子、发展对象、预备党员、正式党员之一；骨干教师填“是”或“否”。",
    ),
    (
        "教师",
        "拟列入类别可留空，或填 1（骨干教师培养成共产党员，须为非党员）、"
        "2（党员教师培养成教学骨干，须为预备党员或正式党员）。",
    ),
    ("教师", "学校填学校名称（直属单位填单位名称）；支部可留空。同名学校可写成“上级组织/学校名称”。"),
    (
        "账号与角色",
        "每行一项任职；同一账号担任多个角色时写多行，用户名相同。只关联教师、不任职的账号（如培养人）可只填用户名、姓名和教师编号。",
    ),
    (
        "账号与角色",
        "角色填党务干部、支部书记、审核人、市级管理员、审计之一；开始日期必填，结束日期可留空（留空不会取消已登记的结束日期）。",
    ),
    (
        "账号与角色",
        "文件中不填写密码。新账号导入后没有可用密码，请在“人员管理—账号与任职”中为其生成初始密码并当面告知本人。",
    ),
    ("全部", "导入前会检查全部内容，有任何错误都不会导入；同一文件重复导入不会产生任何变化。"),
)


def people_template() -> tuple[str, str, bytes]:
    """The import template: the three sheets with their headings and drop-down lists, and a 填写说明."""
    book = Workbook()
    book.remove(book.active)
    lists = {
        "kind": list(ORG_KIND_WORDS)[:2],
        "sex": list(SEX_WORDS),
        "party_status": [str(label) for _value, label in PartyStatus.choices],
        "is_backbone": ["是", "否"],
        "planned_kind": ["1", "2"],
        "role": list(ROLE_WORDS),
    }
    for sheet, columns in COLUMNS.items():
        ws = book.create_sheet(sheet)
        for index, (key, heading) in enumerate(columns.items(), start=1):
            cell = ws.cell(row=1, column=index, value=heading)
            cell.font = Font(bold=True)
            letter = get_column_letter(index)
            ws.column_dimensions[letter].width = max(12, len(heading) * 2 + 4)
            if key in ("birth_date", "start_date", "end_date", "staff_no"):
                for row in range(2, 1002):
                    ws.cell(row=row, column=index).number_format = "@"
            if key in lists:
                rule = DataValidation(type="list", formula1='"' + ",".join(lists[key]) + '"', allow_blank=True)
                rule.add(f"{letter}2:{letter}1001")
                ws.add_data_validation(rule)
        ws.freeze_panes = "A2"
        print_setup(ws, header_rows=(1, 1))
    notes = book.create_sheet("填写说明")
    for line in INSTRUCTIONS:
        notes.append(list(line))
    notes.column_dimensions["A"].width = 14
    notes.column_dimensions["B"].width = 120
    return (
        "人员名单导入模板.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        xlsx_bytes(book),
    )

"""Managing the bureau's people: teachers, user accounts and the roles they hold.

A unit's or school's 党务干部, a unit's 审核人 and the city's 市级管理员 add, edit and transfer
teachers and appoint or end role holders in their own subtree; nobody needs the superuser.
The import (``services.people_import``) writes through the same ``save_*`` helpers below, so
a row changed by a file and a field changed on a page leave the same audit event: one per
record, ``changes = {field: [old, new]}``, with nothing written when nothing changed.
"""

import datetime
import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..errors import GuardError, NotInScope, NotPermitted
from ..models import AuditAction, Case, CaseTask, Organisation, OrgKind, PartyStatus, Role, RoleAssignment, Sex, Teacher
from ..models.organisations import SCHOOL_LEVEL_KINDS, UNIT_KINDS
from ..models.people import PARTY_MEMBER_STATUSES, PlannedKind
from ..selectors import own_assignments
from ..text import bidi_refusal
from .audit import audit_log

# Who manages people in their subtree; an auditor or a branch secretary only reads.
MANAGERS = (Role.OFFICER, Role.REVIEWER, Role.CITY_ADMIN)
# Where each role can be held (DOMAIN §3): a 审核人 at a county or direct unit, and so on.
ROLE_ORG_KINDS = {
    Role.OFFICER: (OrgKind.COUNTY, OrgKind.DIRECT, OrgKind.SCHOOL),
    Role.BRANCH_SECRETARY: (OrgKind.BRANCH,),
    Role.REVIEWER: UNIT_KINDS,
    Role.CITY_ADMIN: (OrgKind.CITY,),
    Role.AUDITOR: tuple(OrgKind.values),
}
# Teachers work in a school (a direct unit is its own school) or one of its branches.
TEACHER_ORG_KINDS = (*SCHOOL_LEVEL_KINDS, OrgKind.BRANCH)
TEACHER_FIELDS = (
    "staff_no",
    "name",
    "sex",
    "birth_date",
    "subject",
    "position",
    "party_status",
    "titles",
    "is_backbone",
    "is_famous_principal",
    "honours",
    "planned_kind",
)
ACCOUNT_FIELDS = ("full_name", "email", "teacher")
EARLIEST_BIRTH = datetime.date(1940, 1, 1)
PASSWORD_LENGTH = 12


@dataclass
class Acting:
    """Who acts, in which role and organisation: what every audit event of this module carries."""

    actor: object
    assignment: RoleAssignment | None  # None: the command line with no --user (系统)

    def log(self, action: str, changes: dict, *, case: Case | None = None, reason: str = "") -> None:
        audit_log(
            actor=self.actor,
            action=action,
            case=case,
            role=self.assignment.role if self.assignment else "system",
            org=self.assignment.org if self.assignment else None,
            from_state=case.state if case else "",
            to_state=case.state if case else "",
            reason=reason,
            changes=changes,
        )


# --- who may -----------------------------------------------------------------------------


def check_can_read(user) -> None:
    """Anyone holding a role lists the people of their subtree (an auditor too); nobody else."""
    if not own_assignments(user):
        raise NotPermitted(_("人员管理仅向党务干部、支部书记、审核人、市级管理员和审计人员开放，您没有查看权限。"))


def can_manage(user) -> bool:
    return any(a.role in MANAGERS for a in own_assignments(user))


def check_can_manage(user, org: Organisation) -> RoleAssignment:
    """The user's managing assignment over ``org``; 403 for a reader in scope, 404 for anyone else."""
    for a in own_assignments(user):
        if a.role in MANAGERS and org.path.startswith(a.org.path):
            return a
    if any(org.path.startswith(a.org.path) for a in own_assignments(user)):
        raise NotPermitted(_("您在该组织的身份只能查看人员，不能修改。教师和任职由党务干部、审核人或市级管理员维护。"))
    raise NotInScope(_("未找到该组织，或它不在您的管辖范围内。"))


def check_can_import(user, root: Organisation) -> RoleAssignment:
    """Import into ``root``'s subtree: a unit's 党务干部 or 审核人, or the city's 市级管理员, above it."""
    for a in own_assignments(user):
        if not root.path.startswith(a.org.path):
            continue
        if a.role in (Role.OFFICER, Role.REVIEWER) and a.org.kind in UNIT_KINDS:
            return a
        if a.role == Role.CITY_ADMIN:
            return a
    if any(root.path.startswith(a.org.path) for a in own_assignments(user)):
        raise NotPermitted(
            _("人员名单由区县或直属单位的党务干部、审核人，或市级管理员导入；您没有导入权限，可在本页查看人员。")
        )
    raise NotInScope(_("未找到该单位，或它不在您的管辖范围内，不能向其导入人员。"))


def account_anchors(account) -> list[str]:
    """Where an account belongs: the paths of every organisation it ever held a role at, and its teacher's."""
    paths = list(RoleAssignment.objects.filter(user=account).values_list("org__path", flat=True))
    teacher = Teacher.objects.filter(user=account).select_related("org").first()
    if teacher is not None:
        paths.append(teacher.org.path)
    return paths


def account_in_subtree(account, root: Organisation) -> bool:
    """An existing account may be changed from ``root`` only if all of it lies inside: a county
    cannot take over the city's administrator, another county's officer or a superuser."""
    if account.is_superuser or account.is_staff:
        return False
    anchors = account_anchors(account)
    return bool(anchors) and all(path.startswith(root.path) for path in anchors)


# --- separation of duties: who may appoint whom, and reset whose password -----------------------


def _strictly_below(path: str, above: str) -> bool:
    return path.startswith(above) and path != above


def managing_assignments(actor) -> list[RoleAssignment]:
    return [a for a in own_assignments(actor) if a.role in MANAGERS]


def appointment_refusal(actor, *, username: str, org_path: str, managing=None) -> str:
    """Why ``actor`` may not grant, edit or end a role of ``username`` at the organisation whose
    path is ``org_path`` ('' when they may). The one rule for the pages and the import:

    - nobody appoints themselves (an officer must not approve their own case as 审核人);
    - a role is granted, edited or ended only at an organisation strictly below the one where the
      actor holds a managing role: a county's officer appoints at its schools and branches, the
      county's own officers and reviewers are appointed by the city, the city's by the superuser.
    """
    if actor is not None and username == actor.get_username():
        return _("不能为自己任命、修改或结束角色，请由上级组织办理。")
    if actor is None:  # the command line with no --user (系统)
        return ""
    managing = managing_assignments(actor) if managing is None else managing
    if any(_strictly_below(org_path, a.org.path) for a in managing):
        return ""
    return _("本级组织的任职须由上级组织办理；您只能任命、修改或结束下级组织（如所属学校、支部）的任职。")


def appointable_orgs(actor, orgs) -> list[Organisation]:
    """The organisations of ``orgs`` where ``actor`` may appoint (a form's choices)."""
    managing = managing_assignments(actor)
    return [o for o in orgs if any(_strictly_below(o.path, a.org.path) for a in managing)]


def check_can_appoint(actor, *, username: str, org: Organisation) -> None:
    refusal = appointment_refusal(actor, username=username, org_path=org.path)
    if refusal:
        raise NotPermitted(refusal)


def password_resettable(actor, accounts) -> set[int]:
    """The ids of ``accounts`` whose password ``actor`` may (re)generate: never their own, never a
    superuser's or staff account's, and only an account all of whose roles (ended ones included)
    lie strictly below one organisation where the actor manages, or one with no role whose
    teacher is in that subtree. A colleague at the same level is not the actor's to log in as."""
    accounts = [a for a in accounts if a is not None]
    ids = [a.pk for a in accounts]
    roles: dict[int, list[str]] = {}
    for user_id, path in RoleAssignment.objects.filter(user_id__in=ids).values_list("user_id", "org__path"):
        roles.setdefault(user_id, []).append(path)
    teachers = dict(Teacher.objects.filter(user_id__in=ids).values_list("user_id", "org__path"))
    managing = managing_assignments(actor)
    allowed = set()
    for account in accounts:
        if account.pk == actor.pk or account.is_superuser or account.is_staff:
            continue
        held, teacher = roles.get(account.pk, []), teachers.get(account.pk)
        if not held and teacher is None:
            continue
        for a in managing:
            if all(_strictly_below(path, a.org.path) for path in held) and (
                teacher is None or teacher.startswith(a.org.path)
            ):
                allowed.add(account.pk)
                break
    return allowed


def check_can_reset_password(actor, account) -> RoleAssignment:
    """The managing assignment under which ``actor`` generates ``account``'s password, or the refusal."""
    managing = managing_assignments(actor)
    if not managing:
        raise NotPermitted(_("初始密码由党务干部、审核人或市级管理员生成，您的身份只能查看。"))
    if not any(account_in_subtree(account, a.org) for a in managing) and account.pk != actor.pk:
        raise NotInScope(_("未找到该账号，或它不在您的管辖范围内。"))
    if account.pk == actor.pk:
        raise NotPermitted(_("不能为自己生成初始密码；如忘记密码，请联系上级管理人员为您生成。"))
    if account.pk not in password_resettable(actor, [account]):
        raise NotPermitted(
            _("%(name)s 与您同级或在您的上级任职，其初始密码须由上级组织的管理人员生成。")
            % {"name": account.get_username()}
        )
    return next(a for a in managing if account_in_subtree(account, a.org))


# --- rules shared by the pages and the import ------------------------------------------------

# 荣誉 is a TextField (no column limit): the pages and the import both stop at this many characters.
HONOURS_MAX_LENGTH = 2000


def field_max_length(model, field_name: str) -> int | None:
    """The most characters ``model.field_name`` takes: its column's ``max_length`` (荣誉: ours)."""
    limit = model._meta.get_field(field_name).max_length
    if limit is None and model is Teacher and field_name == "honours":
        return HONOURS_MAX_LENGTH
    return limit


def length_refusal(label, text: str, limit: int | None) -> str:
    if limit is None or len(text) <= limit:
        return ""
    return _("%(label)s最多 %(n)d 个字符，现有 %(m)d 个") % {"label": label, "n": limit, "m": len(text)}


def party_kind_conflict(planned_kind: str, party_status: str) -> str:
    """The 类别 rule (DOMAIN §1): 类别1 is for non-members, 类别2 for party members. '' when fine."""
    label = PartyStatus(party_status).label if party_status in PartyStatus.values else party_status
    if planned_kind == PlannedKind.CULTIVATE_MEMBER and party_status in PARTY_MEMBER_STATUSES:
        return _("拟列入类别1（骨干教师培养成共产党员）须为非党员，但政治面貌是“%(status)s”") % {"status": label}
    if planned_kind == PlannedKind.CULTIVATE_BACKBONE and party_status not in PARTY_MEMBER_STATUSES:
        return _("拟列入类别2（党员教师培养成教学骨干）须为党员（预备党员或正式党员），但政治面貌是“%(status)s”") % {
            "status": label
        }
    return ""


def role_org_conflict(role: str, org: Organisation) -> str:
    if org.kind in ROLE_ORG_KINDS.get(role, ()):
        return ""
    allowed = "、".join(str(OrgKind(k).label) for k in ROLE_ORG_KINDS[role])
    return _("%(role)s只能在%(kinds)s任职，“%(org)s”是%(kind)s") % {
        "role": Role(role).label,
        "kinds": allowed,
        "org": org.name,
        "kind": org.get_kind_display(),
    }


def _shown(field: str, value) -> str:
    """A value as the audit trail keeps it: labels for choices, ISO dates, 是/否."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, datetime.date):
        return value.isoformat()
    choices = {"sex": Sex, "party_status": PartyStatus, "planned_kind": PlannedKind, "role": Role}.get(field)
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    return str(value)


def _teacher_cases(teacher: Teacher) -> list:
    return list(Case.objects.filter(teacher=teacher).order_by("id")) if teacher.pk else []


# --- writers (called inside a service's or the import's transaction) ----------------------------


def save_teacher(acting: Acting, teacher: Teacher | None, values: dict, org: Organisation, *, reason: str = ""):
    """Create the teacher, or update it to ``values`` and ``org``; audit what changed.

    A changed organisation is a transfer (调动): the teacher's open cases move with them, their
    history stays. Returns ``(teacher, "created" | "updated" | "")``.
    """
    if teacher is None:
        teacher = Teacher(org=org, **{f: values[f] for f in TEACHER_FIELDS if f in values})
        teacher.full_clean()
        teacher.save()
        changes = {"teacher": teacher.name, "org": ["", org.name]}
        changes |= {
            f: ["", _shown(f, getattr(teacher, f))] for f in TEACHER_FIELDS if getattr(teacher, f) not in ("", None)
        }
        acting.log(AuditAction.TEACHER_ADD, changes, reason=reason)
        return teacher, "created"
    changes = {}
    for field in TEACHER_FIELDS:
        if field in values and getattr(teacher, field) != values[field]:
            changes[field] = [_shown(field, getattr(teacher, field)), _shown(field, values[field])]
            setattr(teacher, field, values[field])
    moved = teacher.org_id != org.pk
    if moved:
        old_org = teacher.org
        teacher.org = org
    if not changes and not moved:
        return teacher, ""
    teacher.full_clean()
    teacher.save()
    cases = _teacher_cases(teacher)
    if moved:
        # A case moves with its teacher (DOMAIN §2); tasks already routed stay where they were sent.
        for case in cases:
            if case.is_open:
                Case.objects.filter(pk=case.pk).update(org=org, scope_path=org.path, unit_id=org.unit_id)
                CaseTask.objects.filter(case_id=case.pk).sync_case_facts()  # the inbox's 单位 column
        for case in cases or [None]:
            acting.log(
                AuditAction.TRANSFER,
                {"teacher": teacher.name, "org": [old_org.name, org.name]},
                case=case,
                reason=reason,
            )
    if changes:
        for case in cases or [None]:
            acting.log(AuditAction.EDIT, {"teacher": teacher.name, **changes}, case=case, reason=reason)
    return teacher, "updated"


def save_organisation(acting: Acting, *, name: str, kind: str, parent: Organisation):
    """A school or party branch under ``parent``: created once, found again on a re-import."""
    org = Organisation.objects.filter(parent=parent, name=name).first()
    if org is not None:
        return org, ""
    org = Organisation.objects.create(name=name, kind=kind, parent=parent)
    acting.log(
        AuditAction.ORG_ADD,
        {"organisation": org.name, "kind": str(org.get_kind_display()), "parent": ["", parent.name]},
    )
    return org, "created"


def save_account(acting: Acting, account, *, username: str, values: dict):
    """Create the account (with no usable password: the officer generates one in the app) or
    update its name, e-mail and linked teacher. Returns ``(account, "created" | "updated" | "")``."""
    User = get_user_model()
    full_name, email, teacher = values.get("full_name", ""), values.get("email", ""), values.get("teacher")
    if account is None:
        account = User(username=username, first_name=full_name, email=email)
        account.set_unusable_password()
        account.save()
        changes = {"username": username, "full_name": ["", full_name], "email": ["", email]}
        if teacher is not None:
            Teacher.objects.filter(pk=teacher.pk).update(user=account)
            changes["teacher"] = ["", teacher.name]
        acting.log(AuditAction.ACCOUNT_ADD, changes)
        return account, "created"
    changes = {}
    if "full_name" in values and account.first_name != full_name:
        changes["full_name"] = [account.first_name, full_name]
        account.first_name = full_name
    if "email" in values and account.email != email:
        changes["email"] = [account.email, email]
        account.email = email
    if changes:
        account.save(update_fields=["first_name", "email"])
    if "teacher" in values:
        current = Teacher.objects.filter(user=account).first()
        if (current.pk if current else None) != (teacher.pk if teacher else None):
            changes["teacher"] = [current.name if current else "", teacher.name if teacher else ""]
            if current is not None:
                Teacher.objects.filter(pk=current.pk).update(user=None)
            if teacher is not None:
                Teacher.objects.filter(pk=teacher.pk).update(user=account)
    if not changes:
        return account, ""
    acting.log(AuditAction.ACCOUNT_EDIT, {"username": account.username, **changes})
    return account, "updated"


def save_role(acting: Acting, account, org: Organisation, role: str, start_date, end_date):
    """Appoint ``account`` as ``role`` at ``org`` from ``start_date`` (to ``end_date``, if given),
    or move the dates of the appointment it already has there."""
    assignment = RoleAssignment.objects.select_for_update().filter(user=account, org=org, role=role).first()
    who = {"username": account.username, "organisation": org.name, "role": _shown("role", role)}
    if assignment is None:
        assignment = RoleAssignment(user=account, org=org, role=role, start_date=start_date, end_date=end_date)
        assignment.full_clean()
        assignment.save()
        acting.log(
            AuditAction.ROLE_GRANT,
            {**who, "start_date": ["", _shown("", start_date)], "end_date": ["", _shown("", end_date)]},
        )
        return assignment, "created"
    changes = {}
    for field, value in (("start_date", start_date), ("end_date", end_date)):
        if getattr(assignment, field) != value:
            changes[field] = [_shown(field, getattr(assignment, field)), _shown(field, value)]
            setattr(assignment, field, value)
    if not changes:
        return assignment, ""
    assignment.full_clean()
    assignment.save(update_fields=["start_date", "end_date"])
    acting.log(AuditAction.ROLE_EDIT, {**who, **changes})
    return assignment, "updated"


# --- services for the pages --------------------------------------------------------------------


def _org_for(actor, org_id) -> tuple[Organisation, RoleAssignment]:
    try:
        org = Organisation.objects.get(pk=int(org_id))
    except (TypeError, ValueError, Organisation.DoesNotExist):
        raise NotInScope(_("未找到该组织，或它不在您的管辖范围内。")) from None
    return org, check_can_manage(actor, org)


def _check_teacher_values(values: dict, org: Organisation, *, exclude_pk=None) -> None:
    if org.kind not in TEACHER_ORG_KINDS:
        raise GuardError(
            _("教师只能隶属于学校、直属单位或党支部，“%(org)s”是%(kind)s，请改选其所在学校或支部。")
            % {"org": org.name, "kind": org.get_kind_display()}
        )
    conflict = party_kind_conflict(values.get("planned_kind", ""), values.get("party_status", ""))
    if conflict:
        raise GuardError(_("%(conflict)s。请更正政治面貌或拟列入类别。") % {"conflict": conflict})
    staff_no = values.get("staff_no")
    if staff_no and Teacher.objects.filter(staff_no=staff_no).exclude(pk=exclude_pk).exists():
        raise GuardError(
            _("教师编号“%(no)s”已登记给另一名教师。教师编号全市唯一，请核对后重新填写。") % {"no": staff_no}
        )


def _clean_teacher_values(values: dict) -> dict:
    values = {f: values[f] for f in TEACHER_FIELDS if f in values}
    for field in ("staff_no", "name", "subject", "position", "titles", "honours"):
        if field in values:
            values[field] = (values[field] or "").strip()
    for field in ("staff_no", "name", "subject", "position", "titles", "honours"):
        label = Teacher._meta.get_field(field).verbose_name
        text = values.get(field) or ""
        refusal = length_refusal(label, text, field_max_length(Teacher, field)) or bidi_refusal(label, text)
        if refusal:
            raise GuardError(_("%(refusal)s。") % {"refusal": refusal})
    if "staff_no" in values:
        values["staff_no"] = values["staff_no"] or None
    if not values.get("name"):
        raise GuardError(_("请填写教师姓名。"))
    birth = values.get("birth_date")
    if not isinstance(birth, datetime.date) or not EARLIEST_BIRTH <= birth <= timezone.localdate():
        raise GuardError(_("出生日期须在 1940-01-01 至今天之间，请按 1985-03-09 的格式填写。"))
    return values


def teacher_create(*, actor, org_id, **values) -> Teacher:
    """新增教师: an officer adds a teacher to a school or branch of their subtree."""
    values = _clean_teacher_values(values)
    with transaction.atomic():
        org, assignment = _org_for(actor, org_id)
        Organisation.objects.select_for_update().filter(pk=org.pk).first()
        _check_teacher_values(values, org)
        teacher, _created = save_teacher(Acting(actor, assignment), None, values, org)
    return teacher


def teacher_for_manager(actor, teacher_id) -> tuple[Teacher, RoleAssignment]:
    """The teacher, locked, if in the actor's subtree (404 otherwise) and theirs to change (403)."""
    try:
        teacher_id = int(teacher_id)
    except (TypeError, ValueError):
        raise NotInScope(_("未找到该教师，或该教师不在您的管辖范围内。")) from None
    teacher = Teacher.objects.select_for_update(of=("self",)).select_related("org").filter(pk=teacher_id).first()
    if teacher is None or not any(teacher.org.path.startswith(a.org.path) for a in own_assignments(actor)):
        raise NotInScope(_("未找到该教师，或该教师不在您的管辖范围内。"))
    return teacher, check_can_manage(actor, teacher.org)


def teacher_edit(*, actor, teacher_id, reason: str = "", **values) -> Teacher:
    """修改教师资料: each changed field is audited with its old and new value."""
    values = _clean_teacher_values(values)
    with transaction.atomic():
        teacher, assignment = teacher_for_manager(actor, teacher_id)
        _check_teacher_values(values, teacher.org, exclude_pk=teacher.pk)
        save_teacher(Acting(actor, assignment), teacher, values, teacher.org, reason=reason)
    return teacher


def teacher_transfer(*, actor, teacher_id, org_id, reason: str = "") -> Teacher:
    """教师调动: move a teacher to another school or branch inside the actor's subtree; their
    open cases go with them. A move out of the actor's subtree is refused: the common superior
    (the city, for two counties) does it."""
    with transaction.atomic():
        teacher, assignment = teacher_for_manager(actor, teacher_id)
        try:
            target = Organisation.objects.get(pk=int(org_id))
        except (TypeError, ValueError, Organisation.DoesNotExist):
            target = None
        managing = [a for a in own_assignments(actor) if a.role in MANAGERS]
        if target is None or not any(target.path.startswith(a.org.path) for a in managing):
            raise NotPermitted(
                _(
                    "调入的组织不在您的管辖范围内，不能调动。调往其他单位的教师，请由共同的上级（如市级管理员）办理调动。"
                )
            )
        if target.pk == teacher.org_id:
            raise GuardError(
                _("%(name)s 已在“%(org)s”，请选择另一个学校或支部。") % {"name": teacher.name, "org": target.name}
            )
        current = {f: getattr(teacher, f) for f in TEACHER_FIELDS}
        _check_teacher_values(current, target, exclude_pk=teacher.pk)
        save_teacher(Acting(actor, assignment), teacher, current, target, reason=reason)
    return teacher


def role_grant(
    *, actor, username: str, org_id, role: str, start_date: datetime.date, end_date=None, full_name: str = ""
) -> RoleAssignment:
    """任命: ``username`` (a new account, with no password yet, if there is none) holds ``role`` at
    an organisation of the actor's subtree from ``start_date``."""
    username = (username or "").strip()
    if not username:
        raise GuardError(_("请填写用户名。"))
    if role not in Role.values:
        raise GuardError(_("请从列表中选择角色。"))
    if not isinstance(start_date, datetime.date):
        raise GuardError(_("请按 2026-09-01 的格式填写任职开始日期。"))
    if end_date is not None and end_date < start_date:
        raise GuardError(_("任职结束日期不能早于开始日期，请核对后重新填写。"))
    with transaction.atomic():
        org, assignment = _org_for(actor, org_id)
        conflict = role_org_conflict(role, org)
        if conflict:
            raise GuardError(_("%(conflict)s，请改选组织或角色。") % {"conflict": conflict})
        check_can_appoint(actor, username=username, org=org)
        acting = Acting(actor, assignment)
        account = get_user_model().objects.select_for_update().filter(username=username).first()
        if account is not None and not account_in_subtree(account, assignment.org):
            raise GuardError(
                _("用户名“%(name)s”已被您管辖范围以外的人使用，不能在此任命。请换一个用户名，或请共同的上级办理。")
                % {"name": username}
            )
        existing = RoleAssignment.objects.filter(user=account, org=org, role=role).first() if account else None
        if existing is not None and existing.is_active_on():
            raise GuardError(
                _("%(name)s 已在“%(org)s”担任%(role)s，无需重复任命；如需改动任职日期，请先结束该任职。")
                % {"name": username, "org": org.name, "role": Role(role).label}
            )
        if account is None:
            account, _created = save_account(acting, None, username=username, values={"full_name": full_name.strip()})
        granted, _done = save_role(acting, account, org, role, start_date, end_date)
    return granted


def role_end(*, actor, assignment_id, end_date: datetime.date | None = None, reason: str = "") -> RoleAssignment:
    """结束任职: from ``end_date`` (today by default) the assignment grants nothing."""
    end_date = end_date or timezone.localdate()
    with transaction.atomic():
        try:
            assignment = (
                RoleAssignment.objects.select_for_update().select_related("org", "user").get(pk=int(assignment_id))
            )
        except (TypeError, ValueError, RoleAssignment.DoesNotExist):
            raise NotInScope(_("未找到该任职，或它不在您的管辖范围内。")) from None
        if not any(assignment.org.path.startswith(a.org.path) for a in own_assignments(actor)):
            raise NotInScope(_("未找到该任职，或它不在您的管辖范围内。"))
        managing = check_can_manage(actor, assignment.org)
        check_can_appoint(actor, username=assignment.user.get_username(), org=assignment.org)
        if assignment.end_date is not None and assignment.end_date <= timezone.localdate():
            raise GuardError(_("该任职已于 %(date)s 结束。") % {"date": assignment.end_date.isoformat()})
        if assignment.start_date is not None and end_date < assignment.start_date:
            raise GuardError(_("任职结束日期不能早于开始日期 %(date)s。") % {"date": assignment.start_date.isoformat()})
        before = _shown("end_date", assignment.end_date)
        assignment.end_date = end_date
        assignment.save(update_fields=["end_date"])
        Acting(actor, managing).log(
            AuditAction.ROLE_END,
            {
                "username": assignment.user.username,
                "organisation": assignment.org.name,
                "role": _shown("role", assignment.role),
                "end_date": [before, end_date.isoformat()],
            },
            reason=reason,
        )
    return assignment


def account_for_password(*, actor, user_id, lock: bool = False) -> tuple[object, RoleAssignment]:
    """The account whose password ``actor`` may generate (the confirmation page shows it), with the
    managing assignment it is done under; 404 / 403 otherwise."""
    accounts = get_user_model().objects.select_for_update() if lock else get_user_model().objects
    try:
        account = accounts.get(pk=int(user_id))
    except (TypeError, ValueError, get_user_model().DoesNotExist):
        raise NotInScope(_("未找到该账号，或它不在您的管辖范围内。")) from None
    return account, check_can_reset_password(actor, account)


def account_password_reset(*, actor, user_id) -> tuple[object, str]:
    """生成初始密码: a one-time password, shown once to the officer and never stored in clear.

    Imported accounts have no usable password; this is how their holder gets one. Only for an
    account strictly below the actor (``check_can_reset_password``): never one's own or a
    same-level colleague's, whom the actor could otherwise log in as.
    """
    with transaction.atomic():
        account, owner = account_for_password(actor=actor, user_id=user_id, lock=True)
        password = secrets.token_urlsafe(PASSWORD_LENGTH)[:PASSWORD_LENGTH]
        account.set_password(password)
        account.save(update_fields=["password"])
        Acting(actor, owner).log(AuditAction.PASSWORD_RESET, {"username": account.username})
    return account, password

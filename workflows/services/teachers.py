"""Editing a teacher's data: every change is traced on the teacher's cases."""

from django.db import transaction
from django.utils.translation import gettext as _

from ..errors import NotInScope
from ..models import AuditAction, Case, CaseTask, Role, Teacher
from ..selectors import teachers_for_user, user_holds_over
from .audit import audit_log

EDITABLE_FIELDS = (
    "name",
    "sex",
    "birth_date",
    "subject",
    "position",
    "party_status",
    "titles",
    "is_backbone",
    "honours",
)


def teacher_update(*, actor, teacher_id: int, reason: str = "", **values) -> Teacher:
    """修改资料: an officer corrects a teacher's record; each field change is audited."""
    with transaction.atomic():
        teacher = teachers_for_user(actor, roles=[Role.OFFICER]).select_for_update().filter(pk=teacher_id).first()
        if teacher is None:
            raise NotInScope(_("未找到该教师，或该教师不在您的管辖范围内。"))
        assignment = user_holds_over(actor, [Role.OFFICER], teacher.org)
        changes = {}
        for field, value in values.items():
            if field not in EDITABLE_FIELDS:
                continue
            old = getattr(teacher, field)
            if old != value:
                changes[field] = [str(old), str(value)]
                setattr(teacher, field, value)
        if not changes:
            return teacher
        teacher.full_clean()
        teacher.save()
        cases = list(Case.objects.filter(teacher=teacher)) or [None]
        for case in cases:
            audit_log(
                actor=actor,
                action=AuditAction.EDIT,
                case=case,
                role=Role.OFFICER,
                org=assignment.org,
                from_state=case.state if case else "",
                to_state=case.state if case else "",
                reason=reason,
                changes={"teacher": teacher.name, **changes},
            )
    return teacher


def teacher_record_admin_edit(*, actor, teacher: Teacher, before: dict, reason: str = "") -> None:
    """An administrator changed a teacher in the admin: trace it, and move open cases with a transfer.

    Runs inside the admin's save transaction, after the teacher row is saved.
    """
    changes = {
        field: [str(old), str(getattr(teacher, field))]
        for field, old in before.items()
        if old != getattr(teacher, field)
    }
    if not changes:
        return
    cases = list(Case.objects.filter(teacher=teacher).select_for_update())
    if "org_id" in changes:
        # A transferred teacher's open cases move with them; the history stays on the case.
        for case in cases:
            if case.is_open:
                Case.objects.filter(pk=case.pk).update(
                    org=teacher.org, scope_path=teacher.org.path, unit_id=teacher.org.unit_id
                )
                CaseTask.objects.filter(case_id=case.pk).sync_case_facts()  # the inbox's 单位 column
    for case in cases or [None]:
        audit_log(
            actor=actor,
            action=AuditAction.EDIT,
            case=case,
            role="admin",
            org=None,
            from_state=case.state if case else "",
            to_state=case.state if case else "",
            reason=reason,
            changes={"teacher": teacher.name, **changes},
        )

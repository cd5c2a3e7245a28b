"""Recording the facts the two 80% targets need: a teacher's yearly 评优 result and a party admission.

A unit's (or school's) 党务干部 or 审核人 records them for teachers in their subtree. Each
service checks its guards first (changing nothing when one refuses), then writes the row and
its audit event in one transaction. A wrong entry is corrected, with a reason, by a separate
service, so the audit trail keeps both the first entry and the correction.
"""

import datetime
import re

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..errors import GuardError, NotInScope, NotPermitted
from ..models import Appraisal, AppraisalResult, AuditAction, Case, PartyAdmission, Role, Teacher
from ..selectors import teachers_for_user, user_holds_over
from .audit import audit_log

RECORDERS = (Role.OFFICER, Role.REVIEWER)
FIRST_YEAR = 2000
CORRECT_HINT = gettext_lazy("如登记有误，请在“评优与入党登记”页面已登记列表中点击“更正”，填写更正理由后保存。")


def _date_text(day: datetime.date) -> str:
    return _("%(y)d年%(m)d月%(d)d日") % {"y": day.year, "m": day.month, "d": day.day}


def _teacher_for(actor, teacher_id) -> tuple[Teacher, object]:
    """The teacher, locked, if the actor is a 党务干部 or 审核人 over them; else 404 or 403."""
    try:
        teacher_id = int(teacher_id)
    except (TypeError, ValueError):
        raise NotInScope(_("未找到该教师，或该教师不在您的管辖范围内。")) from None
    teacher = (
        teachers_for_user(actor, roles=RECORDERS)
        .select_for_update(of=("self",))
        .select_related("org")
        .filter(pk=teacher_id)
        .first()
    )
    if teacher is None:
        if teachers_for_user(actor).filter(pk=teacher_id).exists():
            raise NotPermitted(_("评优结果和入党情况由所在单位或学校的党务干部、审核人登记，您没有登记权限。"))
        raise NotInScope(_("未找到该教师，或该教师不在您的管辖范围内。"))
    return teacher, user_holds_over(actor, RECORDERS, teacher.org)


def _log(actor, assignment, teacher: Teacher, *, action: str, changes: dict, reason: str = "") -> None:
    """One event on each of the teacher's cases (so a trainee's replay shows it), or one without a case."""
    cases = list(Case.objects.filter(teacher=teacher).order_by("id")) or [None]
    for case in cases:
        audit_log(
            actor=actor,
            action=action,
            case=case,
            role=assignment.role,
            org=assignment.org,
            from_state=case.state if case else "",
            to_state=case.state if case else "",
            reason=reason,
            changes={"teacher": teacher.name, **changes},
        )


def _check_year(year) -> int:
    this_year = timezone.localdate().year
    try:
        year = int(year)
    except (TypeError, ValueError):
        year = 0
    if not FIRST_YEAR <= year <= this_year:
        raise GuardError(
            _("评优年度须为 %(first)d 至 %(last)d 之间的四位年份；尚未到来的年度不能登记评优结果。")
            % {"first": FIRST_YEAR, "last": this_year}
        )
    return year


def _check_result(result) -> str:
    if result not in AppraisalResult.values:
        raise GuardError(_("评优结果请从“优秀、合格、基本合格、不合格”中选择。"))
    return result


def _check_date(admitted_on) -> datetime.date:
    if isinstance(admitted_on, str):
        try:
            admitted_on = datetime.date.fromisoformat(admitted_on.strip())
        except ValueError:
            admitted_on = None
    if not isinstance(admitted_on, datetime.date):
        raise GuardError(_("请按“年-月-日”填写入党日期，例如 2026-06-28。"))
    if admitted_on > timezone.localdate():
        raise GuardError(
            _("入党日期 %(date)s 晚于今天，不能登记尚未发生的入党。请在支部大会通过接收后再登记。")
            % {"date": _date_text(admitted_on)}
        )
    if admitted_on.year < FIRST_YEAR:
        raise GuardError(_("入党日期须在 %(first)d 年以后。") % {"first": FIRST_YEAR})
    return admitted_on


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise GuardError(_("请填写更正理由后再保存。"))
    return reason


def record_appraisal(*, actor, teacher_id, year, result) -> Appraisal:
    """登记评优结果: one per teacher and year; ``party_member`` is the teacher's status now."""
    year = _check_year(year)
    result = _check_result(result)
    with transaction.atomic():
        teacher, assignment = _teacher_for(actor, teacher_id)
        existing = Appraisal.objects.filter(teacher=teacher, year=year).first()
        if existing is not None:
            raise GuardError(_duplicate_appraisal(teacher, existing))
        try:
            with transaction.atomic():
                appraisal = Appraisal.objects.create(
                    teacher=teacher,
                    year=year,
                    result=result,
                    party_member=teacher.is_party_member,
                    recorded_by=actor,
                )
        except IntegrityError:
            existing = Appraisal.objects.filter(teacher=teacher, year=year).first()
            raise GuardError(_duplicate_appraisal(teacher, existing)) from None
        _log(
            actor,
            assignment,
            teacher,
            action=AuditAction.APPRAISAL,
            changes={
                "appraisal_year": year,
                "result": str(AppraisalResult(result).label),
                "party_member": _("是") if appraisal.party_member else _("否"),
            },
        )
    return appraisal


def _duplicate_appraisal(teacher: Teacher, existing: Appraisal | None) -> str:
    label = existing.get_result_display() if existing else ""
    return _("%(name)s %(year)s 年度的评优结果已经登记（%(result)s），同一教师每年只登记一次。%(hint)s") % {
        "name": teacher.name,
        "year": existing.year if existing else "",
        "result": label,
        "hint": CORRECT_HINT,
    }


def record_admission(*, actor, teacher_id, admitted_on) -> PartyAdmission:
    """登记入党: the date the branch meeting admitted the teacher (as 预备党员); once per teacher."""
    admitted_on = _check_date(admitted_on)
    with transaction.atomic():
        teacher, assignment = _teacher_for(actor, teacher_id)
        existing = PartyAdmission.objects.filter(teacher=teacher).first()
        if existing is not None:
            raise GuardError(_duplicate_admission(teacher, existing))
        try:
            with transaction.atomic():
                admission = PartyAdmission.objects.create(teacher=teacher, admitted_on=admitted_on, recorded_by=actor)
        except IntegrityError:
            raise GuardError(
                _duplicate_admission(teacher, PartyAdmission.objects.filter(teacher=teacher).first())
            ) from None
        _log(actor, assignment, teacher, action=AuditAction.ADMISSION, changes={"admitted_on": admitted_on.isoformat()})
    return admission


def _duplicate_admission(teacher: Teacher, existing: PartyAdmission | None) -> str:
    return _("%(name)s 已登记入党（入党日期 %(date)s），每名教师只登记一次。%(hint)s") % {
        "name": teacher.name,
        "date": _date_text(existing.admitted_on) if existing else "",
        "hint": CORRECT_HINT,
    }


def _row_to_correct(actor, model, row_id, missing: str):
    """The recorded row to correct, locked, with its teacher checked against the actor's scope
    first (as recording does); any id that is not a row in scope is a 404."""
    teacher_id = (
        model.objects.filter(pk=row_id).values_list("teacher_id", flat=True).first()
        if re.fullmatch(r"[0-9]{1,9}", str(row_id))
        else None
    )
    if teacher_id is None:
        raise NotInScope(missing)
    teacher, assignment = _teacher_for(actor, teacher_id)
    return model.objects.select_for_update().get(pk=row_id), teacher, assignment


def correct_appraisal(*, actor, appraisal_id, result, reason) -> Appraisal:
    """更正评优结果, with a reason; the first entry stays in the audit trail."""
    result = _check_result(result)
    reason = _require_reason(reason)
    with transaction.atomic():
        appraisal, teacher, assignment = _row_to_correct(
            actor, Appraisal, appraisal_id, _("未找到该评优记录，或它不在您的管辖范围内。")
        )
        if appraisal.result == result:
            raise GuardError(_("更正后的评优结果与原结果相同，无需更正。"))
        before = appraisal.get_result_display()
        appraisal.result = result
        appraisal.save(update_fields=["result"])
        _log(
            actor,
            assignment,
            teacher,
            action=AuditAction.APPRAISAL,
            reason=reason,
            changes={"appraisal_year": appraisal.year, "result": [str(before), appraisal.get_result_display()]},
        )
    return appraisal


def correct_admission(*, actor, admission_id, admitted_on, reason) -> PartyAdmission:
    """更正入党日期, with a reason."""
    admitted_on = _check_date(admitted_on)
    reason = _require_reason(reason)
    with transaction.atomic():
        admission, teacher, assignment = _row_to_correct(
            actor, PartyAdmission, admission_id, _("未找到该入党登记，或它不在您的管辖范围内。")
        )
        if admission.admitted_on == admitted_on:
            raise GuardError(_("更正后的入党日期与原日期相同，无需更正。"))
        before = admission.admitted_on
        admission.admitted_on = admitted_on
        admission.save(update_fields=["admitted_on"])
        _log(
            actor,
            assignment,
            teacher,
            action=AuditAction.ADMISSION,
            reason=reason,
            changes={"admitted_on": [before.isoformat(), admitted_on.isoformat()]},
        )
    return admission

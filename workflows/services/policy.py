"""The city's and the units' training rules, changed only by those who own them, and audited."""

from django.db import transaction
from django.utils.translation import gettext as _

from ..errors import GuardError, NotInScope, NotPermitted
from ..flows import OPEN_TASK_STATUSES
from ..models import (
    AuditAction,
    CaseTask,
    Organisation,
    OrgKind,
    ProgrammePolicy,
    RecordCadence,
    Role,
    UnitPolicy,
)
from ..selectors import own_assignments, units_for_user
from .audit import audit_log

CITY_LIMITS = {
    "min_months_1": (0, 60),
    "min_months_2": (0, 60),
    "attachment_max_mb": (1, 100),
}
UNIT_LIMITS = {
    "remind_before_days": (0, 30),
    "escalate_after_days": (1, 90),
}


def _check_range(field, value, limits, label) -> int:
    low, high = limits[field]
    if value is None or not low <= int(value) <= high:
        raise GuardError(
            _("“%(label)s”应为 %(low)d 到 %(high)d 之间的整数。") % {"label": label, "low": low, "high": high}
        )
    return int(value)


def can_edit_city(user) -> bool:
    return any(a.role == Role.CITY_ADMIN and a.org.kind == OrgKind.CITY for a in own_assignments(user))


def can_edit_unit(user, unit: Organisation) -> bool:
    """The unit's own officers and reviewers, and the city's administrators."""
    return can_edit_city(user) or any(
        a.org_id == unit.pk and a.role in (Role.OFFICER, Role.REVIEWER) for a in own_assignments(user)
    )


def _apply(actor, policy, values: dict, *, org) -> dict:
    changes = {}
    for field, value in values.items():
        old = getattr(policy, field)
        if old != value:
            changes[field] = [old, value]
            setattr(policy, field, value)
    if changes:
        policy.save()
        assignment = next((a for a in own_assignments(actor) if org.path.startswith(a.org.path)), None)
        audit_log(
            actor=actor,
            action=AuditAction.POLICY,
            case=None,
            role=assignment.role if assignment else "",
            org=org,
            changes=changes,
        )
    return changes


def city_policy_update(*, actor, min_months_1, min_months_2, attachment_max_mb) -> dict:
    if not can_edit_city(actor):
        raise NotPermitted(_("只有市级管理员可以修改市级培养规则。"))
    labels = {field: str(ProgrammePolicy._meta.get_field(field).verbose_name) for field in CITY_LIMITS}
    values = {
        field: _check_range(field, value, CITY_LIMITS, labels[field])
        for field, value in (
            ("min_months_1", min_months_1),
            ("min_months_2", min_months_2),
            ("attachment_max_mb", attachment_max_mb),
        )
    }
    city = Organisation.objects.filter(kind=OrgKind.CITY, parent__isnull=True).first()
    with transaction.atomic():
        policy = ProgrammePolicy.objects.select_for_update().filter(pk=1).first() or ProgrammePolicy(pk=1)
        changes = _apply(actor, policy, values, org=city)
        if "min_months_1" in changes or "min_months_2" in changes:
            # The open 提交支部审核 steps open on another day now (CaseTask.opens_on).
            CaseTask.objects.filter(status__in=OPEN_TASK_STATUSES).sync_opens_on()
        return changes


def unit_policy_update(*, actor, unit_id: int, record_every_months, remind_before_days, escalate_after_days) -> dict:
    unit = units_for_user(actor).filter(pk=unit_id).first()
    if unit is None:
        raise NotInScope(_("未找到该单位，或它不在您的管辖范围内。"))
    if not can_edit_unit(actor, unit):
        raise NotPermitted(
            _("只有本单位的党务干部、审核人或市级管理员可以修改“%(unit)s”的培养规则。") % {"unit": unit.name}
        )
    if record_every_months not in RecordCadence.values:
        raise GuardError(_("培养记录频次请从列表中选择（每月、每两个月、每季度或每半年一次）。"))
    values = {
        "record_every_months": int(record_every_months),
        "remind_before_days": _check_range(
            "remind_before_days", remind_before_days, UNIT_LIMITS, _("到期前几个工作日提醒")
        ),
        "escalate_after_days": _check_range(
            "escalate_after_days", escalate_after_days, UNIT_LIMITS, _("逾期几个工作日后升级督办")
        ),
    }
    with transaction.atomic():
        policy = UnitPolicy.objects.select_for_update().filter(unit=unit).first() or UnitPolicy(unit=unit)
        return _apply(actor, policy, values, org=unit)

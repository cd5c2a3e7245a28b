"""The city's working-day table (工作日历): exceptions to the statutory calendar (issue 12)."""

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from ..errors import GuardError, NotPermitted
from ..models import AuditAction, Role, WorkdayOverride
from ..models.organisations import OrgKind
from ..selectors import own_assignments
from .audit import audit_log


def city_assignment(user):
    """The 市级管理员 role at the city, or None: only the city keeps the calendar."""
    return next((a for a in own_assignments(user) if a.role == Role.CITY_ADMIN and a.org.kind == OrgKind.CITY), None)


def can_edit_calendar(user) -> bool:
    return city_assignment(user) is not None


def _check(actor):
    assignment = city_assignment(actor)
    if assignment is None:
        raise NotPermitted(_("只有市级管理员可以调整工作日历。"))
    return assignment


def workday_set(*, actor, day: datetime.date, workday: bool, name: str) -> WorkdayOverride:
    """Declare ``day`` a working day (调休上班) or a day off (放假), replacing any earlier entry."""
    assignment = _check(actor)
    name = (name or "").strip()
    if not name:
        raise GuardError(_("请填写名称，例如“国庆节调休上班”或“春节放假”。"))
    with transaction.atomic():
        row = WorkdayOverride.objects.select_for_update().filter(date=day).first()
        before = None if row is None else {"workday": row.workday, "name": row.name}
        if before == {"workday": workday, "name": name}:
            return row
        if row is None:
            row = WorkdayOverride(date=day)
        row.workday, row.name, row.updated_by = workday, name, actor
        row.save()
        audit_log(
            actor=actor,
            action=AuditAction.CALENDAR_EDIT,
            case=None,
            role=assignment.role,
            org=assignment.org,
            changes={
                "date": day.isoformat(),
                "workday": [before["workday"] if before else None, workday],
                "name": [before["name"] if before else None, name],
            },
        )
    return row


def workday_clear(*, actor, day: datetime.date) -> None:
    """Remove the city's entry for ``day``: the statutory calendar applies again."""
    assignment = _check(actor)
    with transaction.atomic():
        row = WorkdayOverride.objects.select_for_update().filter(date=day).first()
        if row is None:
            raise GuardError(_("%(day)s 没有调整记录，无需删除。") % {"day": day.isoformat()})
        audit_log(
            actor=actor,
            action=AuditAction.CALENDAR_EDIT,
            case=None,
            role=assignment.role,
            org=assignment.org,
            changes={"date": day.isoformat(), "workday": [row.workday, None], "name": [row.name, None]},
        )
        row.delete()

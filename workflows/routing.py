"""Who owns a step: the nearest organisation, walking up the tree, that holds a role."""

import datetime

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import GuardError
from .kept import rows_by_ids
from .models import Organisation, Role, RoleAssignment


def _holders_query(today, role, *org_ids):
    holding = RoleAssignment.objects.active(today).filter(org_id=OuterRef("pk"), role=role)
    return Organisation.objects.filter(pk__in=org_ids).filter(Exists(holding))


# A day before the programme and a role nobody holds stand for the day and the role.
_HOLDER_MARKS = (datetime.date(1901, 1, 1), "\x00role")


def nearest_org_with_role(start: Organisation, role: str) -> Organisation:
    """Walk up from ``start`` (inclusive) to the city; return the first holder of ``role``.

    A direct unit has no county above it, so its cases are reviewed at the unit itself.
    """
    ancestor_ids = start.ancestor_ids
    # One query: the organisations up the tree that hold the role now; the nearest wins.
    # Every finished step asks it: compiled once per connection and tree depth (~1 ms of CPU).
    found = rows_by_ids(_holders_query, ancestor_ids, timezone.localdate(), str(role), marks=_HOLDER_MARKS)
    holders = {org.pk: org for org in found}
    for org_id in ancestor_ids:
        if org_id in holders:
            return holders[org_id]
    raise GuardError(
        _("“%(org)s”及其上级组织中没有人担任%(role)s，无法派发任务。请先在系统管理中为相应组织指定%(role)s。")
        % {"org": start.name, "role": Role(role).label}
    )

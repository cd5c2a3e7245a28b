"""Who owns a step: the nearest organisation, walking up the tree, that holds a role."""

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from .errors import GuardError
from .models import Organisation, Role, RoleAssignment


def nearest_org_with_role(start: Organisation, role: str) -> Organisation:
    """Walk up from ``start`` (inclusive) to the city; return the first holder of ``role``.

    A direct unit has no county above it, so its cases are reviewed at the unit itself.
    """
    ancestor_ids = start.ancestor_ids
    # One query: the organisations up the tree that hold the role now; the nearest wins.
    holding = RoleAssignment.objects.active().filter(org_id=OuterRef("pk"), role=role)
    holders = {org.pk: org for org in Organisation.objects.filter(pk__in=ancestor_ids).filter(Exists(holding))}
    for org_id in ancestor_ids:
        if org_id in holders:
            return holders[org_id]
    raise GuardError(
        _("“%(org)s”及其上级组织中没有人担任%(role)s，无法派发任务。请先在系统管理中为相应组织指定%(role)s。")
        % {"org": start.name, "role": Role(role).label}
    )

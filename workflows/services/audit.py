"""Writing the audit trail. Called only from inside a service's transaction."""

from django.utils import timezone
from viewflow.workflow.status import STATUS

from ..models import AuditEvent, Case, Organisation


def actor_display_name(user) -> str:
    teacher = getattr(user, "teacher", None) if user is not None else None
    if teacher is not None:
        return teacher.name
    if user is None:
        return "系统"
    return user.get_full_name() or user.get_username()


def audit_log(
    *,
    actor,
    action: str,
    case: Case | None,
    role: str = "",
    org: Organisation | None = None,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    changes: dict | None = None,
    task=None,
) -> AuditEvent:
    """Append one event: who, in which role and organisation, what changed and why."""
    return AuditEvent.objects.create(
        actor=actor,
        actor_name=actor_display_name(actor),
        role=role,
        org=org,
        case=case,
        task_id_ref=getattr(task, "pk", None),
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        changes=changes or {},
    )


def set_owner(task, owner, *, case, by, action: str, role: str, org, reason: str = "", note: dict | None = None):
    """Give a task to ``owner`` (None: back to the queue) and trace who did it, in one place.

    Called inside a service's transaction (claim, unclaim, 改派, handing a returned step back).
    """
    before = task.owner.get_username() if task.owner_id else None
    task.owner = owner
    task.status = STATUS.ASSIGNED if owner is not None else STATUS.NEW
    task.assigned = timezone.now() if owner is not None else None
    task.save(update_fields=["owner", "status", "assigned"])
    audit_log(
        actor=by,
        action=action,
        case=case,
        role=role,
        org=org,
        task=task,
        from_state=case.state,
        to_state=case.state,
        reason=reason,
        changes={"owner": [before, owner.get_username() if owner else None], **(note or {})},
    )

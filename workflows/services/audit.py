"""Writing the audit trail. Called only from inside a service's transaction."""

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

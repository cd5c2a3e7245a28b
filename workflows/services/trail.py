"""Reading the audit trail is itself audited (等保 2.0: audit of access to sensitive records).

Every opening of a case's trail (its page, each step of the stepper), every export of it (PDF,
XLSX, JSON) and every audit search appends one event (``TRAIL_VIEW``, ``TRAIL_EXPORT``,
``AUDIT_SEARCH``) through ``audit_log``, so the city's 查阅记录 page shows who looked at what.

These events carry the case they read (so the city sees which case), but they are not part of
the case's trail: ``selectors.case_events`` and the search leave ``TRAIL_ACCESS_ACTIONS`` out,
so opening a trail never makes the trail it shows longer. A view calls these only once it has
decided to answer 200: a refused request logs nothing.
"""

from django.db import transaction

from .. import selectors
from ..models import AuditAction, Case
from ..visibility import OFFICIAL_ROLES, Standing, case_view
from .audit import audit_log

EXPORT_FORMATS = ("pdf", "xlsx", "json")


def _reader_of_case(actor, case: Case) -> tuple[str, object]:
    """The role and organisation the reader reads ``case`` in (an official's own assignment)."""
    standing = case_view(actor, case).standing
    if standing == Standing.OFFICIAL:
        held = selectors.user_holds_over(actor, OFFICIAL_ROLES, case.org)
        if held is not None:
            return held.role, held.org
    if standing == Standing.TRAINEE:
        return "trainee", None
    if standing == Standing.MENTOR:
        return "mentor", None
    return "", None


def _searcher(actor) -> tuple[str, object]:
    """For a search: the user's widest official assignment (the shortest path)."""
    held = [a for a in selectors.user_assignments(actor) if a.role in OFFICIAL_ROLES]
    if not held:
        return "", None
    widest = min(held, key=lambda a: (len(a.org.path), a.org.path))
    return widest.role, widest.org


def trail_view_log(*, actor, case: Case, step: int | None = None):
    """查阅审计轨迹: ``actor`` opened ``case``'s trail (at step ``step`` of the stepper)."""
    role, org = _reader_of_case(actor, case)
    with transaction.atomic():
        return audit_log(
            actor=actor,
            action=AuditAction.TRAIL_VIEW,
            case=case,
            role=role,
            org=org,
            changes={"step": step} if step is not None else {},
        )


def trail_export_log(*, actor, case: Case, fmt: str):
    """导出审计轨迹: ``actor`` downloaded ``case``'s trail as ``fmt`` (pdf, xlsx or json)."""
    if fmt not in EXPORT_FORMATS:  # pragma: no cover - the view refuses other formats first
        raise ValueError(fmt)
    role, org = _reader_of_case(actor, case)
    with transaction.atomic():
        return audit_log(
            actor=actor, action=AuditAction.TRAIL_EXPORT, case=case, role=role, org=org, changes={"format": fmt}
        )


def audit_search_log(*, actor, filters: dict):
    """检索审计记录: ``actor`` searched the trail with ``filters`` (the non-empty ones, as text)."""
    role, org = _searcher(actor)
    given = {key: str(value) for key, value in filters.items() if value not in (None, "")}
    with transaction.atomic():
        return audit_log(
            actor=actor,
            action=AuditAction.AUDIT_SEARCH,
            case=None,
            role=role,
            org=org,
            changes={"filters": given} if given else {},
        )

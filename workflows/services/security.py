"""The door: who the login form currently holds back, and the city letting them try again.

django-axes counts failed logins (``AccessAttempt``, one row per account, address and browser)
and refuses an account, or an address, once ``AXES_FAILURE_LIMIT`` failures fall within
``AXES_COOLOFF_TIME`` of each other (see ``project/settings.py``). The city's 市级管理员 sees
those locks and releases one early (解除锁定), e.g. for a teacher who forgot their password
and was given a new one; each release is audited.
"""

from dataclasses import dataclass
from datetime import datetime

from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ..errors import AlreadyHandled, GuardError, NotPermitted
from ..models import AuditAction, OrgKind, Role
from ..selectors import own_assignments
from .audit import audit_log

ACCOUNT = "username"
ADDRESS = "ip_address"


@dataclass(frozen=True)
class Lockout:
    """One account or one address that the login form refuses until ``until``."""

    kind: str  # ACCOUNT or ADDRESS
    value: str
    failures: int
    last_failure: datetime
    until: datetime

    @property
    def kind_label(self) -> str:
        return _("账号") if self.kind == ACCOUNT else _("登录地址")


def _city_assignment(user):
    return next((a for a in own_assignments(user) if a.role == Role.CITY_ADMIN and a.org.kind == OrgKind.CITY), None)


def can_release_lockouts(user) -> bool:
    """Only the city's 市级管理员: a lock protects every unit's accounts alike."""
    return _city_assignment(user) is not None


def check_can_release_lockouts(user):
    assignment = _city_assignment(user)
    if assignment is None:
        raise NotPermitted(_("只有市级管理员可以查看和解除登录锁定。"))
    return assignment


def _window_start() -> datetime:
    return timezone.now() - settings.AXES_COOLOFF_TIME


def _locked(kind: str, value: str | None = None) -> list[Lockout]:
    attempts = AccessAttempt.objects.filter(attempt_time__gte=_window_start()).exclude(**{f"{kind}__isnull": True})
    if kind == ACCOUNT:
        attempts = attempts.exclude(username="")
    if value is not None:
        attempts = attempts.filter(**{kind: value})
    rows = (
        attempts.values(kind)
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .order_by("-last")
    )
    return [
        Lockout(kind, row[kind], row["failures"], row["last"], row["last"] + settings.AXES_COOLOFF_TIME) for row in rows
    ]


def current_lockouts(user) -> list[Lockout]:
    """Every account and address locked right now, the latest first (the city only)."""
    check_can_release_lockouts(user)
    return _locked(ACCOUNT) + _locked(ADDRESS)


@dataclass(frozen=True)
class Release:
    """What one 解除锁定 removed: the attempts, and the other side's locks those attempts made up."""

    removed: int
    failures: int
    # Releasing an account also removes its attempts from the addresses they came from (and an
    # address's from the accounts tried): axes keeps one row per account and address. Each other
    # side's failures taken off, and those of them that were locked and no longer are.
    cleared: dict
    also_unlocked: list


def lockout_release(*, actor, kind: str, value: str) -> Release:
    """解除锁定: the city lets one locked account or address log in again at once.

    Removes the failed attempts that make up the lock (axes' own reset) and audits who released
    what, including the other side's counts those attempts carried (an address whose lock came
    from the released account's failures is released with it, and says so). A lock that has
    already expired or been released by someone else answers 409.
    """
    assignment = check_can_release_lockouts(actor)
    if kind not in (ACCOUNT, ADDRESS) or not value:
        raise GuardError(_("请从锁定列表中选择要解除的账号或登录地址。"))
    other = ADDRESS if kind == ACCOUNT else ACCOUNT
    with transaction.atomic():
        # Lock the rows first: a failure arriving meanwhile waits, and two administrators
        # releasing the same lock write one event between them.
        rows = list(
            AccessAttempt.objects.select_for_update()
            .filter(**{kind: value})
            .values_list(other, "failures_since_start", "attempt_time")
        )
        locked = _locked(kind, value)
        if not locked:
            raise AlreadyHandled(
                _("“%(value)s”当前没有被锁定（可能已到期或已被他人解除），请刷新页面查看。") % {"value": value}
            )
        window = _window_start()
        cleared: dict[str, int] = {}
        for other_value, failures, at in rows:
            if other_value and at >= window:
                cleared[other_value] = cleared.get(other_value, 0) + failures
        locked_before = {lock.value for lock in _locked(other) if lock.value in cleared}
        if kind == ACCOUNT:
            removed = AxesProxyHandler.reset_attempts(username=value)
        else:
            removed = AxesProxyHandler.reset_attempts(ip_address=value)
        still_locked = {lock.value for lock in _locked(other) if lock.value in cleared}
        also_unlocked = sorted(locked_before - still_locked)
        audit_log(
            actor=actor,
            action=AuditAction.LOCKOUT_RELEASE,
            case=None,
            role=Role.CITY_ADMIN,
            org=assignment.org,
            changes={
                kind: value,
                "failures": locked[0].failures,
                f"cleared_{other}": cleared,
                f"also_unlocked_{other}": also_unlocked,
            },
        )
    return Release(removed=removed, failures=locked[0].failures, cleared=cleared, also_unlocked=also_unlocked)

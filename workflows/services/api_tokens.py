"""API tokens: a user creates a token for an integration (DingTalk/WeCom, a mini-program) and
revokes it. Only the token's SHA-256 is kept; the token itself is shown once."""

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..errors import AlreadyHandled, GuardError, NotInScope
from ..models import ApiToken, AuditAction
from ..selectors import user_api_tokens
from ..text import bidi_refusal
from .audit import audit_log

TOKEN_PREFIX = "sp_"
# Enough for a few integrations; a user who needs more revokes the ones no longer in use.
MAX_ACTIVE_TOKENS = 10
# ``last_used`` is a hint for the owner ("still in use?"), not an access log: it is written at most
# once a minute per token, so an integration polling the API does not write on every request.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    raw: str  # shown to the user once, never stored


def api_token_create(*, actor, name: str) -> NewToken:
    """创建 API 令牌: a new bearer token for ``actor``'s own integrations, audited."""
    name = (name or "").strip()
    if not name:
        raise GuardError(_("请填写令牌名称，例如“钉钉审批对接”。"))
    if len(name) > 60:
        raise GuardError(_("令牌名称最多 60 字。"))
    if refusal := bidi_refusal(_("令牌名称"), name):
        raise GuardError(refusal + "。")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        # Lock the user's active tokens so two concurrent requests cannot both pass the limit.
        active = list(user_api_tokens(actor).filter(revoked_at__isnull=True).select_for_update())
        if len(active) >= MAX_ACTIVE_TOKENS:
            raise GuardError(_("您已有 %(n)d 个有效令牌，已达上限。请先撤销不再使用的令牌。") % {"n": len(active)})
        token = ApiToken.objects.create(user=actor, name=name, key_hash=token_hash(raw), prefix=raw[:8])
        audit_log(
            actor=actor,
            action=AuditAction.API_TOKEN_CREATE,
            case=None,
            changes={"token": [None, str(token)]},
        )
    return NewToken(token=token, raw=raw)


def api_token_revoke(*, actor, token_id: int) -> ApiToken:
    """撤销 API 令牌: the token stops working at once; the row stays for the record."""
    with transaction.atomic():
        token = user_api_tokens(actor).select_for_update().filter(pk=token_id).first()
        if token is None:
            raise NotInScope(_("未找到该令牌，或它不属于您。"))
        if token.revoked_at is not None:
            raise AlreadyHandled(_("该令牌已于 %(at)s 撤销，无需重复操作。") % {"at": _local(token.revoked_at)})
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_log(
            actor=actor,
            action=AuditAction.API_TOKEN_REVOKE,
            case=None,
            changes={"token": [str(token), None]},
        )
    return token


def api_token_user(raw: str):
    """The active user a bearer token belongs to, or None (unknown, revoked, user inactive)."""
    if not raw or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=token_hash(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used is None or now - token.last_used >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
    return token.user


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")

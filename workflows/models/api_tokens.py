"""Per-user API tokens for the JSON API (a DingTalk/WeCom integration, a mini-program)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """One bearer token of one user. Only the SHA-256 of the token is stored: the token itself
    is shown once, when it is created, and cannot be read back (like a password)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("名称"), max_length=60)
    key_hash = models.CharField(_("令牌摘要"), max_length=64, unique=True)
    # The first characters of the token, so the owner can tell two tokens apart on the page.
    prefix = models.CharField(_("令牌前缀"), max_length=12)
    created = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        indexes = [models.Index(fields=["user", "revoked_at"], name="apitoken_user_revoked")]

    def __str__(self) -> str:
        return f"{self.name}（{self.prefix}…）"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

"""登录锁定: the page a locked-out login gets, and the city's list of locks with 解除锁定."""

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from workflows.errors import GuardError
from workflows.services import security

from .common import done, guarded, post_only


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' ``AXES_LOCKOUT_CALLABLE``: a Chinese page with 429 instead of its English text.

    It does not say whether the account exists, nor whether the account or the address is locked.
    """
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    # Rendered now: AxesMiddleware swaps it in after the view's response was already rendered.
    return render(
        request,
        "axes/lockout.html",
        {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


def client_ip(request) -> str:
    """django-axes' ``AXES_CLIENT_IP_CALLABLE``: the address a login comes from.

    Behind the TLS proxy (``BEHIND_TLS_PROXY``) every request comes from the proxy, so the
    client's address is the last one in ``X-Forwarded-For``, the entry the proxy itself wrote
    (nginx: ``proxy_set_header X-Forwarded-For $remote_addr``); entries before it are whatever
    the client sent and are not trusted. Without the proxy, ``X-Forwarded-For`` is ignored.
    """
    if settings.BEHIND_TLS_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR", "")


class ReleaseForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[(security.ACCOUNT, gettext_lazy("账号")), (security.ADDRESS, gettext_lazy("登录地址"))],
        error_messages={
            "required": gettext_lazy("请从锁定列表中选择要解除的账号或登录地址。"),
            "invalid_choice": gettext_lazy("请从锁定列表中选择要解除的账号或登录地址。"),
        },
    )
    value = forms.CharField(
        max_length=255,
        error_messages={"required": gettext_lazy("请从锁定列表中选择要解除的账号或登录地址。")},
    )


def _page(request, *, error: str = "", status: int = 200):
    context = {
        "lockouts": security.current_lockouts(request.user),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        "error": error,
    }
    return TemplateResponse(request, "inbox/lockouts.html", context, status=status)


@login_required
@guarded
def lockouts_page(request):
    security.check_can_release_lockouts(request.user)
    return _page(request)


@login_required
@post_only
@guarded
def lockout_release(request):
    security.check_can_release_lockouts(request.user)
    form = ReleaseForm(request.POST)
    if not form.is_valid():
        return _page(request, error=next(iter(form.errors.values()))[0], status=400)
    try:
        release = security.lockout_release(actor=request.user, **form.cleaned_data)
    except GuardError as error:
        if error.status in (403, 404):
            raise
        return _page(request, error=error.message, status=error.status)
    message = _("已解除“%(value)s”的登录锁定，并记入审计日志。") % {"value": form.cleaned_data["value"]}
    if release.also_unlocked:
        # axes keeps one row per account and address: the released failures were also what
        # locked these, so they are released too. Say so rather than let it happen silently.
        other = _("登录地址") if form.cleaned_data["kind"] == security.ACCOUNT else _("账号")
        message += _("这些失败记录同时构成了%(other)s“%(values)s”的锁定，它们也一并解除（已记入审计日志）。") % {
            "other": other,
            "values": "、".join(release.also_unlocked),
        }
    return done(request, message, reverse("inbox:lockouts"))

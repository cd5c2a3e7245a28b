"""代理人: my arrangements (as principal, as deputy, and those I set for people below me), naming
a deputy for a period, and ending one early."""

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from forms.deputies import DeputyEndForm, DeputyForm
from forms.people import first_error
from workflows import access, selectors
from workflows.errors import GuardError, NotInScope
from workflows.services import deputies as svc

from .common import done, guarded, post_only


def _status(arrangement, today) -> str:
    if arrangement.lapsed_at:
        return _("已到期")
    if arrangement.ended_at:
        return _("已提前结束")
    if arrangement.start_date > today:
        return _("未开始")
    if arrangement.end_date < today:
        return _("已到期（待系统结束）")
    return _("代理中")


def _page(request, *, form=None, error="", status=200):
    user = request.user
    today = timezone.localdate()
    arrangements = list(selectors.deputies_for_user(user)[:200])
    for arrangement in arrangements:
        arrangement.status_label = _status(arrangement, today)
        arrangement.can_end = access.may_end_deputy(user, arrangement)
        arrangement.mine = ""
        if arrangement.principal_id == user.pk:
            arrangement.mine = _("我委托")
        elif arrangement.deputy_id == user.pk:
            arrangement.mine = _("我代理")
    can_name = access.may_name_deputies(user)
    if form is None and can_name:
        form = DeputyForm(initial={"start_date": today, "end_date": today})
    return TemplateResponse(
        request,
        "inbox/deputies.html",
        {
            "arrangements": arrangements,
            "form": form if can_name else None,
            "end_form": DeputyEndForm(),
            "error": error,
            "max_days": access.deputies.MAX_DEPUTY_DAYS,
            "acting_for": [a for a in selectors.user_assignments(user) if getattr(a, "acting_for", None)],
        },
        status=status,
    )


def _account(username: str):
    return get_user_model().objects.filter(username=(username or "").strip()).first()


@login_required
@guarded
def deputies_page(request):
    """代理人: list the arrangements the user may see; a POST names a deputy."""
    access.deputies.check_can_use_page(request.user)
    if request.method != "POST":
        return _page(request)
    form = DeputyForm(request.POST)
    if not form.is_valid():
        return _page(request, form=form, error=first_error(form), status=400)
    data = form.cleaned_data
    principal = _account(data["principal"]) if data["principal"].strip() else request.user
    if principal is None:
        raise NotInScope(_("未找到该用户，或其不在您的管辖范围内。"))
    deputy = _account(data["deputy"])
    try:
        arrangement = svc.deputy_set(
            actor=request.user,
            principal_id=principal.pk,
            deputy_id=deputy.pk if deputy is not None else 0,
            start_date=data["start_date"],
            end_date=data["end_date"],
            reason=data["reason"],
        )
    except GuardError as error:
        if error.status == 404:
            raise
        return _page(request, form=form, error=error.message, status=error.status)
    return done(
        request,
        _("已指定 %(deputy)s 于 %(start)s 至 %(end)s 代理 %(principal)s。")
        % {
            "deputy": arrangement.deputy.get_full_name() or arrangement.deputy.get_username(),
            "principal": arrangement.principal.get_full_name() or arrangement.principal.get_username(),
            "start": arrangement.start_date.isoformat(),
            "end": arrangement.end_date.isoformat(),
        },
        reverse("inbox:deputies"),
    )


@login_required
@post_only
@guarded
def deputy_end(request, deputy_id: int):
    """提前结束代理."""
    form = DeputyEndForm(request.POST)
    if not form.is_valid():
        return _page(request, error=first_error(form), status=400)
    try:
        svc.deputy_end(actor=request.user, deputy_id=deputy_id, reason=form.cleaned_data["reason"])
    except GuardError as error:
        if error.status == 404:
            raise
        return _page(request, error=error.message, status=error.status)
    return done(request, _("代理已提前结束，代理人认领未办的任务已交回。"), reverse("inbox:deputies"))

"""API 令牌: the signed-in user's own tokens for the JSON API (list, create, revoke)."""

from django.contrib.auth.decorators import login_required
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from forms.api_tokens import ApiTokenForm
from forms.cases import first_error
from workflows import selectors
from workflows.errors import GuardError
from workflows.services import api_tokens

from .common import done, guarded, post_only


def _page(request, *, form=None, created=None, error="", status=200):
    response = TemplateResponse(
        request,
        "inbox/api_tokens.html",
        {
            "tokens": selectors.user_api_tokens(request.user),
            "form": form or ApiTokenForm(),
            "created": created,
            "error": error,
        },
        status=status,
    )
    # The page may show a new token once: no cache keeps a copy of it.
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def api_tokens_page(request):
    if request.method != "POST":
        return _page(request)
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _page(request, form=form, error=first_error(form), status=400)
    try:
        created = api_tokens.api_token_create(actor=request.user, name=form.cleaned_data["name"])
    except GuardError as error:
        return _page(request, form=form, error=error.message, status=error.status)
    return _page(request, created=created)


@login_required
@post_only
@guarded
def api_token_revoke(request, token_id: int):
    token = api_tokens.api_token_revoke(actor=request.user, token_id=token_id)
    return done(
        request, _("已撤销令牌“%(name)s”，使用它的请求将被拒绝。") % {"name": token.name}, reverse("inbox:api_tokens")
    )

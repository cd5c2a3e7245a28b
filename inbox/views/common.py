"""Shared view helpers: turning a refused guard into a clear 4xx page."""

from functools import wraps
from urllib.parse import quote

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from workflows import selectors
from workflows.errors import GuardError


def error_page(request, error: GuardError):
    return TemplateResponse(request, "inbox/error.html", {"message": error.message}, status=error.status)


def guarded(view):
    """Render any ``GuardError`` raised by a service as its status with its Chinese message."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except GuardError as error:
            return error_page(request, error)

    return wrapper


def _page_for_action(request, kwargs) -> str:
    """The page an action URL belongs to: its task's, its case's, or the inbox."""
    name = request.resolver_match.url_name if request.resolver_match else ""
    if "task_id" in kwargs:
        return reverse(
            "inbox:report_task" if name.startswith("report_task") else "inbox:task", args=[kwargs["task_id"]]
        )
    if "case_id" in kwargs:
        return reverse("inbox:case", args=[kwargs["case_id"]])
    return reverse("inbox:inbox")


def post_only(view):
    """An action URL answers a GET (a bookmark, a pasted link) with a page that leads to where the
    action is taken, not an empty 405."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "POST":
            context = {
                "message": _("这是办理操作的地址，不能直接打开。请在任务页面上操作。"),
                "back": _page_for_action(request, kwargs),
            }
            response = TemplateResponse(request, "inbox/error.html", context, status=405)
            response["Allow"] = "POST"
            return response
        return view(request, *args, **kwargs)

    return wrapper


def done(request, message: str, to: str):
    messages.success(request, message)
    return redirect(to)


def file_response(filename: str, mimetype: str, content: bytes, *, no_store: bool = False) -> HttpResponse:
    """A download with its (Chinese) file name encoded for every browser (RFC 5987)."""
    response = HttpResponse(content, content_type=mimetype)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    if no_store:
        response["Cache-Control"] = "private, no-store"
    return response


def request_counts(request) -> dict[str, int]:
    """The menu's counts (``selectors.menu_counts``), asked once per request and shared by the menu,
    the list's own count and the front page."""
    counts = getattr(request, "_shuangpei_counts", None)
    if counts is None:
        counts = request._shuangpei_counts = selectors.menu_counts(request.user)
    return counts

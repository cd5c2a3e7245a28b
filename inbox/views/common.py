"""Shared view helpers: turning a refused guard into a clear 4xx page."""

from functools import wraps
from urllib.parse import quote

from django.contrib import messages
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse

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


def post_only(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
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

"""Shared view helpers: turning a refused guard into a clear 4xx page."""

from functools import wraps

from django.contrib import messages
from django.http import HttpResponseNotAllowed
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

"""A lost database answers 「系统繁忙，请稍后再试」 with 503, not a 500 error page.

``DatabaseUnavailableMiddleware.process_exception`` catches the error raised by a view or while
its template renders (the menu counts query the database too); ``server_error`` is the
project's ``handler500`` and catches what escapes from a middleware (loading the session or
the user, saving the session). Both render ``503.html``, a standalone page that needs neither
the database nor the request's context processors, with ``Retry-After``.
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader
from django.views.defaults import server_error as django_server_error

logger = logging.getLogger("shuangpei.db")

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def database_unavailable_response() -> HttpResponse:
    response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            logger.error("database unavailable during %s %s", request.method, request.path, exc_info=exception)
            return database_unavailable_response()
        return None


def server_error(request, template_name="500.html") -> HttpResponse:
    """``handler500``: Django calls it inside the ``except`` that caught the error."""
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_ERRORS):
        return database_unavailable_response()
    return django_server_error(request, template_name=template_name)

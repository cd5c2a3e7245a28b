"""bench/throughput.py's WSGI entry point for gunicorn: the project's application, with the number
of SQL queries each request ran in an ``X-Bench-Queries`` response header.

Run as ``gunicorn --chdir <repo> bench.throughput_wsgi:application``. The count is
taken with ``connection.execute_wrapper`` around the whole request (middleware, session, view):
every statement sent through Django's cursor, SAVEPOINTs included; psycopg's implicit BEGIN and
Django's COMMIT are not statements of a cursor and are not counted.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.throughput_settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection  # noqa: E402

_django = get_wsgi_application()


def application(environ, start_response):
    count = [0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    def start_with_count(status, headers, exc_info=None):
        return start_response(status, [*headers, ("X-Bench-Queries", str(count[0]))], exc_info)

    with connection.execute_wrapper(counter):
        return _django(environ, start_with_count)

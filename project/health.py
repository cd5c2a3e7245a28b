"""``/healthz``: is this process up and can it reach its database?

For a load balancer, systemd's watchdog scripts or a monitoring probe: no login, no session,
no template, never cached. It answers 200 ``{"status": "ok"}`` when ``SELECT 1`` runs on the
default database and 503 when it does not, so a node that lost its database is taken out of
rotation instead of serving error pages.
"""

import logging

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def healthz(request) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("healthz: the database did not answer SELECT 1")
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})

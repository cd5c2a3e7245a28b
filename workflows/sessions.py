"""Django's database session store, whose one read per request is compiled once per connection.

Every request a signed-in user makes reads their session row; building that SELECT through the
ORM each time cost ~0.3 ms of CPU a request (issue 13, docs/performance.md). The store is
Django's own otherwise (``SESSION_ENGINE = "workflows.sessions"``): the same table, the same
expiry rule (a row past its ``expire_date`` is not a session), the same handling of a key that
is not found.
"""

import datetime

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from .kept import KeptQuery

# The marks: a key no session has, a moment before any session.
_SESSION = KeptQuery(
    lambda key, now: Session.objects.filter(session_key=key, expire_date__gt=now),
    "\x00no session",
    datetime.datetime(1970, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.UTC),
)


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self):
        if self.model is Session:
            found = _SESSION.rows(self.session_key, timezone.now())
            if found:
                return found[0]
            self._session_key = None
            return None
        return super()._get_session_from_db()

"""The login backend: Django's ModelBackend, whose request user comes with its teacher row.

Most people who sign in are teachers, and what they do names them by their teacher record
(``services.audit.actor_display_name`` reads ``user.teacher`` for every audit event). Reading
the row with the user, in the session's one user query, saves that query on every request that
writes an event. A user without a teacher record reads as before (``user.teacher`` raises
``Teacher.DoesNotExist``, which ``getattr(user, "teacher", None)`` turns into None).

Listed in ``AUTHENTICATION_BACKENDS`` instead of ModelBackend, after django-axes' backend. The
session stores the backend's path: a session signed in through ModelBackend before the switch
is no longer recognised, and its user signs in once more.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from .kept import KeptQuery

# Every request reads its user: the SQL is compiled once per connection, not at each request.
_USER_WITH_TEACHER = KeptQuery(lambda pk: get_user_model()._default_manager.select_related("teacher").filter(pk=pk), -1)


class TeacherModelBackend(ModelBackend):
    def get_user(self, user_id):
        try:
            found = _USER_WITH_TEACHER.rows(int(user_id))
        except (TypeError, ValueError):
            return None
        user = found[0] if found else None
        return user if user is not None and self.user_can_authenticate(user) else None

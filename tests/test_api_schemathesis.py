"""Fuzz the JSON API from its own OpenAPI schema (schemathesis, in-process through the WSGI app):
whatever a caller sends, the answer is never a 5xx.

Authenticated with a real token of the school's 党务干部 (a scene built once for the module),
so the generated requests reach the selectors, the forms and the services, not just the 401.
The number of examples per operation is bounded to keep the file well under a minute.
"""

from types import SimpleNamespace

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tests.factories import make_world
from tests.helpers import module_media, new_case, one_open, scene_once
from workflows.models import CaseState
from workflows.services import api_tokens, reminders
from workflows.services import cases as svc


def build_fuzz_scene() -> SimpleNamespace:
    w = make_world()
    s = SimpleNamespace(w=w)
    s.registered = svc.case_register(actor=w.officer, teacher_id=w.candidate1.pk, kind="1")
    s.pair_task = one_open(s.registered)
    s.branch = new_case(w, "冯支部", CaseState.BRANCH_REVIEW)
    reminders.task_urge(actor=w.reviewer, task_id=s.pair_task.pk)
    s.token = api_tokens.api_token_create(actor=w.officer, name="fuzz").raw
    return s


_built = scene_once(build_fuzz_scene)


@pytest.fixture
def scene(_built, db, settings):
    module_media(settings, _built)
    return _built


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The requests go straight to the WSGI app, not through Django's test client, so Django's
    ``close_old_connections`` would run at the start and end of each one and close the test's
    connection, and with it the savepoint the scene lives in (PostgreSQL: "the connection is
    closed"). Django's test client detaches it the same way while it handles a request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


# The project's WSGI application, built here rather than imported from project.wsgi: its
# middleware reads the settings once, when built, and this module is imported before the suite's
# plain-HTTP settings (tests/conftest.py) apply, so the HTTPS redirect is switched off for it here.
# (``schemathesis.pytest.from_fixture`` would load it lazily, but does not run under pytest 9.)
with override_settings(SECURE_SSL_REDIRECT=False):
    application = get_wsgi_application()
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_input_makes_the_api_fail(case, scene):
    case.call_and_validate(headers={"Authorization": f"Bearer {scene.token}"}, checks=[not_a_server_error])

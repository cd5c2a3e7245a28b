import os

import pytest
from django.test import override_settings

from tests.browser import demo_server  # noqa: F401 - the seeded demo server, one per browser test module
from tests.factories import make_world

# The test client (http://testserver) and the browser tests (http://127.0.0.1) speak plain HTTP,
# as an intranet with PLAIN_HTTP=1 does (docs/security.md). project.settings was imported before
# this file, so this process takes the switch's settings from the fixture below, and the servers
# the tests start take it from the environment. tests/test_security.py checks the HTTPS
# defaults in fresh processes without it.
os.environ["PLAIN_HTTP"] = "1"


@pytest.fixture(autouse=True, scope="session")
def _plain_http():
    with override_settings(
        SECURE_SSL_REDIRECT=False,
        SECURE_HSTS_SECONDS=0,
        SECURE_HSTS_INCLUDE_SUBDOMAINS=False,
        SECURE_HSTS_PRELOAD=False,
        SESSION_COOKIE_SECURE=False,
        CSRF_COOKIE_SECURE=False,
    ):
        yield


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The named users are created for every test; PBKDF2 would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_workday_table():
    # workflows/workdays.py keeps the city's table per process; a test's rows are rolled back
    # without a signal, so each test starts without the copy.
    from workflows.workdays import forget_overrides

    forget_overrides()
    yield
    forget_overrides()


@pytest.fixture
def world(db):
    return make_world()


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    # Uploaded files go to a fresh folder per test, never into the checkout.
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "attachments"
    settings.EXPORTS_ROOT = tmp_path / "exports"


@pytest.fixture
def in_semester():
    """Pin "now" to a weekday inside the autumn semester, for tests that need this semester's
    典型案例 and 论文 tasks (in August there are none) whatever day the suite runs."""
    import datetime
    import zoneinfo
    from unittest import mock

    now = datetime.datetime(2026, 11, 16, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    with mock.patch("django.utils.timezone.now", lambda: now):
        yield now

import pytest

from tests.factories import make_world


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The named users are created for every test; PBKDF2 would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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

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

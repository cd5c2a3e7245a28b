import pytest

from tests.factories import make_world


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The named users are created for every test; PBKDF2 would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db):
    return make_world()

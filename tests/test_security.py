"""The door (issue 9): login throttling and its release by the city, the refused default
SECRET_KEY, ``check --deploy`` under the production settings, and 503 when the database is lost.
"""

import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.db import OperationalError, transaction
from django.test import Client, override_settings

from tests.factories import make_world
from tests.helpers import FAST_HASHERS, refused, snapshot
from workflows.models import AuditAction, AuditEvent

ROOT = Path(__file__).resolve().parent.parent
LOGIN = "/accounts/login/"
LOCKOUTS = "/inbox/security/lockouts/"
RELEASE = "/inbox/security/lockouts/release/"


@pytest.fixture(scope="module")
def _built(django_db_setup, django_db_blocker):
    """The named users, built once for the module (as ``tests.helpers.scene_once`` does) but on
    the real clock: django-axes stamps attempts with the model's ``auto_now_add`` and measures
    the cool-off from its own clock, so a frozen one would age every attempt out at once."""
    with django_db_blocker.unblock(), transaction.atomic(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        yield make_world()
        transaction.set_rollback(True)


@pytest.fixture
def scene(_built, db):
    assert not AccessAttempt.objects.exists(), "a previous test's failed logins leaked"
    return _built


def _login(username, password, ip="10.0.0.1"):
    """One try at the login form, from ``ip``, in a fresh browser."""
    return Client(REMOTE_ADDR=ip).post(LOGIN, {"username": username, "password": password})


def _fail(username, times, ip="10.0.0.1"):
    return [_login(username, "wrong-password", ip).status_code for _ in range(times)]


def _door() -> dict:
    """What a refused release must leave as it was: the attempts and the audit trail."""
    return {
        "attempts": sorted(AccessAttempt.objects.values_list("username", "ip_address", "failures_since_start")),
        **snapshot(),
    }


# --- login throttling -------------------------------------------------------------------


def test_the_tenth_failure_on_an_account_locks_it_from_every_address(scene):
    assert settings.AXES_ENABLED and settings.AXES_FAILURE_LIMIT == 10
    # Nine failures from nine addresses: each answered by the login form again.
    for i in range(9):
        assert _fail("school_officer", 1, ip=f"10.0.1.{i}") == [200]
    # The tenth locks the account: a Chinese page, 429.
    locked = _login("school_officer", "wrong-password", ip="10.0.1.99")
    assert locked.status_code == 429
    assert "登录已被暂时锁定" in locked.content.decode()
    assert "30 分钟后再试" in locked.content.decode()
    # Now even the right password is refused, from a fresh address too; other accounts still log in.
    right = _login("school_officer", "pw-school_officer", ip="10.0.2.1")
    assert right.status_code == 429
    other = _login("heshan_reviewer", "pw-heshan_reviewer", ip="10.0.2.1")
    assert other.status_code == 302 and other["Location"] == settings.LOGIN_REDIRECT_URL
    # Every failure is logged with its account and address.
    assert AccessFailureLog.objects.filter(username="school_officer").count() == 11
    assert AccessFailureLog.objects.filter(username="school_officer", locked_out=True).exists()


def test_ten_failures_from_one_address_lock_the_address_for_every_account(scene):
    # A password spray: one address, a different account each time.
    names = ["outsider", "county_auditor", "taojiang_officer", "direct_officer", "branch_secretary"]
    codes = [_login(names[i % len(names)], "wrong-password", ip="10.9.9.9").status_code for i in range(10)]
    assert codes == [200] * 9 + [429]
    # The address is held back even for a right password of an account it never tried ...
    assert _login("heshan_reviewer", "pw-heshan_reviewer", ip="10.9.9.9").status_code == 429
    # ... while those accounts (two failures each, far from ten) log in from elsewhere.
    assert _login("outsider", "pw-outsider", ip="10.9.9.10").status_code == 302


def test_successful_logins_do_not_count_and_failures_below_the_limit_do_not_lock(scene):
    # The browser tests log in through the form many times from 127.0.0.1.
    for _ in range(15):
        assert _login("school_officer", "pw-school_officer", ip="127.0.0.1").status_code == 302
    assert _fail("school_officer", 9, ip="127.0.0.1") == [200] * 9
    assert _login("school_officer", "pw-school_officer", ip="127.0.0.1").status_code == 302


def test_behind_the_tls_proxy_the_address_is_the_one_the_proxy_forwarded(scene, settings):
    settings.BEHIND_TLS_PROXY = True
    proxy = {"REMOTE_ADDR": "127.0.0.1"}

    def attempt(forwarded, username, password):
        client = Client(**proxy, HTTP_X_FORWARDED_FOR=forwarded)
        return client.post(LOGIN, {"username": username, "password": password}).status_code

    # The client forges a first entry each time; nginx appends the real one last.
    codes = [attempt(f"198.51.100.{i}, 10.7.7.7", f"nobody{i}", "wrong") for i in range(10)]
    assert codes == [200] * 9 + [429]
    assert attempt("10.7.7.7", "outsider", "pw-outsider") == 429
    # Another user behind the same proxy is not the locked address.
    assert attempt("10.7.7.8", "outsider", "pw-outsider") == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"10.7.7.7"}


def test_without_the_proxy_a_forwarded_header_is_ignored(scene):
    for i in range(3):
        Client(REMOTE_ADDR="10.8.8.8", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}").post(
            LOGIN, {"username": "nobody", "password": "wrong"}
        )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"10.8.8.8"}


# --- the city releases a lock -----------------------------------------------------------


def test_the_city_lists_and_releases_a_locked_account_and_it_is_audited(scene):
    _fail("school_officer", 10, ip="10.0.3.1")
    city = Client()
    city.force_login(scene.city_admin)
    page = city.get(LOCKOUTS)
    assert page.status_code == 200
    body = page.content.decode()
    assert "school_officer" in body and "10.0.3.1" in body and "解除锁定" in body
    before = AuditEvent.objects.count()

    response = city.post(RELEASE, {"kind": "username", "value": "school_officer"})
    assert response.status_code == 302 and response["Location"] == LOCKOUTS
    page = city.get(LOCKOUTS).content.decode()
    assert "已解除“school_officer”的登录锁定" in page
    # The same ten failures were what locked the address: the page says it is released too.
    assert "登录地址“10.0.3.1”的锁定，它们也一并解除" in page
    event = AuditEvent.objects.get(action=AuditAction.LOCKOUT_RELEASE)
    assert AuditEvent.objects.count() == before + 1
    assert event.case_id is None and event.actor == scene.city_admin and event.org == scene.city
    assert event.changes == {
        "username": "school_officer",
        "failures": 10,
        "cleared_ip_address": {"10.0.3.1": 10},
        "also_unlocked_ip_address": ["10.0.3.1"],
    }
    # The teacher logs in again at once.
    assert _login("school_officer", "pw-school_officer", ip="10.0.3.1").status_code == 302


def test_the_city_releases_a_locked_address(scene):
    for i in range(10):
        _login(f"nobody{i}", "wrong-password", ip="10.0.4.4")
    city = Client()
    city.force_login(scene.city_admin)
    assert "10.0.4.4" in city.get(LOCKOUTS).content.decode()
    assert city.post(RELEASE, {"kind": "ip_address", "value": "10.0.4.4"}).status_code == 302
    assert AuditEvent.objects.get(action=AuditAction.LOCKOUT_RELEASE).changes == {
        "ip_address": "10.0.4.4",
        "failures": 10,
        "cleared_username": {f"nobody{i}": 1 for i in range(10)},
        "also_unlocked_username": [],  # none of those accounts was locked
    }
    assert _login("outsider", "pw-outsider", ip="10.0.4.4").status_code == 302
    assert "当前没有被锁定的账号或登录地址" in city.get(LOCKOUTS).content.decode()


def test_releasing_an_account_keeps_an_address_locked_by_other_failures(scene):
    """The account's failures leave the address's count; what else the address tried keeps it locked."""
    _fail("school_officer", 10, ip="10.0.6.6")
    for i in range(10):
        _login(f"sprayed{i}", "wrong-password", ip="10.0.6.6")
    city = Client()
    city.force_login(scene.city_admin)
    assert city.post(RELEASE, {"kind": "username", "value": "school_officer"}).status_code == 302
    event = AuditEvent.objects.get(action=AuditAction.LOCKOUT_RELEASE)
    assert event.changes["cleared_ip_address"] == {"10.0.6.6": 10}
    assert event.changes["also_unlocked_ip_address"] == []
    page = city.get(LOCKOUTS).content.decode()
    assert "一并解除" not in page
    assert "10.0.6.6" in page  # still listed as locked
    assert _login("outsider", "pw-outsider", ip="10.0.6.6").status_code == 429


def test_releasing_what_is_not_locked_answers_409_and_changes_nothing(scene):
    _fail("school_officer", 3)
    city = Client()
    city.force_login(scene.city_admin)
    before = _door()
    refused(city.post(RELEASE, {"kind": "username", "value": "school_officer"}), 409, "当前没有被锁定")
    refused(city.post(RELEASE, {"kind": "user_agent", "value": "x"}), 400, "请从锁定列表中选择")
    assert _door() == before


@pytest.mark.parametrize(
    "who", ["outsider", "officer", "reviewer", "other_officer", "other_reviewer", "auditor", "member_mentor"]
)
def test_only_the_city_sees_and_releases_lockouts(scene, who):
    _fail("school_officer", 10)
    user = getattr(scene, who)
    user = getattr(user, "user", user)  # a mentor is a Teacher with an account
    client = Client()
    client.force_login(user)
    before = _door()
    refused(client.get(LOCKOUTS), 403, "只有市级管理员")
    refused(client.post(RELEASE, {"kind": "username", "value": "school_officer"}), 403, "只有市级管理员")
    assert _door() == before
    assert "security/lockouts" not in client.get("/inbox/").content.decode()


def test_the_signed_in_user_comes_with_its_teacher_row(scene, django_assert_num_queries):
    """Signed in through the form (django-axes first, then workflows.auth_backend), a request's
    user is read with its teacher record: the audit trail's name costs no query of its own,
    for a teacher (their record's name) and for a user with none (their account's name)."""
    from django.contrib.auth import get_user
    from django.test import RequestFactory

    from workflows.services.audit import actor_display_name

    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    mentor = scene.member_mentor.user
    mentor.set_password("pw-mentor")
    mentor.save()
    for user, password, name in [
        (mentor, "pw-mentor", scene.member_mentor.name),
        (scene.secretary, "pw-branch_secretary", "支部书记"),
    ]:
        client = Client(REMOTE_ADDR="10.0.3.1")
        assert client.post(LOGIN, {"username": user.username, "password": password}).status_code == 302
        request = RequestFactory().get("/inbox/")
        request.session = client.session
        with django_assert_num_queries(2):  # the session, the user with its teacher
            signed_in = get_user(request)
            assert actor_display_name(signed_in) == name
        assert signed_in.pk == user.pk


def test_anonymous_is_sent_to_the_login_page(scene):
    response = Client().get(LOCKOUTS)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")
    assert Client().post(RELEASE, {"kind": "username", "value": "x"}).status_code == 302


# --- SECRET_KEY and check --deploy, in fresh processes ----------------------------------


def _env(tmp_path, **extra) -> dict:
    """A production environment: DEBUG off, HTTPS on, no key from the environment or a file."""
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "PLAIN_HTTP", "DEBUG", "DATABASE_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="project.settings",
        SECRET_KEY_FILE=str(tmp_path / "no-such-key"),
        SQLITE_PATH=str(tmp_path / "db.sqlite3"),
        ALLOWED_HOSTS="shuangpei.example.org",
    )
    env.update(extra)
    return env


def _run(args, env):
    return subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)


SETUP = [sys.executable, "-c", "import django; django.setup(); print('started')"]


@pytest.mark.parametrize(
    "key", [None, "", "   ", "dev-only-not-secret-shuangpei", "django-insecure-" + "x1y2z3" * 9, "short"]
)
def test_with_debug_off_the_app_refuses_to_start_without_a_real_secret_key(tmp_path, key):
    env = _env(tmp_path) if key is None else _env(tmp_path, SECRET_KEY=key)
    result = _run(SETUP, env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY is missing or not secret (DEBUG is off)" in result.stderr
    assert "started" not in result.stdout


def test_with_a_real_key_from_the_environment_or_the_key_file_it_starts(tmp_path):
    assert _run(SETUP, _env(tmp_path, SECRET_KEY=secrets.token_urlsafe(50))).stdout.strip() == "started"
    key_file = tmp_path / "secret_key"
    key_file.write_text(secrets.token_urlsafe(50) + "\n")
    assert _run(SETUP, _env(tmp_path, SECRET_KEY_FILE=str(key_file))).stdout.strip() == "started"
    # DEBUG on (a developer's machine) may go without one.
    assert _run(SETUP, _env(tmp_path, DEBUG="1")).stdout.strip() == "started"


def test_check_deploy_reports_no_issues_under_the_production_settings(tmp_path):
    manage = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    result = _run(manage, _env(tmp_path, SECRET_KEY=secrets.token_urlsafe(50)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    # The one intranet switch turns HTTPS off, and check --deploy says so (docs/security.md).
    plain = _run(manage, _env(tmp_path, SECRET_KEY=secrets.token_urlsafe(50), PLAIN_HTTP="1"))
    assert plain.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in plain.stderr + plain.stdout


def test_nothing_is_silenced():
    assert not getattr(settings, "SILENCED_SYSTEM_CHECKS", [])


# --- a lost database answers 503 --------------------------------------------------------


@pytest.fixture
def officer_client(scene):
    client = Client()
    client.force_login(scene.officer)
    return client


def _busy(response):
    assert response.status_code == 503
    assert response["Retry-After"]
    body = response.content.decode()
    assert "系统繁忙，请稍后再试" in body
    return body


def test_a_database_error_in_a_view_answers_503_in_chinese(scene):
    # Raised in the view itself: the middleware answers, Django never sees an error.
    city = Client()
    city.force_login(scene.city_admin)
    lost = OperationalError("server closed the connection unexpectedly")
    with mock.patch("workflows.services.security.current_lockouts", side_effect=lost):
        _busy(city.get(LOCKOUTS))


def test_a_database_error_in_a_middleware_answers_503_too(officer_client):
    # Raised while viewflow's middleware builds the menu counts: handler500 answers.
    client = Client(raise_request_exception=False)
    client.cookies = officer_client.cookies
    with mock.patch("workflows.selectors.menu_counts", side_effect=OperationalError("server closed")):
        _busy(client.get("/inbox/"))


def test_other_errors_are_still_500(officer_client):
    client = Client(raise_request_exception=False)
    client.cookies = officer_client.cookies
    with mock.patch("workflows.selectors.menu_counts", side_effect=RuntimeError("a bug")):
        response = client.get("/inbox/")
    assert response.status_code == 500
    assert "系统繁忙" not in response.content.decode()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


def test_a_database_that_cannot_be_reached_answers_503(tmp_path):
    """The real thing: the app pointed at a PostgreSQL port where nothing listens."""
    url = f"postgres://shuangpei@127.0.0.1:{_closed_port()}/shuangpei?connect_timeout=2"
    code = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "client = Client(raise_request_exception=False, HTTP_HOST='shuangpei.example.org')\n"
        "client.cookies['sessionid'] = 'a' * 32  # a returning user: the session is read from the database\n"
        "r = client.get('/inbox/', secure=True)\n"
        "print('GET /inbox/', r.status_code, '系统繁忙，请稍后再试' in r.content.decode())\n"
        "r = client.post('/accounts/login/', {'username': 'a', 'password': 'b'}, secure=True)\n"
        "print('POST /accounts/login/', r.status_code, '系统繁忙，请稍后再试' in r.content.decode())\n"
    )
    result = _run([sys.executable, "-c", code], _env(tmp_path, SECRET_KEY=secrets.token_urlsafe(50), DATABASE_URL=url))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["GET /inbox/ 503 True", "POST /accounts/login/ 503 True"], result.stdout

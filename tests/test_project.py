"""Project-wide checks: migrations match the models, the UI speaks Chinese by default."""

from io import StringIO

from django.core.management import call_command
from django.test import Client
from django.utils import translation


def test_no_pending_migrations(db):
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)


def test_viewflow_strings_are_translated_by_our_catalogue():
    # viewflow's own zh_Hans catalogue leaves these empty; locale/ fills them (compiled by scripts/test.sh).
    with translation.override("zh-hans"):
        assert translation.gettext("Log out") == "退出登录"
        assert translation.gettext("Viewflow Demo suite") == "益阳市教育系统“双培”工程"


def test_login_page_is_chinese_whatever_the_browser_asks(db):
    body = Client(HTTP_ACCEPT_LANGUAGE="en-US").get("/accounts/login/").content.decode()
    assert "登录" in body and "用户名" in body and "Log in" not in body


def _database_settings(expression: str, url: str | None, **env) -> list:
    """``expression`` (of ``d``, the default database's settings) as a fresh process reads it from
    project/settings.py with ``url`` as DATABASE_URL (None: SQLite) and ``env``; the database
    variables the tests set apart are not inherited."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"d = settings.DATABASES['default']; print(json.dumps({expression}))"
    )
    inherited = {
        k: v for k, v in os.environ.items() if k not in ("DB_CONN_MAX_AGE", "DB_PREPARED_READS", "DATABASE_URL")
    }
    inherited |= {"DJANGO_SETTINGS_MODULE": "project.settings", "PLAIN_HTTP": "1", **env}
    if url:
        inherited["DATABASE_URL"] = url
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=inherited, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


PG_URL = "postgres://shuangpei@127.0.0.1:5432/shuangpei"


def test_production_keeps_its_database_connections_with_health_checks():
    """deploy/env.example's DB_CONN_MAX_AGE reaches the PostgreSQL settings, checked before reuse;
    without it a connection lasts one request (Django's default)."""
    from pathlib import Path

    def read(**extra):
        return _database_settings("[d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS']]", PG_URL, **extra)

    assert read(DB_CONN_MAX_AGE="60") == [60, True]
    assert read() == [0, True]
    root = Path(__file__).resolve().parent.parent
    assert "DB_CONN_MAX_AGE=60" in (root / "deploy" / "env.example").read_text()


def test_postgresql_binds_parameters_on_the_server_for_the_prepared_reads():
    """On PostgreSQL the server binds the parameters, so workflows/kept.KeptQuery's reads can be
    prepared (issue 13); nothing is prepared automatically (no prepare_threshold: Django's
    default); DB_PREPARED_READS=0 turns it off, and SQLite is untouched."""

    def read(url, **extra):
        expression = "[d.get('OPTIONS', {}).get('server_side_binding'), d.get('OPTIONS', {}).get('prepare_threshold')]"
        return _database_settings(expression, url, **extra)

    assert read(PG_URL) == [True, None]
    assert read(PG_URL, DB_PREPARED_READS="0") == [None, None]
    assert read(None) == [None, None]

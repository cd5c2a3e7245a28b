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


def test_production_keeps_its_database_connections_with_health_checks():
    """deploy/env.example's DB_CONN_MAX_AGE reaches the PostgreSQL settings, checked before reuse;
    without it a connection lasts one request (Django's default)."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "d = settings.DATABASES['default']; print(json.dumps([d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS']]))"
    )

    def read(**extra):
        env = {k: v for k, v in os.environ.items() if k != "DB_CONN_MAX_AGE"}
        env |= {"DJANGO_SETTINGS_MODULE": "project.settings", "PLAIN_HTTP": "1", **extra}
        env["DATABASE_URL"] = "postgres://shuangpei@127.0.0.1:5432/shuangpei"
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    assert read(DB_CONN_MAX_AGE="60") == [60, True]
    assert read() == [0, True]
    assert "DB_CONN_MAX_AGE=60" in (root / "deploy" / "env.example").read_text()


def test_postgresql_binds_parameters_on_the_server_for_the_prepared_reads():
    """On PostgreSQL the server binds the parameters, so workflows/kept.KeptQuery's reads can be
    prepared (issue 13); nothing is prepared automatically (no prepare_threshold: Django's
    default); DB_PREPARED_READS=0 turns it off, and SQLite is untouched."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "o = settings.DATABASES['default'].get('OPTIONS', {}); "
        "print(json.dumps([o.get('server_side_binding'), o.get('prepare_threshold')]))"
    )

    def read(url, **extra):
        env = {k: v for k, v in os.environ.items() if k not in ("DB_PREPARED_READS", "DATABASE_URL")}
        env |= {"DJANGO_SETTINGS_MODULE": "project.settings", "PLAIN_HTTP": "1", **extra}
        if url:
            env["DATABASE_URL"] = url
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    pg = "postgres://shuangpei@127.0.0.1:5432/shuangpei"
    assert read(pg) == [True, None]
    assert read(pg, DB_PREPARED_READS="0") == [None, None]
    assert read(None) == [None, None]

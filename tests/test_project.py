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

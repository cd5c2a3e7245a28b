"""The production stack for real: gunicorn with deploy/gunicorn.conf.py, DEBUG off, a real
SECRET_KEY, static files collected with the hashing storage and served by WhiteNoise.

It starts gunicorn (2 workers) on a free port against a fresh SQLite database migrated here,
and loads what a browser loads first: the login page, a CSS file of viewflow's frontend
and ``/healthz``. The stack does not depend on the database engine, so it runs on the SQLite
leg of CI only (the PostgreSQL leg would spend the same ~15 s proving the same thing).
"""

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="the production stack runs on the SQLite leg of CI"
)

# collectstatic exactly as deployed, except that only CSS is precompressed: gzip + brotli of
# viewflow's JavaScript takes ~30 s of CPU, and the test checks compression on the CSS alone.
COLLECT_SETTINGS = """\
from project.settings import *  # noqa: F403

WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [
    "js", "map", "json", "svg", "txt", "md", "html", "png", "jpg", "gif", "ico",
    "woff", "woff2", "ttf", "eot", "otf", "LICENSE",
]
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, **headers: str):
    """(status, headers, body) of a GET, whatever the status."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("production")
    (tmp / "collect_settings.py").write_text(COLLECT_SETTINGS, encoding="utf-8")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        # Plain HTTP on 127.0.0.1: the documented intranet switch (no HTTPS redirect, no HSTS).
        PLAIN_HTTP="1",
        ALLOWED_HOSTS="127.0.0.1",
        SQLITE_PATH=str(tmp / "db.sqlite3"),
        STATIC_ROOT=str(tmp / "static"),
        STATIC_MANIFEST="1",
        PRIVATE_MEDIA_ROOT=str(tmp / "attachments"),
        EXPORTS_ROOT=str(tmp / "exports"),
        SECRET_KEY_FILE=str(tmp / "no_secret_key_file"),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="2",
        PYTHONPATH=os.pathsep.join([str(ROOT), str(tmp)]),
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    # The two deploy steps, side by side (they touch different things).
    steps = [
        subprocess.Popen([*manage, "migrate", "--noinput", "-v0"], env=env, cwd=ROOT),
        subprocess.Popen(
            [*manage, "collectstatic", "--noinput", "-v0"],
            env={**env, "DJANGO_SETTINGS_MODULE": "collect_settings"},
            cwd=ROOT,
        ),
    ]
    assert [step.wait(timeout=120) for step in steps] == [0, 0], "migrate or collectstatic failed"
    log = open(tmp / "gunicorn.log", "wb")  # closed at teardown
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py")],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            log.close()
            raise RuntimeError("gunicorn did not start:\n" + (tmp / "gunicorn.log").read_text(errors="replace"))
        try:
            if _get(f"{base}/healthz")[0] == 200:
                break
        except OSError:
            pass
        time.sleep(0.2)
    yield {"base": base, "static_root": tmp / "static", "log": tmp / "gunicorn.log"}
    server.send_signal(signal.SIGINT)  # gunicorn's quick shutdown; SIGTERM waits for workers
    server.wait(timeout=20)
    log.close()


def test_login_page_is_served_in_chinese(stack):
    status, headers, body = _get(f"{stack['base']}/accounts/login/", **{"Accept-Language": "en-US"})
    assert status == 200
    page = body.decode()
    assert "登录" in page and "用户名" in page
    # DEBUG off: no debug toolbar or technical page, and the security headers are on.
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_viewflow_css_comes_hashed_cached_and_compressed_from_whitenoise(stack):
    page = _get(f"{stack['base']}/accounts/login/")[2].decode()
    links = re.findall(r'<link[^>]+href="(/static/[^"]+\.css)"', page)
    viewflow_css = [href for href in links if href.startswith("/static/viewflow/")]
    assert viewflow_css, f"no viewflow stylesheet linked from the login page: {links}"
    href = viewflow_css[0]
    # The manifest storage put a content hash in the name (…/name.0123456789ab.css).
    assert re.search(r"\.[0-9a-f]{12}\.css$", href), href

    status, headers, body = _get(stack["base"] + href)
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    # A hashed name never changes content, so WhiteNoise lets browsers keep it for ten years.
    assert "immutable" in headers["Cache-Control"] and "max-age=315360000" in headers["Cache-Control"]
    assert body.strip()

    # Precompressed by collectstatic, served compressed to a client that accepts it.
    status, headers, compressed = _get(stack["base"] + href, **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert len(compressed) < len(body)

    # The file really is the package's own (collected, not copied into this repository).
    assert (stack["static_root"] / href.removeprefix("/static/")).is_file()
    assert (stack["static_root"] / "staticfiles.json").is_file()


def test_admin_static_is_served_too(stack):
    manifest = json.loads((stack["static_root"] / "staticfiles.json").read_text())
    hashed = manifest["paths"]["admin/css/base.css"]
    status, headers, _ = _get(f"{stack['base']}/static/{hashed}")
    assert status == 200 and headers["Content-Type"].startswith("text/css")


def test_healthz_answers_ok(stack):
    status, headers, body = _get(f"{stack['base']}/healthz")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"status": "ok", "database": "ok"}


def test_gunicorn_runs_two_workers(stack):
    booted = re.findall(r"Booting worker with pid: (\d+)", stack["log"].read_text(errors="replace"))
    assert len(set(booted)) == 2

"""The seeded demo server and Chromium's flags, shared by the browser tests.

Each browser test module gets its own server (``demo_server`` is module-scoped): migrate,
seed_demo and runserver on a fresh SQLite file, DEBUG off, plain HTTP, as a newcomer's demo.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """The demo exactly as a newcomer gets it: migrate, seed_demo, runserver on SQLite."""
    db_path = tmp_path_factory.mktemp("browser") / "demo.sqlite3"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(SQLITE_PATH=str(db_path), DJANGO_SETTINGS_MODULE="project.settings", DEBUG="0", PLAIN_HTTP="1")
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run([*manage, "seed_demo"], env=env, check=True, cwd=ROOT, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [*manage, "runserver", "--insecure", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        server.kill()
        raise RuntimeError("the demo server did not start")
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=10)

# ruff: noqa: E402, E501, B905  (a probe run as a script: imports after django.setup())
"""Inbox pages for the busy officer of bench/inbox.py's database, through django.test.Client: the
status, wall time (p50, max), this process's CPU (the app, not PostgreSQL) and the queries of a
page. Self-contained, so it can be copied into a checkout of an older commit and run against the
same database (docs/performance.md, the "before" figures).

    .venv/bin/python bench/page_cpu.py [REPS] [URL ...]
"""

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shuangpei_bench")
os.environ.setdefault("PLAIN_HTTP", "1")
import django

django.setup()
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

c = Client()
c.force_login(get_user_model().objects.get(username="busy_officer"))
print(open("/proc/loadavg").read().strip())
for url, params in [(u, {}) for u in sys.argv[2:]] or [
    ("/inbox/", {}),
    ("/inbox/queue/", {}),
    ("/inbox/queue/", {"kind": "1"}),
    ("/inbox/queue/", {"q": "晓"}),
    ("/inbox/queue/", {"unit": "2"}),
    ("/inbox/", {"kind": "1"}),
]:
    for _ in range(3):
        c.get(url, params)
    w, p = [], []
    for _ in range(int(sys.argv[1]) if len(sys.argv) > 1 else 20):
        t, q = time.perf_counter(), time.process_time()
        r = c.get(url, params)
        w.append((time.perf_counter() - t) * 1000)
        p.append((time.process_time() - q) * 1000)
    with CaptureQueriesContext(connection) as ctx:
        c.get(url, params)
    print(
        f"{url:16} {str(params):16} status {r.status_code} wall p50 {statistics.median(w):7.1f} max {max(w):7.1f}"
        f"  cpu(app) p50 {statistics.median(p):6.1f} ms  queries {len(ctx)}"
    )
print(open("/proc/loadavg").read().strip())

# ruff: noqa: E402, E501, B905  (a probe run as a script: imports after django.setup())
"""A quick look at a few inbox pages for the busy officer (p50, max, queries), e.g. from a checkout of
an older commit against the same database (docs/performance.md, "before").

    .venv/bin/python bench/inbox_pages.py [REPS]
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
for url, params in [
    ("/inbox/", {}),
    ("/inbox/queue/", {}),
    ("/inbox/queue/", {"kind": "1"}),
    ("/inbox/queue/", {"q": "晓"}),
    ("/inbox/", {"kind": "1"}),
]:
    c.get(url, params)
    times = []
    for _ in range(int(sys.argv[1]) if len(sys.argv) > 1 else 5):
        t = time.perf_counter()
        r = c.get(url, params)
        times.append((time.perf_counter() - t) * 1000)
    with CaptureQueriesContext(connection) as ctx:
        c.get(url, params)
    print(
        f"{url:16} {str(params):16} status {r.status_code} p50 {statistics.median(times):8.1f} max {max(times):8.1f} ms  queries {len(ctx)}"
    )
print(open("/proc/loadavg").read().strip())

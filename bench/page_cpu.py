# ruff: noqa: E402, E501, B905  (a probe run as a script: imports after django.setup())
"""Wall and CPU time (of this process only: the app, not PostgreSQL) of inbox pages for the busy
officer of bench/inbox.py's database, through django.test.Client.

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
from django.test import Client

c = Client()
c.force_login(get_user_model().objects.get(username="busy_officer"))
print(open("/proc/loadavg").read().strip())
for url, params in [(u, {}) for u in sys.argv[2:]] or [
    ("/inbox/", {}),
    ("/inbox/queue/", {}),
    ("/inbox/queue/", {"kind": "1"}),
    ("/inbox/queue/", {"q": "晓"}),
    ("/inbox/queue/", {"unit": "2"}),
]:
    for _ in range(3):
        c.get(url, params)
    w, p = [], []
    for _ in range(int(sys.argv[1]) if len(sys.argv) > 1 else 20):
        t, q = time.perf_counter(), time.process_time()
        c.get(url, params)
        w.append((time.perf_counter() - t) * 1000)
        p.append((time.process_time() - q) * 1000)
    print(
        f"{url:16} {str(params):16} wall p50 {statistics.median(w):6.1f}  cpu(app) p50 {statistics.median(p):6.1f} ms"
    )

# ruff: noqa: E402, E501, B905  (a probe run as a script: imports after django.setup())
"""EXPLAIN (ANALYZE, BUFFERS) of the 待认领 page's COUNT and page-ids queries for the busy officer of
bench/inbox.py's database (kind=1 by default; the first argument another 类别). Run from a checkout:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shuangpei_bench .venv/bin/python bench/inbox_explain.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shuangpei_bench")
import django

django.setup()
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from workflows import selectors

u = get_user_model().objects.get(username="busy_officer")
selectors.user_assignments(u)
base = selectors.queue_for_user(u)
if hasattr(base, "ready"):
    base = base.ready()
kind = sys.argv[1] if len(sys.argv) > 1 else "1"
qs = selectors.filter_tasks(base, kind=kind).order_by("due_at", "id")
with CaptureQueriesContext(connection) as ctx:
    qs.count()
    list(qs.values_list("pk", flat=True)[:25])
for label, q in zip(("COUNT", "page ids"), ctx.captured_queries):
    with connection.cursor() as c:
        for _ in range(3):
            c.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
            rows = c.fetchall()
        print(f"--- {label} ---\n{q['sql']}")
        print("\n".join(r[0] for r in rows))

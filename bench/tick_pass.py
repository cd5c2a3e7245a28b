# ruff: noqa: E402, E501, B905  (a probe run as a script: imports after django.setup())
"""Time one ``tick()`` pass in the steady state of a running system, on bench/inbox.py's database:
every reminder whose moment has passed marked sent (bench/province.py's ``mark_history_reminded``,
once), every 培养中 case synced today. Changes that database (reminder rows, escalations).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shuangpei_bench .venv/bin/python bench/tick_pass.py
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shuangpei_bench")
import django

django.setup()
from django.db import connection
from django.utils import timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
with connection.cursor() as c:
    c.execute("SELECT to_regclass('province_fake_reminder')")
    marked = c.fetchone()[0] is not None
if not marked:
    import province

    t = time.perf_counter()
    province.mark_history_reminded()
    print(f"marked the seeded history as reminded in {time.perf_counter() - t:.0f} s")
with connection.cursor() as c:
    c.execute("UPDATE workflows_case SET obligations_synced_on = %s WHERE state = 'training'", [timezone.localdate()])
from workflows.services.reminders import tick

print(open("/proc/loadavg").read().strip())
t = time.perf_counter()
p = time.process_time()
from django.test.utils import CaptureQueriesContext

with CaptureQueriesContext(connection) as ctx:
    r = tick()
print(
    f"one tick pass: {time.perf_counter() - t:.1f} s wall, {time.process_time() - p:.1f} s cpu, {len(ctx)} queries; report {r}"
)
print(open("/proc/loadavg").read().strip())

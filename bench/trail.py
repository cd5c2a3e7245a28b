"""Trail page benchmark (issue 13, part 4): a 200-event case's 审计轨迹 page, whole HTTP request.

    .venv/bin/python bench/trail.py [--events 200] [--runs 20] [--profile]

Builds, in a throwaway SQLite database (DATABASE_URL is ignored), the tests' small world and one
类别1 case holding ``--events`` audit events (bench/as_of.build_case: records, corrections,
认领 / 放回), then GETs ``/inbox/cases/<id>/audit/`` as the county's auditor through Django's test
client ``--runs`` times after a warm-up, and prints the median wall and CPU time (target ≤ 50
ms) and the queries of one request. ``--profile`` prints cProfile's top functions for one request.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).absolute().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

TARGET_MS = 50.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    from as_of import build_case, prepare_database, throwaway_sqlite

    tmp = throwaway_sqlite("shuangpei-bench-trail-")
    import os

    os.environ.setdefault("PLAIN_HTTP", "1")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    # Not setup_test_environment(): its instrumented template rendering would be timed too.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    prepare_database(Path(tmp.name) / "media")
    from tests.factories import make_world
    from workflows.models import AuditEvent

    world = make_world()
    case = build_case(args.events, world=world)
    events = AuditEvent.objects.filter(case=case).count()
    client = Client()
    client.force_login(world.auditor)
    url = f"/inbox/cases/{case.pk}/audit/"
    assert client.get(url).status_code == 200  # warm-up
    times, cpu = [], []
    for _ in range(args.runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    median = statistics.median(times)
    print(
        f"trail page, {events} events: median {median:.1f} ms (min {min(times):.1f}, max {max(times):.1f}), "
        f"CPU {statistics.median(cpu):.1f} ms, {len(queries)} queries, {len(response.content) // 1024} KiB; "
        f"target ≤ {TARGET_MS:.0f} ms: {'met' if median <= TARGET_MS else 'NOT met'}"
    )
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        client.get(url)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()

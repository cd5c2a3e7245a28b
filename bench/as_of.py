"""As-of benchmark: how long rebuilding a case at a moment from its trail takes.

    .venv/bin/python bench/as_of.py [--events 200] [--runs 20]

Builds, in a throwaway SQLite database in a temporary directory (DATABASE_URL is ignored), the
tests' small world and one 类别1 case driven through the services: 登记造册, 结对 with two
mentors, 培养中, then 培养记录, their corrections, and 认领 / 放回 of the 提交 step until the case
holds ``--events`` audit events. It then times ``workflows.as_of.case_as_of`` at the moment of
the middle event, ``--runs`` times after one warm-up, and prints the median (target ≤ 20 ms),
with the process's CPU time (on a shared machine the wall time also counts waiting for a CPU)
and the number of queries one rebuild makes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).absolute().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MS = 20.0


def throwaway_sqlite(prefix: str = "shuangpei-bench-as-of-") -> tempfile.TemporaryDirectory:
    """Point Django at a SQLite file in a new temporary directory (DATABASE_URL ignored); call
    before ``django.setup()``. Keep the returned directory alive for the run."""
    tmp = tempfile.TemporaryDirectory(prefix=prefix)
    os.environ["DJANGO_SETTINGS_MODULE"] = "project.settings"
    os.environ.pop("DATABASE_URL", None)
    os.environ["SQLITE_PATH"] = str(Path(tmp.name) / "bench.sqlite3")
    return tmp


def prepare_database(media_root: Path) -> None:
    """Fast password hashing, attachments under ``media_root``, and ``migrate`` (Django set up)."""
    from django.conf import settings
    from django.core.management import call_command

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PRIVATE_MEDIA_ROOT = Path(media_root)
    call_command("migrate", verbosity=0, interactive=False)


def build_case(events: int, world=None, teacher=None):
    """One 类别1 case in 培养中 holding ``events`` audit events (the database prepared), of
    ``teacher`` (default: the world's candidate1) in ``world`` (default: a new ``make_world()``)."""
    from django.utils import timezone

    from tests.factories import make_world
    from tests.helpers import drive, one_open
    from workflows.models import AuditEvent, CaseState
    from workflows.services import cases as svc
    from workflows.services import records, tasks

    w = world or make_world()
    case = svc.case_register(actor=w.officer, teacher_id=(teacher or w.candidate1).pk, kind="1")
    case = drive(
        case,
        CaseState.TRAINING,
        officer=w.officer,
        mentors=[w.member_mentor, w.member_mentor2],
        secretary=w.secretary,
        reviewer=w.reviewer,
        city_admin=w.city_admin,
    )
    mentor = w.member_mentor.user
    today = timezone.localdate()
    written = []
    i = 0
    while AuditEvent.objects.filter(case=case).count() < events:
        i += 1
        if i % 4 == 0 and written:
            record = written.pop(0)
            written.append(
                records.record_correct(
                    actor=mentor,
                    record_id=record.pk,
                    date=record.date,
                    kind=record.kind,
                    content=record.content + "（更正）",
                    reason="补充",
                )
            )
        elif i % 4 == 1:
            step = one_open(case)
            tasks.task_claim(actor=w.officer, task_id=step.pk)
            tasks.task_unclaim(actor=w.officer, task_id=step.pk)
        else:
            written.append(
                records.record_write(
                    actor=mentor,
                    case_id=case.pk,
                    date=today,
                    kind="talk",
                    content=f"谈心谈话第 {i} 次",
                )
            )
    return case


def time_rebuild(case, runs: int = 20) -> dict:
    """Time ``case_as_of`` at the moment of the case's middle event: ``runs`` after a warm-up."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from workflows.as_of import case_as_of
    from workflows.models import AuditEvent, Case

    case = Case.objects.select_related("teacher").get(pk=case.pk)
    trail = list(AuditEvent.objects.filter(case=case).order_by("at", "id"))
    at = trail[len(trail) // 2].at
    case_as_of(case, at)  # warm-up
    times, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        view = case_as_of(case, at)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    with CaptureQueriesContext(connection) as queries:
        case_as_of(case, trail[-1].at)
    return {
        "events": len(trail),
        "state": view.state,
        "records": len(view.records),
        "runs": runs,
        "median_ms": statistics.median(times),
        "min_ms": min(times),
        "max_ms": max(times),
        "cpu_ms": statistics.median(cpu),
        "queries": len(queries),
    }


def describe(r: dict) -> str:
    return (
        f"as-of rebuild of a {r['events']}-event case (state {r['state']}, {r['records']} records then): "
        f"median {r['median_ms']:.1f} ms of {r['runs']} (min {r['min_ms']:.1f}, max {r['max_ms']:.1f}; "
        f"cpu {r['cpu_ms']:.1f} ms), "
        f"{r['queries']} queries; target ≤ {TARGET_MS:.0f} ms: {'ok' if r['median_ms'] <= TARGET_MS else 'MISSED'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    tmp = throwaway_sqlite()
    import django

    django.setup()
    prepare_database(Path(tmp.name) / "attachments")
    print(describe(time_rebuild(build_case(args.events), args.runs)))


if __name__ == "__main__":
    main()

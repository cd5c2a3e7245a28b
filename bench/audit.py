"""Audit chain benchmark (issue 10): what the hash chain costs and how long checking it takes.

    .venv/bin/python bench/audit.py [--events 1000000] [--seconds 10] [--runs 20]
                                    [--database-url postgres://postgres@127.0.0.1:5432/shuangpei_bench_audit]

SQLite by default: a throwaway file in a temporary directory. With ``--database-url`` (or
DATABASE_URL) it runs on that PostgreSQL server in a bench database it creates and drops (the
URL's database name if it contains "bench", else ``shuangpei_bench_audit``: never the database
the URL names otherwise). It prints:

(b) ``audit_verify`` time for ``--events`` chained events (target ≤ 10 s per 1,000,000): the
    events are computed in Python with ``workflows.chain.event_hash`` and inserted with
    ``executemany`` in batches of 5,000 (the append-only trigger allows INSERT; the ORM's
    bulk_create took 3x longer), then ``manage.py audit_verify
    --format json`` runs once; its wall time, the process's CPU time and the rate are printed.
    The synthetic events record no evidence rows, so ``--no-files`` would change nothing and is
    not run separately.
(d) the 核验 page (``chain.holds``) of a code in the middle of the chain, after signed
    checkpoints every ``--checkpoint-every`` events were written (as ``tick`` would have);
(c) the as-of rebuild of a 200-event case (bench/as_of.py's ``build_case`` / ``time_rebuild``),
    target ≤ 20 ms;
(a) append cost: 认领 / 放回 of a prepared case's open step through the real services
    (``task_claim`` / ``task_unclaim``, one audited event each), as many as fit in
    ``--seconds``, WITH the chain and WITHOUT it (``audit_log`` swapped, inside this process
    only, for a copy that inserts the event with a seq from a counter and empty hashes, without
    the head lock), in alternating halves, and the ratio. Run after (b) and (c): the events
    without hashes break the chain of this throwaway database.
"""

from __future__ import annotations

import argparse
import datetime
import io
import itertools
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).absolute().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import as_of  # noqa: E402  (bench/as_of.py: the case builder and the rebuild timing)

VERIFY_TARGET_S_PER_M = 10.0
BATCH = 5000
# The synthetic events name users, organisations and cases from here on (no such rows: the
# columns carry no constraint), so they stay out of the real cases' trails (the as-of case).
GHOST = 10_000_000


def log(msg: str) -> None:
    print(msg, flush=True)


# --- the database ----------------------------------------------------------------------


def pg_bench_url(url: str) -> tuple[str, dict]:
    import dj_database_url

    cfg = dj_database_url.parse(url)
    if "bench" not in (cfg["NAME"] or ""):
        cfg["NAME"] = "shuangpei_bench_audit"
    user = cfg["USER"] or "postgres"
    auth = f"{user}:{cfg['PASSWORD']}@" if cfg["PASSWORD"] else f"{user}@"
    return f"postgres://{auth}{cfg['HOST'] or '127.0.0.1'}:{cfg['PORT'] or 5432}/{cfg['NAME']}", cfg


def _admin(cfg):
    import psycopg

    return psycopg.connect(
        host=cfg["HOST"] or None,
        port=cfg["PORT"] or None,
        user=cfg["USER"] or None,
        password=cfg["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


def pg_drop(cfg) -> None:
    from psycopg import sql

    with _admin(cfg) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(cfg["NAME"])))


def pg_create(cfg) -> None:
    from psycopg import sql

    pg_drop(cfg)
    with _admin(cfg) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(cfg["NAME"])))


# --- (b) a million chained events and audit_verify ----------------------------------------

ACTIONS = ("claim", "unclaim", "record", "submit", "approve", "remind", "edit")


def insert_events(n: int) -> float:
    """Append ``n`` valid chained events after the current head; returns the seconds taken."""
    from django.db import connection, transaction

    from workflows import chain
    from workflows.models import AuditChainHead

    started = time.perf_counter()
    head = AuditChainHead.objects.filter(pk=1).first()
    seq, prev = (head.seq, head.hash) if head else (0, chain.GENESIS)
    base = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    step = datetime.timedelta(milliseconds=7)
    event_hash = chain.event_hash
    dumps = json.dumps
    adapt = connection.ops.adapt_datetimefield_value
    columns = "seq, at, prev_hash, hash, actor_id, actor_name, role, org_id, case_id, task_id_ref, action, "
    columns += "from_state, to_state, reason, changes, evidence"
    json_param = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    insert = (
        f"INSERT INTO workflows_auditevent ({columns}) VALUES ({', '.join(['%s'] * 14)}, {json_param}, {json_param})"
    )
    done = 0
    while done < n:
        batch = []
        for _ in range(min(BATCH, n - done)):
            seq += 1
            done += 1
            at = base + step * seq
            action = ACTIONS[seq % len(ACTIONS)]
            fields = {
                "actor_id": GHOST + seq % 97,
                "actor_name": f"教师{seq % 997}",
                "role": "officer" if seq % 3 else "",
                "org_id": GHOST + seq % 31,
                "case_id": GHOST + seq % 5003,
                "task_id_ref": seq if seq % 2 else None,
                "action": action,
                "from_state": "training",
                "to_state": "training" if seq % 11 else "review",
                "reason": "" if seq % 5 else f'理由：第 {seq} 次退回，材料不全 "引号"',
                "changes": {"owner": [None, f"user{seq % 41}"]} if seq % 4 else {},
                "evidence": [],
            }
            digest = event_hash(seq=seq, at=at, prev_hash=prev, **fields)
            fields["changes"] = dumps(fields["changes"])
            fields["evidence"] = "[]"
            batch.append((seq, adapt(at), prev, digest, *fields.values()))
            prev = digest
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(insert, batch)
    AuditChainHead.objects.update_or_create(pk=1, defaults={"seq": seq, "hash": prev})
    return time.perf_counter() - started


def time_verify(*args: str) -> dict:
    from django.core.management import call_command

    out = io.StringIO()
    start, start_cpu = time.perf_counter(), time.process_time()
    try:
        call_command("audit_verify", "--format", "json", *args, stdout=out)
        code = 0
    except SystemExit as exit:
        code = exit.code
    wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    report = json.loads(out.getvalue())
    return {"code": code, "wall": wall, "cpu": cpu, "events": report["events"], "problems": report["problems"][:3]}


def time_holds(every: int) -> dict:
    """Signed checkpoints every ``every`` events (bulk, as ``tick`` would have written them),
    then the 核验 page's check of a code in the middle of the chain."""
    import statistics

    from workflows import chain
    from workflows.models import AuditCheckpoint, AuditEvent

    os.environ.setdefault("AUDIT_SIGNING_KEY", "bench-audit-key")
    key = chain.signing_key()
    at = datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC)
    last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    rows = AuditEvent.objects.filter(seq__in=range(every, last + 1, every)).values_list("seq", "hash")
    AuditCheckpoint.objects.bulk_create(
        [AuditCheckpoint(seq=s, head_hash=h, at=at, signature=chain.sign(key, s, h, at)) for s, h in rows],
        batch_size=BATCH,
    )
    seq = last // 2 + 123
    code = chain.format_code(seq, AuditEvent.objects.get(seq=seq).hash)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        ok, message = chain.holds(code)
        times.append((time.perf_counter() - start) * 1000)
    start = (seq // every) * every or 1
    return {
        "seq": seq,
        "start": start,
        "end": min(start + every, last),
        "ok": ok,
        "message": message,
        "median_ms": statistics.median(times),
    }


# --- (a) append cost ----------------------------------------------------------------------


def unchained_audit_log():
    """``audit_log`` without its chain part: the same fields, a seq from a counter, empty
    hashes, no evidence hashes, no head lock (this process only, for the comparison)."""
    from django.utils import timezone

    from workflows.models import AuditEvent
    from workflows.services.audit import actor_display_name

    counter = itertools.count((AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0) + 1)

    def audit_log(
        *,
        actor,
        action,
        case,
        role="",
        org=None,
        from_state="",
        to_state="",
        reason="",
        changes=None,
        task=None,
        evidence=(),
    ):
        return AuditEvent.objects.create(
            seq=next(counter),
            at=timezone.now(),
            prev_hash="",
            hash="",
            actor_id=getattr(actor, "pk", None),
            actor_name=str(actor_display_name(actor)),
            role=str(role or ""),
            org_id=getattr(org, "pk", None),
            case_id=getattr(case, "pk", None),
            task_id_ref=getattr(task, "pk", None),
            action=str(action),
            from_state=str(from_state or ""),
            to_state=str(to_state or ""),
            reason=str(reason or ""),
            changes=json.loads(json.dumps(changes or {})),
            evidence=[],
        )

    return audit_log


def swap_audit_log(replacement):
    """Bind ``replacement`` wherever the real ``audit_log`` is bound; returns an undo."""
    from workflows.services import audit

    original = audit.audit_log
    bound = [m for m in list(sys.modules.values()) if getattr(m, "audit_log", None) is original]
    for module in bound:
        module.audit_log = replacement

    def undo():
        for module in bound:
            module.audit_log = original

    return undo


def claim_cycles(step_id: int, actor, seconds: float) -> tuple[int, float]:
    """认领 + 放回 the same step for ``seconds``: returns (service calls, seconds taken)."""
    from workflows.services import tasks

    calls = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        tasks.task_claim(actor=actor, task_id=step_id)
        tasks.task_unclaim(actor=actor, task_id=step_id)
        calls += 2
    return calls, time.perf_counter() - start


def append_cost(w, seconds: float) -> dict:
    from tests.factories import make_teacher
    from tests.helpers import one_open
    from workflows.models import AuditChainHead, AuditEvent

    teacher = make_teacher("刘骨干", w.branch, is_backbone=True, user=True)
    case = as_of.build_case(1, world=w, teacher=teacher)
    step = one_open(case)
    claim_cycles(step.pk, w.officer, 0.5)  # warm-up
    totals = {"chain": [0, 0.0], "plain": [0, 0.0]}
    for mode in ("chain", "plain", "plain", "chain"):  # alternate: the machine's load drifts
        undo = swap_audit_log(unchained_audit_log()) if mode == "plain" else (lambda: None)
        try:
            calls, took = claim_cycles(step.pk, w.officer, seconds / 2)
        finally:
            undo()
        if mode == "plain":  # the chain goes on after the unhashed events
            AuditChainHead.objects.update(seq=AuditEvent.objects.order_by("-seq").values_list("seq", flat=True)[0])
        totals[mode][0] += calls
        totals[mode][1] += took
    with_chain = totals["chain"][0] / totals["chain"][1]
    without = totals["plain"][0] / totals["plain"][1]
    unhashed = AuditEvent.objects.filter(hash="").count()
    return {"chain": with_chain, "plain": without, "ratio": with_chain / without, "unhashed": unhashed}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000, help="chained events for audit_verify")
    parser.add_argument("--seconds", type=float, default=10.0, help="per mode, for the append cost")
    parser.add_argument("--runs", type=int, default=20, help="as-of rebuilds timed")
    parser.add_argument("--as-of-events", type=int, default=200)
    parser.add_argument("--checkpoint-every", type=int, default=10_000, help="for the 核验 page's timing")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    args = parser.parse_args()

    tmp = as_of.throwaway_sqlite("shuangpei-bench-audit-")
    cfg = None
    if args.database_url:
        url, cfg = pg_bench_url(args.database_url)
        pg_create(cfg)
        os.environ["DATABASE_URL"] = url
    try:
        import django

        django.setup()
        from django.db import connection

        as_of.prepare_database(Path(tmp.name) / "attachments")
        where = f"PostgreSQL {cfg['NAME']}" if cfg else "SQLite (temporary file)"
        log(f"database: {where}; load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")

        took = insert_events(args.events)
        log(f"inserted {args.events:,} chained events in {took:.1f} s ({args.events / took:,.0f}/s)")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE workflows_auditevent")
        v = time_verify()
        per_m = v["wall"] / v["events"] * 1_000_000 if v["events"] else 0.0
        log(
            f"audit_verify: {v['events']:,} events in {v['wall']:.2f} s (cpu {v['cpu']:.2f} s), "
            f"{v['events'] / v['wall']:,.0f} events/s, {per_m:.2f} s per 1,000,000; exit {v['code']}"
            f"{' ' + json.dumps(v['problems'], ensure_ascii=False) if v['problems'] else ''}; "
            f"target ≤ {VERIFY_TARGET_S_PER_M:.0f} s per 1,000,000: "
            f"{'ok' if per_m <= VERIFY_TARGET_S_PER_M else 'MISSED'}"
        )

        from tests.factories import make_world

        world = make_world()
        h = time_holds(args.checkpoint_every)
        log(
            f"核验 page (chain.holds) of a code at seq {h['seq']:,} with a signed checkpoint every "
            f"{args.checkpoint_every:,} events: median {h['median_ms']:.1f} ms of 5 "
            f"(segment seq {h['start']:,}–{h['end']:,}); {'ok' if h['ok'] else 'NOT OK: ' + h['message']}"
        )

        log(as_of.describe(as_of.time_rebuild(as_of.build_case(args.as_of_events, world=world), args.runs)))

        a = append_cost(world, args.seconds)
        log(
            f"append cost (认领/放回 through the services, {args.seconds:.0f} s per mode): "
            f"with the chain {a['chain']:.1f} completions/s, without {a['plain']:.1f}/s, "
            f"ratio {a['ratio']:.2f} ({a['unhashed']} events written without hashes)"
        )
        log(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    finally:
        if cfg is not None:
            pg_drop(cfg)


if __name__ == "__main__":
    main()

"""Approvals per second (issue 13, part 2): gunicorn on PostgreSQL, real sessions, distinct tasks.

    .venv/bin/python bench/throughput.py [--seconds 60] [--workers 2,4] [--clients 4,16]
                                         [--cases 20000] [--with-page] [--keep] [--port 8765]

DATABASE_URL must point to PostgreSQL; default ``postgres://postgres@127.0.0.1:5432/shuangpei_tp``.
The script (re)creates that database, migrates it and prepares the cases:

* the tests' world (``tests.factories.make_world``) plus, per client, a 支部书记 of the world's
  branch and a 审核人 of its county (``bench_secretary_<i>`` / ``bench_reviewer_<i>``, one password);
* two template cases driven through the services (``tests.helpers.new_case``): one waiting at
  支部审核, one at 单位审核;
* ``--cases`` copies of each template by bulk SQL (INSERT ... SELECT): for each copy a new trainee
  (teacher row), the case, its process, its mentors, its lifecycle task rows with their links
  (``casetask_previous``), ids from the tables' sequences. What the copies leave out (training
  records, semester works, opinions, the trail's events) is nothing an approval reads: the query
  list printed below is the proof. Then VACUUM ANALYZE.

It prints the queries of one 支部审核 approval (POST ``/inbox/tasks/<id>/act/``, action=approve)
and of opening its task page, in-process through ``django.test.Client`` with
``CaptureQueriesContext``, then for each ``--workers`` value starts
``.venv/bin/gunicorn`` (sync workers, DEBUG off, PLAIN_HTTP=1, DB_CONN_MAX_AGE=60, a random
SECRET_KEY; the bench's settings module ``bench/throughput_settings.py`` only swaps in the
URLconf ``bench/throughput_urls.py``, which adds the reference view) and, for each ``--clients``
value K, runs two phases of ``--seconds`` each:

* **project**: K client threads, each logged in through the login form (its own session and CSRF
  cookie; half 支部书记 on 支部审核 tasks, half 审核人 on 单位审核 tasks), each POSTing approvals
  of tasks nobody else gets, back to back. A completion is a POST answered 302 to the case page;
  anything else is an error. By default a client does not GET the task page before each POST
  (the CSRF cookie of the login is valid for every POST, as a browser's open page would be);
  ``--with-page`` GETs it first, untimed, as a browser would.
* **reference**: the same, POSTing to ``/bench/reference/<id>/`` (bench/throughput_urls.py: lock
  the task, mark it done, insert the next task, append one audit event to the hash chain).

For each phase: completions/s, p50/p95/p99 of the POST's wall time at the client, errors, SQL
queries per completion (the ``X-Bench-Queries`` header that ``bench/throughput_wsgi.py`` adds: a
``connection.execute_wrapper`` count of the whole request), the gunicorn workers' CPU per
completion (from /proc), and the ratio project / reference. The load average is printed before
and after every phase (the machine is shared). Target: ≥ 150 completions/s with p99 ≤ 100 ms,
≥ 50% of the reference, ≤ 12 queries per approval.

A phase stops early if its pool of tasks runs out (``--cases`` too small for the rate): the rate
is over the time it ran. --keep leaves the database in place; without it, it is dropped.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).absolute().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shuangpei_tp")
os.environ["DJANGO_SETTINGS_MODULE"] = "project.settings"
os.environ["PLAIN_HTTP"] = "1"
os.environ["DEBUG"] = "0"
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))

import dj_database_url  # noqa: E402
import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

TARGET_RATE = 150.0
TARGET_P99_MS = 100.0
TARGET_RATIO = 0.5
TARGET_QUERIES = 12
PASSWORD = "bench-Approvals-13"
FLOW = "workflows/flows.CaseFlow"


def log(msg: str = "") -> None:
    print(msg, flush=True)


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


# --- database lifecycle --------------------------------------------------------------


def _admin_conn(cfg):
    return psycopg.connect(
        host=cfg["HOST"] or None,
        port=cfg["PORT"] or None,
        user=cfg["USER"] or None,
        password=cfg["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


def recreate_database(cfg) -> None:
    with _admin_conn(cfg) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(cfg["NAME"])))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(cfg["NAME"])))


def drop_database(cfg) -> None:
    from django.db import connections

    connections.close_all()
    with _admin_conn(cfg) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(cfg["NAME"])))


# --- preparing the cases ----------------------------------------------------------------


def prepare(n_cases: int, n_users: int) -> dict:
    """The world, the bench's approvers, two template cases and ``n_cases`` copies of each."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import PBKDF2PasswordHasher
    from django.db import connection
    from django.test import override_settings

    from tests.factories import make_user, make_world
    from tests.helpers import FAST_HASHERS, new_case
    from workflows.models import CaseState, Role

    # Fast hashing for the world's own users (override_settings clears Django's hasher cache).
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        world = make_world()
        secretaries = [
            make_user(f"bench_secretary_{i}", org=world.branch, role=Role.BRANCH_SECRETARY, full_name=f"支部书记{i}")
            for i in range(n_users)
        ]
        reviewers = [
            make_user(f"bench_reviewer_{i}", org=world.county, role=Role.REVIEWER, full_name=f"审核人{i}")
            for i in range(n_users)
        ]
        branch_template = new_case(world, "模板支部审核", CaseState.BRANCH_REVIEW)
        unit_template = new_case(world, "模板单位审核", CaseState.UNIT_REVIEW)
    # The bench's approvers log in through the form: a real hash, computed once for all of them.
    hasher = PBKDF2PasswordHasher()
    get_user_model().objects.filter(username__startswith="bench_").update(
        password=hasher.encode(PASSWORD, hasher.salt())
    )
    with connection.cursor() as cursor:
        for template in (branch_template, unit_template):
            t = time.perf_counter()
            clone_case(cursor, template.pk, n_cases)
            log(f"  {n_cases} copies of case {template.pk} in {time.perf_counter() - t:.1f} s")
    with connection.cursor() as cursor:  # autocommit: VACUUM cannot run in a transaction
        cursor.execute("VACUUM ANALYZE")
    return {
        "world": world,
        "secretaries": [u.username for u in secretaries],
        "reviewers": [u.username for u in reviewers],
    }


def _columns(cursor, table: str) -> list[str]:
    cursor.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
        [table],
    )
    return [r[0] for r in cursor.fetchall()]


def _copy(cursor, table: str, source_where: str, params: list, remap: dict[str, str], n: int) -> str:
    """Copy the rows of ``table`` matching ``source_where`` ``n`` times, new ids from the table's
    sequence; ``remap``: column → map table whose (k, old_id) → new_id it goes through. Returns the
    name of this table's map table (k, old_id, new_id)."""
    map_table = f"bench_map_{table}"
    cursor.execute(
        f"CREATE TEMP TABLE {map_table} AS SELECT k, t.id AS old_id, "
        f"nextval(pg_get_serial_sequence('{table}', 'id')) AS new_id "
        f"FROM {table} t, generate_series(1, %s) AS k WHERE {source_where} ORDER BY k, t.id",
        [n, *params],
    )
    cursor.execute(f"CREATE INDEX ON {map_table} (old_id, k)")
    cursor.execute(f"ANALYZE {map_table}")  # temporary tables get no statistics of their own
    cols = _columns(cursor, table)
    select, joins = [], []
    for col in cols:
        if col == "id":
            select.append("m.new_id")
        elif col in remap:
            alias = f"r_{col}"
            joins.append(f"LEFT JOIN {remap[col]} {alias} ON {alias}.old_id = t.{col} AND {alias}.k = m.k")
            select.append(f"CASE WHEN t.{col} IS NULL THEN NULL ELSE {alias}.new_id END")
        else:
            select.append(f"t.{col}")
    cursor.execute(
        f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(select)} "
        f"FROM {table} t JOIN {map_table} m ON m.old_id = t.id {' '.join(joins)}"
    )
    return map_table


def clone_case(cursor, case_id: int, n: int) -> None:
    """``n`` copies of case ``case_id``: trainee, case, process, mentors, lifecycle tasks and
    their links, each copy its own rows (a case's trainee may hold one open case per 类别)."""
    cursor.execute("SELECT teacher_id FROM workflows_case WHERE id = %s", [case_id])
    (teacher_id,) = cursor.fetchone()
    m_teacher = _copy(cursor, "workflows_teacher", "t.id = %s", [teacher_id], {}, n)
    cursor.execute(f"UPDATE workflows_teacher SET staff_no = NULL WHERE id IN (SELECT new_id FROM {m_teacher})")
    m_case = _copy(cursor, "workflows_case", "t.id = %s", [case_id], {"teacher_id": m_teacher}, n)
    m_process = _copy(cursor, "workflows_caseprocess", "t.case_id = %s", [case_id], {"case_id": m_case}, n)
    m_mentor = _copy(cursor, "workflows_casementor", "t.case_id = %s", [case_id], {"case_id": m_case}, n)
    training = [f"{FLOW}.{node}" for node in ("record", "submit_work", "review_work", "opinion", "countersign")]
    m_task = _copy(
        cursor,
        "workflows_casetask",
        "t.case_id = %s AND NOT (t.flow_task = ANY(%s))",
        [case_id, training],
        {"process_id": m_process, "case_id": m_case, "mentor_id": m_mentor},
        n,
    )
    # An acceptance task names its mentor in ``data``.
    cursor.execute(f"""
        UPDATE workflows_casetask t SET data = jsonb_set(t.data, '{{mentor_id}}', to_jsonb(mm.new_id))
        FROM {m_task} m, workflows_casetask src, {m_mentor} mm
        WHERE t.id = m.new_id AND src.id = m.old_id AND src.data ? 'mentor_id'
          AND mm.old_id = (src.data ->> 'mentor_id')::bigint AND mm.k = m.k
    """)
    cursor.execute(f"""
        INSERT INTO workflows_casetask_previous (from_casetask_id, to_casetask_id)
        SELECT a.new_id, b.new_id FROM workflows_casetask_previous p
        JOIN {m_task} a ON a.old_id = p.from_casetask_id JOIN {m_task} b ON b.old_id = p.to_casetask_id AND b.k = a.k
    """)
    cursor.execute(f"DROP TABLE {m_teacher}, {m_case}, {m_process}, {m_mentor}, {m_task}")


def open_tasks(node: str, exclude_case_ids=()) -> list[int]:
    from viewflow.workflow.status import STATUS

    from workflows.models import CaseTask

    return list(
        CaseTask.objects.filter(flow_task=f"{FLOW}.{node}", status=STATUS.NEW)
        .exclude(case_id__in=exclude_case_ids)
        .order_by("id")
        .values_list("id", flat=True)
    )


# --- the queries of one approval ---------------------------------------------------------


def _short(sql_text: str) -> str:
    import re

    text = re.sub(r"SELECT .*? FROM", "SELECT … FROM", sql_text, count=1, flags=re.S)
    text = re.sub(r"\(\"[a-z_]+\"(, \"[a-z_]+\")+\) VALUES \(.*?\) RETURNING", "(…) VALUES (…) RETURNING", text)
    text = re.sub(r'SET ("[a-z_]+" = .*?, ){3,}.*? WHERE', "SET … WHERE", text)
    return text[:230] + ("…" if len(text) > 230 else "")


def list_queries(username: str, task_id: int) -> dict:
    """Open one 支部审核 task's page and approve it, in-process; print each request's queries."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    counts = {}
    for label, call in (
        ("GET task page", lambda: client.get(f"/inbox/tasks/{task_id}/")),
        ("POST approve", lambda: client.post(f"/inbox/tasks/{task_id}/act/", {"action": "approve", "reason": ""})),
    ):
        with CaptureQueriesContext(connection) as captured:
            response = call()
        counts[label] = len(captured)
        log(f"{label} /inbox/tasks/{task_id}/: HTTP {response.status_code}, {len(captured)} queries")
        for i, q in enumerate(captured.captured_queries, 1):
            log(f"  {i:2}. {_short(q['sql'])}")
    return counts


# --- the server ---------------------------------------------------------------------------


class Server:
    def __init__(self, workers: int, port: int):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.throughput_settings",
            "DB_CONN_MAX_AGE": "60",
            "DEBUG": "0",
            "PLAIN_HTTP": "1",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
        }
        self.port = port
        self.proc = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                "--chdir",
                str(ROOT),
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "bench.throughput_wsgi:application",
            ],
            env=env,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200 and len(self.worker_pids()) >= workers:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise SystemExit("gunicorn did not answer /healthz within 60 s")

    def worker_pids(self) -> list[int]:
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []

    def worker_cpu_seconds(self) -> float:
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# --- the clients --------------------------------------------------------------------------


class Browser:
    """One keep-alive connection with its cookies, like one open browser tab."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, url: str, form: dict | None = None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.conn.request(method, url, body=body, headers=headers)
                response = response_ = self.conn.getresponse()
                response_.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    raise
        for header in response.msg.get_all("Set-Cookie") or []:
            for key, morsel in SimpleCookie(header).items():
                self.cookies[key] = morsel.value
        return response

    def login(self, username: str) -> None:
        self.request("GET", "/accounts/login/")
        response = self.request(
            "POST",
            "/accounts/login/",
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")},
        )
        if response.status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"login as {username} failed: HTTP {response.status}")


def run_phase(port: int, clients: int, seconds: float, pools: dict, users: dict, variant: str, with_page: bool):
    """K logged-in clients POSTing approvals back to back for ``seconds``; returns the figures."""
    browsers = []
    for i in range(clients):
        kind = "branch" if i % 2 == 0 else "unit"
        browser = Browser(port)
        browser.login(users[kind][i // 2])
        browsers.append((kind, browser))
    latencies: list[float] = []
    queries: list[int] = []
    errors = collections.Counter()
    exhausted = threading.Event()
    lock = threading.Lock()
    start_gate = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(kind: str, browser: Browser) -> None:
        pool = pools[kind]
        start_gate.wait()
        mine_lat, mine_q, mine_err = [], [], collections.Counter()
        while time.perf_counter() < stop_at[0]:
            try:
                task_id = pool.popleft()
            except IndexError:
                exhausted.set()
                break
            url = f"/bench/reference/{task_id}/" if variant == "reference" else f"/inbox/tasks/{task_id}/act/"
            form = {"csrfmiddlewaretoken": browser.cookies["csrftoken"]}
            if variant == "project":
                form.update(action="approve", reason="")
            try:
                if with_page:
                    browser.request("GET", f"/inbox/tasks/{task_id}/")
                t = time.perf_counter()
                response = browser.request("POST", url, form)
                elapsed = (time.perf_counter() - t) * 1000
            except OSError as error:
                mine_err[type(error).__name__] += 1
                continue
            # The approval's 已审核通过 message rides in the messages cookie to the case page the
            # redirect leads to, which shows and clears it; the client does not follow the
            # redirect, so it clears it itself (else each POST carries every earlier message,
            # and the server re-encodes a cookie of up to 2 kB of them at every approval).
            browser.cookies.pop("messages", None)
            location = response.getheader("Location") or ""
            if response.status == 302 and location.startswith("/inbox/cases/"):
                mine_lat.append(elapsed)
                mine_q.append(int(response.getheader("X-Bench-Queries") or -1))
            else:
                mine_err[f"HTTP {response.status}"] += 1
        with lock:
            latencies.extend(mine_lat)
            queries.extend(mine_q)
            errors.update(mine_err)

    threads = [threading.Thread(target=client, args=pair, daemon=True) for pair in browsers]
    for thread in threads:
        thread.start()
    begun = time.perf_counter()
    stop_at[0] = begun + seconds
    start_gate.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - begun
    for _kind, browser in browsers:
        browser.conn.close()
    return latencies, queries, errors, elapsed, exhausted.is_set()


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each phase")
    parser.add_argument("--workers", default="2,4", help="gunicorn worker counts, comma-separated")
    parser.add_argument("--clients", default="4,16", help="concurrent clients, comma-separated")
    parser.add_argument("--cases", type=int, default=20000, help="copies of each template case (tasks per pool)")
    parser.add_argument("--with-page", action="store_true", help="GET the task page (untimed) before each POST")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    workers = [int(w) for w in args.workers.split(",")]
    client_counts = [int(k) for k in args.clients.split(",")]

    cfg = dj_database_url.parse(os.environ["DATABASE_URL"])
    if "postgresql" not in cfg["ENGINE"]:
        raise SystemExit("bench/throughput.py needs DATABASE_URL pointing to PostgreSQL")
    t_all = time.perf_counter()
    log(f"load average at start: {loadavg()}")
    log(f"creating database {cfg['NAME']}")
    recreate_database(cfg)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    t = time.perf_counter()
    meta = prepare(args.cases, max(client_counts))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM workflows_case")
        n_cases = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM workflows_casetask")
        n_tasks = cursor.fetchone()[0]
        cursor.execute("SELECT version()")
        pg_version = cursor.fetchone()[0].split(",")[0]
    log(f"prepared {n_cases} cases, {n_tasks} task rows in {time.perf_counter() - t:.0f} s ({pg_version})")

    branch = open_tasks("branch_review")
    unit = open_tasks("unit_review")
    log("")
    counts = list_queries(meta["secretaries"][0], branch.pop(0))
    log("")
    pools = {"branch": collections.deque(branch), "unit": collections.deque(unit)}
    users = {"branch": meta["secretaries"], "unit": meta["reviewers"]}
    from django.db import connections

    connections.close_all()

    rows = []
    for w in workers:
        server = Server(w, args.port)
        try:
            for k in client_counts:
                cell = {}
                for variant in ("project", "reference"):
                    before = loadavg()
                    cpu0 = server.worker_cpu_seconds()
                    lat, qs, errors, elapsed, exhausted = run_phase(
                        args.port, k, args.seconds, pools, users, variant, args.with_page
                    )
                    cpu = server.worker_cpu_seconds() - cpu0
                    after = loadavg()
                    done = len(lat)
                    cell[variant] = dict(
                        rate=done / elapsed,
                        p50=percentile(lat, 50),
                        p95=percentile(lat, 95),
                        p99=percentile(lat, 99),
                        errors=sum(errors.values()),
                        error_kinds=dict(errors),
                        queries=statistics.mean(qs) if qs else float("nan"),
                        cpu_ms=cpu * 1000 / done if done else float("nan"),
                        done=done,
                        elapsed=elapsed,
                        exhausted=exhausted,
                        load=(before, after),
                    )
                    c = cell[variant]
                    log(
                        f"-w {w} K={k:<2} {variant:9}: {done} completions in {elapsed:.1f} s = {c['rate']:.1f}/s, "
                        f"p50 {c['p50']:.0f} p95 {c['p95']:.0f} p99 {c['p99']:.0f} ms, errors {c['errors']} "
                        f"{c['error_kinds'] or ''}, {c['queries']:.1f} queries, worker CPU {c['cpu_ms']:.1f} ms "
                        f"per completion{' (POOL EXHAUSTED)' if exhausted else ''}; load {before} → {after}"
                    )
                rows.append((w, k, cell))
        finally:
            server.stop()

    log("")
    log(
        f"Approvals per second, {pg_version}, {n_cases} cases, {args.seconds:.0f} s per phase, "
        f"run {timezone.now():%Y-%m-%d %H:%M %Z}{', task page GET before each POST' if args.with_page else ''}"
    )
    head = (
        f"{'workers':>7} {'clients':>7} | {'compl/s':>7} {'p50':>5} {'p95':>5} {'p99':>5} {'errors':>6} "
        f"{'q/compl':>7} {'cpu ms':>6} | {'ref/s':>6} {'ref p99':>7} {'ref q':>5} | {'ratio':>5} | load before → after"
    )
    log(head)
    log("-" * len(head))
    for w, k, cell in rows:
        p, r = cell["project"], cell["reference"]
        log(
            f"{w:>7} {k:>7} | {p['rate']:7.1f} {p['p50']:5.0f} {p['p95']:5.0f} {p['p99']:5.0f} {p['errors']:>6} "
            f"{p['queries']:7.1f} {p['cpu_ms']:6.1f} | {r['rate']:6.1f} {r['p99']:7.0f} {r['queries']:5.1f} | "
            f"{p['rate'] / r['rate'] if r['rate'] else float('nan'):5.2f} | "
            f"{p['load'][0].split(' ')[0]} → {r['load'][1].split(' ')[0]}"
        )
    log(
        "(latencies in ms at the client, POST only; q/compl = SQL queries per completed request, from "
        "X-Bench-Queries; cpu ms = gunicorn workers' CPU per completion; ratio = project/reference)"
    )
    log(f"in-process: GET task page {counts['GET task page']} queries, POST approve {counts['POST approve']} queries")
    best = max(rows, key=lambda row: row[2]["project"]["rate"])
    p, r = best[2]["project"], best[2]["reference"]
    met = [
        ("≥ 150/s", p["rate"] >= TARGET_RATE),
        ("p99 ≤ 100 ms", p["p99"] <= TARGET_P99_MS),
        ("≥ 50% of reference", r["rate"] and p["rate"] / r["rate"] >= TARGET_RATIO),
        ("≤ 12 queries", p["queries"] <= TARGET_QUERIES),
    ]
    log(
        f"best cell -w {best[0]} K={best[1]}: "
        + ", ".join(f"{label} {'met' if ok else 'NOT met'}" for label, ok in met)
    )
    log(f"load average at end: {loadavg()}")
    if args.keep:
        log(f"kept database {cfg['NAME']}")
    else:
        drop_database(cfg)
        log(f"dropped database {cfg['NAME']}")
    log(f"total {time.perf_counter() - t_all:.0f} s")


if __name__ == "__main__":
    main()

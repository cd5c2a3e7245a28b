"""A province on two app servers (issue 13, part 3): a mixed load for --minutes on one PostgreSQL.

    .venv/bin/python bench/province.py [--cases 100000] [--pool 4000] [--minutes 10]
                                       [--rate R | --capacity C] [--keep] [--port 8781]

DATABASE_URL must point to PostgreSQL; default
``postgres://postgres@127.0.0.1:5432/shuangpei_province``. What it builds and runs:

* **The province's history**: ``bench/inbox.py``'s ``seed(--cases)`` (bulk SQL: 19 units, ~1,000
  organisations, 100,000 cases and ~1.2M task rows by default = ten years of 14 cities' work at
  ≈6k cases and ≈70k tasks a year). The seed writes no reminders and no trail; so that the
  reminder ticks see the steady state of a running system rather than ten years of reminders
  never sent, every open step of the seed is marked as already reminded (``TaskReminder`` rows
  for each reminder whose moment has passed under the default UnitPolicy: 到期提醒 from
  ``workdays.remind_from``, 逾期提醒 from the due time, 升级督办 from ``workdays.escalate_from``
  with ``escalated_to`` set to the case's unit; what is not due yet is left to the ticks, as it
  would be), and every case as synced today
  (``obligations_synced_on``). These marks are listed in ``province_fake_reminder``. Before the
  ticks start, ``--release`` (default 200) seeded steps more than 30 days overdue lose their
  marks: the two ticks must send their 逾期提醒 and 升级督办, once each.
* **The cases the load drives**, made as ``bench/throughput.py`` makes them (its ``clone_case``):
  the tests' world (``tests.factories.make_world``), per client a 支部书记 and a 审核人 of the
  world's county, three template cases driven through the services (at 支部审核, 单位审核 and
  培养中), and ``--pool`` bulk copies of the first two and ``--pool // 10`` of the third.
  VACUUM ANALYZE. ``--keep`` keeps the database; a later ``--keep`` run with the same
  ``--cases`` and ``--pool`` reuses it (the approval pools are whatever tasks are still open).
* **The servers**: two gunicorn masters with ``--workers-per-server`` sync workers each (default
  1: two gunicorn worker processes in all, ports --port and --port+1, as two app servers would
  be), started with bench/throughput.py's ``Server`` (its settings and WSGI wrapper, DEBUG off,
  DB_CONN_MAX_AGE=60); two ``manage.py db_worker --interval 1``; two ``manage.py tick --loop
  --interval --tick-interval`` (default 10 s). Their output goes to ``var/province/``.
* **The clients**: threads with real sessions (logged in through the login form), half on
  each server, taking work from an open-loop schedule (one request every 1/rate s, the kind
  drawn at random with the weights below):
  - ``read`` 65%: GET /inbox/ or /inbox/queue/ with a random filter (none, 类别, unit, stage,
    overdue, name search) as one of eight seeded users (the busy officer, county reviewers,
    school officers, a city admin): expects 200;
  - ``approve`` 25%: POST /inbox/tasks/<id>/act/ action=approve of a 支部审核 or 单位审核 task
    nobody else gets, as the world's 支部书记 / 审核人: expects 302 to the case page;
  - ``record`` 10%: POST /inbox/cases/<id>/records/ (today's 培养记录) on a 培养中 copy as its
    mentor: expects 302;
  - ``export``: every --export-every s (default 60) the city admin POSTs 批量导出 (全市附件2汇总表)
    and polls the job page every 2 s until 已完成 (each poll is a request of kind ``poll``);
    its latency is from the POST to 已完成.
  A request's latency is from the moment the schedule called for it to its response (a request
  that waits for a free client thread counts the wait). An error: any other status, a
  timeout (60 s) or a connection error.
* **Capacity** (unless --rate or --capacity is given): the same mix closed-loop, 2, 4 and 8
  requests in flight for --ramp-seconds each; capacity = the best completions/s; the run's rate
  is half of it.
* **Report**: per minute of the run, requests completed by kind, errors, p50/p95/p99; the p99
  drift (last minute / first minute; target ≤ 1.5); then the invariants, each PASS or FAIL:
  every case's state agrees with its open lifecycle tasks (workflows/flows.py: one open step of
  the state's node; 结对: one or more 接受结对; closed or paused: none), every case with a trail
  ends its trail in its state, each approval of the run left its task done, its case one step
  on and exactly one 审核通过 event (a refused one: nothing), each record one record and one
  event, no reminder sent twice (per task and kind: reminder rows, audit events, one
  notification per recipient), every released step reminded, the audit chain verifies
  (``workflows.chain.verify``), every export job done. Load average before and after.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import os
import queue
import random
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).absolute().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shuangpei_province")
EXPORTS_DIR = ROOT / "var" / "province" / "exports"
os.environ.setdefault("EXPORTS_ROOT", str(EXPORTS_DIR))

import dj_database_url  # noqa: E402

from bench import inbox as inbox_bench  # noqa: E402
from bench import throughput as tp  # noqa: E402  (sets DJANGO_SETTINGS_MODULE, DEBUG=0, PLAIN_HTTP=1)

LOG_DIR = ROOT / "var" / "province"
MIX = (("read", 0.65), ("approve", 0.25), ("record", 0.10))
READ_FILTERS = ("", "kind=1", "unit={county}", "stage=training", "overdue=1", "q=%E6%99%93")
TARGET_DRIFT = 1.5
FLOW = tp.FLOW


def log(msg: str = "") -> None:
    print(msg, flush=True)


loadavg = tp.loadavg


# --- preparing -----------------------------------------------------------------------


def prepare(n_cases: int, pool: int, n_users: int) -> dict:
    """Seed the history, mark its reminders, build the world and the cases the load drives."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import PBKDF2PasswordHasher
    from django.db import connection
    from django.test import override_settings

    from tests.factories import make_user, make_world
    from tests.helpers import FAST_HASHERS, new_case
    from workflows.models import CaseState, Role

    t = time.perf_counter()
    log(f"seeding {n_cases} cases (bench/inbox.py's seed)")
    inbox_bench.seed(n_cases)
    log(f"  seed done in {time.perf_counter() - t:.0f} s")
    t = time.perf_counter()
    mark_history_reminded()
    log(f"  seeded open steps marked as reminded in {time.perf_counter() - t:.0f} s")

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
        templates = {
            "branch": new_case(world, "模板支部审核", CaseState.BRANCH_REVIEW),
            "unit": new_case(world, "模板单位审核", CaseState.UNIT_REVIEW),
            "training": new_case(world, "模板培养中", CaseState.TRAINING),
        }
    with connection.cursor() as cursor:
        for label, template in templates.items():
            n = pool if label != "training" else max(10, pool // 10)
            t = time.perf_counter()
            tp.clone_case(cursor, template.pk, n)
            log(f"  {n} copies of the {label} template (case {template.pk}) in {time.perf_counter() - t:.1f} s")
        cursor.execute("UPDATE workflows_case SET obligations_synced_on = %s", [today()])
    # Readers: seeded users of several kinds; they and the world's actors log in through the form.
    with connection.cursor() as cursor:
        cursor.execute("SELECT busy_user, busy_county FROM bench_meta")
        busy_user, busy_county = cursor.fetchone()
        cursor.execute(
            "SELECT u.username, COALESCE(o.unit_id, o.id) FROM auth_user u "
            "JOIN workflows_roleassignment r ON r.user_id = u.id JOIN workflows_organisation o ON o.id = r.org_id "
            "WHERE u.username ~ '^(reviewer_[0-9]+_1|officer_[0-9]+_1|city_admin_1)$' ORDER BY u.id"
        )
        rows = cursor.fetchall()
    rng = random.Random(13)
    reviewers_rows = [r for r in rows if r[0].startswith("reviewer_")]
    officers_rows = [r for r in rows if r[0].startswith("officer_")]
    city_rows = [r for r in rows if r[0].startswith("city_admin")]
    readers = (
        [(get_user_model().objects.get(pk=busy_user).username, busy_county)]
        + rng.sample(reviewers_rows, 3)
        + rng.sample(officers_rows, 3)
        + city_rows[:1]
    )
    mentor_username = world.member_mentor.user.username
    names = [r[0] for r in readers] + [u.username for u in secretaries + reviewers]
    names += [mentor_username, world.city_admin.username]
    hasher = PBKDF2PasswordHasher()
    get_user_model().objects.filter(username__in=names).update(password=hasher.encode(tp.PASSWORD, hasher.salt()))
    meta = {
        "readers": readers,
        "secretaries": [u.username for u in secretaries],
        "reviewers": [u.username for u in reviewers],
        "mentor": mentor_username,
        "exporter": world.city_admin.username,
        "training_template": templates["training"].pk,
    }
    import json

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE province_meta (cases int, pool int, meta jsonb)")
        cursor.execute("INSERT INTO province_meta VALUES (%s, %s, %s)", [n_cases, pool, json.dumps(meta)])
        cursor.execute("VACUUM ANALYZE")
    return meta


def today() -> datetime.date:
    from django.utils import timezone

    return timezone.localdate()


def mark_history_reminded() -> None:
    """What a running system's ticks would have left on the seeded open steps (see the docstring):
    each reminder whose moment (``workdays.remind_from`` / the due time / ``workdays.escalate_from``
    under the default UnitPolicy) has passed is marked as sent at that moment."""
    from django.conf import settings
    from django.db import connection

    from workflows.models import UnitPolicy
    from workflows.workdays import escalate_from, remind_from

    policy = UnitPolicy()
    open_human = (
        "t.flow_task_type = 'HUMAN' AND t.status IN ('NEW', 'ASSIGNED', 'STARTED') AND t.due_at IS NOT NULL "
        "AND c.state IN ('registered', 'paired', 'training', 'branch_review', 'unit_review', 'city_filing')"
    )
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE province_fake_reminder (task_id bigint PRIMARY KEY)")
        cursor.execute(
            f"INSERT INTO province_fake_reminder SELECT t.id FROM workflows_casetask t "
            f"JOIN workflows_case c ON c.id = t.case_id WHERE {open_human}"
        )
        # Both moments depend only on the due day (local time): one row per distinct day.
        cursor.execute(
            "SELECT DISTINCT (t.due_at AT TIME ZONE %s)::date FROM province_fake_reminder f "
            "JOIN workflows_casetask t ON t.id = f.task_id",
            [settings.TIME_ZONE],
        )
        days = [r[0] for r in cursor.fetchall()]
        cursor.execute("CREATE TEMP TABLE province_days (day date PRIMARY KEY, remind timestamptz, esc timestamptz)")
        tz = datetime.timezone(datetime.timedelta(hours=8)) if settings.TIME_ZONE == "Asia/Shanghai" else None
        moments = []  # computed before the COPY: the workday functions query the database
        for day in days:
            due = datetime.datetime.combine(day, datetime.time(12), tzinfo=tz)
            moments.append(
                (day, remind_from(due, policy.remind_before_days), escalate_from(due, policy.escalate_after_days))
            )
        with cursor.copy("COPY province_days FROM STDIN") as copy:
            for row in moments:
                copy.write_row(row)
        cursor.execute(
            """
            CREATE TEMP TABLE province_marks AS
            SELECT t.id, t.due_at, d.remind, d.esc, c.unit_id
            FROM province_fake_reminder f JOIN workflows_casetask t ON t.id = f.task_id
            JOIN workflows_case c ON c.id = t.case_id
            JOIN province_days d ON d.day = (t.due_at AT TIME ZONE %s)::date
            """,
            [settings.TIME_ZONE],
        )
        cursor.execute("""
            INSERT INTO workflows_taskreminder (task_id, key, sent_at, sent_by_id)
            SELECT id, 'due_soon', remind, NULL::integer FROM province_marks WHERE remind <= now() AND remind < due_at
            UNION ALL SELECT id, 'overdue', due_at, NULL FROM province_marks WHERE due_at <= now()
            UNION ALL SELECT id, 'escalated', esc, NULL FROM province_marks WHERE esc <= now()
        """)
        cursor.execute("""
            UPDATE workflows_casetask t SET overdue_at = m.due_at,
                escalated_to_id = CASE WHEN m.esc <= now() THEN m.unit_id END,
                escalated_at = CASE WHEN m.esc <= now() THEN m.esc END
            FROM province_marks m WHERE t.id = m.id AND m.due_at <= now()
        """)
        cursor.execute("DROP TABLE province_marks, province_days")


def release_reminders(n: int) -> list[int]:
    """Take the marks off ``n`` seeded steps > 30 days overdue: the ticks must remind them now."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT f.task_id FROM province_fake_reminder f JOIN workflows_casetask t ON t.id = f.task_id
            WHERE t.status IN ('NEW', 'ASSIGNED', 'STARTED') AND t.due_at < now() - interval '30 days'
            ORDER BY md5(f.task_id::text) LIMIT %s
            """,
            [n],
        )
        ids = [r[0] for r in cursor.fetchall()]
        cursor.execute("DELETE FROM workflows_taskreminder WHERE task_id = ANY(%s)", [ids])
        cursor.execute(
            "UPDATE workflows_casetask SET overdue_at = NULL, escalated_to_id = NULL, escalated_at = NULL "
            "WHERE id = ANY(%s)",
            [ids],
        )
        cursor.execute("DELETE FROM province_fake_reminder WHERE task_id = ANY(%s)", [ids])
    return ids


def open_cases(state: str, exclude=()) -> list[int]:
    from workflows.models import Case

    return list(Case.objects.filter(state=state).exclude(pk__in=exclude).values_list("pk", flat=True))


# --- the processes ---------------------------------------------------------------------


class Background:
    """``manage.py <args>`` in the background, its output in var/province/<name>.log."""

    def __init__(self, name: str, args: list[str]):
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.path = LOG_DIR / f"{name}.log"
        self.out = self.path.open("w")
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "project.settings", "DB_CONN_MAX_AGE": "60"}
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=env,
            stdout=self.out,
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> int | None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.out.close()
        return self.proc.returncode

    def tracebacks(self) -> int:
        return self.path.read_text(errors="replace").count("Traceback (most recent call last)")


# --- the load --------------------------------------------------------------------------


class Result:
    __slots__ = ("kind", "at", "ms", "ok", "error", "task_id", "case_id", "status")

    def __init__(self, kind, at, ms, ok, error="", task_id=None, case_id=None, status=None):
        self.kind, self.at, self.ms, self.ok, self.error = kind, at, ms, ok, error
        self.task_id, self.case_id, self.status = task_id, case_id, status


class Load:
    """The client threads: one queue per kind, each served by its own logged-in browsers."""

    def __init__(self, meta: dict, ports: list[int], pools: dict, training_cases: list[int]):
        self.meta = meta
        self.pools = pools
        self.training_cases = training_cases
        self.results: list[Result] = []
        self.lock = threading.Lock()
        self.queues = {kind: queue.Queue() for kind, _ in MIX}
        self.inflight: threading.Semaphore | None = None
        self.stopping = threading.Event()
        self.rng = random.Random(20261201)
        self.record_kind = None
        self.threads = []
        n = 0

        def browser(username):
            nonlocal n
            b = tp.Browser(ports[n % len(ports)])
            n += 1
            b.login(username)
            return b

        self.browsers = {"read": [], "approve": [], "record": []}
        for username, county in meta["readers"]:
            self.browsers["read"].append((browser(username), county))
        for i in range(len(meta["secretaries"])):
            self.browsers["approve"].append((browser(meta["secretaries"][i]), "branch"))
            self.browsers["approve"].append((browser(meta["reviewers"][i]), "unit"))
        for _ in range(4):
            self.browsers["record"].append((browser(meta["mentor"]), None))
        self.exporter = browser(meta["exporter"])
        for kind, items in self.browsers.items():
            for b, extra in items:
                t = threading.Thread(target=self.serve, args=(kind, b, extra), daemon=True)
                t.start()
                self.threads.append(t)

    # One request of each kind; returns a Result.
    def do_read(self, b, county, due):
        url = self.rng.choice(("/inbox/", "/inbox/queue/"))
        flt = self.rng.choice(READ_FILTERS).format(county=county)
        url += f"?{flt}" if flt else ""
        r = b.request("GET", url)
        return Result("read", 0, 0, r.status == 200, "" if r.status == 200 else f"HTTP {r.status} {url}")

    def do_approve(self, b, which, due):
        try:
            task_id = self.pools[which].popleft()
        except IndexError:
            return Result("approve", 0, 0, False, "pool exhausted")
        form = {"csrfmiddlewaretoken": b.cookies["csrftoken"], "action": "approve", "reason": ""}
        r = b.request("POST", f"/inbox/tasks/{task_id}/act/", form)
        loc = r.getheader("Location") or ""
        ok = r.status == 302 and loc.startswith("/inbox/cases/")
        return Result("approve", 0, 0, ok, "" if ok else f"HTTP {r.status} {loc}", task_id=task_id, status=which)

    def do_record(self, b, _extra, due):
        case_id = self.rng.choice(self.training_cases)
        form = {
            "csrfmiddlewaretoken": b.cookies["csrftoken"],
            "date": today().isoformat(),
            "kind": self.record_kind,
            "content": "省级模拟：本次培养活动的内容与成效。",
        }
        r = b.request("POST", f"/inbox/cases/{case_id}/records/", form)
        loc = r.getheader("Location") or ""
        ok = r.status == 302 and loc.startswith(f"/inbox/cases/{case_id}/")
        return Result("record", 0, 0, ok, "" if ok else f"HTTP {r.status} {loc}", case_id=case_id)

    def serve(self, kind, b, extra):
        do = getattr(self, f"do_{kind}")
        q = self.queues[kind]
        while True:
            due = q.get()
            if due is None:
                return
            try:
                res = do(b, extra, due)
            except OSError as error:
                res = Result(kind, 0, 0, False, type(error).__name__)
            end = time.perf_counter()
            res.at, res.ms = end, (end - due) * 1000
            with self.lock:
                self.results.append(res)
            if self.inflight is not None:
                self.inflight.release()

    def pick(self) -> str:
        x = self.rng.random()
        acc = 0.0
        for kind, w in MIX:
            acc += w
            if x < acc:
                return kind
        return MIX[-1][0]

    def closed_loop(self, inflight: int, seconds: float) -> float:
        """Keep ``inflight`` requests of the mix in flight for ``seconds``; completions/s."""
        self.inflight = threading.Semaphore(inflight)
        n0 = len(self.results)
        begun = time.perf_counter()
        while time.perf_counter() - begun < seconds:
            self.inflight.acquire()
            self.queues[self.pick()].put(time.perf_counter())
        for _ in range(inflight):  # drain
            self.inflight.acquire()
        elapsed = time.perf_counter() - begun
        self.inflight = None
        with self.lock:
            done = self.results[n0:]
        return sum(1 for r in done if r.ok) / elapsed, done

    def open_loop(self, rate: float, seconds: float, export_every: float) -> tuple[float, float]:
        """One request every 1/rate s for ``seconds``, plus an export every ``export_every`` s."""
        begun = time.perf_counter()
        exporter = threading.Thread(target=self.exports, args=(begun, seconds, export_every), daemon=True)
        exporter.start()
        i = 0
        lagging = 0
        while True:
            due = begun + i / rate
            if due >= begun + seconds:
                break
            now = time.perf_counter()
            if due > now:
                time.sleep(due - now)
            elif now - due > 1:
                lagging += 1
            self.queues[self.pick()].put(due)
            i += 1
        # Wait for the queues to drain (the requests already scheduled belong to the run).
        while any(not q.empty() for q in self.queues.values()):
            time.sleep(0.2)
        time.sleep(0.5)
        exporter.join(timeout=600)
        return begun, i

    def exports(self, begun: float, seconds: float, every: float) -> None:
        b = self.exporter
        k = 0
        while True:
            due = begun + 5 + k * every
            if due >= begun + seconds:
                return
            time.sleep(max(0, due - time.perf_counter()))
            k += 1
            form = {"csrfmiddlewaretoken": b.cookies["csrftoken"], "kind": "city_annex2", "year": str(today().year)}
            try:
                r = b.request("POST", "/inbox/exports/new/", form)
            except OSError as error:
                self.add(Result("export", time.perf_counter(), 0, False, type(error).__name__))
                continue
            loc = r.getheader("Location") or ""
            m = re.match(r"^/inbox/exports/(\d+)/$", loc)
            if r.status != 302 or not m:
                self.add(Result("export", time.perf_counter(), 0, False, f"HTTP {r.status} {loc}"))
                continue
            state = ""
            while time.perf_counter() - due < 300:
                time.sleep(2)
                t = time.perf_counter()
                try:
                    page = b.request("GET", loc)
                except OSError as error:
                    self.add(Result("poll", time.perf_counter(), 0, False, type(error).__name__))
                    continue
                body = page.data.decode("utf-8", "replace") if hasattr(page, "data") else ""
                end = time.perf_counter()
                self.add(Result("poll", end, (end - t) * 1000, page.status == 200, f"HTTP {page.status}"))
                found = re.search(r'id="job-status">([^<]*)<', body)
                state = found.group(1) if found else ""
                if state in ("已完成", "失败"):
                    break
            end = time.perf_counter()
            ok = state == "已完成"
            self.add(Result("export", end, (end - due) * 1000, ok, "" if ok else f"job ended {state or 'unfinished'}"))

    def add(self, res: Result) -> None:
        with self.lock:
            self.results.append(res)

    def close(self) -> None:
        for kind, items in self.browsers.items():
            for _ in items:
                self.queues[kind].put(None)
        for t in self.threads:
            t.join(timeout=120)


# The throughput bench's Browser reads and drops the body; the export poll needs it.
def _request_keeping_body(self, method, url, form=None):
    import http.client
    import urllib.parse
    from http.cookies import SimpleCookie

    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    for attempt in (1, 2):
        try:
            self.conn.request(method, url, body=body, headers=headers)
            response = self.conn.getresponse()
            response.data = response.read()
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


class Browser(tp.Browser):
    request = _request_keeping_body


tp.Browser = Browser  # Load builds its browsers through tp.Browser


# --- the report --------------------------------------------------------------------------


def per_minute(results: list[Result], begun: float, minutes: int) -> list[dict]:
    rows = []
    for m in range(minutes):
        lo, hi = begun + 60 * m, begun + 60 * (m + 1)
        rs = [r for r in results if lo <= r.at < hi and r.kind != "export"]
        exports = [r for r in results if lo <= r.at < hi and r.kind == "export"]
        ok = [r.ms for r in rs if r.ok]
        rows.append(
            dict(
                minute=m + 1,
                by_kind=collections.Counter(r.kind for r in rs if r.ok),
                exports=sum(1 for r in exports if r.ok),
                errors=sum(1 for r in rs + exports if not r.ok),
                n=len(ok),
                p50=tp.percentile(ok, 50),
                p95=tp.percentile(ok, 95),
                p99=tp.percentile(ok, 99),
                p99_read=tp.percentile([r.ms for r in rs if r.ok and r.kind == "read"], 99),
                p99_write=tp.percentile([r.ms for r in rs if r.ok and r.kind in ("approve", "record")], 99),
            )
        )
    return rows


def print_minutes(rows: list[dict]) -> None:
    head = (
        f"{'min':>3} | {'done':>5} {'req/s':>5} | {'read':>5} {'appr':>5} {'rec':>4} {'poll':>4} {'exp':>3} | "
        f"{'err':>3} | {'p50':>5} {'p95':>5} {'p99':>6} | {'p99 rd':>6} {'p99 wr':>6}"
    )
    log(head)
    log("-" * len(head))
    for r in rows:
        k = r["by_kind"]
        log(
            f"{r['minute']:>3} | {r['n']:>5} {r['n'] / 60:5.1f} | {k['read']:>5} {k['approve']:>5} {k['record']:>4} "
            f"{k['poll']:>4} {r['exports']:>3} | {r['errors']:>3} | {r['p50']:5.0f} {r['p95']:5.0f} "
            f"{r['p99']:6.0f} | {r['p99_read']:6.0f} {r['p99_write']:6.0f}"
        )


# --- the invariants ------------------------------------------------------------------------


def invariants(
    results: list[Result], run_started_at, ticks_started_at, released: list[int]
) -> list[tuple[str, bool, str]]:
    from django.db import connection

    from workflows import chain
    from workflows.flows import off_lifecycle_nodes
    from workflows.models import AuditEvent, CaseTask, ExportJob, JobStatus, TrainingRecord

    checks = []
    off_names = [f"{FLOW}.{n.name}" for n in off_lifecycle_nodes()]
    with connection.cursor() as cursor:
        # 1. Each case's state and its open lifecycle tasks.
        cursor.execute(
            f"""
            WITH open AS (
                SELECT t.case_id,
                       count(*) FILTER (WHERE t.flow_task_type = 'HUMAN') AS human,
                       count(*) FILTER (WHERE t.flow_task_type = 'HUMAN' AND t.flow_task = '{FLOW}.' || c.state)
                           AS at_state,
                       count(*) FILTER (WHERE t.flow_task_type = 'HUMAN' AND t.flow_task = '{FLOW}.accept') AS accept,
                       count(*) FILTER (WHERE t.flow_task_type <> 'HUMAN'
                                        AND t.flow_task <> '{FLOW}.accept_join') AS other_gateway,
                       count(*) FILTER (WHERE t.flow_task = '{FLOW}.accept_join') AS joins
                FROM workflows_casetask t JOIN workflows_case c ON c.id = t.case_id
                WHERE t.status IN ('NEW', 'ASSIGNED', 'STARTED') AND NOT (t.flow_task = ANY(%s))
                GROUP BY t.case_id
            ), node AS (
                SELECT c.id, c.state,
                       CASE c.state WHEN 'registered' THEN 'pair' WHEN 'training' THEN 'submit'
                                    ELSE c.state END AS node,
                       COALESCE(o.human, 0) AS human, COALESCE(o.accept, 0) AS accept,
                       COALESCE(o.other_gateway, 0) AS other_gateway, COALESCE(o.joins, 0) AS joins
                FROM workflows_case c LEFT JOIN open o ON o.case_id = c.id
            )
            SELECT n.state, count(*) AS cases,
                   count(*) FILTER (WHERE NOT CASE
                       WHEN n.state IN ('completed', 'exited', 'rejected', 'paused')
                           THEN n.human = 0 AND n.joins = 0
                       WHEN n.state = 'paired' THEN n.human >= 1 AND n.human = n.accept
                       ELSE n.human = 1 AND n.joins = 0 AND EXISTS (
                           SELECT 1 FROM workflows_casetask t WHERE t.case_id = n.id
                           AND t.status IN ('NEW', 'ASSIGNED', 'STARTED') AND t.flow_task = '{FLOW}.' || n.node)
                   END OR n.other_gateway > 0) AS bad
            FROM node n GROUP BY n.state ORDER BY n.state
            """,
            [off_names],
        )
        rows = cursor.fetchall()
        bad = sum(r[2] for r in rows)
        detail = ", ".join(f"{s} {n}" + (f" ({b} bad)" if b else "") for s, n, b in rows)
        checks.append(("each case's state agrees with its open lifecycle tasks", bad == 0, detail))
        if bad:
            cursor.execute(f"""
                SELECT c.id, c.state, string_agg(t.flow_task || ':' || t.status, ' ')
                FROM workflows_case c LEFT JOIN workflows_casetask t ON t.case_id = c.id
                     AND t.status IN ('NEW', 'ASSIGNED', 'STARTED')
                WHERE c.id IN (SELECT c2.id FROM workflows_case c2 WHERE c2.state = 'branch_review'
                               AND (SELECT count(*) FROM workflows_casetask t2 WHERE t2.case_id = c2.id
                                    AND t2.status IN ('NEW','ASSIGNED','STARTED')
                                    AND t2.flow_task = '{FLOW}.branch_review') <> 1 LIMIT 5)
                GROUP BY c.id, c.state
            """)
            for row in cursor.fetchall():
                log(f"    e.g. {row}")
        # 2. The trail ends in the case's state.
        cursor.execute("""
            WITH last AS (
                SELECT DISTINCT ON (e.case_id) e.case_id, e.to_state
                FROM workflows_auditevent e WHERE e.case_id IS NOT NULL AND e.to_state <> ''
                ORDER BY e.case_id, e.seq DESC
            )
            SELECT count(*), count(*) FILTER (WHERE l.to_state <> c.state)
            FROM last l JOIN workflows_case c ON c.id = l.case_id
        """)
        with_trail, disagree = cursor.fetchone()
        checks.append(
            (
                "each case with a trail: its last event's state is the case's",
                disagree == 0,
                f"{with_trail} cases with a trail, {disagree} disagree (the seeded history has no trail)",
            )
        )

    # 3. Approvals.
    approvals = [r for r in results if r.kind == "approve" and r.task_id is not None]
    done_ids = [r.task_id for r in approvals if r.ok]
    refused_ids = [r.task_id for r in approvals if not r.ok]
    events = collections.Counter(
        AuditEvent.objects.filter(task_id_ref__in=done_ids + refused_ids, action="approve").values_list(
            "task_id_ref", flat=True
        )
    )
    tasks = {t.pk: t for t in CaseTask.objects.filter(pk__in=done_ids + refused_ids).select_related("case")}
    expected_state = {"branch": "unit_review", "unit": "city_filing"}
    wrong = []
    for r in approvals:
        t = tasks.get(r.task_id)
        if r.ok:
            good = events[r.task_id] == 1 and t.status == "DONE" and t.case.state == expected_state[r.status]
        else:
            good = events[r.task_id] == 0 and t.status in ("NEW", "ASSIGNED")
        if not good:
            wrong.append((r.task_id, r.ok, events[r.task_id], t.status, t.case.state))
    checks.append(
        (
            "each approval: task done, case one step on, exactly one 审核通过 event (refused: nothing changed)",
            not wrong,
            f"{len(done_ids)} approvals, {len(refused_ids)} refused" + (f"; wrong: {wrong[:5]}" if wrong else ""),
        )
    )
    # 4. Records.
    n_records = sum(1 for r in results if r.kind == "record" and r.ok)
    made = TrainingRecord.objects.filter(signed_at__gte=run_started_at).count()
    record_events = AuditEvent.objects.filter(action="record", at__gte=run_started_at).count()
    checks.append(
        (
            "each record written: one record row, one 培养记录 event",
            record_events == n_records and made == n_records,
            f"{n_records} records answered 302; {made} rows, {record_events} events since the run began",
        )
    )
    # 5. Reminders.
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT count(*) FROM (SELECT task_id_ref, action FROM workflows_auditevent
                                  WHERE action IN ('remind', 'overdue', 'escalate') AND task_id_ref IS NOT NULL
                                  GROUP BY 1, 2 HAVING count(*) > 1) d
        """)
        double_events = cursor.fetchone()[0]
        cursor.execute("""
            SELECT count(*) FROM (SELECT task_id, kind, recipient_id FROM workflows_notification
                                  WHERE task_id IS NOT NULL AND kind IN ('due_soon', 'overdue', 'escalated')
                                  GROUP BY 1, 2, 3 HAVING count(*) > 1) d
        """)
        double_notes = cursor.fetchone()[0]
        cursor.execute(
            "SELECT key, count(*) FROM workflows_taskreminder WHERE sent_at >= %s GROUP BY key ORDER BY key",
            [ticks_started_at],
        )
        sent = dict(cursor.fetchall())
        cursor.execute(
            "SELECT action, count(*) FROM workflows_auditevent WHERE at >= %s "
            "AND action IN ('remind', 'overdue', 'escalate') GROUP BY action ORDER BY action",
            [ticks_started_at],
        )
        sent_events = dict(cursor.fetchall())
        cursor.execute(
            "SELECT count(DISTINCT task_id) FROM workflows_taskreminder WHERE key = 'overdue' AND task_id = ANY(%s)",
            [released],
        )
        released_reminded = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM workflows_taskreminder r WHERE r.sent_at >= %s AND NOT EXISTS ("
            "SELECT 1 FROM workflows_auditevent e WHERE e.task_id_ref = r.task_id "
            "AND e.action = CASE r.key WHEN 'due_soon' THEN 'remind' WHEN 'overdue' THEN 'overdue' "
            "WHEN 'escalated' THEN 'escalate' END)",
            [ticks_started_at],
        )
        reminder_without_event = cursor.fetchone()[0]
    checks.append(
        (
            "no reminder sent twice (per task and kind: one audit event, one notification per recipient)",
            double_events == 0 and double_notes == 0 and reminder_without_event == 0,
            f"sent since the ticks started: reminder rows {sent or '{}'}, events {sent_events or '{}'}; "
            f"tasks with two events of a kind {double_events}, doubled notifications {double_notes}, "
            f"reminder rows without their event {reminder_without_event}",
        )
    )
    checks.append(
        (
            "every released overdue step got its 逾期提醒 (released before the ticks started)",
            released_reminded == len(released),
            f"{released_reminded} of {len(released)}",
        )
    )
    # 6. The 附件2 rounds the two ticks open: one per unit and year.
    from workflows.models import ReportProcess

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), count(DISTINCT (unit_id, year)) FROM {ReportProcess._meta.db_table} "
            "WHERE kind = 'annex2'"
        )
        rounds, distinct = cursor.fetchone()
    checks.append(("one 附件2 round per unit and year (opened by the ticks)", rounds == distinct, f"{rounds} rounds"))
    # 7. The audit chain.
    t = time.perf_counter()
    result = chain.verify(1)
    checks.append(
        (
            "the audit chain verifies (workflows.chain.verify)",
            result.ok,
            f"{result.events} events, {len(result.problems)} problems, {time.perf_counter() - t:.1f} s"
            + (f": {[(p.kind, p.seq, p.detail) for p in result.problems[:3]]}" if result.problems else ""),
        )
    )
    # 8. Exports.
    jobs = collections.Counter(
        ExportJob.objects.filter(requested_at__gte=run_started_at).values_list("status", flat=True)
    )
    checks.append(
        (
            "every export job of the run finished (done)",
            sum(jobs.values()) > 0 and set(jobs) == {JobStatus.DONE.value},
            ", ".join(f"{k} {v}" for k, v in jobs.items()) or "none",
        )
    )
    return checks


# --- main ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000, help="seeded history (bench/inbox.py's seed)")
    parser.add_argument("--pool", type=int, default=4000, help="copies of each approval template")
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--rate", type=float, help="requests/s of the run (default: half the measured capacity)")
    parser.add_argument("--capacity", type=float, help="take the capacity as given instead of measuring it")
    parser.add_argument("--ramp-seconds", type=float, default=20.0, help="length of each capacity step")
    parser.add_argument("--export-every", type=float, default=60.0)
    parser.add_argument("--release", type=int, default=200, help="seeded overdue steps the ticks must remind")
    parser.add_argument("--tick-interval", type=int, default=10)
    parser.add_argument("--workers-per-server", type=int, default=1)
    parser.add_argument("--approvers", type=int, default=4, help="支部书记 and 审核人 sessions (each)")
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the database")
    parser.add_argument("--port", type=int, default=8781)
    args = parser.parse_args()

    cfg = dj_database_url.parse(os.environ["DATABASE_URL"])
    if "postgresql" not in cfg["ENGINE"]:
        raise SystemExit("bench/province.py needs DATABASE_URL pointing to PostgreSQL")
    t_all = time.perf_counter()
    log(f"bench/province.py {' '.join(sys.argv[1:])}")
    log(f"load average at start: {loadavg()}")
    reuse = args.keep and inbox_bench._db_exists(cfg)
    if not reuse:
        log(f"creating database {cfg['NAME']}")
        tp.recreate_database(cfg)
    import django

    django.setup()
    import json

    from django.core.management import call_command
    from django.db import connection, connections
    from django.utils import timezone

    from workflows.models import KINDS_FOR_CASE, CaseState

    call_command("migrate", verbosity=0)
    meta = None
    if reuse:
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('province_meta') IS NOT NULL")
            if cursor.fetchone()[0]:
                cursor.execute("SELECT cases, pool, meta FROM province_meta")
                cases, pool, stored = cursor.fetchone()
                if (cases, pool) == (args.cases, args.pool):
                    meta = stored if isinstance(stored, dict) else json.loads(stored)
        if meta is None:
            connection.close()
            tp.recreate_database(cfg)
            call_command("migrate", verbosity=0)
        else:
            log(f"reusing the kept database {cfg['NAME']} ({args.cases} cases, pool {args.pool})")
    t = time.perf_counter()
    if meta is None:
        meta = prepare(args.cases, args.pool, args.approvers)
        log(f"prepared in {time.perf_counter() - t:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE workflows_case SET obligations_synced_on = %s", [today()])
        cursor.execute("SELECT count(*) FROM workflows_case")
        n_cases = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM workflows_casetask")
        n_tasks = cursor.fetchone()[0]
        cursor.execute("SELECT version()")
        pg_version = cursor.fetchone()[0].split(",")[0]
    log(f"database: {n_cases} cases, {n_tasks} task rows ({pg_version})")
    # Pools: open 支部审核 / 单位审核 tasks of the world's branch (the copies), shuffled.
    from workflows.models import Case

    world_cases = Case.objects.filter(teacher__name__startswith="模板")
    branch = tp.open_tasks("branch_review")
    unit = tp.open_tasks("unit_review")
    from workflows.models import CaseTask

    ours = set(CaseTask.objects.filter(case__org__name="赫山一中第一党支部", status="NEW").values_list("pk", flat=True))
    branch = [t for t in branch if t in ours]
    unit = [t for t in unit if t in ours]
    rng = random.Random(7)
    rng.shuffle(branch)
    rng.shuffle(unit)
    pools = {"branch": collections.deque(branch), "unit": collections.deque(unit)}
    training_cases = list(
        world_cases.filter(state=CaseState.TRAINING, teacher__name="模板培养中").values_list("pk", flat=True)
    )
    log(f"pools: {len(branch)} 支部审核 tasks, {len(unit)} 单位审核 tasks, {len(training_cases)} 培养中 cases")
    record_kind = KINDS_FOR_CASE["1"][0].value
    EXPORTS_DIR.mkdir(parents=True, exist_ok=True)
    connections.close_all()

    # The seeded steps the ticks must remind, released before they start (their first pass meets them).
    released = release_reminders(args.release)
    ticks_started_at = timezone.now()
    connections.close_all()
    procs = []
    servers = []
    try:
        ports = [args.port, args.port + 1]
        for port in ports:
            servers.append(tp.Server(args.workers_per_server, port))
        for i in (1, 2):
            procs.append(Background(f"db_worker_{i}", ["db_worker", "--interval", "1", "--no-startup-delay"]))
            procs.append(Background(f"tick_{i}", ["tick", "--loop", "--interval", str(args.tick_interval)]))
        log(
            f"started 2 gunicorn (-w {args.workers_per_server} each, ports {ports[0]}, {ports[1]}), "
            f"2 db_worker --interval 1, 2 tick --loop --interval {args.tick_interval}"
        )
        load = Load(meta, ports, pools, training_cases)
        load.record_kind = record_kind
        log(f"logged in {sum(len(v) for v in load.browsers.values()) + 1} sessions; load average {loadavg()}")

        # Capacity.
        if args.rate:
            rate = args.rate
            log(f"rate {rate:.1f} requests/s (given by --rate)")
        else:
            if args.capacity:
                capacity = args.capacity
                log(f"capacity {capacity:.1f} requests/s (given by --capacity)")
            else:
                best = 0.0
                for inflight in (2, 4, 8):
                    before = loadavg()
                    cap, done = load.closed_loop(inflight, args.ramp_seconds)
                    errs = collections.Counter(r.error for r in done if not r.ok)
                    lat = [r.ms for r in done if r.ok]
                    log(
                        f"  capacity step: {inflight} in flight, {cap:.1f} completions/s, p50 "
                        f"{tp.percentile(lat, 50):.0f} p99 {tp.percentile(lat, 99):.0f} ms, errors "
                        f"{sum(errs.values())} {dict(errs) or ''}; load {before} → {loadavg()}"
                    )
                    best = max(best, cap)
                capacity = best
                log(f"capacity {capacity:.1f} requests/s (measured: best closed-loop step)")
            rate = capacity / 2
            log(f"rate {rate:.1f} requests/s (half the capacity)")

        # The run.
        with connections["default"].cursor():
            pass
        run_started_at = timezone.now()
        connections.close_all()
        with load.lock:
            load.results.clear()
        load_before = loadavg()
        log(
            f"\nrun: {args.minutes} min at {rate:.1f} requests/s, released {len(released)} steps to remind; "
            f"load average {load_before}"
        )
        begun, scheduled = load.open_loop(rate, args.minutes * 60, args.export_every)
        load_after = loadavg()
        load.close()
        results = list(load.results)
    finally:
        for server in servers:
            server.stop()
        codes = {p.name: (p.stop(), p.tracebacks()) for p in procs}

    log("")
    log(
        f"A province on two app servers: {n_cases} cases, {n_tasks} task rows at start, {pg_version}; "
        f"run {run_started_at.astimezone(datetime.UTC):%Y-%m-%d %H:%M} UTC, {args.minutes} min at {rate:.1f} "
        f"requests/s scheduled ({scheduled} requests; mix {', '.join(f'{k} {w:.0%}' for k, w in MIX)}; "
        f"an export every {args.export_every:.0f} s)"
    )
    log(f"load average before {load_before} → after {load_after}")
    rows = per_minute(results, begun, args.minutes)
    print_minutes(rows)
    log(
        "(done = requests answered as expected, exports excluded; latency in ms at the client from the "
        "scheduled start; rd = reads and polls, wr = approvals and records; exp = exports finished)"
    )
    errors = collections.Counter(r.error for r in results if not r.ok)
    late = [r for r in results if r.at > begun + args.minutes * 60]
    exports = [r for r in results if r.kind == "export"]
    log(f"errors: {sum(errors.values())} {dict(errors) if errors else ''}")
    log(
        f"exports: {sum(1 for r in exports if r.ok)} of {len(exports)} done, POST → 已完成 "
        f"p50 {tp.percentile([r.ms for r in exports if r.ok], 50) / 1000:.1f} s, "
        f"max {max([r.ms for r in exports if r.ok], default=float('nan')) / 1000:.1f} s"
    )
    total_ok = sum(1 for r in results if r.ok and r.kind != "export")
    log(f"throughput: {total_ok / (args.minutes * 60):.1f} requests/s over the run ({len(late)} finished after it)")
    first, last = rows[0]["p99"], rows[-1]["p99"]
    drift = last / first if first else float("nan")
    log(
        f"p99 drift last/first minute: {last:.0f} / {first:.0f} ms = {drift:.2f}× "
        f"({'≤' if drift <= TARGET_DRIFT else '>'} {TARGET_DRIFT}×)"
    )
    for name, (code, tracebacks) in codes.items():
        log(f"  {name}: exit {code}, {tracebacks} tracebacks in var/province/{name}.log")
    for name in ("tick_1", "tick_2"):
        started = timezone.localtime(ticks_started_at).replace(tzinfo=None)
        stamps = [
            datetime.datetime.strptime(line[1:20], "%Y-%m-%d %H:%M:%S")
            for line in (LOG_DIR / f"{name}.log").read_text(errors="replace").splitlines()
            if "下发培养任务" in line
        ]
        gaps = [(b - a).total_seconds() - args.tick_interval for a, b in zip(stamps, stamps[1:], strict=False)]
        first = (stamps[0] - started).total_seconds() if stamps else float("nan")
        log(
            f"  {name}: {len(stamps)} passes completed; the first ended {first:.0f} s after the start; later ones "
            f"took ≈ {sum(gaps) / len(gaps) if gaps else float('nan'):.0f} s (max {max(gaps, default=float('nan')):.0f}"
            f" s; the gap between passes minus the interval)"
        )

    connections.close_all()
    log("\ninvariants:")
    checks = invariants(results, run_started_at, ticks_started_at, released)
    for label, ok, detail in checks:
        log(f"  {'PASS' if ok else 'FAIL'}  {label}: {detail}")
    log(f"load average at end: {loadavg()}")
    if args.keep:
        log(f"kept database {cfg['NAME']}")
    else:
        tp.drop_database(cfg)
        log(f"dropped database {cfg['NAME']}")
    log(f"total {time.perf_counter() - t_all:.0f} s")


if __name__ == "__main__":
    main()

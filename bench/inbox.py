"""Inbox benchmark on PostgreSQL: 100,000 cases, ~1.2 million viewflow task rows.

    python bench/inbox.py [--cases 100000] [--keep] [--reps 200] [--http-reps 50] [--explain]

DATABASE_URL must point to PostgreSQL; default
``postgres://postgres@127.0.0.1:5432/shuangpei_bench``. The script (re)creates that
database, migrates it, seeds it with bulk SQL (INSERT ... SELECT over generate_series,
not the services, which would take hours), runs VACUUM ANALYZE, then times the inbox
server side for one busy user:

* 待认领 (``selectors.queue_for_user``) and 我的待办 (``selectors.inbox_for_user``),
  ordered by due date, unfiltered and with each filter of ``selectors.filter_tasks``
  (kind, unit, stage, overdue, name search) and all of them together;
* one "page" = what a list view does: the user's role assignments, the COUNT the page
  shows, the first 25 (or 100) rows with their related objects, and reading every
  column a row shows;
* median and p95 over ``--reps`` repetitions, and the number of SQL queries per page
  for page sizes 25 and 100.

Issue 13's target: the whole HTTP page of 25 rows (session, menu, filters, template) at
p95 <= 30 ms with <= 10 queries at 100,000 cases; cells that miss it are marked. --http-only
skips the selector table. Run it with --cases 10000 (another DATABASE_URL) for the growth.

If ``project.urls`` has the inbox pages (``inbox:inbox``, ``inbox:queue``), they are
also timed through ``django.test.Client`` logged in as the busy user (force_login).

--keep leaves the database in place afterwards (for EXPLAIN by hand), and a later run
with --keep and the same --cases reuses it instead of seeding again. Without --keep the
database is dropped at the end. --explain prints EXPLAIN (ANALYZE, BUFFERS) of the
page and count queries of every scenario; scenarios whose p95 misses the target are
always explained.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).absolute().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shuangpei_bench")
# The pages are timed through django.test.Client over plain HTTP, not redirected to HTTPS.
os.environ.setdefault("PLAIN_HTTP", "1")

import dj_database_url  # noqa: E402
import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

TARGET_P95_MS = 30.0  # issue 13: a whole HTTP page (25 rows), p95, at 100,000 cases
TARGET_QUERIES = 10
SEED = 20261121
BUSY_USERNAME = "busy_officer"

# The tree: 19 first-level units as in 附件1 (county bureaus and directly-run schools).
N_COUNTIES = 13
N_DIRECT = 6
SCHOOLS_PER_COUNTY = (8, 12)  # ~10 per county
BRANCHES_PER_SCHOOL = (2, 4)
BRANCHES_PER_DIRECT = (4, 8)
MENTORS_PER_SCHOOL = 8
# The busy school (a county school, e.g. an education group) holds this share of all cases.
BUSY_SHARE = 0.10

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力婷宇浩凯鹏晨欣怡雪梅琳丹慧佳颖晓燕春"
SEARCH_TERM = "晓"  # one given-name character: matches a few per cent of names

FLOW = "workflows/flows.CaseFlow"
# One row per task a complete case leaves behind, in the order viewflow writes them
# (see a real run: start, route, pair, route, accept_split, accept x2, accept_join, ...).
# (seq, node, flow_task_type, human step or "", stage, role)
TEMPLATE = [
    (1, "start", "START", "", "", ""),
    (2, "route", "SWITCH", "", "", ""),
    (3, "pair", "HUMAN", "pair", "registered", "officer"),
    (4, "route", "SWITCH", "", "", ""),
    (5, "accept_split", "PARALLEL_GATEWAY", "", "", ""),
    (6, "accept", "HUMAN", "accept1", "paired", ""),
    (7, "accept", "HUMAN", "accept2", "paired", ""),
    (8, "accept_join", "JOIN", "", "", ""),
    (9, "route", "SWITCH", "", "", ""),
    (10, "submit", "HUMAN", "submit", "training", "officer"),
    (11, "route", "SWITCH", "", "", ""),
    (12, "branch_review", "HUMAN", "branch_review", "branch_review", "branch_secretary"),
    (13, "route", "SWITCH", "", "", ""),
    (14, "unit_review", "HUMAN", "unit_review", "unit_review", "reviewer"),
    (15, "route", "SWITCH", "", "", ""),
    (16, "city_filing", "HUMAN", "city_filing", "city_filing", "city_admin"),
    (17, "route", "SWITCH", "", "", ""),
    (18, "end", "END", "", "", ""),
]
# The seq of the task that is open in each state (for "paired": the second acceptance).
OPEN_SEQ = {
    "registered": 3,
    "paired": 7,
    "training": 10,
    "branch_review": 12,
    "unit_review": 14,
    "city_filing": 16,
    "completed": 18,
}
# State mix (cumulative thresholds on one random number): most history, ~5% open tasks.
STATE_MIX = [
    ("completed", 0.35),
    ("exited", 0.40),
    ("registered", 0.50),
    ("paired", 0.56),
    ("training", 0.84),
    ("branch_review", 0.91),
    ("unit_review", 0.96),
    ("city_filing", 1.00),
]
CLAIMED_SHARE = 0.25  # open officer/reviewer tasks already claimed (in someone's 我的待办)


def log(msg: str) -> None:
    print(msg, flush=True)


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


def _db_exists(cfg) -> bool:
    with _admin_conn(cfg) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]]).fetchone() is not None


def recreate_database(cfg) -> None:
    with _admin_conn(cfg) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(cfg["NAME"])))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(cfg["NAME"])))


def drop_database(cfg) -> None:
    from django.db import connections

    connections.close_all()
    with _admin_conn(cfg) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(cfg["NAME"])))


def kept_seed(cursor, n_cases: int) -> bool:
    cursor.execute("SELECT to_regclass('bench_meta') IS NOT NULL")
    if not cursor.fetchone()[0]:
        return False
    cursor.execute("SELECT cases FROM bench_meta")
    row = cursor.fetchone()
    return bool(row and row[0] == n_cases)


# --- the tree, people and roles (a few thousand rows: built in Python) ----------------


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def build_tree(rng: random.Random):
    """Organisations with explicit ids and materialised paths, as Organisation.save() makes them."""
    orgs = []

    def add(name, kind, parent):
        oid = len(orgs) + 1
        path = (parent["path"] if parent else "/") + f"{oid}/"
        unit = oid if kind in ("county", "direct") else (parent["unit_id"] if parent else None)
        org = dict(
            id=oid,
            name=name,
            kind=kind,
            parent_id=parent["id"] if parent else None,
            path=path,
            unit_id=unit,
            sort_order=len(orgs),
        )
        orgs.append(org)
        return org

    city = add("市委教育工委", "city", None)
    counties, directs, schools = [], [], []
    branches = []  # (branch, school_level, unit)
    for c in range(1, N_COUNTIES + 1):
        county = add(f"第{c}区县教育局", "county", city)
        counties.append(county)
        for s in range(1, rng.randint(*SCHOOLS_PER_COUNTY) + 1):
            school = add(f"第{c}区县第{s}中学", "school", county)
            schools.append((school, county))
            for b in range(1, rng.randint(*BRANCHES_PER_SCHOOL) + 1):
                branches.append((add(f"第{c}区县{s}中第{b}党支部", "branch", school), school, county))
    for d in range(1, N_DIRECT + 1):
        direct = add(f"市直属第{d}学校", "direct", city)
        directs.append(direct)
        for b in range(1, rng.randint(*BRANCHES_PER_DIRECT) + 1):
            branches.append((add(f"市直{d}校第{b}党支部", "branch", direct), direct, direct))
    return orgs, city, counties, directs, schools, branches


def seed_people(cursor, rng: random.Random, tree):
    """Users, role assignments and mentor teachers; returns the routing table per branch."""
    from django.contrib.auth.hashers import make_password

    orgs, city, counties, directs, schools, branches = tree
    users, roles, teachers = [], [], []

    def user(username, full_name, password="!unusable"):
        uid = len(users) + 1
        users.append((uid, password, username, full_name))
        return uid

    def role(uid, org, r):
        roles.append((len(roles) + 1, r, org["id"], uid))

    city_admins = [user(f"city_admin_{i}", f"市级管理员{i}") for i in (1, 2)]
    for uid in city_admins:
        role(uid, city, "city_admin")
    reviewers, officers, mentors = {}, {}, {}
    for county in counties:
        reviewers[county["id"]] = [user(f"reviewer_{county['id']}_{i}", _name(rng)) for i in (1, 2)]
        for uid in reviewers[county["id"]]:
            role(uid, county, "reviewer")
        role(user(f"auditor_{county['id']}", _name(rng)), county, "auditor")
    busy_school, busy_county = schools[0]
    busy = user(BUSY_USERNAME, "忙碌的党务干部", password=make_password("bench"))
    school_levels = [s for s, _ in schools] + directs
    for org in school_levels:
        officers[org["id"]] = [user(f"officer_{org['id']}_{i}", _name(rng)) for i in (1, 2)]
        for uid in officers[org["id"]]:
            role(uid, org, "officer")
        if org["kind"] == "direct":
            reviewers[org["id"]] = [user(f"reviewer_{org['id']}_1", _name(rng))]
            role(reviewers[org["id"]][0], org, "reviewer")
        mentors[org["id"]] = []
        for i in range(MENTORS_PER_SCHOOL):
            name = _name(rng)
            uid = user(f"mentor_{org['id']}_{i}", name)
            tid = len(teachers) + 1
            teachers.append(
                (
                    tid,
                    name,
                    "F" if i % 2 else "M",
                    f"{1965 + i * 3}-0{1 + i % 9}-15",
                    "语文",
                    "教研组长",
                    "full",
                    "",
                    True,
                    "",
                    org["id"],
                    uid,
                    False,
                    "",
                )
            )
            mentors[org["id"]].append((tid, uid))
    role(busy, busy_school, "officer")
    # The busy user takes 60% of the school's claimed officer tasks (the array is the weighting).
    officers[busy_school["id"]] = [busy, busy, busy] + officers[busy_school["id"]]

    route = []
    busy_branch = None
    for branch, school_level, unit in branches:
        if school_level["id"] == busy_school["id"] and busy_branch is None:
            busy_branch = branch
            secretary = busy
        else:
            secretary = user(f"secretary_{branch['id']}", _name(rng))
        role(secretary, branch, "branch_secretary")
        ms = mentors[school_level["id"]]
        route.append(
            (
                branch["id"],
                branch["path"],
                unit["id"],
                school_level["id"] == busy_school["id"],
                school_level["id"],
                officers[school_level["id"]],
                secretary,
                unit["id"],
                reviewers[unit["id"]],
                city["id"],
                city_admins,
                [t for t, _ in ms],
                [u for _, u in ms],
            )
        )

    with cursor.copy(
        "COPY workflows_organisation (id, name, kind, parent_id, path, unit_id, sort_order) FROM STDIN"
    ) as copy:
        for o in orgs:
            copy.write_row((o["id"], o["name"], o["kind"], o["parent_id"], o["path"], o["unit_id"], o["sort_order"]))
    with cursor.copy(
        "COPY auth_user (id, password, username, first_name, last_name, email, is_superuser, "
        "is_staff, is_active, date_joined) FROM STDIN"
    ) as copy:
        for uid, pw, username, full_name in users:
            copy.write_row((uid, pw, username, full_name, "", "", False, False, True, "2024-01-01 00:00+08"))
    with cursor.copy("COPY workflows_roleassignment (id, role, org_id, user_id) FROM STDIN") as copy:
        for r in roles:
            copy.write_row(r)
    with cursor.copy(
        "COPY workflows_teacher (id, name, sex, birth_date, subject, position, party_status, "
        "titles, is_backbone, honours, org_id, user_id, is_famous_principal, planned_kind) FROM STDIN"
    ) as copy:
        for t in teachers:
            copy.write_row(t)
    cursor.execute("""
        CREATE UNLOGGED TABLE bench_route (
            branch_id bigint PRIMARY KEY, path text, unit_id bigint, busy boolean,
            officer_org bigint, officer_users int[], secretary_user int,
            reviewer_org bigint, reviewer_users int[], city_org bigint, city_users int[],
            mentor_teachers bigint[], mentor_users int[])
    """)
    with cursor.copy("COPY bench_route FROM STDIN") as copy:
        for r in route:
            copy.write_row(r)
    return dict(
        busy_user=busy,
        busy_school=busy_school,
        busy_county=busy_county,
        busy_branch=busy_branch,
        n_users=len(users),
        n_teachers=len(teachers),
        n_orgs=len(orgs),
        n_branches=len(branches),
        branches=[b["id"] for b, _, _ in branches],
        busy_branches=[b["id"] for b, s, _ in branches if s["id"] == busy_school["id"]],
    )


# --- cases and tasks (bulk SQL) --------------------------------------------------------


def _state_case_sql() -> str:
    parts = " ".join(f"WHEN r_state < {t} THEN '{s}'" for s, t in STATE_MIX[:-1])
    return f"CASE {parts} ELSE '{STATE_MIX[-1][0]}' END"


def seed_cases(cursor, n_cases: int, people) -> None:
    from django.conf import settings

    due = settings.SHUANGPEI_DUE_DAYS
    cursor.execute("SELECT setseed(%s)", [0.4242])
    n_mentor_teachers = people["n_teachers"]
    # One row per case: where it is, which state, how many mentors, its timeline.
    cursor.execute(
        f"""
        CREATE UNLOGGED TABLE bench_case AS
        WITH g AS (
            SELECT i, random() AS r_state, random() AS r_kind, random() AS r_m, random() AS r_busy,
                   random() AS r_org, random() AS r_age, random() AS r_span, random() AS r_claim,
                   random() AS r_exit, random() AS r_owner
            FROM generate_series(1, %(n)s) AS i
        ), s AS (
            SELECT g.*,
                   CASE WHEN r_busy < %(busy_share)s
                        THEN (%(busy_branches)s::bigint[])[1 + floor(r_org * %(nb)s)::int]
                        ELSE (%(branches)s::bigint[])[1 + floor(r_org * %(na)s)::int] END AS branch_id,
                   CASE WHEN r_kind < 0.55 THEN '1' ELSE '2' END AS kind,
                   {_state_case_sql()} AS state,
                   CASE WHEN r_m < 0.6 THEN 1 ELSE 2 END AS mentors
            FROM g
        )
        SELECT s.*,
               CASE s.state
                   WHEN 'exited' THEN (ARRAY[3, 7, 10, 10, 10, 12, 14])[1 + floor(r_exit * 7)::int]
                   {" ".join(f"WHEN '{k}' THEN {v}" for k, v in OPEN_SEQ.items())}
               END AS last_seq,
               CASE WHEN s.kind = '1' THEN {due["submit_1"]} ELSE {due["submit_2"]} END AS train_days
        FROM s
    """,
        dict(
            n=n_cases,
            busy_share=BUSY_SHARE,
            busy_branches=people["busy_branches"],
            nb=len(people["busy_branches"]),
            branches=people["branches"],
            na=len(people["branches"]),
        ),
    )
    # The open (or last) step was opened `age` days ago; the case began `span` days before it.
    cursor.execute(f"""
        ALTER TABLE bench_case ADD COLUMN last_at timestamptz, ADD COLUMN t0 timestamptz;
        UPDATE bench_case SET last_at = now() - make_interval(secs => 86400 * CASE
                WHEN state IN ('completed', 'exited') THEN 5 + r_age * 900
                ELSE r_age * 1.6 * CASE last_seq
                    WHEN 3 THEN {due["pair"]} WHEN 7 THEN {due["accept"]} WHEN 10 THEN train_days
                    ELSE {due["branch_review"]} END
            END);
        UPDATE bench_case SET t0 = last_at - make_interval(secs => 86400 * (
                last_seq * (1 + r_span * 4) + CASE WHEN last_seq > 10 THEN train_days ELSE 0 END));
        ALTER TABLE bench_case ADD PRIMARY KEY (i);
    """)
    cursor.execute(
        """
        INSERT INTO workflows_teacher (id, name, sex, birth_date, subject, position, party_status, titles,
                                       is_backbone, honours, org_id, user_id, is_famous_principal, planned_kind)
        SELECT %(m)s + c.i,
               substr(%(sur)s, 1 + floor(random() * %(ns)s)::int, 1)
                 || substr(%(giv)s, 1 + floor(random() * %(ng)s)::int, 1)
                 || CASE WHEN random() < 0.7 THEN substr(%(giv)s, 1 + floor(random() * %(ng)s)::int, 1) ELSE '' END,
               CASE WHEN random() < 0.6 THEN 'F' ELSE 'M' END,
               DATE '1975-01-01' + floor(random() * 8000)::int,
               (ARRAY['语文','数学','英语','物理','化学','生物','历史','地理','政治','体育'])[1 + (c.i %% 10)],
               '', CASE WHEN c.kind = '1' THEN 'activist' ELSE 'full' END, '', c.kind = '1', '',
               c.branch_id, NULL, false, ''
        FROM bench_case c
    """,
        dict(m=n_mentor_teachers, sur=SURNAMES, ns=len(SURNAMES), giv=GIVEN, ng=len(GIVEN)),
    )
    cursor.execute(
        """
        INSERT INTO workflows_case (id, kind, state, scope_path, registered_at, paused_from, completed_at, note,
                                    paused_days, registered_by_id, org_id, unit_id, teacher_id, training_started_on)
        SELECT c.i, c.kind, c.state, r.path, c.t0, '',
               CASE WHEN c.state = 'completed' THEN c.last_at END, '', 0,
               r.officer_users[array_length(r.officer_users, 1)], c.branch_id, r.unit_id, %(m)s + c.i,
               -- training began when the submit step (seq 10) opened
               CASE WHEN c.last_seq >= 10 THEN (c.t0 + (c.last_at - c.t0) * 9 / (c.last_seq - 1))::date END
        FROM bench_case c JOIN bench_route r USING (branch_id)
    """,
        dict(m=n_mentor_teachers),
    )
    cursor.execute(f"""
        INSERT INTO workflows_caseprocess (id, flow_class, status, created, finished, case_id)
        SELECT c.i, '{FLOW}', CASE WHEN c.state IN ('completed', 'exited') THEN 'DONE' ELSE 'NEW' END,
               c.t0, CASE WHEN c.state IN ('completed', 'exited') THEN c.last_at END, c.i
        FROM bench_case c
    """)
    # Mentors: ids 2*i-1 and 2*i for case i; pending while the case is 'paired'.
    cursor.execute("""
        INSERT INTO workflows_casementor (id, case_id, teacher_id, status, assigned_at, responded_at, ended_reason)
        SELECT 2 * c.i - 2 + k, c.i,
               r.mentor_teachers[1 + ((c.i + k) % array_length(r.mentor_teachers, 1))],
               CASE WHEN c.last_seq <= 7 AND c.state <> 'exited' THEN 'pending' ELSE 'accepted' END,
               c.t0, CASE WHEN c.last_seq > 7 THEN c.t0 END, ''
        FROM bench_case c JOIN bench_route r USING (branch_id), generate_series(1, 2) AS k
        WHERE k <= c.mentors AND c.last_seq >= 6
    """)
    cursor.execute("""
        CREATE UNLOGGED TABLE bench_template (seq int PRIMARY KEY, node text, type text, step text,
                                              stage text, role text)
    """)
    with cursor.copy("COPY bench_template FROM STDIN") as copy:
        for row in TEMPLATE:
            copy.write_row(row)
    # Every task of every case, in creation order. Step k of a case is created at
    # t0 + (k-1)/(last_seq-1) of the way to last_at; the last step of an active case is open.
    cursor.execute(f"""
        INSERT INTO workflows_casetask (flow_task, flow_task_type, status, created, assigned, started, finished,
                                        token, data, role, stage, due_at, case_id, owner_id, process_id, org_id,
                                        case_kind, unit_id, trainee_name)
        SELECT '{FLOW}.' || y.node, y.type, y.status, y.created,
               CASE WHEN y.owner IS NOT NULL THEN y.created + interval '1 hour' END,
               CASE WHEN y.type IN ('START', 'JOIN', 'END') OR (y.owner IS NOT NULL AND y.status = 'DONE')
                    THEN y.created + interval '1 hour' END,
               CASE WHEN y.status IN ('DONE', 'CANCELED') THEN y.finished END,
               'start',
               CASE WHEN y.k > 0 THEN jsonb_build_object('mentor_id', 2 * y.i - 2 + y.k) ELSE '{{}}'::jsonb END,
               y.role, y.stage,
               CASE WHEN y.type = 'HUMAN' THEN y.created + make_interval(days => CASE y.step
                    WHEN 'pair' THEN {due["pair"]} WHEN 'accept1' THEN {due["accept"]}
                    WHEN 'accept2' THEN {due["accept"]} WHEN 'submit' THEN y.train_days
                    ELSE {due["branch_review"]} END) END,
               y.i, y.owner, y.i, y.org,
               y.kind, y.unit_id, te.name
        FROM (
            SELECT x.*,
                   CASE WHEN x.type <> 'HUMAN' OR x.status = 'NEW' THEN NULL
                        WHEN x.k > 0 THEN x.mentor_users[1 + ((x.i + x.k) % array_length(x.mentor_users, 1))]
                        WHEN x.step IN ('pair', 'submit')
                            THEN x.officer_users[1 + floor(x.r_owner * array_length(x.officer_users, 1))::int]
                        WHEN x.step = 'branch_review' THEN x.secretary_user
                        WHEN x.step = 'unit_review'
                            THEN x.reviewer_users[1 + floor(x.r_owner * array_length(x.reviewer_users, 1))::int]
                        ELSE x.city_users[1 + floor(x.r_owner * array_length(x.city_users, 1))::int]
                   END AS owner,
                   CASE WHEN x.type <> 'HUMAN' THEN NULL
                        WHEN x.k > 0 OR x.step = 'branch_review' THEN x.branch_id
                        WHEN x.step IN ('pair', 'submit') THEN x.officer_org
                        WHEN x.step = 'unit_review' THEN x.reviewer_org
                        ELSE x.city_org
                   END AS org
            FROM (
                SELECT t.seq, t.node, t.type, t.step, t.stage, t.role,
                       c.i, c.branch_id, c.train_days, c.r_owner, c.kind, r.unit_id,
                       r.officer_org, r.officer_users, r.secretary_user, r.reviewer_org, r.reviewer_users,
                       r.city_org, r.city_users, r.mentor_users,
                       CASE t.step WHEN 'accept1' THEN 1 WHEN 'accept2' THEN 2 ELSE 0 END AS k,
                       c.t0 + (c.last_at - c.t0) * (t.seq - 1) / (c.last_seq - 1) AS created,
                       c.t0 + (c.last_at - c.t0) * LEAST(t.seq, c.last_seq - 1) / (c.last_seq - 1) AS finished,
                       CASE
                           WHEN c.state = 'completed' THEN 'DONE'
                           WHEN c.state = 'exited' AND t.seq = c.last_seq THEN 'CANCELED'
                           WHEN c.state = 'exited' THEN 'DONE'
                           WHEN t.seq = c.last_seq OR (c.state = 'paired' AND t.seq = 6) THEN
                               CASE WHEN t.step LIKE 'accept_' OR c.r_claim < {CLAIMED_SHARE} THEN 'ASSIGNED'
                                    ELSE 'NEW' END
                           ELSE 'DONE'
                       END AS status
                FROM bench_case c
                JOIN bench_route r USING (branch_id)
                JOIN bench_template t ON t.seq <= c.last_seq AND NOT (t.seq = 7 AND c.mentors = 1)
            ) x
        ) y
        JOIN workflows_teacher te ON te.id = {n_mentor_teachers} + y.i
        ORDER BY y.created, y.i, y.seq
    """)
    # The day each open 提交支部审核 opens (CaseTask.opens_on): training start + the city's
    # minimum period (ProgrammePolicy's defaults, 12 and 6 months).
    cursor.execute("""
        UPDATE workflows_casetask t
        SET opens_on = (c.training_started_on + make_interval(months => CASE c.kind WHEN '1' THEN 12 ELSE 6 END))::date
        FROM workflows_case c
        WHERE c.id = t.case_id AND t.flow_task LIKE '%.submit' AND t.status IN ('NEW', 'ASSIGNED', 'STARTED')
    """)
    for table in (
        "auth_user",
        "workflows_organisation",
        "workflows_roleassignment",
        "workflows_teacher",
        "workflows_case",
        "workflows_caseprocess",
        "workflows_casementor",
    ):
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")


def check_integrity(cursor) -> None:
    """Seeding skips the row-by-row FK triggers; verify the references by hand once."""
    checks = {
        "task.case": "SELECT count(*) FROM workflows_casetask t LEFT JOIN workflows_case c ON c.id = t.case_id "
        "WHERE c.id IS NULL",
        "task.process": "SELECT count(*) FROM workflows_casetask t LEFT JOIN workflows_caseprocess p "
        "ON p.id = t.process_id WHERE p.id IS NULL",
        "task.org": "SELECT count(*) FROM workflows_casetask t LEFT JOIN workflows_organisation o "
        "ON o.id = t.org_id WHERE t.org_id IS NOT NULL AND o.id IS NULL",
        "task.owner": "SELECT count(*) FROM workflows_casetask t LEFT JOIN auth_user u ON u.id = t.owner_id "
        "WHERE t.owner_id IS NOT NULL AND u.id IS NULL",
        "case.teacher": "SELECT count(*) FROM workflows_case c LEFT JOIN workflows_teacher t "
        "ON t.id = c.teacher_id WHERE t.id IS NULL",
        "case.unit": "SELECT count(*) FROM workflows_case c LEFT JOIN workflows_organisation o "
        "ON o.id = c.unit_id WHERE o.id IS NULL",
        "open human task without org": "SELECT count(*) FROM workflows_casetask WHERE flow_task_type = 'HUMAN' "
        "AND status IN ('NEW', 'ASSIGNED') AND org_id IS NULL",
    }
    bad = {}
    for label, q in checks.items():
        cursor.execute(q)
        n = cursor.fetchone()[0]
        if n:
            bad[label] = n
    if bad:
        raise SystemExit(f"seed is inconsistent: {bad}")


def seed(n_cases: int) -> None:
    from django.db import connection, transaction

    rng = random.Random(SEED)
    t_start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        # Bulk load: skip the per-row FK triggers (checked by check_integrity instead) and
        # build the task table's secondary indexes once, after the load.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("""SELECT indexname, indexdef FROM pg_indexes
                          WHERE tablename = 'workflows_casetask' AND indexname <> 'workflows_casetask_pkey'""")
        task_indexes = cursor.fetchall()
        for name, _ in task_indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        tree = build_tree(rng)
        people = seed_people(cursor, rng, tree)
        log(
            f"  tree: {people['n_orgs']} organisations ({N_COUNTIES} counties, {N_DIRECT} direct units, "
            f"{len(tree[4])} county schools, {people['n_branches']} branches); "
            f"{people['n_users']} users; {people['n_teachers']} mentor teachers"
        )
        seed_cases(cursor, n_cases, people)
        log(f"  cases and tasks inserted in {time.perf_counter() - t_start:.0f} s; building task indexes")
        for _, indexdef in task_indexes:
            cursor.execute(indexdef)
        cursor.execute("RESET session_replication_role")
        check_integrity(cursor)
        cursor.execute("DROP TABLE bench_case, bench_template, bench_route")
        cursor.execute(
            "CREATE TABLE bench_meta (cases int, busy_user int, busy_school bigint, busy_county bigint, "
            "busy_branch bigint)"
        )
        cursor.execute(
            "INSERT INTO bench_meta VALUES (%s, %s, %s, %s, %s)",
            [
                n_cases,
                people["busy_user"],
                people["busy_school"]["id"],
                people["busy_county"]["id"],
                people["busy_branch"]["id"],
            ],
        )
    log(f"  seeded in {time.perf_counter() - t_start:.0f} s; VACUUM ANALYZE")
    t = time.perf_counter()
    with connection.cursor() as cursor:  # autocommit: VACUUM cannot run in a transaction
        cursor.execute("VACUUM ANALYZE")
    log(f"  VACUUM ANALYZE took {time.perf_counter() - t:.0f} s")


def describe_data(cursor) -> dict:
    out = {}
    for label, q in [
        ("cases", "SELECT count(*) FROM workflows_case"),
        ("tasks", "SELECT count(*) FROM workflows_casetask"),
        ("human tasks", "SELECT count(*) FROM workflows_casetask WHERE flow_task_type = 'HUMAN'"),
        ("open tasks", "SELECT count(*) FROM workflows_casetask WHERE status IN ('NEW', 'ASSIGNED', 'STARTED')"),
        (
            "open and overdue",
            "SELECT count(*) FROM workflows_casetask WHERE status IN ('NEW', 'ASSIGNED', 'STARTED') AND due_at < now()",
        ),
        (
            "orgs holding open tasks",
            "SELECT count(DISTINCT org_id) FROM workflows_casetask WHERE status IN ('NEW', 'ASSIGNED', 'STARTED')",
        ),
        ("casetask table + indexes", "SELECT pg_size_pretty(pg_total_relation_size('workflows_casetask'))"),
    ]:
        cursor.execute(q)
        out[label] = cursor.fetchone()[0]
    cursor.execute("SELECT state, count(*) FROM workflows_case GROUP BY state ORDER BY 2 DESC")
    out["case states"] = ", ".join(f"{s} {n}" for s, n in cursor.fetchall())
    return out


# --- measuring -------------------------------------------------------------------------


def touch(task) -> tuple:
    """Read everything an inbox row shows, as a template would."""
    case = task.case
    return (
        task.pk,
        task.trainee_name,
        task.case_kind,
        case.unit.name,
        task.get_stage_display(),
        task.flow_task.task_title,
        task.org.name if task.org_id else "",
        task.owner_id and task.owner.username,
        task.due_at,
        task.is_overdue,
        task.get_status_display(),
    )


class SqlTimer:
    """A connection.execute_wrapper adding up the time spent in the database driver."""

    def __init__(self):
        self.ms = 0.0

    def __call__(self, execute, sql_text, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql_text, params, many, context)
        finally:
            self.ms += (time.perf_counter() - t) * 1000


def evaluate_page(listing, user_pk: int, per_page: int, filters: dict):
    """One page as a list view builds it; returns (total ms, SQL ms, rows, count)."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from workflows import selectors

    user = get_user_model().objects.get(pk=user_pk)  # as the auth middleware would load it
    timer = SqlTimer()
    with connection.execute_wrapper(timer):
        t = time.perf_counter()
        base = selectors.queue_for_user(user) if listing == "queue" else selectors.inbox_for_user(user)
        qs = selectors.filter_tasks(base, **filters).order_by("due_at", "id")
        page = selectors.TaskPaginator(qs, per_page).page(1)  # as the inbox views paginate
        rows = [touch(task) for task in page.object_list]
        count = page.paginator.count
        total = (time.perf_counter() - t) * 1000
    return total, timer.ms, len(rows), count


def count_queries(fn):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    return ctx.captured_queries


def percentile(values, p):
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def explain(captured) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for q in captured:
            text = q["sql"]
            if not text.lstrip().upper().startswith("SELECT") or "workflows_casetask" not in text:
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + text)
            log("    " + text[:300] + ("…" if len(text) > 300 else ""))
            for (line,) in cursor.fetchall():
                log("      " + line)


def find_inbox_urls() -> list[tuple[str, str, object]]:
    """(listing, URL, view class) of the inbox pages project.urls has by now; [] if none."""
    from django.urls import NoReverseMatch, resolve, reverse

    found = []
    for listing, name in (("inbox", "inbox:inbox"), ("queue", "inbox:queue")):
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        found.append((listing, url, getattr(resolve(url).func, "view_class", None)))
    return found


def measure(meta: dict, reps: int, http_reps: int, want_explain: bool, *, http_only: bool = False) -> list[str]:
    from django.db import connection, reset_queries
    from django.utils import timezone

    busy = meta["busy_user"]
    scenarios = [
        ("no filter", {}),
        ("kind=1", {"kind": "1"}),
        ("unit=own county", {"unit": str(meta["busy_county"])}),
        ("stage=training", {"stage": "training"}),
        ("overdue=1", {"overdue": "1"}),
        (f"q={SEARCH_TERM}", {"q": SEARCH_TERM}),
        (
            "all five",
            {"kind": "1", "unit": str(meta["busy_county"]), "stage": "training", "overdue": "1", "q": SEARCH_TERM},
        ),
    ]
    lines = []
    header = (
        f"{'listing':8} {'filter':16} {'rows':>5} {'count':>6} | {'p50@25':>7} {'p95@25':>7} {'sql@25':>6} "
        f"{'q@25':>4} | {'p50@100':>7} {'p95@100':>7} {'sql@100':>7} {'q@100':>5}"
    )
    lines.append(header)
    lines.append("-" * len(header))
    log(header)
    slow = []
    for listing in () if http_only else ("queue", "inbox"):
        for label, filters in scenarios:
            result = {}
            for per_page in (25, 100):
                for _ in range(5):  # warm-up
                    evaluate_page(listing, busy, per_page, filters)
                times, sql_times = [], []
                for _ in range(reps):
                    ms, sql_ms, n_rows, count = evaluate_page(listing, busy, per_page, filters)
                    times.append(ms)
                    sql_times.append(sql_ms)
                captured = count_queries(lambda lp=listing, pp=per_page, f=filters: evaluate_page(lp, busy, pp, f))
                # The user lookup stands for the auth middleware; it is not part of the page.
                n_queries = len(captured) - 1
                result[per_page] = (
                    statistics.median(times),
                    percentile(times, 95),
                    n_queries,
                    n_rows,
                    count,
                    captured,
                    statistics.median(sql_times),
                )
            p25, p100 = result[25], result[100]
            line = (
                f"{listing:8} {label:16} {p100[3]:>5} {p100[4]:>6} | {p25[0]:7.1f} {p25[1]:7.1f} {p25[6]:6.1f} "
                f"{p25[2]:>4} | {p100[0]:7.1f} {p100[1]:7.1f} {p100[6]:7.1f} {p100[2]:>5}"
            )
            lines.append(line)
            log(line)
            if max(p25[1], p100[1]) > TARGET_P95_MS or want_explain:
                slow.append((listing, label, p100[5]))
    reset_queries()
    legend = (
        f"(ms, server side, {reps} repetitions per cell after 5 warm-up; p50/p95 = whole page: selector, "
        f"COUNT, rows with related objects, reading each row's columns and labels; sql = median time inside "
        f"the database driver; rows = rows on a 100-row page; count = the COUNT shown; q = SQL queries per "
        f"page: role assignments (queue only), COUNT, page rows; run {timezone.now():%Y-%m-%d %H:%M %Z})"
    )
    lines.append(legend)
    log(legend)
    for listing, label, captured in slow:
        log(f"\nEXPLAIN ANALYZE: {listing} / {label}")
        explain(captured)
    urls = find_inbox_urls()
    if not urls:
        msg = "No inbox URL in project.urls: the HTTP page was not timed; figures above are the selectors."
        lines.append(msg)
        log(msg)
    else:
        lines.extend(measure_http(urls, meta, http_reps, scenarios))
    connection.close()
    return lines


def measure_http(urls, meta: dict, reps: int, scenarios) -> list[str]:
    """The whole request through django.test.Client: middleware, session, view, filters, template."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(get_user_model().objects.get(pk=meta["busy_user"]))
    lines = []
    header = (
        f"\nHTTP GET as {BUSY_USERNAME} (django.test.Client; whole request incl. session, menu counts, "
        f"filter form, template), {reps} repetitions per cell:"
    )
    lines.append(header)
    log(header)
    head = (
        f"{'page':22} {'filter':16} {'status':>6} | {'p50@25':>7} {'p95@25':>7} {'q@25':>4} | "
        f"{'p50@100':>7} {'p95@100':>7} {'q@100':>5}"
    )
    lines.append(head)
    log(head)
    for _listing, url, view_class in urls:
        for label, params in scenarios:
            cells = {}
            status = None
            for per_page in (25, 100):
                # The views page by 25; 100 is set on the class only to show the query count stays flat.
                saved = getattr(view_class, "paginate_by", None)
                if view_class is not None:
                    view_class.paginate_by = per_page
                try:
                    response = client.get(url, params)
                    status = response.status_code
                    if status != 200:
                        break
                    for _ in range(3):
                        client.get(url, params)
                    times = []
                    for _ in range(reps):
                        t = time.perf_counter()
                        client.get(url, params)
                        times.append((time.perf_counter() - t) * 1000)
                    with CaptureQueriesContext(connection) as ctx:
                        client.get(url, params)
                    cells[per_page] = (statistics.median(times), percentile(times, 95), len(ctx.captured_queries))
                finally:
                    if view_class is not None:
                        view_class.paginate_by = saved
            if len(cells) < 2:
                line = f"{url:22} {label:16} {status:>6} | not timed"
            else:
                c25, c100 = cells[25], cells[100]
                line = (
                    f"{url:22} {label:16} {status:>6} | {c25[0]:7.1f} {c25[1]:7.1f} {c25[2]:>4} | "
                    f"{c100[0]:7.1f} {c100[1]:7.1f} {c100[2]:>5}"
                )
            if len(cells) == 2 and (cells[25][1] > TARGET_P95_MS or cells[25][2] > TARGET_QUERIES):
                line += f"   <- misses p95 <= {TARGET_P95_MS:.0f} ms or <= {TARGET_QUERIES} queries"
            lines.append(line)
            log(line)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the bench database")
    parser.add_argument("--reps", type=int, default=200, help="repetitions per selector cell")
    parser.add_argument("--http-reps", type=int, default=50, help="repetitions per HTTP cell")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE every scenario")
    parser.add_argument("--http-only", action="store_true", help="time only the HTTP pages (not the selectors)")
    args = parser.parse_args()

    cfg = dj_database_url.parse(os.environ["DATABASE_URL"])
    if "postgresql" not in cfg["ENGINE"]:
        raise SystemExit("bench/inbox.py needs DATABASE_URL pointing to PostgreSQL")
    t_all = time.perf_counter()
    reuse = args.keep and _db_exists(cfg)
    if not reuse:
        log(f"creating database {cfg['NAME']}")
        recreate_database(cfg)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        reuse = reuse and kept_seed(cursor, args.cases)
    if reuse:
        log(f"reusing the kept seed of {args.cases} cases in {cfg['NAME']}")
    else:
        if args.keep:  # a kept database of another size: start over
            connection.close()
            recreate_database(cfg)
            call_command("migrate", verbosity=0)
        log(f"seeding {args.cases} cases")
        seed(args.cases)
    with connection.cursor() as cursor:
        cursor.execute("SELECT cases, busy_user, busy_school, busy_county, busy_branch FROM bench_meta")
        keys = ("cases", "busy_user", "busy_school", "busy_county", "busy_branch")
        meta = dict(zip(keys, cursor.fetchone(), strict=True))
        data = describe_data(cursor)
        cursor.execute("SELECT version()")
        pg_version = cursor.fetchone()[0]
        from django.contrib.auth import get_user_model

        from workflows import selectors

        busy = get_user_model().objects.get(pk=meta["busy_user"])
        data["busy user's queue (待认领)"] = selectors.queue_for_user(busy).count()
        data["busy user's inbox (我的待办)"] = selectors.inbox_for_user(busy).count()
        data["busy user's roles"] = ", ".join(
            f"{a.get_role_display()}@{a.org.name}" for a in selectors.user_assignments(busy)
        )
    log(pg_version)
    for k, v in data.items():
        log(f"  {k}: {v}")
    log("")
    measure(meta, args.reps, args.http_reps, args.explain, http_only=args.http_only)
    if args.keep:
        log(f"\nkept database {cfg['NAME']}")
    else:
        drop_database(cfg)
        log(f"\ndropped database {cfg['NAME']}")
    log(f"total {time.perf_counter() - t_all:.0f} s")


if __name__ == "__main__":
    main()

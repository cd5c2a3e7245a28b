"""KeptQuery: a read compiled once per connection gives what the ORM itself gives (issue 13).

The approval's reads (the task by its key, the task under the case lock, the user with their
teacher row, the role holder up the tree) run kept SQL with the call's values in place of the
marks; these tests compare each with the plain queryset for several values, so a kept read that
returned the first call's row, lost a ``select_related`` row or an annotation, or kept a day,
would fail.
"""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connections, transaction

from tests.factories import make_org, make_user
from tests.helpers import new_case
from workflows import routing, selectors
from workflows.auth_backend import TeacherModelBackend
from workflows.kept import KeptQuery, rows_by_ids
from workflows.models import CaseState, CaseTask, Organisation, OrgKind, Role, RoleAssignment
from workflows.services import locking

RELATED = ("owner", "case", "case__teacher", "case__unit", "org")


def _same(kept, plain, related=()):
    assert kept.pk == plain.pk
    assert kept.__dict__.keys() >= {f.attname for f in type(plain)._meta.concrete_fields}
    for field in type(plain)._meta.concrete_fields:
        assert getattr(kept, field.attname) == getattr(plain, field.attname), field.attname
    for path in related:
        a, b = kept, plain
        for name in path.split("__"):
            a, b = getattr(a, name), getattr(b, name)
        assert (type(a), getattr(a, "pk", None)) == (type(b), getattr(b, "pk", None)), path


@pytest.fixture
def two_cases(world):
    return new_case(world, "甲审核", CaseState.BRANCH_REVIEW), new_case(world, "乙审核", CaseState.UNIT_REVIEW)


def _open_task(case):
    return CaseTask.objects.filter(case=case, status="NEW", flow_task_type="HUMAN").get()


def test_the_task_by_its_key_is_the_orms_row_for_each_key(world, two_cases, django_assert_num_queries):
    tasks = [_open_task(case) for case in two_cases]
    for task in tasks * 2:  # the second round runs the SQL kept by the first
        with django_assert_num_queries(1):
            (kept,) = selectors._TASK_BY_KEY.rows(task.pk)
        _same(kept, selectors._task_base().get(pk=task.pk), RELATED)
    assert selectors._TASK_BY_KEY.rows(max(t.pk for t in tasks) + 1000) == []


def test_the_locked_task_carries_its_locked_case_and_the_countersign_flag(world, two_cases):
    for case in two_cases:
        task = _open_task(case)
        with transaction.atomic():
            with locking.locked_case_task(case.pk, task.process_id, task.pk) as locked:
                plain = locking._locked_task_query(task.pk, case.pk).get()
                _same(locked, plain, ("case", "case__teacher", "case__org", "case__unit", "process"))
                assert locked.has_open_countersign is plain.has_open_countersign is False
                assert locked.case.state == case.state
    other = _open_task(two_cases[1])
    with pytest.raises(CaseTask.DoesNotExist), transaction.atomic():
        # A task of another case is not found under this case's lock.
        with locking.locked_case_task(two_cases[0].pk, two_cases[0].process.pk, other.pk):
            pass


def test_the_login_backend_reads_each_user_with_their_teacher(world):
    backend = TeacherModelBackend()
    for user in (world.secretary, world.candidate1.user, world.outsider, world.secretary):
        got = backend.get_user(user.pk)
        assert got.pk == user.pk and got.username == user.username
        assert getattr(got, "teacher", None) == getattr(user, "teacher", None)
    assert backend.get_user(str(world.reviewer.pk)).pk == world.reviewer.pk  # as the session stores it
    assert backend.get_user("not a number") is None
    assert backend.get_user(10**6) is None
    get_user_model().objects.filter(pk=world.officer.pk).update(is_active=False)
    assert backend.get_user(world.officer.pk) is None


def test_the_role_holder_follows_the_day_and_the_role(world):
    start = world.branch
    ancestors = start.ancestor_ids
    today = datetime.date(2026, 3, 2)
    ends = RoleAssignment.objects.get(user=world.reviewer, role=Role.REVIEWER)
    ends.start_date, ends.end_date = None, today + datetime.timedelta(days=1)
    ends.save()

    def plain(day, role):
        return sorted(routing._holders_query(day, role, *ancestors).values_list("pk", flat=True))

    def kept(day, role):
        found = rows_by_ids(routing._holders_query, ancestors, day, role, marks=routing._HOLDER_MARKS)
        return sorted(o.pk for o in found)

    for day in (today, today + datetime.timedelta(days=1), today):
        for role in (Role.REVIEWER, Role.BRANCH_SECRETARY, Role.CITY_ADMIN):
            assert kept(day, str(role)) == plain(day, role), (day, role)
    assert world.county.pk in kept(today, "reviewer")
    assert world.county.pk not in kept(today + datetime.timedelta(days=1), "reviewer")  # ended that day
    # The same depth, another branch: the ids are the call's, not the first call's.
    other_branch = make_org("桃江一中支部", OrgKind.BRANCH, world.other_school)
    make_user("taojiang_secretary", org=other_branch, role=Role.BRANCH_SECRETARY)
    assert routing.nearest_org_with_role(other_branch, Role.REVIEWER) == world.other_county
    assert routing.nearest_org_with_role(world.branch, Role.BRANCH_SECRETARY) == world.branch


def test_a_mark_that_does_not_reach_the_sql_is_refused(db):
    query = KeptQuery(lambda pk: Organisation.objects.filter(pk=5), -1)
    with pytest.raises(ValueError, match="mark"):
        query.rows(5)


def test_each_connection_compiles_its_own(db):
    query = KeptQuery(lambda pk: Organisation.objects.filter(pk=pk), -1)
    assert query.rows(-99) == []
    assert query in connections["default"].__dict__["_shuangpei_kept_queries"]


def test_the_session_store_reads_live_sessions_only(world):
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from workflows.sessions import SessionStore

    stores = []
    for n in range(2):
        store = SessionStore()
        store["n"] = n
        store.create()
        stores.append(store.session_key)
    for n, key in [*enumerate(stores), *enumerate(stores)]:  # the second round runs the kept SQL
        assert SessionStore(key).load() == {"n": n}
    Session.objects.filter(session_key=stores[0]).update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    expired = SessionStore(stores[0])
    assert expired.load() == {} and expired.session_key is None  # past its expiry: no session
    assert SessionStore(stores[1]).load() == {"n": 1}
    assert SessionStore("x" * 32).load() == {}


def test_a_signed_in_user_stays_signed_in_through_the_store(client, world):
    client.force_login(world.secretary)
    assert client.get("/inbox/").status_code == 200
    assert client.get("/inbox/").wsgi_request.user == world.secretary


def test_list_rows_are_the_orms_for_each_page_length_and_order(world, two_cases):
    tasks = list(CaseTask.objects.filter(flow_task_type="HUMAN").order_by("id"))
    assert len(tasks) >= 3
    ids = [t.pk for t in tasks]
    for first, second in ((ids[:1], ids[1:]), (ids[::-1], ids[:2]), (ids[1:], ids[1:])):  # lengths, order, overlap
        got_first, got_second = selectors.rows_for_ids(first, second)
        assert [t.pk for t in got_first] == first and [t.pk for t in got_second] == second
        for got in (*got_first, *got_second):
            plain = CaseTask.objects.select_related("owner", "org", "unit").get(pk=got.pk)
            _same(got, plain, ("owner", "org", "unit"))
            assert got.trainee_teacher_id == plain.case.teacher_id
    assert selectors.rows_for_ids([], [10**9]) == [[], []]


def test_on_postgresql_the_kept_reads_are_prepared_and_nothing_else(world):
    """The kept reads' plans do not depend on their values, so they are prepared on the
    connection (planned once there); a list's plan does, and it is never prepared."""
    conn = connections["default"]
    if conn.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's (CI runs this on PostgreSQL)")

    def prepared(pattern):
        with conn.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [pattern])
            return cursor.fetchone()[0]

    assert TeacherModelBackend().get_user(world.secretary.pk).pk == world.secretary.pk
    assert prepared('%FROM "auth_user" LEFT OUTER JOIN "workflows_teacher"%') >= 1
    plain = '%"workflows_organisation"."kind" = $1%'
    for _ in range(6):  # more runs than any threshold: a plain queryset is still not prepared
        list(Organisation.objects.filter(kind=OrgKind.SCHOOL).values_list("pk", flat=True))
    assert prepared(plain) == 0
    routing.nearest_org_with_role(world.branch, Role.REVIEWER)
    assert prepared('%FROM "workflows_organisation" WHERE%EXISTS%"workflows_roleassignment"%') >= 1


@pytest.mark.django_db(transaction=True)
def test_a_locking_read_outside_a_transaction_is_refused_at_every_run(world):
    """Django refuses select_for_update in autocommit when it compiles the SQL; a kept read
    compiles once, so it checks again at each run."""
    from django.db.transaction import TransactionManagementError

    if not connections["default"].features.has_select_for_update:
        pytest.skip("SQLite has no row locks to take (CI runs this on PostgreSQL)")
    with transaction.atomic():
        assert audit_head_rows() is not None  # compiled inside a transaction
    with pytest.raises(TransactionManagementError):
        audit_head_rows()


def audit_head_rows():
    from workflows.services import audit

    return audit._HEAD.rows(1)


def test_an_organisation_without_a_path_gets_the_guard_message(world):
    from workflows.errors import GuardError

    loose = Organisation(name="未保存", kind=OrgKind.SCHOOL)  # no path: no ancestors
    with pytest.raises(GuardError):
        routing.nearest_org_with_role(loose, Role.REVIEWER)

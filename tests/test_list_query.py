"""待认领 and 我的待办 counted and paged by ``selectors.ListQuery`` (issue 13, part 1).

A user holding two roles has a 待认领 of two parts (one per role); the list reads them as a
UNION ALL, one index scan each, with its SQL built once and kept. Whatever the filter and page,
the count and the ids must be exactly those of the plain queryset (the OR of the parts), and a
role that ends, or a clock that moves, must show at once.
"""

import datetime
from unittest import mock

import pytest
from django.utils import timezone

from tests.factories import make_teacher
from tests.flow_client import client_for, register
from tests.helpers import new_case
from workflows import selectors
from workflows.models import CaseState, PartyStatus, Role, RoleAssignment
from workflows.selectors import ListQuery


def _fresh(user):
    # Roles are kept on the user object for one request (selectors.user_assignments).
    return type(user).objects.get(pk=user.pk)


def _expected(queryset, filters, offset=0, n=None):
    qs = selectors.filter_tasks(queryset, **filters).order_by("due_at", "id")
    ids = list(qs.values_list("pk", flat=True))
    return len(ids), ids[offset : None if n is None else offset + n]


@pytest.fixture
def two_roles(world):
    """The school's officer is also the branch's secretary: 指定培养人 steps queue for the first
    role, 支部审核 steps for the second."""
    w = world
    RoleAssignment.objects.create(user=w.officer, org=w.branch, role=Role.BRANCH_SECRETARY)
    for name, kind in (("王甲", "1"), ("李乙", "2"), ("王丙", "2")):
        facts = {"is_backbone": True} if kind == "1" else {"party_status": PartyStatus.FULL}
        register(w.officer, make_teacher(name, w.branch, **facts), kind)
    for name in ("王审核", "赵审核"):
        new_case(w, name, CaseState.BRANCH_REVIEW)
    return _fresh(w.officer)


FILTERS = [
    {},
    {"kind": "1"},
    {"kind": "2"},
    {"stage": "branch_review"},
    {"q": "王"},
    {"overdue": "1"},
    {"kind": "1", "q": "王"},
]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: "&".join(f"{k}={v}" for k, v in f.items()) or "none")
def test_the_union_counts_and_pages_exactly_as_the_queryset(two_roles, filters):
    user = two_roles
    groups = {(t.role, t.org_id) for t in selectors.actionable_queue_for_user(user)}
    assert len(groups) == 2  # both parts have rows, so the union is what is read
    queue = selectors.actionable_queue_for_user(user)
    total, _ids = _expected(queue, filters)
    assert ListQuery(user, "queue", filters).count() == total
    for offset, n in ((0, 25), (0, 2), (1, 2), (3, 10), (total, 5)):
        assert ListQuery(user, "queue", filters).ids(offset, n) == _expected(queue, filters, offset, n)[1]
    # A second read (the SQL kept) answers the same.
    assert ListQuery(user, "queue", filters).count() == total


def test_the_unit_filter_and_the_other_lists(world, two_roles):
    user = two_roles
    for source, queryset in (
        ("inbox", selectors.inbox_for_user(user)),
        ("waiting", selectors.not_yet_due_queue_for_user(user)),
        ("queue", selectors.actionable_queue_for_user(user)),
    ):
        for filters in ({}, {"unit": str(world.county.pk)}, {"unit": str(world.other_county.pk)}):
            total, ids = _expected(queryset, filters)
            assert (ListQuery(user, source, filters).count(), ListQuery(user, source, filters).ids(0, 25)) == (
                total,
                ids[:25],
            ), (source, filters)


def test_a_role_that_ends_leaves_the_list_at_once(world, two_roles):
    user = two_roles
    both = ListQuery(user, "queue").count()
    RoleAssignment.objects.filter(user=user, role=Role.BRANCH_SECRETARY).update(end_date=timezone.localdate())
    user = _fresh(user)
    alone, _ids = _expected(selectors.actionable_queue_for_user(user), {})
    assert ListQuery(user, "queue").count() == alone < both
    assert all(t.role == Role.OFFICER for t in selectors.rows_for_ids(ListQuery(user, "queue").ids(0, 25))[0])


def test_the_overdue_filter_follows_the_clock(two_roles):
    user = two_roles
    now = ListQuery(user, "queue", {"overdue": "1"}).count()
    later = timezone.now() + datetime.timedelta(days=400)
    with mock.patch("django.utils.timezone.now", return_value=later):
        expected, ids = _expected(selectors.actionable_queue_for_user(user), {"overdue": "1"})
        assert ListQuery(user, "queue", {"overdue": "1"}).count() == expected
        assert ListQuery(user, "queue", {"overdue": "1"}).ids(0, 25) == ids[:25]
    assert expected > now  # in 400 days every step listed is overdue


def test_the_page_lists_both_roles_steps_in_due_order(world, two_roles):
    user = two_roles
    body = client_for(user).get("/inbox/queue/").content.decode()
    queue = list(selectors.actionable_queue_for_user(user).order_by("due_at", "id"))
    assert f"待认领（{len(queue)}）" in body
    positions = [body.index(f'data-row-id="{t.pk}"') for t in queue]
    assert positions == sorted(positions)
    assert {t.role for t in queue} == {Role.OFFICER, Role.BRANCH_SECRETARY}
    # Filtered: only the 王 cases, still from both roles.
    body = client_for(user).get("/inbox/queue/?q=王").content.decode()
    named = [t for t in queue if "王" in t.trainee_name]
    assert f"待认领（{len(named)}）" in body and {t.role for t in named} == {Role.OFFICER, Role.BRANCH_SECRETARY}
    assert all(f'data-row-id="{t.pk}"' not in body for t in queue if t not in named)


def test_own_case_steps_are_not_offered_and_rows_know_the_trainee(world, two_roles):
    """回避 on the list rows: each row carries its trainee's account (no case read per row), and
    the claim button is not offered on a step of the user's own case."""
    w = world
    user = two_roles
    rows = selectors.rows_for_ids(ListQuery(user, "queue").ids(0, 25))[0]
    assert rows and all(hasattr(t, "trainee_teacher_id") for t in rows)
    own = rows[0]
    # The first row's trainee is made the viewing user's own account, as if they were the trainee.
    teacher = own.case.teacher
    teacher.user = user
    teacher.save()
    user = _fresh(user)
    row = selectors.rows_for_ids([own.pk])[0][0]
    assert row.trainee_teacher_id == teacher.pk
    from workflows import access

    assert not access.may_claim(user, row)
    assert access.may_claim(w.secretary, selectors.rows_for_ids([own.pk])[0][0]) == (own.role == Role.BRANCH_SECRETARY)


def test_a_trainee_holding_the_role_is_not_offered_her_own_case(world):
    """回避 in the lists' SQL (by the user's teacher record, which comes with the user): a 类别2
    trainee who is also her school's 党务干部 sees every queued step of the school but her own,
    in 待认领's count, page and menu badge alike; the world's officer sees hers."""
    from tests.factories import make_user
    from tests.helpers import drive, one_open
    from workflows.services import cases as svc

    w = world
    teacher = make_teacher("钱党员", w.branch, party_status=PartyStatus.FULL, birth=(1989, 4, 1))
    trainee = make_user("qian", teacher=teacher, full_name="钱党员")
    RoleAssignment.objects.create(user=trainee, org=w.school, role=Role.OFFICER)
    own = one_open(
        drive(
            svc.case_register(actor=w.officer, teacher_id=teacher.pk, kind="2"),
            "training",
            officer=w.officer,
            mentors=[w.backbone_mentor],
        )
    )
    other = register(w.officer, make_teacher("孙骨干", w.branch, is_backbone=True), "1")
    others = one_open(other)
    trainee = _fresh(trainee)
    assert others.pk in ListQuery(trainee, "queue").ids(0, 25) + ListQuery(trainee, "waiting").ids(0, 25)
    assert own.pk not in ListQuery(trainee, "queue").ids(0, 25) + ListQuery(trainee, "waiting").ids(0, 25)
    both = ListQuery(trainee, "queue").count() + ListQuery(trainee, "waiting").count()
    mine = ListQuery(_fresh(w.officer), "queue").count() + ListQuery(_fresh(w.officer), "waiting").count()
    assert both == mine - 1
    counts = selectors.menu_counts(_fresh(trainee))
    assert counts["queue"] + counts["queue_waiting"] == both
    body = (
        client_for(trainee).get("/inbox/queue/").content.decode()
        + client_for(trainee).get("/inbox/queue/?waiting=1").content.decode()
    )
    assert f'data-row-id="{others.pk}"' in body and f'data-row-id="{own.pk}"' not in body

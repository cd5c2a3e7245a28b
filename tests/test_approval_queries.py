"""What one approval costs in SQL, through the real views (issue 13, part 2).

bench/throughput.py measures approvals per second under gunicorn; these tests hold the query
counts it found, so they cannot creep back up: approving a queued 支部审核 and 单位审核 step
(``POST /inbox/tasks/<id>/act/``), and opening the task page. Counted as the test client sends
the request, session and user included (on SQLite BEGIN, COMMIT and SAVEPOINT are statements
too). Each test also checks that the approval still did everything it must.
"""

import pytest

from tests.flow_client import client_for, the_open_task
from tests.helpers import new_case, snapshot
from workflows.models import AuditEvent, CaseState, CaseTask

# docs/performance.md, "Approvals per second (issue 13, part 2)": an approval was 40 statements
# before (39 before the task rows carried the case's facts), then 29; the task page 27. Now 16:
# session, user (with its teacher row), the task and the roles (selectors.task_for_user),
# SAVEPOINT, the process lock, the task with its case locked and its 加签 check, UPDATE case,
# UPDATE task, the role holder up the tree, INSERT the next task (no route row: flows.py
# CaseStepActivation.create_next) and its link, the chain head, both events in one INSERT, the
# head UPDATE, RELEASE. The city's working-day table is read once a process per minute
# (workflows/workdays.py), already read here while the test built the case.
APPROVE_MAX = 16
TASK_PAGE_MAX = 27


@pytest.fixture
def branch_review(world):
    return new_case(world, "周审核", CaseState.BRANCH_REVIEW)


def _approve(user, task, django_assert_max_num_queries, limit):
    client = client_for(user)
    client.get("/inbox/")  # the session is read once before, as in a browser that has the page open
    with django_assert_max_num_queries(limit):
        response = client.post(f"/inbox/tasks/{task.pk}/act/", {"action": "approve", "reason": "同意"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == f"/inbox/cases/{task.case_id}/"
    return response


def test_a_branch_review_approval_costs_a_bounded_number_of_queries(
    world, branch_review, django_assert_max_num_queries
):
    w = world
    task = the_open_task(branch_review)
    assert task.owner_id is None  # queued: approving it claims it first
    _approve(w.secretary, task, django_assert_max_num_queries, APPROVE_MAX)

    branch_review.refresh_from_db()
    assert branch_review.state == CaseState.UNIT_REVIEW
    task.refresh_from_db()
    assert (task.status, task.owner) == ("DONE", w.secretary)
    following = the_open_task(branch_review)
    assert (following.flow_task.name, following.role, following.org) == ("unit_review", "reviewer", w.county)
    assert list(following.previous.all()) == [task]  # opened by the finished step itself
    # 认领, then 审核通过, one after the other in the chain, both naming the task.
    claim, approve = AuditEvent.objects.filter(case=branch_review).order_by("-seq")[:2][::-1]
    assert (claim.action, approve.action) == ("claim", "approve")
    assert approve.seq == claim.seq + 1 and approve.prev_hash == claim.hash
    assert claim.task_id_ref == approve.task_id_ref == task.pk
    assert (approve.from_state, approve.to_state, approve.reason) == ("branch_review", "unit_review", "同意")


def test_a_unit_review_approval_costs_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    w = world
    case = new_case(w, "吴单位", CaseState.UNIT_REVIEW)
    _approve(w.reviewer, the_open_task(case), django_assert_max_num_queries, APPROVE_MAX)
    case.refresh_from_db()
    assert case.state == CaseState.CITY_FILING
    assert the_open_task(case).org == w.city


def test_opening_the_task_page_costs_a_bounded_number_of_queries(world, branch_review, django_assert_max_num_queries):
    client = client_for(world.secretary)
    client.get("/inbox/")
    task = the_open_task(branch_review)
    with django_assert_max_num_queries(TASK_PAGE_MAX):
        response = client.get(f"/inbox/tasks/{task.pk}/")
    assert response.status_code == 200
    assert 'value="approve"' in response.content.decode()


def test_the_task_is_scope_checked_on_its_own_case(world, branch_review):
    """The page reads the task by its key and checks its one case (selectors.task_for_user): a
    mentor of the case and the branch see it; an officer of another county does not, and their
    POST changes nothing."""
    w = world
    task = the_open_task(branch_review)
    assert client_for(w.member_mentor.user).get(f"/inbox/tasks/{task.pk}/").status_code == 200
    assert client_for(w.secretary).get(f"/inbox/tasks/{task.pk}/").status_code == 200
    assert client_for(w.other_officer).get(f"/inbox/tasks/{task.pk}/").status_code == 404
    before = snapshot()
    response = client_for(w.other_reviewer).post(f"/inbox/tasks/{task.pk}/act/", {"action": "approve"})
    assert response.status_code == 404
    assert snapshot() == before
    assert CaseTask.objects.get(pk=task.pk).status == "NEW"

"""Eight branch secretaries approve the same 支部审核 task at the same instant.

PostgreSQL only. The test needs real concurrent connections, so it runs with
``transaction=True``: the data is committed and every thread sees it through its own
connection. At teardown pytest-django flushes the database; on PostgreSQL the flush is a
TRUNCATE, which the append-only row triggers of migration 0002 do not see, whereas on
SQLite the flush is a DELETE that the triggers refuse (and SQLite would serialise the
writers anyway). Hence the skip on any other database.

What must hold, called directly and through the POST endpoint: exactly one approval
wins; the seven others get ``AlreadyHandled`` (HTTP 409), either because the winner's
commit made the task DONE before they got the lock ("该任务已被处理…"), or because
viewflow's ``SelectForUpdateLock`` (NOWAIT, 5 attempts with back-off) gave up and
``services.locking`` translated ``FlowLockFailed`` ("该案例正在被他人处理…"); exactly
one next task and one "approve" audit event exist. The test prints how many losers got
which message (run with ``-s`` to see it).
"""

import html
import re
import threading
from collections import Counter

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from viewflow.workflow.status import STATUS

from tests.factories import make_user, make_world
from tests.training import complete_training, lifecycle_tasks
from workflows.errors import AlreadyHandled
from workflows.flows import CaseFlow
from workflows.models import AuditAction, AuditEvent, CaseState, CaseTask, Role
from workflows.services import cases as svc

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: real row locks between concurrent connections, and a TRUNCATE "
    "teardown flush (SQLite's DELETE flush is refused by the append-only triggers)",
)

N_THREADS = 8


def _open_human_tasks(case):
    return lifecycle_tasks(case)


def _case_at_branch_review(w):
    case = svc.case_register(actor=w.officer, teacher_id=w.candidate1.pk, kind="1")
    (t,) = _open_human_tasks(case)
    svc.case_pair(actor=w.officer, task_id=t.pk, mentor_ids=[w.member_mentor.pk, w.member_mentor2.pk])
    for t in _open_human_tasks(case):
        svc.mentor_accept(actor=t.owner, task_id=t.pk)
    complete_training(case)
    (t,) = _open_human_tasks(case)
    svc.case_submit(actor=w.officer, task_id=t.pk)
    (review,) = _open_human_tasks(case)
    case.refresh_from_db()
    assert case.state == CaseState.BRANCH_REVIEW
    assert review.flow_task == CaseFlow.branch_review
    assert review.org_id == w.branch.pk and review.owner_id is None and review.status == STATUS.NEW
    return case, review


def _race(attempt, users) -> dict[int, tuple[str, str]]:
    """Run ``attempt(user)`` in one thread per user, all released together by a barrier.

    ``attempt`` returns ("ok", "") or ("AlreadyHandled", message); anything else it
    raises is recorded as ("other", repr). Each thread uses (and closes) its own
    connection: Django's connections are per thread.
    """
    barrier = threading.Barrier(len(users))
    results: dict[int, tuple[str, str]] = {}

    def run(user):
        try:
            barrier.wait(timeout=30)
            results[user.pk] = attempt(user)
        except AlreadyHandled as exc:
            results[user.pk] = ("AlreadyHandled", exc.message)
        except BaseException as exc:  # noqa: BLE001 - any other outcome is a failure, reported below
            results[user.pk] = ("other", repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(u,), name=f"approve-{u.pk}") for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread is still running after 60 s"
    assert len(results) == len(users)
    return results


def _assert_one_winner(w, case, review, results) -> None:
    outcomes = Counter(kind for kind, _ in results.values())
    messages = Counter(msg for kind, msg in results.values() if kind == "AlreadyHandled")
    print(f"\noutcomes: {dict(outcomes)}")
    for msg, n in messages.items():
        print(f"  {n} x AlreadyHandled: {msg}")

    others = {pk: msg for pk, (kind, msg) in results.items() if kind == "other"}
    assert not others, f"unexpected outcomes: {others}"
    winners = [pk for pk, (kind, _) in results.items() if kind == "ok"]
    assert len(winners) == 1, results
    assert outcomes["AlreadyHandled"] == N_THREADS - 1
    (winner,) = winners

    # The case moved exactly one step, and nothing was done twice.
    case.refresh_from_db()
    assert case.state == CaseState.UNIT_REVIEW

    review.refresh_from_db()
    assert review.status == STATUS.DONE
    assert review.owner_id == winner

    (next_task,) = _open_human_tasks(case)
    assert next_task.flow_task == CaseFlow.unit_review
    assert next_task.org_id == w.county.pk
    assert CaseTask.objects.filter(case=case, flow_task=CaseFlow.unit_review).count() == 1

    approvals = AuditEvent.objects.filter(case=case, action=AuditAction.APPROVE)
    assert approvals.count() == 1
    assert approvals.get().actor_id == winner
    assert AuditEvent.objects.filter(case=case, action=AuditAction.CLAIM, task_id_ref=review.pk).count() == 1


def _world_with_secretaries():
    w = make_world()
    secretaries = [
        make_user(f"race_secretary_{i}", org=w.branch, role=Role.BRANCH_SECRETARY, full_name=f"支部书记{i}")
        for i in range(N_THREADS)
    ]
    return w, secretaries


@pytest.mark.django_db(transaction=True)
def test_eight_secretaries_approve_at_once():
    w, secretaries = _world_with_secretaries()
    case, review = _case_at_branch_review(w)

    def approve(user):
        svc.case_approve(actor=user, task_id=review.pk)
        return ("ok", "")

    results = _race(approve, secretaries)
    assert AlreadyHandled.status == 409
    _assert_one_winner(w, case, review, results)


GUARD_MESSAGE = re.compile(r'id="guard-message">(.*?)</div>', re.S)


@pytest.mark.django_db(transaction=True)
def test_eight_secretaries_post_approve_at_once():
    """The same race through the real endpoint: one redirect, seven 409 pages."""
    w, secretaries = _world_with_secretaries()
    case, review = _case_at_branch_review(w)
    url = reverse("inbox:task_act", args=[review.pk])
    clients = {}
    for user in secretaries:  # sessions are written before the race starts
        clients[user.pk] = Client()
        clients[user.pk].force_login(user)

    def post(user):
        response = clients[user.pk].post(url, {"action": "approve"})
        if response.status_code == 302:
            return ("ok", "")
        body = response.content.decode()
        if response.status_code == 409:
            found = GUARD_MESSAGE.search(body)
            return ("AlreadyHandled", html.unescape(found.group(1).strip()) if found else body[:200])
        return ("other", f"status {response.status_code}: {body[:500]}")

    results = _race(post, secretaries)
    _assert_one_winner(w, case, review, results)

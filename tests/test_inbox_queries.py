"""我的待办 and 待认领 at scale (issue 13): what a page costs in queries, and the task row's copies of
类别, 单位, the trainee's name and the day a step opens, which the lists filter on instead of
joining the case.

The time a page takes is measured by bench/inbox.py (docs/performance.md); here only the number of
queries, so that it cannot creep back up, and that it does not grow with the rows listed.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import make_teacher
from tests.flow_client import act, client_for, open_tasks, register
from tests.training import complete_training
from workflows import selectors
from workflows.flows import CaseFlow
from workflows.models import CaseTask, ProgrammePolicy
from workflows.periods import add_months
from workflows.services import policy as policy_svc
from workflows.services import tasks as task_svc
from workflows.services import teachers as teacher_svc

# Session, user, role assignments, menu counts, the page's ids and rows, tick boxes, the front
# page's report rounds and the head of 待认领, the mentor's day: at most ten (issue 13).
MAX_QUERIES = 10
FILTERS = ("", "?kind=1", "?stage=registered", "?overdue=1", "?q=王", "?kind=1&stage=registered&overdue=1&q=王")


def _queries(client, url) -> list[str]:
    client.get(url)  # warm: the session's first read, the site's menu
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return [q["sql"] for q in ctx.captured_queries]


def _more_cases(w, n, prefix):
    for i in range(n):
        register(w.officer, make_teacher(f"{prefix}{i}", w.branch, is_backbone=True), "1")


def test_a_list_page_takes_at_most_ten_queries(world):
    """Both lists, unfiltered and with each filter (one scene for all twelve pages)."""
    w = world
    _more_cases(w, 3, "王老师")
    claimed = open_tasks(register(w.officer, w.candidate1, "1"))[0]
    task_svc.task_claim(actor=w.officer, task_id=claimed.pk)
    client = client_for(w.officer)
    over = {}
    for page in ("/inbox/", "/inbox/queue/"):
        for query in FILTERS:
            queries = _queries(client, page + query)
            if len(queries) > MAX_QUERIES:
                over[page + query] = queries
    assert not over, "\n\n".join(f"{url}: {len(q)}\n" + "\n".join(q) for url, q in over.items())


@pytest.mark.parametrize("page", ["/inbox/", "/inbox/queue/"])
def test_the_query_count_does_not_grow_with_the_rows(world, page):
    w = world
    _more_cases(w, 2, "甲")
    task_svc.task_claim(actor=w.officer, task_id=selectors.queue_for_user(w.officer).first().pk)
    client = client_for(w.officer)
    few = _queries(client, page)
    _more_cases(w, 8, "乙")
    for task in list(selectors.queue_for_user(w.officer))[:3]:
        task_svc.task_claim(actor=w.officer, task_id=task.pk)
    many = _queries(client, page)
    assert len(many) == len(few), "\n".join(many)


def test_the_menu_counts_are_one_query_and_agree_with_the_lists(world):
    w = world
    _more_cases(w, 3, "丙")
    first = open_tasks(register(w.officer, w.candidate1, "1"))[0]
    task_svc.task_claim(actor=w.officer, task_id=first.pk)
    # As the request's user comes (workflows/auth_backend.py), with its roles already read.
    user = type(w.officer).objects.select_related("teacher").get(pk=w.officer.pk)
    selectors.user_assignments(user)
    with CaptureQueriesContext(connection) as ctx:
        counts = selectors.menu_counts(user)
    assert len(ctx) == 1
    assert counts["inbox"] == selectors.inbox_for_user(user).count() == 1
    assert counts["queue"] == selectors.actionable_queue_for_user(user).count() == 3
    assert counts["queue_waiting"] == 0 and counts["escalated"] == 0
    page = client_for(w.officer).get("/inbox/queue/").content.decode()
    assert "待认领（3）" in page


def test_a_user_with_no_role_counts_zero(world):
    from django.contrib.auth import get_user_model

    nobody = get_user_model().objects.create_user("nobody", password="x")
    assert selectors.menu_counts(nobody) == dict.fromkeys(
        ("inbox", "queue", "queue_waiting", "escalated", "unread", "report", "mentoring", "own_cases"), 0
    )
    assert client_for(nobody).get("/inbox/").status_code == 200


def test_a_new_task_carries_its_case_facts(world):
    w = world
    case = register(w.officer, w.candidate2, "2")
    (task,) = open_tasks(case)
    assert (task.case_kind, task.unit_id, task.trainee_name) == ("2", case.unit_id, w.candidate2.name)
    assert task.opens_on is None  # only 提交支部审核 waits for the calendar


def test_renaming_a_teacher_renames_the_rows_the_search_finds(world):
    w = world
    case = register(w.officer, w.candidate1, "1")
    teacher_svc.teacher_update(actor=w.officer, teacher_id=w.candidate1.pk, name="王更名", reason="更正姓名")
    client = client_for(w.officer)
    assert "王更名" in client.get("/inbox/queue/?q=更名").content.decode()
    assert f"/inbox/tasks/{open_tasks(case)[0].pk}/" not in client.get("/inbox/queue/?q=骨干").content.decode()
    assert set(CaseTask.objects.filter(case=case).values_list("trainee_name", flat=True)) == {"王更名"}


def test_the_day_a_submission_opens_follows_the_clock_and_the_city_policy(world):
    w = world
    case = register(w.officer, make_teacher("期未满", w.branch, is_backbone=True), "1")
    act(w.officer, open_tasks(case)[0], action="pair", mentors=[w.member_mentor.pk])
    act(w.member_mentor.user, open_tasks(case)[0], action="accept")
    (submit,) = [t for t in open_tasks(case) if t.flow_task == CaseFlow.submit]
    today = timezone.localdate()
    # Training began today: twelve months to go (the city's default for 类别1).
    assert submit.opens_on > today
    assert submit.pk in selectors.not_yet_due_ids(selectors.queue_for_user(w.officer))
    assert not selectors.actionable_queue_for_user(w.officer).filter(pk=submit.pk).exists()
    # The city shortens the period to none: the step can be done now, and the list says so.
    policy = ProgrammePolicy.current()
    policy_svc.city_policy_update(
        actor=w.city_admin, min_months_1=0, min_months_2=policy.min_months_2, attachment_max_mb=20
    )
    submit.refresh_from_db()
    assert submit.opens_on == today
    assert selectors.actionable_queue_for_user(w.officer).filter(pk=submit.pk).exists()
    # A training clock set back (as the demo and the tests do) is read again by sync_obligations.
    policy_svc.city_policy_update(
        actor=w.city_admin, min_months_1=12, min_months_2=policy.min_months_2, attachment_max_mb=20
    )
    complete_training(case, started_days_ago=400)
    submit.refresh_from_db()
    assert submit.opens_on == add_months(today - datetime.timedelta(days=400), 12) <= today
    assert selectors.actionable_queue_for_user(w.officer).filter(pk=submit.pk).exists()


def _in_training(w, name):
    case = register(w.officer, make_teacher(name, w.branch, is_backbone=True), "1")
    act(w.officer, open_tasks(case)[0], action="pair", mentors=[w.member_mentor.pk])
    act(w.member_mentor.user, open_tasks(case)[0], action="accept")
    return case


def test_a_mentors_front_page_does_not_grow_with_the_trainees(world):
    w = world
    _in_training(w, "学员甲")
    client = client_for(w.member_mentor.user)
    one = _queries(client, "/inbox/")
    assert "学员甲" in client.get("/inbox/").content.decode()
    _in_training(w, "学员乙")
    _in_training(w, "学员丙")
    three = _queries(client, "/inbox/")
    body = client.get("/inbox/").content.decode()
    assert "学员乙" in body and "学员丙" in body
    assert len(three) == len(one), "\n".join(three)

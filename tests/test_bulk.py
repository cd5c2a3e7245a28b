"""批量审批 and the inbox front page (issue 11, items 4 and 5).

One scene for the module (``scene_once``): 22 cases of one 党支部 at 支部审核, one at 单位审核, one
waiting for its 结对, and one in training whose 提交支部审核 is 未到办理时间. The branch has a second
secretary, who handles two tasks "meanwhile".
"""

import json
from types import SimpleNamespace

import pytest
from django.test import Client

from tests.factories import make_teacher, make_user, make_world
from tests.flow_client import client_for
from tests.helpers import drive, new_case, one_open, refused, scene_once, snapshot
from workflows.access import BULK_LIMIT
from workflows.flows import CaseFlow
from workflows.models import AuditAction, AuditEvent, Case, CaseState, CaseTask, Role
from workflows.models.approvals import TaskOpened
from workflows.services import api_tokens
from workflows.services import cases as svc
from workflows.services.bulk import task_mark_opened

BULK = "/inbox/bulk/approve/"
OPINION = "材料齐全，同意报单位审核。"


def build_scene() -> SimpleNamespace:
    w = make_world()
    s = SimpleNamespace(w=w)
    s.secretary2 = make_user("branch_secretary2", org=w.branch, role=Role.BRANCH_SECRETARY, full_name="支部副书记")
    s.cases = [new_case(w, f"批量{n:02d}", CaseState.BRANCH_REVIEW) for n in range(22)]
    s.tasks = [one_open(case) for case in s.cases]
    s.run = s.tasks[:20]  # the batch of twenty
    s.never_opened = s.tasks[20]
    s.spare = s.tasks[21]
    for task in s.run + [s.spare]:
        task_mark_opened(actor=w.secretary, task=task)
    s.unit_task = one_open(new_case(w, "单位审核中", CaseState.UNIT_REVIEW))
    task_mark_opened(actor=w.secretary, task=s.unit_task)
    s.pair_task = one_open(svc.case_register(actor=w.officer, teacher_id=make_teacher("待结对", w.branch).pk, kind="1"))
    fresh = drive(
        svc.case_register(actor=w.officer, teacher_id=make_teacher("刚开始", w.branch, is_backbone=True).pk, kind="1"),
        CaseState.PAIRED,
        officer=w.officer,
        mentors=[w.member_mentor],
    )
    svc.mentor_accept(actor=w.member_mentor.user, task_id=one_open(fresh).pk)
    (s.waiting_task,) = CaseTask.objects.filter(case=fresh, flow_task=CaseFlow.submit)
    people = {"secretary": w.secretary, "outsider": w.outsider, "other_reviewer": w.other_reviewer}
    people.update(mentor=w.member_mentor.user, auditor=w.auditor)
    s.tokens = {name: api_tokens.api_token_create(actor=user, name="测试").raw for name, user in people.items()}
    return s


_built = scene_once(build_scene)


@pytest.fixture
def s(_built, db):
    return _built


def approvals(since: int = 0):
    """The 同意 events written after the event numbered ``since``."""
    return AuditEvent.objects.filter(action=AuditAction.APPROVE, seq__gt=since)


def last_seq() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def post_bulk(user, ids, reason=OPINION, **extra):
    client = client_for(user) if user else Client()
    return client.post(BULK, {"task": [str(i) for i in ids], "reason": reason, **extra})


def state(task) -> str:
    return Case.objects.get(pk=task.case_id).state


# --- opening a task page is noted (what bulk approval rests on) --------------------------------------


def test_opening_a_task_page_notes_it_once_and_is_no_audit_event(s):
    w = s.w
    assert not TaskOpened.objects.filter(task=s.never_opened, user=w.secretary).exists()
    before = snapshot()
    client = client_for(w.secretary)
    assert client.get(f"/inbox/tasks/{s.never_opened.pk}/").status_code == 200
    assert client.get(f"/inbox/tasks/{s.never_opened.pk}/").status_code == 200
    assert TaskOpened.objects.filter(task=s.never_opened, user=w.secretary).count() == 1
    assert snapshot() == before  # a read: no audit event, nothing of the case changed


def test_a_finished_task_opened_is_not_noted(s):
    w = s.w
    svc.case_approve(actor=s.secretary2, task_id=s.never_opened.pk)
    client_for(w.secretary).get(f"/inbox/tasks/{s.never_opened.pk}/")
    assert not TaskOpened.objects.filter(task=s.never_opened, user=w.secretary).exists()


# --- the twenty ---------------------------------------------------------------------------------------


def test_twenty_with_two_handled_meanwhile_give_eighteen_done_and_two_refused(s):
    w = s.w
    ids = [t.pk for t in s.run]
    queue = client_for(w.secretary).get("/inbox/queue/").content.decode()
    for task in s.run:  # the selection is made on the list
        assert f'name="task" value="{task.pk}" form="sp-bulk-form"' in queue
    meanwhile = s.run[3], s.run[11]
    for task in meanwhile:  # another holder of the step approves two of them before the POST
        svc.case_approve(actor=s.secretary2, task_id=task.pk, reason="我先办了")
    before = last_seq()

    response = post_bulk(w.secretary, ids)

    assert response.status_code == 200
    body = response.content.decode()
    assert "共 20 项：已通过 18 项，未通过 2 项。" in body
    assert body.count("<strong>已通过</strong>") == 18
    assert body.count("<strong>未通过</strong>") == 2
    for task in meanwhile:
        row = body.split(f'id="bulk-item-{task.pk}"')[1].split("</tr>")[0]
        assert "未通过" in row and "该任务已被 支部副书记 处理" in row
        assert f'href="/inbox/tasks/{task.pk}/"' in row
    mine = approvals(before)
    assert mine.count() == 18 == mine.filter(actor=w.secretary).count()
    assert {e.reason for e in mine} == {OPINION}
    assert all(e.changes["bulk"] is True for e in mine)
    assert len({e.changes["batch"] for e in mine}) == 1  # one batch, eighteen events
    assert {e.case_id for e in mine} == {t.case_id for t in s.run if t not in meanwhile}
    assert all(state(t) == CaseState.UNIT_REVIEW for t in s.run)
    for task in meanwhile:  # the two keep their own history: one 同意, by the other secretary
        assert list(approvals().filter(case_id=task.case_id).values_list("actor_id", flat=True)) == [s.secretary2.pk]


def test_a_task_never_opened_is_refused_and_the_rest_go_on(s):
    w = s.w
    before = last_seq()
    response = post_bulk(w.secretary, [s.spare.pk, s.never_opened.pk])
    assert response.status_code == 200
    row = response.content.decode().split(f'id="bulk-item-{s.never_opened.pk}"')[1].split("</tr>")[0]
    assert "您尚未打开过该任务，请先查看材料再批量审批" in row
    assert state(s.never_opened) == CaseState.BRANCH_REVIEW
    assert state(s.spare) == CaseState.UNIT_REVIEW
    assert list(approvals(before).values_list("case_id", "actor_id")) == [(s.spare.case_id, w.secretary.pk)]


def test_a_never_opened_task_has_no_tick_box(s):
    queue = client_for(s.w.secretary).get("/inbox/queue/").content.decode()
    assert f'value="{s.spare.pk}" form="sp-bulk-form"' in queue
    assert f'value="{s.never_opened.pk}" form="sp-bulk-form"' not in queue
    assert f"/inbox/tasks/{s.never_opened.pk}/" in queue  # listed, to be opened
    assert 'id="sp-bulk-form"' in queue and "批量同意" in queue


def test_all_refused_answers_with_the_refusals_status(s):
    for task in s.run[:2]:
        svc.case_approve(actor=s.secretary2, task_id=task.pk)
    before = snapshot()
    response = post_bulk(s.w.secretary, [t.pk for t in s.run[:2]])
    refused(response, 409, "所选 2 项均未通过")
    assert snapshot() == before
    assert response.content.decode().count("该任务已被 支部副书记 处理") == 2


# --- the whole batch refused: 400, nothing changed, the input kept ----------------------------------


def _whole_batch_cases(s):
    too_many = [t.pk for t in s.tasks[: BULK_LIMIT + 1]]
    return {
        "over_limit": (too_many, OPINION, "一次最多批量审批 20 项，您选择了 21 项"),
        "mixed_steps": ([s.spare.pk, s.unit_task.pk], OPINION, "只能选择同一步骤"),
        "needs_input": ([s.pair_task.pk], OPINION, "需要在任务页面填写内容"),
        "empty": ([], OPINION, "请至少勾选一项任务"),
        "too_long": ([s.spare.pk, s.run[0].pk], "长" * 1001, "1000"),
        "bad_id": ([s.spare.pk, "abc"], OPINION, "无效"),
    }


@pytest.mark.parametrize("case", ["over_limit", "mixed_steps", "needs_input", "empty", "too_long", "bad_id"])
def test_a_refused_batch_changes_nothing_and_keeps_the_input(s, case):
    ids, reason, fragment = _whole_batch_cases(s)[case]
    before = snapshot()
    response = post_bulk(s.w.secretary, ids, reason=reason)
    refused(response, 400, fragment)
    assert snapshot() == before
    body = response.content.decode()
    assert reason in body  # the opinion stays in its box
    for task_id in ids:
        if str(task_id).isdigit():
            assert f'name="task" value="{task_id}" checked' in body  # and the selection stays ticked


def test_over_limit_is_checked_against_the_named_limit():
    assert BULK_LIMIT == 20


# --- who may: the bulk endpoint ---------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in_and_nothing_changes(s):
    before = snapshot()
    response = post_bulk(None, [s.spare.pk])
    assert response.status_code == 302 and "/login" in response["Location"]
    assert snapshot() == before


@pytest.mark.parametrize("who", ["outsider", "other_reviewer", "other_officer"])
def test_outsider_and_other_county_hear_not_found(s, who):
    before = snapshot()
    refused(post_bulk(getattr(s.w, who), [s.spare.pk, s.run[0].pk]), 404, "未找到")
    assert snapshot() == before


@pytest.mark.parametrize("who", ["mentor", "auditor", "reviewer"])
def test_who_sees_the_tasks_but_may_not_approve_them_is_refused_item_by_item(s, who):
    w = s.w
    user = {"mentor": w.member_mentor.user, "auditor": w.auditor, "reviewer": w.reviewer}[who]
    for task in (s.spare, s.run[0]):  # even having opened them
        client_for(user).get(f"/inbox/tasks/{task.pk}/")
    before = snapshot()
    response = post_bulk(user, [s.spare.pk, s.run[0].pk])
    refused(response, 403, "所选 2 项均未通过")
    assert response.content.decode().count("您没有该身份") == 2
    assert snapshot() == before
    for page in ("/inbox/", "/inbox/queue/"):  # and their lists offer neither a tick box nor “同意” for them
        body = client_for(user).get(page).content.decode()
        for task in (s.spare, s.run[0]):
            assert f'value="{task.pk}" form="sp-bulk-form"' not in body
            assert f'action="/inbox/tasks/{task.pk}/approve/"' not in body


def test_a_get_of_the_bulk_address_changes_nothing(s):
    before = snapshot()
    assert client_for(s.w.secretary).get(BULK).status_code == 405
    assert snapshot() == before


# --- the front page ---------------------------------------------------------------------------------


def test_the_front_page_shows_mine_and_my_queue_with_their_counts(s):
    w = s.w
    client = client_for(w.secretary)
    assert client.post(f"/inbox/tasks/{s.spare.pk}/claim/").status_code == 302
    body = client.get("/inbox/").content.decode()
    assert "我的待办（1）" in body
    mine = body.split('id="front-queue"')[0]
    assert f"/inbox/tasks/{s.spare.pk}/" in mine
    queue = body.split('id="front-queue"')[1]
    assert "待认领（21）" in queue
    assert queue.count("<tr data-row-id=") == 10  # the head of the queue; the rest one click away
    assert "查看全部 21 项待认领" in queue and 'href="/inbox/queue/"' in queue
    # Both lists offer their rows to the batch and to “同意”.
    assert f'value="{s.spare.pk}" form="sp-bulk-form"' in mine
    assert f'value="{s.run[0].pk}" form="sp-bulk-form"' in queue
    assert f'action="/inbox/tasks/{s.run[0].pk}/approve/"' in queue
    assert f'action="/inbox/tasks/{s.spare.pk}/approve/"' in mine


def test_the_front_page_counts_the_steps_not_yet_due_and_links_to_them(s):
    body = client_for(s.w.officer).get("/inbox/").content.decode()
    queue = body.split('id="front-queue"')[1]
    # 结对 and the new trainee's two 学期成果; 提交支部审核 waits for the calendar.
    assert "待认领（3）" in queue and queue.count("<tr data-row-id=") == 3
    assert f"/inbox/tasks/{s.pair_task.pk}/" in queue
    assert f"/inbox/tasks/{s.waiting_task.pk}/" not in body
    waiting = body.split('id="front-queue-waiting"')[1].split("</p>")[0]
    assert "另有 1 项未到办理时间" in waiting and 'href="/inbox/queue/?waiting=1"' in waiting
    # 结对 needs input: it may be claimed, not approved from the list, and is no batch's.
    assert f'action="/inbox/tasks/{s.pair_task.pk}/approve/"' not in queue
    assert f'action="/inbox/tasks/{s.pair_task.pk}/claim/"' in queue
    assert 'id="sp-bulk-form"' not in body


def test_a_claimed_step_not_yet_due_is_marked_in_my_inbox(s):
    officer = client_for(s.w.officer)
    assert officer.post(f"/inbox/tasks/{s.waiting_task.pk}/claim/").status_code == 302
    body = officer.get("/inbox/").content.decode()
    row = body.split(f'data-row-id="{s.waiting_task.pk}"')[1].split("</tr>")[0]
    assert "未到办理时间（" in row


def test_the_filters_still_filter_my_inbox(s):
    client = client_for(s.w.secretary)
    for task in s.tasks[:3]:
        client.post(f"/inbox/tasks/{task.pk}/claim/")
    body = client.get("/inbox/?q=批量01").content.decode()
    assert "批量01" in body and "批量02" not in body
    assert 'id="front-queue"' not in body  # the front page's extras are for the unfiltered page


# --- “同意” on a list row ---------------------------------------------------------------------------


def test_one_click_approve_from_the_queue_claims_approves_and_writes_the_event(s):
    w = s.w
    task = s.never_opened  # no need to have opened it: this is one decision, taken on its row
    client = client_for(w.secretary)
    response = client.post(f"/inbox/tasks/{task.pk}/approve/", {"next": "/inbox/queue/"})
    assert response.status_code == 302 and response["Location"] == "/inbox/queue/"
    assert state(task) == CaseState.UNIT_REVIEW
    events = list(AuditEvent.objects.filter(case_id=task.case_id, actor=w.secretary).order_by("seq"))
    assert [e.action for e in events] == [AuditAction.CLAIM, AuditAction.APPROVE]
    assert events[1].changes.get("from_list") is True and events[1].reason == ""
    page = client.get("/inbox/queue/").content.decode()
    assert "已同意：批量20（支部审核），已报上一级。" in page


def test_one_click_approve_does_not_leave_for_another_site(s):
    response = client_for(s.w.secretary).post(f"/inbox/tasks/{s.spare.pk}/approve/", {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/inbox/"


def test_one_click_approve_refuses_a_step_that_needs_input(s):
    before = snapshot()
    refused(client_for(s.w.officer).post(f"/inbox/tasks/{s.pair_task.pk}/approve/"), 400, "需要在任务页面填写内容")
    assert snapshot() == before


def test_one_click_approve_of_a_task_handled_meanwhile_is_refused(s):
    svc.case_approve(actor=s.secretary2, task_id=s.spare.pk)
    before = snapshot()
    refused(client_for(s.w.secretary).post(f"/inbox/tasks/{s.spare.pk}/approve/"), 409, "已被处理")
    assert snapshot() == before


@pytest.mark.parametrize(
    "who, status, fragment",
    [
        ("anonymous", 302, ""),
        ("outsider", 404, "未找到"),
        ("other_reviewer", 404, "未找到"),
        ("mentor", 403, "您没有该身份"),
        ("auditor", 403, "您没有该身份"),
    ],
)
def test_one_click_approve_who_may(s, who, status, fragment):
    w = s.w
    user = {"anonymous": None, "mentor": w.member_mentor.user}.get(who, getattr(w, who, None))
    client = client_for(user) if user else Client()
    before = snapshot()
    response = client.post(f"/inbox/tasks/{s.spare.pk}/approve/")
    if status == 302:
        assert response.status_code == 302 and "/login" in response["Location"]
    else:
        refused(response, status, fragment)
    assert snapshot() == before
    assert client.get(f"/inbox/tasks/{s.spare.pk}/approve/").status_code in (302, 405)


def test_the_front_page_query_count_does_not_grow_with_rows(s):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(s.w.secretary)
    client.post(f"/inbox/tasks/{s.tasks[0].pk}/claim/")
    client.get("/inbox/")
    with CaptureQueriesContext(connection) as one:
        client.get("/inbox/")
    for task in s.tasks[1:4]:
        client.post(f"/inbox/tasks/{task.pk}/claim/")
    with CaptureQueriesContext(connection) as four:
        body = client.get("/inbox/").content.decode()
    assert "我的待办（4）" in body
    assert len(four) == len(one)


# --- the API: the same service ----------------------------------------------------------------------

API = "/api/bulk/approve"


def api_bulk(s, who, ids, reason=OPINION):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {s.tokens[who]}"} if who else {}
    body = json.dumps({"task_ids": ids, "reason": reason})
    return Client().post(API, data=body, content_type="application/json", **headers)


def test_the_api_approves_item_by_item(s):
    before = last_seq()
    response = api_bulk(s, "secretary", [s.spare.pk, s.never_opened.pk])
    assert response.status_code == 200
    data = response.json()
    assert (data["approved"], data["refused"]) == (1, 1)
    assert data["detail"] == "共 2 项：已通过 1 项，未通过 1 项。"
    done, refused_item = data["items"]
    assert done["ok"] and done["task_id"] == s.spare.pk
    assert not refused_item["ok"] and "您尚未打开过该任务" in refused_item["detail"]
    (event,) = approvals(before)
    assert event.case_id == s.spare.case_id and event.changes["bulk"] is True and event.reason == OPINION


@pytest.mark.parametrize(
    "ids, reason, status, fragment",
    [
        ("over_limit", OPINION, 400, "一次最多批量审批 20 项"),
        ("mixed", OPINION, 400, "只能选择同一步骤"),
        ("one", "长" * 1001, 400, "1000"),
        ("none", OPINION, 400, "请至少勾选一项任务"),
    ],
)
def test_the_api_refuses_a_bad_batch_whole(s, ids, reason, status, fragment):
    chosen = {
        "over_limit": [t.pk for t in s.tasks[:21]],
        "mixed": [s.spare.pk, s.unit_task.pk],
        "one": [s.spare.pk],
        "none": [],
    }[ids]
    before = snapshot()
    response = api_bulk(s, "secretary", chosen, reason)
    assert response.status_code == status and fragment in response.json()["detail"]
    assert snapshot() == before


@pytest.mark.parametrize("who, status", [(None, 401), ("outsider", 404), ("other_reviewer", 404)])
def test_the_api_refuses_who_cannot_see_the_tasks(s, who, status):
    before = snapshot()
    response = api_bulk(s, who, [s.spare.pk])
    assert response.status_code == status and response.json()["detail"]
    assert snapshot() == before


@pytest.mark.parametrize("who", ["mentor", "auditor"])
def test_the_api_refuses_each_task_to_who_may_not_approve(s, who):
    before = snapshot()
    response = api_bulk(s, who, [s.spare.pk, s.run[0].pk])
    assert response.status_code == 200
    data = response.json()
    assert data["approved"] == 0 and all(not i["ok"] and i["status"] == 403 for i in data["items"])
    assert snapshot() == before


@pytest.mark.parametrize("who", ["anonymous", "outsider", "other_reviewer", "mentor", "auditor"])
def test_the_front_page_shows_nobody_else_the_branchs_queue(s, who):
    w = s.w
    user = {"anonymous": None, "mentor": w.member_mentor.user}.get(who, getattr(w, who, None))
    client = client_for(user) if user else Client()
    response = client.get("/inbox/")
    if user is None:
        assert response.status_code == 302 and "/login" in response["Location"]
        return
    body = response.content.decode()
    assert response.status_code == 200 and "我的待办（" in body
    assert 'id="front-queue"' not in body and 'id="sp-bulk-form"' not in body
    for task in (s.spare, s.run[0], s.unit_task):
        assert f"/inbox/tasks/{task.pk}/approve/" not in body
        assert f'value="{task.pk}" form="sp-bulk-form"' not in body

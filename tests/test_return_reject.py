"""退回到指定步骤 and 不予通过 (issue 11): the reviewer chooses the earlier step a case goes back
to and it lands with that step's last handler; 支部审核 and 单位审核 may end a case with a reason.

For each action, through the task page and the API: the right person, the wrong people (403 /
404, nothing changed), bad input (4xx, a Chinese message, nothing changed, what was typed kept),
the audit event and the notification. The scene is built once for the module
(``tests.helpers.scene_once``); each test runs in a savepoint that is rolled back.
"""

import json
from types import SimpleNamespace

import pytest
from django.test import Client
from viewflow.workflow.status import STATUS

from tests.factories import make_world
from tests.flow_client import client_for
from tests.helpers import module_media, new_case, one_open, refused, scene_once, snapshot
from tests.training import training_tasks
from workflows import figures
from workflows.flows import OPEN_TASK_STATUSES, CaseFlow
from workflows.models import AuditAction, AuditEvent, Case, CaseState, CaseTask, Notification, NotificationKind
from workflows.services import api_tokens, training
from workflows.services import cases as svc

LONG = "很" * 1001

# --- the scene ------------------------------------------------------------------------------


def build_scene() -> SimpleNamespace:
    """One case waiting at each review in 赫山区, plus an API token per person."""
    w = make_world()
    s = SimpleNamespace(w=w)
    s.branch = new_case(w, "冯支部", CaseState.BRANCH_REVIEW)
    s.unit = new_case(w, "卫单位", CaseState.UNIT_REVIEW)
    s.filing = new_case(w, "褚备案", CaseState.CITY_FILING)
    s.mentor = w.member_mentor.user  # 张正式 mentors all three
    people = {
        "officer": w.officer,
        "secretary": w.secretary,
        "reviewer": w.reviewer,
        "city_admin": w.city_admin,
        "other_reviewer": w.other_reviewer,
        "other_officer": w.other_officer,
        "auditor": w.auditor,
        "outsider": w.outsider,
        "mentor": s.mentor,
    }
    s.people = people
    s.tokens = {name: api_tokens.api_token_create(actor=user, name="测试").raw for name, user in people.items()}
    return s


_built = scene_once(build_scene)


@pytest.fixture
def scene(_built, db, settings):
    module_media(settings, _built)
    return _built


def task_of(case):
    return one_open(case)


def post_act(user, task, **data):
    return client_for(user).post(f"/inbox/tasks/{task.pk}/act/", data)


def api(token, task, body):
    return Client().post(
        f"/api/tasks/{task.pk}/act",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def last_event(action):
    return AuditEvent.objects.filter(action=action).order_by("-seq").first()


def kept(response, typed):
    assert typed in response.content.decode(), "what was typed must stay in the form"


# --- the task page offers what the rule allows -------------------------------------------------


def _select_options(html, name):
    import re

    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no <select name={name}>"
    return re.findall(r'<option value="([^"]*)"', select.group(1))


@pytest.mark.parametrize(
    ("case_name", "who", "targets", "reject"),
    [
        ("branch", "secretary", ["training"], True),
        ("unit", "reviewer", ["branch_review", "training"], True),
        ("filing", "city_admin", ["unit_review", "branch_review", "training"], False),
    ],
)
def test_the_page_offers_the_allowed_steps_and_reject_only_at_branch_and_unit(scene, case_name, who, targets, reject):
    case = getattr(scene, case_name)
    html = client_for(scene.people[who]).get(f"/inbox/tasks/{task_of(case).pk}/").content.decode()
    assert _select_options(html, "to_state") == targets  # nearest first: the default is one step back
    assert ('id="reject-form"' in html) is reject
    if reject:
        assert "确认不予通过，案例将结束" in html


@pytest.mark.parametrize("who", ["auditor", "mentor", "officer"])
def test_people_who_may_not_act_are_offered_neither(scene, who):
    html = client_for(scene.people[who]).get(f"/inbox/tasks/{task_of(scene.unit).pk}/").content.decode()
    assert 'id="return-form"' not in html and 'id="reject-form"' not in html


# --- 退回到指定步骤: the right person ---------------------------------------------------------------


def test_unit_review_returns_two_steps_to_training_and_lands_with_the_officer(scene):
    w = scene.w
    task = task_of(scene.unit)
    response = post_act(w.reviewer, task, action="return", to_state="training", reason="谈心谈话记录不足")
    assert response.status_code == 302
    case = Case.objects.get(pk=scene.unit.pk)
    assert case.state == CaseState.TRAINING
    reopened = one_open(case)
    assert reopened.flow_task == CaseFlow.submit and reopened.owner_id == w.officer.pk  # who submitted it
    assert reopened.status == STATUS.ASSIGNED
    event = last_event(AuditAction.RETURN)
    assert (event.actor_id, event.case_id, event.task_id_ref) == (w.reviewer.pk, case.pk, task.pk)
    assert (event.from_state, event.to_state) == (CaseState.UNIT_REVIEW, CaseState.TRAINING)
    assert event.reason == "谈心谈话记录不足"
    assert event.changes["to_stage"] == "training"
    assert event.changes["recipients"] == [w.officer.get_full_name()]
    assert "退回到：培养中" in event.changes_text
    (note,) = Notification.objects.filter(kind=NotificationKind.RETURNED, case=case)
    assert note.recipient_id == w.officer.pk and note.task_id == reopened.pk
    assert "赫山审核人" in note.message and "谈心谈话记录不足" in note.message and "培养中" in note.message


def test_after_a_return_to_training_the_obligations_hold_and_the_officer_submits_again(scene):
    w = scene.w
    svc.case_return(actor=w.reviewer, task_id=task_of(scene.unit).pk, reason="请补充材料", to_state="training")
    case = Case.objects.get(pk=scene.unit.pk)
    # The training already done still counts: the gate is open, nothing new is owed but what the
    # calendar owes today (the mentor's record of this period, which he may write).
    assert training.gate_missing(case) == []
    assert all(t.flow_task in (CaseFlow.record,) for t in training_tasks(case))
    svc.case_submit(actor=w.officer, task_id=one_open(case).pk)
    case.refresh_from_db()
    assert case.state == CaseState.BRANCH_REVIEW
    assert training_tasks(case) == []  # cancelled again once the case left 培养中


def test_city_filing_returns_to_branch_review_and_lands_with_the_secretary(scene):
    w = scene.w
    response = post_act(
        w.city_admin, task_of(scene.filing), action="return", to_state="branch_review", reason="支部意见缺签字"
    )
    assert response.status_code == 302
    case = Case.objects.get(pk=scene.filing.pk)
    assert case.state == CaseState.BRANCH_REVIEW
    reopened = one_open(case)
    assert reopened.flow_task == CaseFlow.branch_review and reopened.owner_id == w.secretary.pk
    assert Notification.objects.get(kind=NotificationKind.RETURNED, case=case).recipient_id == w.secretary.pk


def test_city_filing_returns_three_steps_to_training_and_lands_with_the_officer(scene):
    w = scene.w
    svc.case_return(actor=w.city_admin, task_id=task_of(scene.filing).pk, reason="重新培养", to_state="training")
    case = Case.objects.get(pk=scene.filing.pk)
    assert case.state == CaseState.TRAINING
    assert one_open(case).owner_id == w.officer.pk
    event = last_event(AuditAction.RETURN)
    assert (event.from_state, event.to_state, event.changes["to_stage"]) == ("city_filing", "training", "training")


def test_without_a_choice_the_return_goes_one_step_back_as_before(scene):
    w = scene.w
    response = post_act(w.reviewer, task_of(scene.unit), action="return", reason="请支部复核")
    assert response.status_code == 302
    case = Case.objects.get(pk=scene.unit.pk)
    assert case.state == CaseState.BRANCH_REVIEW
    assert one_open(case).owner_id == w.secretary.pk
    assert last_event(AuditAction.RETURN).changes["to_stage"] == "branch_review"


# --- 退回到指定步骤: the wrong people and bad input ---------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [("other_reviewer", 404), ("outsider", 404), ("mentor", 403), ("auditor", 403), ("secretary", 403)],
)
def test_the_wrong_people_cannot_return(scene, who, status):
    before = snapshot()
    response = post_act(scene.people[who], task_of(scene.unit), action="return", to_state="training", reason="退回")
    assert response.status_code == status
    assert snapshot() == before


def test_anonymous_cannot_return(scene):
    before = snapshot()
    response = Client().post(f"/inbox/tasks/{task_of(scene.unit).pk}/act/", {"action": "return", "reason": "退回"})
    assert response.status_code == 302 and "/login" in response["Location"]
    assert snapshot() == before


@pytest.mark.parametrize("target", ["paired", "registered", "city_filing", "completed", "unit_review", "x" * 50])
def test_a_step_not_allowed_is_refused_with_the_allowed_ones_and_the_reason_kept(scene, target):
    before = snapshot()
    response = post_act(
        scene.w.reviewer, task_of(scene.unit), action="return", to_state=target, reason="我写的退回理由"
    )
    refused(response, 400, "只能退回到：支部审核、培养中")
    kept(response, "我写的退回理由")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("reason", "message"),
    [("", "请填写退回理由"), ("   ", "请填写退回理由"), (LONG, "退回理由最多 1000 字，现有 1001 字")],
)
def test_a_missing_or_too_long_reason_is_refused(scene, reason, message):
    before = snapshot()
    response = post_act(scene.w.reviewer, task_of(scene.unit), action="return", to_state="training", reason=reason)
    refused(response, 400, message)
    if reason.strip():
        kept(response, reason)
    assert snapshot() == before


def test_the_service_refuses_a_step_the_form_did_not_offer(scene):
    before = snapshot()
    with pytest.raises(svc.GuardError) as error:
        svc.case_return(actor=scene.w.secretary, task_id=task_of(scene.branch).pk, reason="退回", to_state="paired")
    assert error.value.status == 400 and "只能退回到：培养中" in error.value.message
    with pytest.raises(svc.GuardError) as error:
        svc.case_return(actor=scene.w.secretary, task_id=task_of(scene.branch).pk, reason=LONG)
    assert "最多 1000 字" in error.value.message
    assert snapshot() == before


# --- 不予通过: the right person ----------------------------------------------------------------------


@pytest.mark.parametrize(("case_name", "who"), [("branch", "secretary"), ("unit", "reviewer")])
def test_a_reviewer_rejects_and_the_case_ends(scene, case_name, who):
    w = scene.w
    case = getattr(scene, case_name)
    task = task_of(case)
    response = post_act(scene.people[who], task, action="reject", reason="师德考核不合格", confirm="on")
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.REJECTED and not case.is_open
    assert not CaseTask.objects.filter(case=case, status__in=OPEN_TASK_STATUSES).exists()  # training work too
    assert case.process.status == STATUS.DONE and case.process.finished is not None
    assert CaseTask.objects.get(pk=task.pk).status == STATUS.DONE
    event = last_event(AuditAction.REJECT)
    assert (event.actor_id, event.case_id, event.task_id_ref) == (scene.people[who].pk, case.pk, task.pk)
    assert (event.from_state, event.to_state, event.reason) == (task.stage, CaseState.REJECTED, "师德考核不合格")
    assert set(event.changes["recipients"]) == {w.officer.get_full_name(), "张正式"}
    notes = Notification.objects.filter(kind=NotificationKind.REJECTED, case=case)
    assert {n.recipient_id for n in notes} == {w.officer.pk, scene.mentor.pk}
    assert all("不予通过" in n.message and "师德考核不合格" in n.message for n in notes)


def test_rejecting_cancels_whatever_else_is_open_and_ends_the_process(scene):
    w = scene.w
    case = scene.unit
    # A task left open beside the review (as a 加签 or a late training duty would be).
    stray = training._new_task(case, CaseFlow.opinion, due_at=None, owner=scene.mentor)
    svc.case_reject(actor=w.reviewer, task_id=task_of(case).pk, reason="不符合条件")
    stray.refresh_from_db()
    assert stray.status == STATUS.CANCELED and stray.finished is not None
    assert not CaseTask.objects.filter(case=case, status__in=OPEN_TASK_STATUSES).exists()
    case.refresh_from_db()
    assert case.process.status == STATUS.DONE
    assert last_event(AuditAction.REJECT).changes["cancelled"] == ["填写培养人意见"]


def test_a_rejected_case_shows_its_state_and_cannot_be_resumed_or_exited(scene):
    w = scene.w
    svc.case_reject(actor=w.secretary, task_id=task_of(scene.branch).pk, reason="不符合条件")
    page = client_for(w.officer).get(f"/inbox/cases/{scene.branch.pk}/").content.decode()
    assert "不予通过" in page
    roster = client_for(w.officer).get("/inbox/roster/", {"closed": "1"}).content.decode()
    assert "冯支部" in roster and "不予通过" in roster
    assert "冯支部" not in client_for(w.officer).get("/inbox/roster/").content.decode()  # closed, like 已退出
    # The 统计看板 counts it under its own stage, and no longer as waiting at 支部审核.
    board = figures.dashboard(w.reviewer, 2026)
    stages = {label: n for label, n in zip(board.stage_labels, board.stage_totals, strict=True)}
    assert stages["不予通过"] == 1 and stages["支部审核"] == 0
    before = snapshot()
    for url, data in [("exit", {"reason": "退出"}), ("resume", {}), ("pause", {"reason": "暂停"}), ("withdraw", {})]:
        response = client_for(w.officer).post(f"/inbox/cases/{scene.branch.pk}/{url}/", data)
        assert 400 <= response.status_code < 500, (url, response.status_code)
    assert snapshot() == before


# --- 不予通过: the wrong people and bad input --------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [("other_reviewer", 404), ("other_officer", 404), ("outsider", 404), ("mentor", 403), ("auditor", 403)],
)
def test_the_wrong_people_cannot_reject(scene, who, status):
    before = snapshot()
    response = post_act(scene.people[who], task_of(scene.branch), action="reject", reason="不予通过", confirm="on")
    assert response.status_code == status
    assert snapshot() == before


def test_the_city_cannot_reject_and_is_told_to_return(scene):
    before = snapshot()
    response = post_act(scene.w.city_admin, task_of(scene.filing), action="reject", reason="不同意", confirm="on")
    refused(response, 400, "市级备案", "退回")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("data", "message", "typed"),
    [
        ({"reason": "材料不实"}, "请勾选“确认不予通过，案例将结束”", "材料不实"),
        ({"reason": "", "confirm": "on"}, "请填写不予通过的理由", None),
        ({"reason": "  ", "confirm": "on"}, "请填写不予通过的理由", None),
        ({"reason": LONG, "confirm": "on"}, "不予通过理由最多 1000 字，现有 1001 字", LONG),
        ({"reason": "理由\u202e反转", "confirm": "on"}, "文字方向控制符", None),
    ],
)
def test_bad_input_to_reject_is_refused_and_kept(scene, data, message, typed):
    before = snapshot()
    response = post_act(scene.w.secretary, task_of(scene.branch), action="reject", **data)
    refused(response, 400, message)
    if typed:
        kept(response, typed)
    assert snapshot() == before


# --- the API -----------------------------------------------------------------------------------


def test_api_return_to_a_chosen_step(scene):
    body = {"action": "return", "to_state": "training", "reason": "重新培养"}
    response = api(scene.tokens["reviewer"], task_of(scene.unit), body)
    assert response.status_code == 200, response.content.decode()
    assert response.json()["case_state"] == CaseState.TRAINING
    assert "培养中" in response.json()["detail"]
    assert last_event(AuditAction.RETURN).changes["to_stage"] == "training"


def test_api_reject(scene):
    body = {"action": "reject", "reason": "不符合条件", "confirm": True}
    response = api(scene.tokens["secretary"], task_of(scene.branch), body)
    assert response.status_code == 200, response.content.decode()
    assert response.json()["case_state"] == CaseState.REJECTED
    event = last_event(AuditAction.REJECT)
    assert (event.actor_id, event.reason) == (scene.w.secretary.pk, "不符合条件")


def test_api_offers_reject_only_where_it_may_end_the_case(scene):
    def actions(who, case):
        return (
            Client()
            .get(f"/api/tasks/{task_of(case).pk}", HTTP_AUTHORIZATION=f"Bearer {scene.tokens[who]}")
            .json()["actions"]
        )

    assert "reject" in actions("secretary", scene.branch)
    assert "reject" in actions("reviewer", scene.unit)
    assert "reject" not in actions("city_admin", scene.filing) and "return" in actions("city_admin", scene.filing)
    assert actions("auditor", scene.branch) == []


# Who may do which of the two, over the API: (case, body) -> expected status per person.
API_ROUTES = {
    "return": ("unit", {"action": "return", "to_state": "training", "reason": "退回"}),
    "reject": ("branch", {"action": "reject", "reason": "不予通过", "confirm": True}),
}
API_EXPECTED = {
    "outsider": {"return": 404, "reject": 404},
    "other_reviewer": {"return": 404, "reject": 404},
    "other_officer": {"return": 404, "reject": 404},
    "mentor": {"return": 403, "reject": 403},
    "auditor": {"return": 403, "reject": 403},
    "officer": {"return": 403, "reject": 403},
    "secretary": {"return": 403, "reject": 200},
    "reviewer": {"return": 200, "reject": 403},
}


@pytest.mark.parametrize("who", API_EXPECTED)
@pytest.mark.parametrize("action", API_ROUTES)
def test_api_permission_matrix(scene, who, action):
    case_name, body = API_ROUTES[action]
    expected = API_EXPECTED[who][action]
    before = snapshot()
    response = api(scene.tokens[who], task_of(getattr(scene, case_name)), body)
    assert response.status_code == expected, response.content.decode()
    if expected == 200:
        assert AuditEvent.objects.filter(action=body["action"], actor=scene.people[who]).exists()
    else:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["detail"])
        assert snapshot() == before


def test_api_without_a_token(scene):
    before = snapshot()
    response = Client().post(
        f"/api/tasks/{task_of(scene.branch).pk}/act",
        data=json.dumps({"action": "reject", "reason": "x", "confirm": True}),
        content_type="application/json",
    )
    assert response.status_code == 401
    assert snapshot() == before


@pytest.mark.parametrize(
    ("case_name", "who", "body", "fragment"),
    [
        (
            "unit",
            "reviewer",
            {"action": "return", "to_state": "paired", "reason": "退回"},
            "只能退回到：支部审核、培养中",
        ),
        ("unit", "reviewer", {"action": "return", "to_state": "training"}, "请填写退回理由"),
        ("branch", "secretary", {"action": "reject", "reason": "不予通过"}, "请勾选"),
        ("branch", "secretary", {"action": "reject", "reason": "不予通过", "confirm": False}, "请勾选"),
        ("branch", "secretary", {"action": "reject", "confirm": True}, "请填写不予通过的理由"),
        ("branch", "secretary", {"action": "reject", "reason": LONG, "confirm": True}, "最多 1000 字"),
        ("filing", "city_admin", {"action": "reject", "reason": "不同意", "confirm": True}, "此操作不适用"),
    ],
)
def test_api_bad_input_is_refused_in_chinese(scene, case_name, who, body, fragment):
    before = snapshot()
    response = api(scene.tokens[who], task_of(getattr(scene, case_name)), body)
    assert response.status_code == 400, response.content.decode()
    assert fragment in response.json()["detail"]
    assert snapshot() == before

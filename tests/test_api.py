"""The JSON API (inbox/api/): every route walked against anonymous, a revoked token, an
outsider, another county's officer and reviewer, a mentor and the read-only auditor, then the
right person; each refusal leaves the database as it was (``snapshot``), each success writes
the audit event the page writes. Plus the API 令牌 page and the tokens themselves.

The scene is built once for the module (``tests.helpers.scene_once``); each test runs in a
savepoint that is rolled back.
"""

import datetime
import hashlib
import json
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import make_user, make_world
from tests.helpers import module_media, new_case, one_open, open_human, scene_once, snapshot
from tests.training import PDF, training_tasks
from workflows import visibility
from workflows.flows import CaseFlow
from workflows.models import ApiToken, AuditAction, AuditEvent, Case, CaseState, Notification, Role
from workflows.services import api_tokens, reminders, training
from workflows.services import cases as svc
from workflows.services import tasks as task_svc
from workflows.services.attachments import as_upload
from workflows.services.locking import locked_case

# --- the scene ------------------------------------------------------------------------------


def build_api_scene() -> SimpleNamespace:
    """One task per action of the API, in 赫山区; one case of 桃江县; a token per person."""
    w = make_world()
    s = SimpleNamespace(w=w)
    s.mentor = w.member_mentor.user  # 张正式: mentor of 郑结对, 钱培养, 冯支部, 褚备案
    s.mentor2 = w.member_mentor2.user  # 陈正式

    s.registered = svc.case_register(actor=w.officer, teacher_id=w.candidate1.pk, kind="1")  # 王骨干
    s.pair_task = one_open(s.registered)
    s.claimed = new_case(w, "吴认领", CaseState.REGISTERED)
    s.claimed_task = one_open(s.claimed)
    task_svc.task_claim(actor=w.officer, task_id=s.claimed_task.pk)
    s.paired = new_case(w, "郑结对", CaseState.PAIRED, mentors=[w.member_mentor, w.member_mentor2])
    s.other_accept_task = next(t for t in open_human(s.paired) if t.owner_id == s.mentor2.pk)
    s.training = new_case(w, "钱培养", CaseState.TRAINING)
    s.submit_task = one_open(s.training)
    s.branch = new_case(w, "冯支部", CaseState.BRANCH_REVIEW)
    s.branch_task = one_open(s.branch)
    s.filing = new_case(w, "褚备案", CaseState.CITY_FILING)
    s.filing_task = one_open(s.filing)

    # 沈新培: training for over a year under 陈正式 alone; her 典型案例 is submitted (waiting for his
    # review), her 论文 not yet (the trainee has no account: it waits in the officer's queue).
    s.fresh = new_case(w, "沈新培", CaseState.PAIRED, mentors=[w.member_mentor2])
    svc.mentor_accept(actor=s.mentor2, task_id=one_open(s.fresh).pk)
    Case.objects.filter(pk=s.fresh.pk).update(training_started_on=timezone.localdate() - datetime.timedelta(days=400))
    with locked_case(s.fresh.pk) as locked:
        training.sync_obligations(locked)
    s.record_task = training_tasks(s.fresh, CaseFlow.record)[0]
    first, s.work_task = training_tasks(s.fresh, CaseFlow.submit_work)[:2]
    training.work_submit(
        actor=w.officer, task_id=first.pk, title="典型案例", summary="摘要", upload=as_upload("案例.pdf", PDF)
    )
    s.review_task = training_tasks(s.fresh, CaseFlow.review_work)[0]
    s.opinion_task = training_tasks(s.fresh, CaseFlow.opinion)[0]
    reminders.task_urge(actor=w.reviewer, task_id=s.work_task.pk)
    s.notification = Notification.objects.get(recipient=w.officer)

    # 桃江县: a registered case waiting for its own officer.
    s.other_case = svc.case_register(actor=w.other_officer, teacher_id=w.other_teacher.pk, kind="2")

    people = {
        "officer": w.officer,
        "secretary": w.secretary,
        "reviewer": w.reviewer,
        "city_admin": w.city_admin,
        "other_officer": w.other_officer,
        "other_reviewer": w.other_reviewer,
        "auditor": w.auditor,
        "outsider": w.outsider,
        "mentor": s.mentor,
        "mentor2": s.mentor2,
        "trainee": w.candidate1.user,
    }
    s.people = people
    s.tokens = {name: api_tokens.api_token_create(actor=user, name="测试").raw for name, user in people.items()}
    revoked = api_tokens.api_token_create(actor=w.officer, name="已撤销")
    api_tokens.api_token_revoke(actor=w.officer, token_id=revoked.token.pk)
    s.tokens["revoked"] = revoked.raw
    return s


_built = scene_once(build_api_scene)


@pytest.fixture
def scene(_built, db, settings):
    module_media(settings, _built)
    return _built


def call(method: str, url: str, token: str | None = None, body=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    client = Client()
    if method == "get":
        return client.get(url, **headers)
    return client.post(url, data=json.dumps(body or {}), content_type="application/json", **headers)


def detail(response) -> str:
    return response.json()["detail"]


# --- the routes -------------------------------------------------------------------------------

# name -> scene -> url; every signed-in caller may read these lists (scoped to them).
LISTS = {
    "me": lambda s: "/api/me",
    "tasks": lambda s: "/api/tasks",
    "queue": lambda s: "/api/queue",
    "notifications": lambda s: "/api/notifications",
}
# name -> scene -> url of one object in 赫山区 (冯支部, whom 张正式 mentors).
READS = {
    "task": lambda s: f"/api/tasks/{s.branch_task.pk}",
    "case": lambda s: f"/api/cases/{s.branch.pk}",
}
# name -> scene -> (url, body, the person for whom this exact request succeeds, the audit action)
ACTIONS = {
    "pair": lambda s: (
        f"/api/tasks/{s.pair_task.pk}/act",
        {"action": "pair", "mentors": [s.w.member_mentor.pk]},
        "officer",
        AuditAction.PAIR,
    ),
    "accept": lambda s: (
        f"/api/tasks/{s.other_accept_task.pk}/act",
        {"action": "accept"},
        "mentor2",
        AuditAction.ACCEPT,
    ),
    "decline": lambda s: (
        f"/api/tasks/{s.other_accept_task.pk}/act",
        {"action": "decline", "reason": "工作调动，无法承担"},
        "mentor2",
        AuditAction.DECLINE,
    ),
    "submit": lambda s: (f"/api/tasks/{s.submit_task.pk}/act", {"action": "submit"}, "officer", AuditAction.SUBMIT),
    "approve": lambda s: (
        f"/api/tasks/{s.branch_task.pk}/act",
        {"action": "approve", "reason": "同意报送"},
        "secretary",
        AuditAction.APPROVE,
    ),
    "return": lambda s: (
        f"/api/tasks/{s.branch_task.pk}/act",
        {"action": "return", "reason": "谈心谈话记录不足"},
        "secretary",
        AuditAction.RETURN,
    ),
    "file": lambda s: (
        f"/api/tasks/{s.filing_task.pk}/act",
        {"action": "file", "year": 2026},
        "city_admin",
        AuditAction.COMPLETE,  # 市级备案 completes the case and writes its 附件2 row
    ),
    "record": lambda s: (
        f"/api/tasks/{s.record_task.pk}/act",
        {"action": "record", "date": timezone.localdate().isoformat(), "kind": "talk", "content": "谈心谈话"},
        "mentor2",
        AuditAction.RECORD,
    ),
    "work_accept": lambda s: (
        f"/api/tasks/{s.review_task.pk}/act",
        {"action": "work_accept", "reason": "内容扎实"},
        "mentor2",
        AuditAction.WORK_ACCEPT,
    ),
    "work_return": lambda s: (
        f"/api/tasks/{s.review_task.pk}/act",
        {"action": "work_return", "reason": "请补充反思"},
        "mentor2",
        AuditAction.WORK_RETURN,
    ),
    "opinion": lambda s: (
        f"/api/tasks/{s.opinion_task.pk}/act",
        {"action": "opinion", "text": "同意提交支部审核。"},
        "mentor2",
        AuditAction.OPINION,
    ),
    "claim": lambda s: (f"/api/tasks/{s.submit_task.pk}/claim", {}, "officer", AuditAction.CLAIM),
    "unclaim": lambda s: (f"/api/tasks/{s.claimed_task.pk}/unclaim", {}, "officer", AuditAction.UNCLAIM),
    "notification_read": lambda s: (f"/api/notifications/{s.notification.pk}/read", {}, "officer", None),
    "notifications_read_all": lambda s: ("/api/notifications/read-all", {}, "officer", None),
}

REFUSERS = ("outsider", "other_officer", "other_reviewer", "mentor", "auditor")
ALL_404 = {a: 404 for a in ACTIONS}
FRESH = ("record", "work_accept", "work_return", "opinion")  # 沈新培: 陈正式's, not 张正式's
ACTION_EXPECTED = {
    # Nothing of 赫山区 exists for them; read-all only touches their own (none), so it succeeds.
    "outsider": {**ALL_404, "notifications_read_all": 200},
    "other_officer": {**ALL_404, "notifications_read_all": 200},
    "other_reviewer": {**ALL_404, "notifications_read_all": 200},
    # A mentor sees the cases he mentors, acts on none of these steps.
    "mentor": {
        **{a: 403 for a in ACTIONS},
        "pair": 404,  # 王骨干 is not his
        "unclaim": 404,  # 吴认领 is not his
        **{a: 404 for a in FRESH},
        "notification_read": 404,  # not his notification
        "notifications_read_all": 200,
    },
    # The auditor reads the whole county and acts on nothing.
    "auditor": {**{a: 403 for a in ACTIONS}, "notification_read": 404, "notifications_read_all": 200},
}
READ_EXPECTED = {
    "outsider": {"task": 404, "case": 404},
    "other_officer": {"task": 404, "case": 404},
    "other_reviewer": {"task": 404, "case": 404},
    "mentor": {"task": 200, "case": 200},
    "auditor": {"task": 200, "case": 200},
}

EVERY_ROUTE = [("get", name, lambda s, f=f: (f(s), None)) for name, f in {**LISTS, **READS}.items()] + [
    ("post", name, lambda s, f=f: f(s)[:2]) for name, f in ACTIONS.items()
]
# 批量同意 (issue 11): its people matrix is in tests/test_bulk.py; here, without a valid token.
EVERY_ROUTE.append(("post", "bulk_approve", lambda s: ("/api/bulk/approve", {"task_ids": [s.branch_task.pk]})))


# --- no token, a revoked token -----------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "revoked", "garbage"])
@pytest.mark.parametrize(("method", "name", "route"), EVERY_ROUTE, ids=[r[1] for r in EVERY_ROUTE])
def test_without_a_valid_token_every_route_answers_401(scene, token, method, name, route):
    url, body = route(scene)
    raw = scene.tokens.get(token, "sp_not-a-token") if token else None
    before = snapshot()
    response = call(method, url, raw, body)
    assert response.status_code == 401
    assert "API 令牌" in detail(response)
    assert response["WWW-Authenticate"] == "Bearer"
    assert snapshot() == before


def test_a_session_does_not_authenticate_the_api(scene):
    client = Client()
    client.force_login(scene.w.secretary)
    url, body, _who, _action = ACTIONS["approve"](scene)
    before = snapshot()
    response = client.post(url, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 401
    assert snapshot() == before


# --- the wrong people -----------------------------------------------------------------------------


@pytest.mark.parametrize("actor", REFUSERS)
@pytest.mark.parametrize("action", ACTIONS)
def test_actions_refused_to_the_wrong_people_change_nothing(scene, actor, action):
    url, body, _who, _event = ACTIONS[action](scene)
    expected = ACTION_EXPECTED[actor][action]
    before = snapshot()
    response = call("post", url, scene.tokens[actor], body)
    assert response.status_code == expected, (response.status_code, response.content.decode())
    if expected != 200:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in detail(response)), detail(response)
    assert snapshot() == before


@pytest.mark.parametrize("actor", REFUSERS)
@pytest.mark.parametrize("read", READS)
def test_reads_by_scope(scene, actor, read):
    before = snapshot()
    response = call("get", READS[read](scene), scene.tokens[actor])
    assert response.status_code == READ_EXPECTED[actor][read], response.content.decode()
    if response.status_code == 404:
        assert "管辖范围" in detail(response)
    assert snapshot() == before


# Whose tasks each refused person may find in their own lists: the mentor's own record duties of
# the cases he mentors; nobody else has any in 赫山区.
NOT_THEIRS = {
    "mentor": ("王骨干", "吴认领", "沈新培"),
}
ALL_TRAINEES = ("王骨干", "吴认领", "郑结对", "钱培养", "冯支部", "褚备案", "沈新培")


@pytest.mark.parametrize("actor", REFUSERS)
@pytest.mark.parametrize("name", LISTS)
def test_lists_show_nothing_of_another_subtree(scene, actor, name):
    response = call("get", LISTS[name](scene), scene.tokens[actor])
    assert response.status_code == 200
    text = response.content.decode()
    for trainee in NOT_THEIRS.get(actor, ALL_TRAINEES):
        assert trainee not in text
    if name in ("tasks", "queue", "notifications") and actor in ("outsider", "auditor"):
        assert response.json()["count"] == 0


def test_the_auditor_reads_the_task_but_is_offered_no_action(scene):
    data = call("get", READS["task"](scene), scene.tokens["auditor"]).json()
    assert data["can_act"] is False and data["can_claim"] is False and data["actions"] == []


# --- the right person ---------------------------------------------------------------------------


@pytest.mark.parametrize("action", ACTIONS)
def test_the_right_person_succeeds_and_the_event_is_written(scene, action):
    url, body, who, event_action = ACTIONS[action](scene)
    user = scene.people[who]
    events_before = AuditEvent.objects.count()
    seq_before = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    response = call("post", url, scene.tokens[who], body)
    assert response.status_code == 200, response.content.decode()
    assert detail(response)
    if event_action is None:  # reading a notification is not an audited action (as on the page)
        assert AuditEvent.objects.count() == events_before
        assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()
        return
    (event,) = AuditEvent.objects.filter(action=event_action, seq__gt=seq_before)
    assert event.actor_id == user.pk
    if "reason" in body and event_action != AuditAction.WORK_ACCEPT:
        assert event.reason == body["reason"]


def test_approve_moves_the_case_as_the_page_does(scene):
    url, body, _who, _action = ACTIONS["approve"](scene)
    response = call("post", url, scene.tokens["secretary"], body)
    assert response.json()["case_state"] == CaseState.UNIT_REVIEW
    event = AuditEvent.objects.filter(action=AuditAction.APPROVE).latest("seq")
    assert (event.case_id, event.task_id_ref, event.reason) == (scene.branch.pk, scene.branch_task.pk, "同意报送")
    assert (event.from_state, event.to_state) == (CaseState.BRANCH_REVIEW, CaseState.UNIT_REVIEW)
    assert event.role == "branch_secretary" and event.org_id == scene.w.branch.pk


def test_my_queue_and_my_tasks(scene):
    queue = call("get", "/api/queue", scene.tokens["secretary"]).json()
    assert [t["id"] for t in queue["items"]] == [scene.branch_task.pk]
    assert queue["items"][0]["trainee"] == "冯支部"
    mine = call("get", "/api/tasks", scene.tokens["officer"]).json()
    assert scene.claimed_task.pk in [t["id"] for t in mine["items"]]
    assert scene.pair_task.pk not in [t["id"] for t in mine["items"]]  # still in the queue


def test_the_task_offers_what_the_page_offers(scene):
    data = call("get", f"/api/tasks/{scene.pair_task.pk}", scene.tokens["officer"]).json()
    assert data["can_claim"] is True and data["can_act"] is True and data["actions"] == ["pair"]
    names = {c["name"] for c in data["mentor_candidates"]}
    assert "张正式" in names and "孙预备" not in names  # 类别1: 正式党员 only
    submit = call("get", f"/api/tasks/{scene.submit_task.pk}", scene.tokens["officer"]).json()
    assert submit["gate"] == [] and submit["actions"] == ["submit"]


# --- bad input: Chinese, 4xx, nothing changed -------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"action": "approve", "reason": "很" * 1001}, 400, "审核意见最多 1000 字"),
        ({"action": "return", "reason": "退回\u202e理由"}, 400, "文字方向控制符"),
        ({"action": "return"}, 400, "理由"),
        ({"action": "return", "reason": "   "}, 400, "理由"),
        ({"action": "file"}, 400, "此操作不适用"),
        ({"action": "fly"}, 422, "请求体 action"),
        ({"reason": "同意"}, 422, "缺少此项"),
        ({"action": "approve", "reason": 5}, 422, "须为文字"),
        ({"action": "approve", "reason": "\ud800"}, 422, "无效字符"),
    ],
)
def test_bad_input_is_refused_in_chinese(scene, body, status, fragment):
    before = snapshot()
    response = call("post", f"/api/tasks/{scene.branch_task.pk}/act", scene.tokens["secretary"], body)
    assert response.status_code == status, response.content.decode()
    assert fragment in detail(response)
    assert snapshot() == before


def test_pairing_someone_outside_the_candidates_is_refused(scene):
    before = snapshot()
    body = {"action": "pair", "mentors": [scene.w.probationary.pk]}
    response = call("post", f"/api/tasks/{scene.pair_task.pk}/act", scene.tokens["officer"], body)
    assert response.status_code == 400
    assert "不在可选范围内" in detail(response)
    assert snapshot() == before


def test_a_semester_work_needs_its_file(scene):
    before = snapshot()
    body = {"action": "work_submit", "title": "论文", "summary": "摘要"}
    response = call("post", f"/api/tasks/{scene.work_task.pk}/act", scene.tokens["officer"], body)
    assert response.status_code == 400
    assert "请上传成果文件" in detail(response)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/tasks/99999999999999999999999", 422),
        ("/api/tasks/0", 422),
        ("/api/tasks/2147483647", 404),
        ("/api/cases/-1", 422),
        ("/api/cases/abc", 422),
        ("/api/tasks?limit=100000", 422),
        ("/api/queue?offset=-3", 422),
    ],
)
def test_bad_ids_and_paging(scene, url, status):
    response = call("get", url, scene.tokens["officer"])
    assert response.status_code == status


def test_malformed_json_is_a_400_in_chinese(scene):
    before = snapshot()
    response = Client().post(
        f"/api/tasks/{scene.branch_task.pk}/act",
        data="{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {scene.tokens['secretary']}",
    )
    assert response.status_code == 400
    assert "JSON" in detail(response) and "请" in detail(response)
    assert snapshot() == before


def test_a_task_someone_else_handled_answers_409(scene):
    task_svc.task_claim(actor=scene.w.officer, task_id=scene.pair_task.pk)
    # A second 党务干部 of the same school: she holds the step's role, the first one claimed it.
    officer2 = make_user("school_officer_b", org=scene.w.school, role=Role.OFFICER)
    token = api_tokens.api_token_create(actor=officer2, name="b").raw
    before = snapshot()
    response = call("post", f"/api/tasks/{scene.pair_task.pk}/claim", token)
    assert response.status_code == 409
    assert "认领" in detail(response)
    assert snapshot() == before


# --- the case, as the page shows it to each reader -------------------------------------------------


def test_the_case_through_visibility(scene):
    official = call("get", f"/api/cases/{scene.registered.pk}", scene.tokens["officer"]).json()
    trainee = call("get", f"/api/cases/{scene.registered.pk}", scene.tokens["trainee"]).json()
    assert official["trainee"] == trainee["trainee"] == "王骨干"
    assert official["party_status"] and trainee["party_status"]  # an official and the teacher herself
    page_events = visibility.events_for(scene.w.candidate1.user, scene.registered, scene.registered.events.all())
    assert len(trainee["events"]) == len(page_events)
    # 类别2 mentor would not see 政治面貌; a 类别1 mentor does (docs/visibility.md).
    mentored = call("get", f"/api/cases/{scene.branch.pk}", scene.tokens["mentor"]).json()
    assert mentored["party_status"] is not None
    claimed = call("get", f"/api/cases/{scene.claimed.pk}", scene.tokens["officer"]).json()
    assert "claim" in [e["action"] for e in claimed["events"]]
    assert call("get", f"/api/cases/{scene.other_case.pk}", scene.tokens["officer"]).status_code == 404


# --- tokens --------------------------------------------------------------------------------------


def _tokens():
    return sorted(ApiToken.objects.values_list("id", "user_id", "key_hash", "revoked_at"))


def test_creating_a_token_on_the_page_shows_it_once_and_stores_its_hash(scene):
    client = Client()
    client.force_login(scene.w.secretary)
    response = client.post("/inbox/api-tokens/", {"name": "钉钉审批对接"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    raw = response.context["created"].raw
    assert raw in response.content.decode()
    token = ApiToken.objects.get(name="钉钉审批对接")
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert not ApiToken.objects.filter(key_hash=raw).exists() and raw not in str(token.__dict__)
    event = AuditEvent.objects.filter(action=AuditAction.API_TOKEN_CREATE).latest("seq")
    assert event.actor_id == scene.w.secretary.pk and event.case_id is None
    assert call("get", "/api/me", raw).json()["username"] == "branch_secretary"
    token.refresh_from_db()
    assert token.last_used is not None
    # Shown once: the list shows only its prefix.
    assert raw not in client.get("/inbox/api-tokens/").content.decode()


def test_a_revoked_token_stops_working_at_once(scene):
    client = Client()
    client.force_login(scene.w.officer)
    token = ApiToken.objects.get(user=scene.w.officer, name="测试")
    assert call("get", "/api/me", scene.tokens["officer"]).status_code == 200
    response = client.post(f"/inbox/api-tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    assert call("get", "/api/me", scene.tokens["officer"]).status_code == 401
    event = AuditEvent.objects.filter(action=AuditAction.API_TOKEN_REVOKE).latest("seq")
    assert event.actor_id == scene.w.officer.pk and event.case_id is None
    again = client.post(f"/inbox/api-tokens/{token.pk}/revoke/")
    assert again.status_code == 409


@pytest.mark.parametrize("actor", ["outsider", "other_officer", "auditor", "reviewer"])
def test_nobody_revokes_another_persons_token(scene, actor):
    client = Client()
    client.force_login(scene.people[actor])
    token = ApiToken.objects.get(user=scene.w.officer, name="测试")
    before, tokens_before = snapshot(), _tokens()
    response = client.post(f"/inbox/api-tokens/{token.pk}/revoke/")
    assert response.status_code == 404
    assert snapshot() == before and _tokens() == tokens_before


def test_the_token_page_lists_only_ones_own_tokens(scene):
    client = Client()
    client.force_login(scene.w.outsider)
    page = client.get("/inbox/api-tokens/").content.decode()
    assert "已撤销" not in page  # the officer's revoked token
    assert page.count("<code>sp_") == 1  # the outsider's own one


@pytest.mark.parametrize("name", ["", " ", "名" * 61, "钉钉\u202e接口"])
def test_a_bad_token_name_is_refused_and_kept(scene, name):
    client = Client()
    client.force_login(scene.w.officer)
    tokens_before = _tokens()
    response = client.post("/inbox/api-tokens/", {"name": name})
    assert response.status_code == 400
    assert "令牌名称" in response.content.decode()
    assert _tokens() == tokens_before


def test_the_token_page_needs_a_login_and_a_post_to_revoke(scene):
    assert Client().get("/inbox/api-tokens/").status_code == 302
    client = Client()
    client.force_login(scene.w.officer)
    token = ApiToken.objects.get(user=scene.w.officer, name="测试")
    assert client.get(f"/inbox/api-tokens/{token.pk}/revoke/").status_code == 405
    assert "API 令牌" in client.get("/inbox/").content.decode()  # the menu entry


def test_every_route_of_the_schema_is_in_the_token_matrix(scene):
    """A route added to the API without a row in EVERY_ROUTE would escape the 401 checks above."""
    import re

    schema = Client().get("/api/openapi.json").json()
    covered = set()
    for method, _name, route in EVERY_ROUTE:
        url, _body = route(scene)
        covered.add((method, re.sub(r"/\d+", "/{}", url)))
    documented = {
        (method, re.sub(r"\{[^}]+\}", "{}", path)) for path, item in schema["paths"].items() for method in item
    }
    assert documented <= covered, sorted(documented - covered)


def test_the_schema_is_served_and_there_is_no_cdn_docs_page(scene):
    schema = Client().get("/api/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert "/api/tasks/{task_id}/act" in schema["paths"]
    assert Client().get("/api/docs").status_code == 404

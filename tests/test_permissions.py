"""Who may see and do what: every URL of ``inbox/site.py``, walked against the people who
must not use it (anonymous, outsider, another county, a mentor, the auditor).

Every refusal also checks that nothing changed: the database is snapshotted before and
after each request (cases and their states, mentors, tasks with status and owner, processes,
the audit trail and the 附件2 rows).

The scene is built once for the module (``tests.helpers.scene_once``) and every test runs in
a savepoint that is rolled back: built per test, it cost ~3 s for each of the ~390 tests.
"""

import datetime
import re
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tests.factories import make_teacher, make_user, make_world
from tests.flow_client import client_for
from tests.helpers import alert_text, drive, module_media, new_case, one_open, open_human, scene_once, snapshot
from tests.training import PDF, training_tasks
from workflows.flows import CaseFlow
from workflows.models import Case, CaseMentor, CaseState, CaseTask, MentorStatus, Notification, Role
from workflows.services import cases as svc
from workflows.services import records as record_svc
from workflows.services import reminders
from workflows.services import tasks as task_svc

# --- the scene ----------------------------------------------------------------------------


def build_scene() -> SimpleNamespace:
    """One case of this county (赫山区) in every stage the views act on, and one of 桃江县."""
    w = make_world()
    s = SimpleNamespace(w=w)
    s.officer2 = make_user("school_officer2", org=w.school, role=Role.OFFICER, full_name="学校党务干部二")
    s.mentor = w.member_mentor.user  # 张正式: mentor of every case below except `registered` / `claimed`

    s.registered = svc.case_register(actor=w.officer, teacher_id=w.candidate1.pk, kind="1")  # 王骨干
    s.pair_task = one_open(s.registered)

    s.claimed = new_case(w, "吴认领", CaseState.REGISTERED)
    s.claimed_task = one_open(s.claimed)
    task_svc.task_claim(actor=w.officer, task_id=s.claimed_task.pk)

    s.paired = new_case(w, "郑结对", CaseState.PAIRED, mentors=[w.member_mentor, w.member_mentor2])
    accept_tasks = {t.owner_id: t for t in open_human(s.paired)}
    s.own_accept_task = accept_tasks[w.member_mentor.user_id]
    s.other_accept_task = accept_tasks[w.member_mentor2.user_id]

    s.training = new_case(w, "钱培养", CaseState.TRAINING)
    s.submit_task = one_open(s.training)
    s.training_mentor = s.training.mentors.get(teacher=w.member_mentor)

    s.branch = new_case(w, "冯支部", CaseState.BRANCH_REVIEW)
    s.branch_task = one_open(s.branch)

    s.filing = new_case(w, "褚备案", CaseState.CITY_FILING)
    s.filing_task = one_open(s.filing)

    s.paused = new_case(w, "卫暂停", CaseState.TRAINING)
    svc.case_pause(actor=w.officer, case_id=s.paused.pk, reason="长期病假")

    s.spare = make_teacher("蒋待登", w.branch, is_backbone=True)

    # 沈新培: in training for a year and more under 陈正式 (not the scene's mentor), nothing written
    # yet; the trainee has no account, so her semester work waits in the school officer's queue.
    s.fresh = new_case(w, "沈新培", CaseState.PAIRED, mentors=[w.member_mentor2])
    svc.mentor_accept(actor=w.member_mentor2.user, task_id=one_open(s.fresh).pk)
    Case.objects.filter(pk=s.fresh.pk).update(training_started_on=timezone.localdate() - datetime.timedelta(days=400))
    s.fresh_record_task = training_tasks(s.fresh, CaseFlow.record)[0]
    s.fresh_work_task = training_tasks(s.fresh, CaseFlow.submit_work)[0]
    # A 催办 by the county reviewer left a notification for the school officer.
    reminders.task_urge(actor=w.reviewer, task_id=s.fresh_work_task.pk)
    s.notification = Notification.objects.get(recipient=w.officer)
    # A record with a file, on 冯支部's case (the scene's mentor is her mentor).
    s.attachment_record = record_svc.record_write(
        actor=w.member_mentor.user,
        case_id=s.branch.pk,
        date=timezone.localdate(),
        kind="talk",
        content="谈心谈话",
        files=[SimpleUploadedFile("谈话记录.pdf", PDF)],
    )
    s.attachment = s.attachment_record.attachments.get()

    s.names = ["王骨干", "吴认领", "郑结对", "钱培养", "冯支部", "褚备案", "卫暂停"]

    # 桃江县: a type-2 case in training, its submit task waiting in the other officer's queue.
    other_mentor = make_teacher("桃江骨干", w.other_school, is_backbone=True, user=True)
    s.other_case = svc.case_register(actor=w.other_officer, teacher_id=w.other_teacher.pk, kind="2")
    s.other_case = drive(s.other_case, CaseState.TRAINING, officer=w.other_officer, mentors=[other_mentor])
    s.other_task = one_open(s.other_case)
    s.other_done_task = CaseTask.objects.filter(case=s.other_case, flow_task_type="HUMAN", status="DONE").first()
    s.other_case_mentor = s.other_case.mentors.get()
    s.other_name = "桃江老师"
    return s


_built = scene_once(build_scene)


@pytest.fixture
def scene(_built, db, settings):
    """The module's scene (built once); this test's changes are rolled back with its savepoint."""
    module_media(settings, _built)
    return _built


# --- what each URL is, and who legitimately uses it ------------------------------------------

GET_PAGES = {
    "inbox": lambda s: "/inbox/",
    "queue": lambda s: "/inbox/queue/",
    "archive": lambda s: "/inbox/archive/",
    "cases": lambda s: "/inbox/cases/",
    "register_form": lambda s: "/inbox/cases/new/",
    "case": lambda s: f"/inbox/cases/{s.training.pk}/",
    "case_audit": lambda s: f"/inbox/cases/{s.training.pk}/audit/",
    "task": lambda s: f"/inbox/tasks/{s.submit_task.pk}/",
    "annex2": lambda s: f"/inbox/annex2/?unit={s.w.county.pk}&year=2026",
    "annex2_csv": lambda s: f"/inbox/annex2/download/csv/?unit={s.w.county.pk}&year=2026",
    "annex2_xlsx": lambda s: f"/inbox/annex2/download/xlsx/?unit={s.w.county.pk}&year=2026",
    "escalated": lambda s: "/inbox/escalated/",
    "notifications": lambda s: "/inbox/notifications/",
    "completeness": lambda s: "/inbox/completeness/",
    "completeness_xlsx": lambda s: "/inbox/completeness/download/",
    "attachment": lambda s: f"/inbox/attachments/{s.attachment.pk}/",
    "record_task": lambda s: f"/inbox/tasks/{s.fresh_record_task.pk}/",
    "policy": lambda s: "/inbox/policy/",
}

# name -> scene -> (url, data, the person for whom this exact request succeeds)
POST_ACTIONS = {
    "act_pair": lambda s: (
        f"/inbox/tasks/{s.pair_task.pk}/act/",
        {"action": "pair", "mentors": [s.w.member_mentor.pk]},
        s.w.officer,
    ),
    "act_accept": lambda s: (
        f"/inbox/tasks/{s.other_accept_task.pk}/act/",
        {"action": "accept"},
        s.w.member_mentor2.user,
    ),
    "act_decline": lambda s: (
        f"/inbox/tasks/{s.other_accept_task.pk}/act/",
        {"action": "decline", "reason": "工作调动，无法承担"},
        s.w.member_mentor2.user,
    ),
    "act_submit": lambda s: (f"/inbox/tasks/{s.submit_task.pk}/act/", {"action": "submit"}, s.w.officer),
    "act_approve": lambda s: (f"/inbox/tasks/{s.branch_task.pk}/act/", {"action": "approve"}, s.w.secretary),
    "act_return": lambda s: (
        f"/inbox/tasks/{s.branch_task.pk}/act/",
        {"action": "return", "reason": "谈心谈话记录不足"},
        s.w.secretary,
    ),
    "act_file": lambda s: (f"/inbox/tasks/{s.filing_task.pk}/act/", {"action": "file", "year": "2026"}, s.w.city_admin),
    "claim": lambda s: (f"/inbox/tasks/{s.submit_task.pk}/claim/", {}, s.w.officer),
    "unclaim": lambda s: (f"/inbox/tasks/{s.claimed_task.pk}/unclaim/", {}, s.w.officer),
    "reassign": lambda s: (
        f"/inbox/tasks/{s.submit_task.pk}/reassign/",
        {"to_user": s.officer2.pk, "reason": "出差一周"},
        s.w.reviewer,
    ),
    "register": lambda s: ("/inbox/cases/new/", {"teacher": s.spare.pk, "kind": "1"}, s.w.officer),
    "act_record": lambda s: (
        f"/inbox/tasks/{s.fresh_record_task.pk}/act/",
        {"action": "record", "date": timezone.localdate().isoformat(), "kind": "talk", "content": "谈心谈话"},
        s.w.member_mentor2.user,
    ),
    "act_work_submit": lambda s: (
        f"/inbox/tasks/{s.fresh_work_task.pk}/act/",
        {"action": "work_submit", "title": "题目", "summary": "摘要", "file": SimpleUploadedFile("案例.pdf", PDF)},
        s.w.officer,
    ),
    "opinion": lambda s: (f"/inbox/cases/{s.fresh.pk}/opinion/", {"text": "同意提交。"}, s.w.member_mentor2.user),
    "urge": lambda s: (f"/inbox/tasks/{s.fresh_record_task.pk}/urge/", {"reason": "请按时记录"}, s.w.officer),
    "notification_open": lambda s: (f"/inbox/notifications/{s.notification.pk}/open/", {}, s.w.officer),
    "withdraw": lambda s: (f"/inbox/cases/{s.branch.pk}/withdraw/", {"reason": "材料不全"}, s.w.officer),
    "pause": lambda s: (f"/inbox/cases/{s.training.pk}/pause/", {"reason": "长期病假"}, s.w.officer),
    "resume": lambda s: (f"/inbox/cases/{s.paused.pk}/resume/", {"reason": "已返岗"}, s.w.officer),
    "exit": lambda s: (f"/inbox/cases/{s.training.pk}/exit/", {"reason": "调出本市"}, s.w.officer),
    "repair": lambda s: (
        f"/inbox/cases/{s.training.pk}/repair/",
        {"leaving": s.training_mentor.pk, "mentors": [s.w.member_mentor2.pk], "reason": "调离本校"},
        s.w.officer,
    ),
}

ACTORS = {
    "outsider": lambda s: s.w.outsider,
    "other_officer": lambda s: s.w.other_officer,
    "other_reviewer": lambda s: s.w.other_reviewer,
    "mentor": lambda s: s.mentor,
    "auditor": lambda s: s.w.auditor,
}

# What each refused actor must get for each POST action.
NOT_FOUND = {404}
POST_EXPECTED = {
    # No role anywhere: nothing is in scope; registering needs the officer role.
    "outsider": {**{a: NOT_FOUND for a in POST_ACTIONS}, "register": {403}},
    # Another county: this county's cases, tasks and teachers do not exist for them.
    "other_officer": {a: NOT_FOUND for a in POST_ACTIONS},
    "other_reviewer": {**{a: NOT_FOUND for a in POST_ACTIONS}, "register": {403}},
    # A mentor sees the cases he mentors but may act only on his own acceptance task.
    "mentor": {
        **{a: {403} for a in POST_ACTIONS},
        "act_pair": NOT_FOUND,  # 王骨干's case is not his
        "unclaim": NOT_FOUND,  # 吴认领's case is not his
        **{a: NOT_FOUND for a in ("act_record", "act_work_submit", "opinion", "urge")},  # 沈新培 is not his
        "notification_open": NOT_FOUND,  # not his notification
        "act_accept": {403, 409},  # 陈正式's own acceptance task
        "act_decline": {403, 409},
    },
    # Read-only everywhere in the county.
    "auditor": {**{a: {403, 404} for a in POST_ACTIONS}, "notification_open": NOT_FOUND},
}


# --- anonymous ---------------------------------------------------------------------------


@pytest.mark.parametrize("page", GET_PAGES)
def test_anonymous_get_is_sent_to_login(scene, page):
    url = GET_PAGES[page](scene)
    before = snapshot()
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert snapshot() == before


@pytest.mark.parametrize("action", POST_ACTIONS)
def test_anonymous_post_is_sent_to_login_and_changes_nothing(scene, action):
    url, data, _who = POST_ACTIONS[action](scene)
    before = snapshot()
    response = Client().post(url, data)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert snapshot() == before


# --- GET pages ------------------------------------------------------------------------------

LISTS = ("inbox", "queue", "archive", "cases")
GET_EXPECTED = {
    "outsider": {
        **{p: 200 for p in LISTS},
        "policy": 403,
        "escalated": 200,
        "notifications": 200,
        "completeness": 403,
        "completeness_xlsx": 403,
        "attachment": 404,
        "record_task": 404,
        "register_form": 403,
        "case": 404,
        "case_audit": 404,
        "task": 404,
        "annex2": 404,
        "annex2_csv": 404,
        "annex2_xlsx": 404,
    },
    "other_officer": {
        **{p: 200 for p in LISTS},
        "policy": 200,
        "escalated": 200,
        "notifications": 200,
        "completeness": 200,
        "completeness_xlsx": 200,
        "attachment": 404,
        "record_task": 404,
        "register_form": 200,
        "case": 404,
        "case_audit": 404,
        "task": 404,
        "annex2": 404,
        "annex2_csv": 404,
        "annex2_xlsx": 404,
    },
    "other_reviewer": {
        **{p: 200 for p in LISTS},
        "policy": 200,
        "escalated": 200,
        "notifications": 200,
        "completeness": 200,
        "completeness_xlsx": 200,
        "attachment": 404,
        "record_task": 404,
        "register_form": 403,
        "case": 404,
        "case_audit": 404,
        "task": 404,
        "annex2": 404,
        "annex2_csv": 404,
        "annex2_xlsx": 404,
    },
    "mentor": {
        **{p: 200 for p in LISTS},
        "policy": 403,
        "escalated": 200,
        "notifications": 200,
        "completeness": 403,
        "completeness_xlsx": 403,
        "attachment": 200,
        "record_task": 404,
        "register_form": 403,
        "case": 200,
        "case_audit": 200,
        "task": 200,
        "annex2": 404,
        "annex2_csv": 404,
        "annex2_xlsx": 404,
    },
    "auditor": {
        **{p: 200 for p in LISTS},
        "policy": 200,
        "escalated": 200,
        "notifications": 200,
        "completeness": 200,
        "completeness_xlsx": 200,
        "attachment": 200,
        "record_task": 200,
        "register_form": 403,
        "case": 200,
        "case_audit": 200,
        "task": 200,
        "annex2": 200,
        "annex2_csv": 200,
        "annex2_xlsx": 200,
    },
}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("page", GET_PAGES)
def test_get_pages(scene, actor, page):
    user = ACTORS[actor](scene)
    before = snapshot()
    response = client_for(user).get(GET_PAGES[page](scene))
    assert response.status_code == GET_EXPECTED[actor][page], alert_text(response) or response.content[:500]
    if response.status_code in (403, 404):
        assert re.search(r"[\u4e00-\u9fff]", alert_text(response)), "a refusal explains itself in Chinese"
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    body = raw.decode("utf-8", "replace")
    foreign = scene.names if actor.startswith("other") else [scene.other_name]
    for name in foreign if actor != "outsider" else [*scene.names, scene.other_name]:
        assert name not in body, name
    assert snapshot() == before


def test_mentor_sees_his_own_task_but_not_cases_he_does_not_mentor(scene):
    client = client_for(scene.mentor)
    assert client.get(f"/inbox/tasks/{scene.own_accept_task.pk}/").status_code == 200
    assert client.get(f"/inbox/cases/{scene.paired.pk}/").status_code == 200
    assert client.get(f"/inbox/cases/{scene.registered.pk}/").status_code == 404
    assert client.get(f"/inbox/tasks/{scene.pair_task.pk}/").status_code == 404
    assert client.get(f"/inbox/cases/{scene.claimed.pk}/audit/").status_code == 404


def test_mentor_and_auditor_are_offered_no_case_actions(scene):
    for user in (scene.mentor, scene.w.auditor):
        page = client_for(user).get(f"/inbox/cases/{scene.training.pk}/").content.decode()
        for action in ("withdraw", "pause", "exit", "repair"):
            assert f"/inbox/cases/{scene.training.pk}/{action}/" not in page
        page = client_for(user).get(f"/inbox/cases/{scene.paused.pk}/").content.decode()
        assert f"/inbox/cases/{scene.paused.pk}/resume/" not in page


# --- POST actions ----------------------------------------------------------------------------


@pytest.mark.parametrize("action", POST_ACTIONS)
def test_post_action_works_for_the_right_person(scene, action):
    """The requests below are real: refused only because of who sends them."""
    url, data, user = POST_ACTIONS[action](scene)
    before = snapshot()
    response = client_for(user).post(url, data)
    assert response.status_code == 302, alert_text(response)
    assert snapshot() != before


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("action", POST_ACTIONS)
def test_post_action_refused_and_changes_nothing(scene, actor, action):
    url, data, _who = POST_ACTIONS[action](scene)
    user = ACTORS[actor](scene)
    before = snapshot()
    response = client_for(user).post(url, data)
    expected = POST_EXPECTED[actor][action]
    assert response.status_code in expected, (response.status_code, alert_text(response))
    assert re.search(r"[\u4e00-\u9fff]", alert_text(response)), "a refusal explains itself in Chinese"
    assert snapshot() == before


# --- another county's ids ---------------------------------------------------------------------

CROSS_SCOPE = {
    "get_case": lambda s: ("get", f"/inbox/cases/{s.other_case.pk}/", {}),
    "get_audit": lambda s: ("get", f"/inbox/cases/{s.other_case.pk}/audit/", {}),
    "get_task": lambda s: ("get", f"/inbox/tasks/{s.other_task.pk}/", {}),
    "get_done_task": lambda s: ("get", f"/inbox/tasks/{s.other_done_task.pk}/", {}),
    "act_submit": lambda s: ("post", f"/inbox/tasks/{s.other_task.pk}/act/", {"action": "submit"}),
    "act_pair_done": lambda s: (
        "post",
        f"/inbox/tasks/{s.other_done_task.pk}/act/",
        {"action": "pair", "mentors": [s.w.member_mentor.pk]},
    ),
    "claim": lambda s: ("post", f"/inbox/tasks/{s.other_task.pk}/claim/", {}),
    "unclaim": lambda s: ("post", f"/inbox/tasks/{s.other_task.pk}/unclaim/", {}),
    "reassign": lambda s: (
        "post",
        f"/inbox/tasks/{s.other_task.pk}/reassign/",
        {"to_user": s.w.other_officer.pk, "reason": "x"},
    ),
    "withdraw": lambda s: ("post", f"/inbox/cases/{s.other_case.pk}/withdraw/", {"reason": "x"}),
    "pause": lambda s: ("post", f"/inbox/cases/{s.other_case.pk}/pause/", {"reason": "x"}),
    "resume": lambda s: ("post", f"/inbox/cases/{s.other_case.pk}/resume/", {"reason": "x"}),
    "exit": lambda s: ("post", f"/inbox/cases/{s.other_case.pk}/exit/", {"reason": "x"}),
    "repair": lambda s: (
        "post",
        f"/inbox/cases/{s.other_case.pk}/repair/",
        {"leaving": s.other_case_mentor.pk, "reason": "x"},
    ),
}

HOME_ACTORS = {
    "officer": lambda s: s.w.officer,
    "secretary": lambda s: s.w.secretary,
    "reviewer": lambda s: s.w.reviewer,
    "auditor": lambda s: s.w.auditor,
    "mentor": lambda s: s.mentor,
    "direct_reviewer": lambda s: s.w.direct_reviewer,
}


@pytest.mark.parametrize("actor", HOME_ACTORS)
@pytest.mark.parametrize("target", CROSS_SCOPE)
def test_another_countys_ids_answer_404_and_change_nothing(scene, actor, target):
    method, url, data = CROSS_SCOPE[target](scene)
    client = client_for(HOME_ACTORS[actor](scene))
    before = snapshot()
    response = getattr(client, method)(url, data)
    assert response.status_code == 404, alert_text(response)
    assert "未找到" in alert_text(response)
    assert scene.other_name not in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("actor", ["other_officer", "other_reviewer"])
@pytest.mark.parametrize("which", ["registered", "paired", "training", "branch", "filing", "paused", "claimed"])
def test_other_county_cannot_open_any_of_this_countys_cases(scene, actor, which):
    case = getattr(scene, which)
    client = client_for(ACTORS[actor](scene))
    before = snapshot()
    assert client.get(f"/inbox/cases/{case.pk}/").status_code == 404
    assert client.get(f"/inbox/cases/{case.pk}/audit/").status_code == 404
    for task in CaseTask.objects.filter(case=case, flow_task_type="HUMAN"):
        assert client.get(f"/inbox/tasks/{task.pk}/").status_code == 404
    assert snapshot() == before


# --- 附件2 -------------------------------------------------------------------------------------

ANNEX2_URLS = ["/inbox/annex2/", "/inbox/annex2/download/csv/", "/inbox/annex2/download/xlsx/"]


@pytest.mark.parametrize("url", ANNEX2_URLS)
@pytest.mark.parametrize("actor", ["reviewer", "auditor"])
def test_annex2_of_another_countys_unit_is_404(scene, url, actor):
    user = {"reviewer": scene.w.reviewer, "auditor": scene.w.auditor}[actor]
    before = snapshot()
    response = client_for(user).get(f"{url}?unit={scene.w.other_county.pk}&year=2026")
    assert response.status_code == 404
    assert "未找到该单位" in alert_text(response)
    # a direct unit is a unit of its own, outside the county too
    response = client_for(user).get(f"{url}?unit={scene.w.direct.pk}&year=2026")
    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("url", ANNEX2_URLS)
@pytest.mark.parametrize("unit", ["none", "own_county", "other_county"])
def test_annex2_for_a_school_officer_is_404(scene, url, unit):
    """A school officer holds no unit: the unit's table lists other schools' teachers."""
    query = {
        "none": "",
        "own_county": f"?unit={scene.w.county.pk}",
        "other_county": f"?unit={scene.w.other_county.pk}",
    }[unit]
    before = snapshot()
    for officer in (scene.w.officer, scene.w.other_officer):
        response = client_for(officer).get(url + query)
        assert response.status_code == 404
        assert re.search(r"[\u4e00-\u9fff]", alert_text(response))
    assert snapshot() == before


def test_annex2_shows_the_own_unit_and_no_other_units_rows(scene):
    w = scene.w
    drive(scene.filing, CaseState.COMPLETED, officer=w.officer, mentors=[], city_admin=w.city_admin)
    page = client_for(w.reviewer).get(f"/inbox/annex2/?unit={w.county.pk}&year=2026").content.decode()
    assert "褚备案" in page
    csv_body = client_for(w.reviewer).get(f"/inbox/annex2/download/csv/?unit={w.county.pk}&year=2026")
    assert csv_body.status_code == 200 and "褚备案" in csv_body.content.decode("utf-8-sig")
    other = client_for(w.other_reviewer).get("/inbox/annex2/?year=2026").content.decode()
    assert "褚备案" not in other
    assert client_for(w.reviewer).get("/inbox/annex2/download/doc/").status_code == 404


# --- lists do not leak ---------------------------------------------------------------------------


@pytest.mark.parametrize("page", LISTS)
def test_other_countys_lists_do_not_show_this_countys_trainees(scene, page):
    for user in (scene.w.other_officer, scene.w.other_reviewer):
        body = client_for(user).get(f"/inbox/{'' if page == 'inbox' else page + '/'}").content.decode()
        for name in scene.names:
            assert name not in body, (user.username, page, name)


def test_other_officers_queue_has_his_own_task_only(scene):
    body = client_for(scene.w.other_officer).get("/inbox/queue/").content.decode()
    assert scene.other_name in body  # the list works: his own county's task is there
    for name in scene.names:
        assert name not in body
    # ... and a name search for this county's trainee finds nothing either
    body = client_for(scene.w.other_officer).get("/inbox/queue/?q=钱培养").content.decode()
    assert "钱培养" not in body.replace('value="钱培养"', "")


def test_this_countys_queue_does_not_show_the_other_county(scene):
    body = client_for(scene.w.officer).get("/inbox/queue/").content.decode()
    assert "钱培养" in body
    assert scene.other_name not in body


def test_auditor_case_list_holds_the_county_and_nothing_else(scene):
    body = client_for(scene.w.auditor).get("/inbox/cases/").content.decode()
    for name in scene.names:
        assert name in body
    assert scene.other_name not in body
    # The auditor acts on nothing, so his inbox and queue are empty.
    for url in ("/inbox/", "/inbox/queue/"):
        body = client_for(scene.w.auditor).get(url).content.decode()
        for name in scene.names:
            assert name not in body


def test_mentor_case_list_holds_only_his_mentees(scene):
    body = client_for(scene.mentor).get("/inbox/cases/").content.decode()
    for name in ("郑结对", "钱培养", "冯支部", "褚备案", "卫暂停"):
        assert name in body
    for name in ("王骨干", "吴认领", scene.other_name):
        assert name not in body
    inbox = client_for(scene.mentor).get("/inbox/").content.decode()
    # His acceptance task, and this month's 培养记录 for the trainee in training; nobody else's.
    assert "郑结对" in inbox and "钱培养" in inbox
    for name in ("王骨干", "吴认领", scene.other_name):
        assert name not in inbox


def test_a_mentor_who_left_no_longer_sees_the_case(scene):
    w = scene.w
    svc.case_repair(
        actor=w.officer,
        case_id=scene.training.pk,
        leaving_mentor_id=scene.training_mentor.pk,
        new_mentor_ids=[w.member_mentor2.pk],
        reason="调离本校",
    )
    assert CaseMentor.objects.get(pk=scene.training_mentor.pk).status == MentorStatus.LEFT
    assert client_for(scene.mentor).get(f"/inbox/cases/{scene.training.pk}/").status_code == 404


@pytest.mark.parametrize("actor", ["auditor", "mentor", "officer2", "secretary"])
@pytest.mark.parametrize("to_user", ["", "999999"])
def test_reassign_refuses_a_non_supervisor_before_looking_at_the_form(scene, actor, to_user):
    """Who may reassign is decided before the form: a read-only auditor hears 403, not "pick someone else"."""
    user = {
        "auditor": scene.w.auditor,
        "mentor": scene.mentor,
        "officer2": scene.officer2,
        "secretary": scene.w.secretary,
    }[actor]
    before = snapshot()
    response = client_for(user).post(f"/inbox/tasks/{scene.submit_task.pk}/reassign/", {"to_user": to_user})
    assert response.status_code == 403, (response.status_code, alert_text(response))
    assert "上级" in alert_text(response)
    assert snapshot() == before

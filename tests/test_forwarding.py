"""转交 and 加签 (issue 11): each action as the right person, as the wrong people (nothing
changes), with bad input (a Chinese message, nothing changes, what was typed stays), its audit
event and its notification; 前加签 holding the decision until the colleague answers, 后加签 moving
the case only on their 同意, and a 加签 cancelled with its step. Then the same actions through the
JSON API against anonymous, a revoked token, an outsider, another county, a mentor and the auditor.

The scene is built once for the module (``tests.helpers.scene_once``); each test runs in a
savepoint that is rolled back.
"""

import json
import re
from types import SimpleNamespace

import pytest
from django.test import Client
from viewflow.workflow.status import STATUS

from tests.factories import make_teacher, make_user, make_world
from tests.flow_client import client_for
from tests.helpers import alert_text, drive, module_media, new_case, one_open, refused, scene_once, snapshot
from workflows import selectors
from workflows.errors import GuardError
from workflows.flows import CaseFlow
from workflows.models import (
    AuditAction,
    AuditEvent,
    Case,
    CaseState,
    CaseTask,
    Notification,
    NotificationKind,
    PartyStatus,
    Role,
    RoleAssignment,
)
from workflows.services import api_tokens, forwarding
from workflows.services import cases as svc
from workflows.services import tasks as task_svc

LONG_500 = "转" * 501
LONG_1000 = "审" * 1001


def build_scene() -> SimpleNamespace:
    w = make_world()
    s = SimpleNamespace(w=w)
    # A colleague of each reviewer at the same organisation: whom a step may be forwarded to.
    s.secretary2 = make_user("branch_secretary2", org=w.branch, role=Role.BRANCH_SECRETARY, full_name="第二书记")
    s.reviewer2 = make_user("heshan_reviewer2", org=w.county, role=Role.REVIEWER, full_name="赫山审核人二")
    # A mentor who is also the school's officer, and a trainee who is an officer too: officials
    # whom the programme's rules keep out of their own case's review.
    s.mentor_official = make_teacher("钱导师", w.school, party_status=PartyStatus.FULL, user=True)
    RoleAssignment.objects.create(user=s.mentor_official.user, org=w.school, role=Role.OFFICER)
    trainee = make_teacher("官培养", w.branch, is_backbone=True, user=True)
    RoleAssignment.objects.create(user=trainee.user, org=w.school, role=Role.OFFICER)
    s.trainee = trainee.user
    case = svc.case_register(actor=w.officer, teacher_id=trainee.pk, kind="1")
    s.branch = drive(
        case,
        CaseState.BRANCH_REVIEW,
        officer=w.officer,
        mentors=[w.member_mentor, s.mentor_official],
        secretary=w.secretary,
    )
    s.branch_task = one_open(s.branch)  # 支部审核, unclaimed in the branch's queue
    s.unit = new_case(w, "褚单位", CaseState.UNIT_REVIEW)
    s.unit_task = one_open(s.unit)
    s.filing = new_case(w, "卫备案", CaseState.CITY_FILING)
    s.filing_task = one_open(s.filing)
    s.paired = new_case(w, "郑结对", CaseState.PAIRED)
    s.accept_task = one_open(s.paired)  # 张正式's own 接受结对
    s.mentor = w.member_mentor.user
    people = {
        "secretary": w.secretary,
        "secretary2": s.secretary2,
        "officer": w.officer,
        "reviewer": w.reviewer,
        "city_admin": w.city_admin,
        "outsider": w.outsider,
        "other_officer": w.other_officer,
        "other_reviewer": w.other_reviewer,
        "mentor": s.mentor,
        "auditor": w.auditor,
    }
    s.people = people
    s.tokens = {name: api_tokens.api_token_create(actor=user, name="测试").raw for name, user in people.items()}
    revoked = api_tokens.api_token_create(actor=w.secretary, name="已撤销")
    api_tokens.api_token_revoke(actor=w.secretary, token_id=revoked.token.pk)
    s.tokens["revoked"] = revoked.raw
    return s


_built = scene_once(build_scene)


@pytest.fixture
def scene(_built, db, settings):
    module_media(settings, _built)
    return _built


def _post(user, url, data):
    return client_for(user).post(url, data)


def _forward_url(task):
    return f"/inbox/tasks/{task.pk}/forward/"


def _ask_url(task):
    return f"/inbox/tasks/{task.pk}/countersign/"


def _answer_url(task):
    return f"/inbox/tasks/{task.pk}/countersign/answer/"


def _events(action, **filters):
    return list(AuditEvent.objects.filter(action=action, **filters).order_by("seq"))


def _ask(s, position="before", to=None, reason="请先看一下谈心谈话记录"):
    return forwarding.countersign_ask(
        actor=s.w.secretary,
        task_id=s.branch_task.pk,
        to_user_id=(to or s.w.officer).pk,
        position=position,
        reason=reason,
    )


def _refused_unchanged(response, before, status, *fragments):
    text = refused(response, status, *fragments)
    assert snapshot() == before
    return text


# --- 转交 -------------------------------------------------------------------------------------


def test_the_holder_forwards_a_queued_step_to_a_colleague(scene):
    response = _post(
        scene.w.secretary, _forward_url(scene.branch_task), {"to_user": scene.secretary2.pk, "reason": "下周出差"}
    )
    assert response.status_code == 302, alert_text(response)
    task = CaseTask.objects.get(pk=scene.branch_task.pk)
    assert (task.owner_id, task.status) == (scene.secretary2.pk, STATUS.ASSIGNED)
    assert task in selectors.inbox_for_user(scene.secretary2)
    (event,) = _events(AuditAction.FORWARD)
    assert (event.actor_id, event.task_id_ref, event.reason) == (scene.w.secretary.pk, task.pk, "下周出差")
    assert (event.role, event.org_id) == (Role.BRANCH_SECRETARY, scene.w.branch.pk)
    assert event.changes["owner"] == [None, "branch_secretary2"]
    (note,) = Notification.objects.filter(kind=NotificationKind.FORWARDED)
    assert note.recipient_id == scene.secretary2.pk and note.task_id == task.pk
    assert "官培养" in note.message and "支部审核" in note.message and "下周出差" in note.message


def test_a_claimed_step_is_forwarded_by_its_owner(scene):
    task_svc.task_claim(actor=scene.w.reviewer, task_id=scene.unit_task.pk)
    forwarding.task_forward(
        actor=scene.w.reviewer, task_id=scene.unit_task.pk, to_user_id=scene.reviewer2.pk, reason="回避"
    )
    (event,) = _events(AuditAction.FORWARD)
    assert event.changes["owner"] == ["heshan_reviewer", "heshan_reviewer2"]
    assert CaseTask.objects.get(pk=scene.unit_task.pk).owner_id == scene.reviewer2.pk


@pytest.mark.parametrize(
    ("who", "status"),
    [("outsider", 404), ("other_reviewer", 404), ("reviewer", 403), ("mentor", 403), ("auditor", 403)],
)
def test_forward_by_the_wrong_people_changes_nothing(scene, who, status):
    before = snapshot()
    response = _post(
        scene.people[who], _forward_url(scene.branch_task), {"to_user": scene.secretary2.pk, "reason": "x"}
    )
    assert response.status_code == status, alert_text(response)
    assert snapshot() == before


def test_forward_by_a_colleague_of_the_owner_is_refused(scene):
    task_svc.task_claim(actor=scene.w.secretary, task_id=scene.branch_task.pk)
    before = snapshot()
    response = _post(scene.secretary2, _forward_url(scene.branch_task), {"to_user": scene.secretary2.pk, "reason": "x"})
    _refused_unchanged(response, before, 409, "已由")


def test_forward_anonymous_is_sent_to_log_in(scene):
    before = snapshot()
    response = Client().post(_forward_url(scene.branch_task), {"to_user": scene.secretary2.pk, "reason": "x"})
    assert response.status_code == 302 and "login" in response["Location"]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"to_user": "", "reason": "出差"}, "请选择转交对象"),
        ({"to_user": "secretary2", "reason": ""}, "请填写转交理由"),
        ({"to_user": "secretary2", "reason": LONG_500}, "转交理由最多 500 字，现有 501 字"),
        ({"to_user": "reviewer", "reason": "出差"}, "转交对象须是赫山一中第一党支部在任的支部书记"),
        ({"to_user": "secretary", "reason": "出差"}, "转交须选择另一位支部书记"),
        ({"to_user": "abc", "reason": "出差"}, "请从列表中选择一位人员"),
    ],
    ids=["no-target", "no-reason", "too-long", "not-a-holder", "self", "garbage"],
)
def test_forward_with_bad_input_is_refused_and_kept(scene, data, message):
    person = scene.people.get(data["to_user"])
    data = {**data, "to_user": person.pk if person else data["to_user"]}
    before = snapshot()
    response = _post(scene.w.secretary, _forward_url(scene.branch_task), data)
    _refused_unchanged(response, before, 400, message)
    if data["reason"]:
        assert data["reason"] in response.content.decode()  # what was typed stays


def test_a_step_with_no_colleague_is_not_offered_for_forwarding(scene):
    before = snapshot()
    response = _post(
        scene.w.officer, _forward_url(scene.accept_task), {"to_user": scene.w.secretary.pk, "reason": "忙"}
    )
    assert response.status_code == 403  # 接受结对 is 张正式's own
    forwarding_page = client_for(scene.w.city_admin).get(f"/inbox/tasks/{scene.filing_task.pk}/").content.decode()
    assert 'id="forward-form"' not in forwarding_page  # the only 市级管理员
    with pytest.raises(GuardError, match="市委教育工委没有其他在任的市级管理员，无法转交"):
        forwarding.task_forward(
            actor=scene.w.city_admin, task_id=scene.filing_task.pk, to_user_id=scene.w.reviewer.pk, reason="忙"
        )
    assert snapshot() == before


def test_a_mentors_own_task_is_not_forwarded(scene):
    before = snapshot()
    response = _post(scene.mentor, _forward_url(scene.accept_task), {"to_user": scene.w.secretary.pk, "reason": "忙"})
    _refused_unchanged(response, before, 400, "只能由本人办理")


def test_a_finished_step_is_not_forwarded(scene):
    svc.case_approve(actor=scene.w.secretary, task_id=scene.branch_task.pk)
    before = snapshot()
    response = _post(
        scene.w.secretary, _forward_url(scene.branch_task), {"to_user": scene.secretary2.pk, "reason": "x"}
    )
    _refused_unchanged(response, before, 409, "已被处理")


def test_the_task_page_offers_forward_to_the_holder_only(scene):
    page = client_for(scene.w.secretary).get(f"/inbox/tasks/{scene.branch_task.pk}/").content.decode()
    assert 'id="forward-form"' in page and "第二书记" in page
    assert 'id="countersign-form"' in page
    for who in ("reviewer", "auditor", "mentor"):
        other = client_for(scene.people[who]).get(f"/inbox/tasks/{scene.branch_task.pk}/").content.decode()
        assert 'id="forward-form"' not in other and 'id="countersign-form"' not in other


# --- 加签: asking ---------------------------------------------------------------------------


def test_the_holder_asks_a_countersign_before_deciding(scene):
    response = _post(
        scene.w.secretary,
        _ask_url(scene.branch_task),
        {"to_user": scene.w.officer.pk, "position": "before", "reason": "请核对培养记录"},
    )
    assert response.status_code == 302, alert_text(response)
    side = CaseTask.objects.get(flow_task=CaseFlow.countersign)
    assert (side.owner_id, side.status, side.role, side.org_id) == (
        scene.w.officer.pk,
        STATUS.ASSIGNED,
        "",
        scene.w.branch.pk,
    )
    assert side.data == {"parent": scene.branch_task.pk, "position": "before", "asked_by": scene.w.secretary.pk}
    assert side.stage == CaseState.BRANCH_REVIEW
    parent = CaseTask.objects.get(pk=scene.branch_task.pk)
    assert parent.owner_id == scene.w.secretary.pk  # the step stays with the one who asked
    (event,) = _events(AuditAction.COUNTERSIGN_ASK)
    assert (event.actor_id, event.task_id_ref, event.reason) == (scene.w.secretary.pk, parent.pk, "请核对培养记录")
    assert event.changes == {
        "countersign_to": "学校党务干部",
        "countersign_position": "前加签",
        "countersign_task": side.pk,
    }
    (note,) = Notification.objects.filter(kind=NotificationKind.COUNTERSIGN)
    assert note.recipient_id == scene.w.officer.pk and note.task_id == side.pk and "官培养" in note.message
    # The colleague finds it in 我的待办 and opens the task and the case (read-only).
    assert side in selectors.inbox_for_user(scene.w.officer)
    officer = client_for(scene.w.officer)
    page = officer.get(f"/inbox/tasks/{side.pk}/").content.decode()
    assert 'id="countersign-answer-form"' in page and 'value="approve"' not in page
    assert officer.get(f"/inbox/cases/{scene.branch.pk}/").status_code == 200


@pytest.mark.parametrize(
    ("who", "status"),
    [("outsider", 404), ("other_officer", 404), ("reviewer", 403), ("mentor", 403), ("auditor", 403)],
)
def test_countersign_asked_by_the_wrong_people_changes_nothing(scene, who, status):
    before = snapshot()
    data = {"to_user": scene.w.officer.pk, "position": "before", "reason": "看看"}
    response = _post(scene.people[who], _ask_url(scene.branch_task), data)
    assert response.status_code == status, alert_text(response)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("target", "position", "reason", "message"),
    [
        ("mentor_official", "before", "请看", "是该案例的培养人"),
        ("trainee", "before", "请看", "是该案例的培养对象本人"),
        ("secretary", "before", "请看", "不能加签给自己"),
        ("other_reviewer", "before", "请看", "加签对象须是赫山一中第一党支部或其上级组织"),
        ("auditor", "before", "请看", "加签对象须是"),
        ("officer", "sideways", "请看", "请选择前加签或后加签"),
        ("officer", "before", "", "请填写加签说明"),
        ("officer", "after", LONG_1000, "加签说明最多 1000 字，现有 1001 字"),
    ],
    ids=["mentor", "trainee", "self", "other-county", "auditor", "position", "no-reason", "too-long"],
)
def test_countersign_with_bad_input_is_refused_and_kept(scene, target, position, reason, message):
    user = {"mentor_official": scene.mentor_official.user, "trainee": scene.trainee}.get(target) or scene.people[target]
    before = snapshot()
    data = {"to_user": user.pk, "position": position, "reason": reason}
    response = _post(scene.w.secretary, _ask_url(scene.branch_task), data)
    _refused_unchanged(response, before, 400, message)
    if reason:
        assert reason in response.content.decode()


def _options(page, select_id):
    block = page.split(f'id="{select_id}"')[1].split("</select>")[0]
    return set(re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', block))


def test_the_page_offers_only_the_people_the_rules_allow(scene):
    page = client_for(scene.w.secretary).get(f"/inbox/tasks/{scene.branch_task.pk}/").content.decode()
    assert _options(page, "id_forward_to_user") == {"第二书记"}
    # Officials at the branch or above it; not oneself, the trainee, the official mentor, the
    # auditor, nor anyone of 桃江县 or 市一中.
    assert _options(page, "id_countersign_to_user") == {
        "第二书记",
        "学校党务干部",
        "赫山审核人",
        "赫山审核人二",
        "市级管理员",
    }


def test_only_one_countersign_is_open_per_step(scene):
    _ask(scene)
    before = snapshot()
    data = {"to_user": scene.w.reviewer.pk, "position": "before", "reason": "再请一位"}
    response = _post(scene.w.secretary, _ask_url(scene.branch_task), data)
    _refused_unchanged(response, before, 400, "已加签给学校党务干部，等待其审核意见后再办理")


def test_no_countersign_after_me_at_city_filing(scene):
    colleague = make_user("city_admin2", org=scene.w.city, role=Role.CITY_ADMIN, full_name="市级管理员二")
    before = snapshot()
    data = {"to_user": scene.w.reviewer.pk, "position": "after", "reason": "请复核"}
    response = _post(scene.w.city_admin, _ask_url(scene.filing_task), data)
    _refused_unchanged(response, before, 400, "市级备案不能后加签")
    # 前加签 at 市级备案 is allowed, to another official at the city (the step's organisation or
    # above): not back down to the county reviewer whose review is what is being filed.
    with pytest.raises(GuardError, match="加签对象须是市委教育工委或其上级组织"):
        forwarding.countersign_ask(
            actor=scene.w.city_admin,
            task_id=scene.filing_task.pk,
            to_user_id=scene.w.reviewer.pk,
            position="before",
            reason="请复核",
        )
    side = forwarding.countersign_ask(
        actor=scene.w.city_admin,
        task_id=scene.filing_task.pk,
        to_user_id=colleague.pk,
        position="before",
        reason="请复核",
    )
    assert side.owner_id == colleague.pk and side.org_id == scene.w.city.pk


def test_a_step_with_no_role_takes_no_countersign(scene):
    with pytest.raises(GuardError, match="只有支部审核、单位审核和市级备案可以加签"):
        forwarding.countersign_ask(
            actor=scene.mentor,
            task_id=scene.accept_task.pk,
            to_user_id=scene.w.officer.pk,
            position="before",
            reason="x",
        )


# --- 前加签: the step waits for the answer -------------------------------------------------------


def test_a_countersign_before_me_holds_the_decision_until_answered(scene):
    side = _ask(scene)
    secretary = client_for(scene.w.secretary)
    page = secretary.get(f"/inbox/tasks/{scene.branch_task.pk}/").content.decode()
    assert 'id="countersign-waiting"' in page and 'value="approve"' not in page
    for action, data in (("approve", {}), ("return", {"reason": "材料不全"})):
        before = snapshot()
        response = secretary.post(f"/inbox/tasks/{scene.branch_task.pk}/act/", {"action": action, **data})
        _refused_unchanged(response, before, 400, "已加签给学校党务干部，等待其审核意见后再办理")
    with pytest.raises(GuardError, match="等待其审核意见"):
        forwarding.task_forward(
            actor=scene.w.secretary, task_id=scene.branch_task.pk, to_user_id=scene.secretary2.pk, reason="x"
        )
    # The colleague answers 不同意; the answer is on the step's page and the holder decides.
    response = _post(scene.w.officer, _answer_url(side), {"agree": "no", "reason": "谈心谈话记录只有一次"})
    assert response.status_code == 302, alert_text(response)
    side.refresh_from_db()
    assert side.status == STATUS.DONE and side.data["agree"] is False
    (event,) = _events(AuditAction.COUNTERSIGN)
    assert (event.actor_id, event.task_id_ref, event.reason) == (scene.w.officer.pk, side.pk, "谈心谈话记录只有一次")
    assert event.changes["agree"] is False and event.changes["asked_by"] == "支部书记"
    assert (event.role, event.org_id) == (Role.OFFICER, scene.w.school.pk)
    told = Notification.objects.get(kind=NotificationKind.COUNTERSIGN, recipient=scene.w.secretary)
    assert "不同意" in told.message and told.task_id == scene.branch_task.pk
    page = secretary.get(f"/inbox/tasks/{scene.branch_task.pk}/").content.decode()
    assert 'id="countersigns"' in page and "谈心谈话记录只有一次" in page and "不同意" in page
    assert 'value="approve"' in page
    assert Case.objects.get(pk=scene.branch.pk).state == CaseState.BRANCH_REVIEW
    svc.case_approve(actor=scene.w.secretary, task_id=scene.branch_task.pk, reason="已补齐")
    assert Case.objects.get(pk=scene.branch.pk).state == CaseState.UNIT_REVIEW


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"agree": "no", "reason": ""}, "不同意时请写明审核意见"),
        ({"agree": "", "reason": "看过了"}, "请选择同意或不同意"),
        ({"agree": "yes", "reason": LONG_1000}, "审核意见最多 1000 字，现有 1001 字"),
    ],
    ids=["disagree-without-reason", "no-choice", "too-long"],
)
def test_a_countersign_answer_with_bad_input_is_refused_and_kept(scene, data, message):
    side = _ask(scene)
    before = snapshot()
    response = _post(scene.w.officer, _answer_url(side), data)
    _refused_unchanged(response, before, 400, message)
    if data["reason"]:
        assert data["reason"] in response.content.decode()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("outsider", 404),
        ("other_officer", 404),
        ("secretary", 403),
        ("reviewer", 403),
        ("mentor", 403),
        ("auditor", 403),
    ],
)
def test_a_countersign_answered_by_the_wrong_people_changes_nothing(scene, who, status):
    side = _ask(scene)
    before = snapshot()
    response = _post(scene.people[who], _answer_url(side), {"agree": "yes", "reason": "同意"})
    assert response.status_code == status, alert_text(response)
    assert snapshot() == before


# --- 后加签: the colleague's 同意 moves the case ------------------------------------------------


def test_a_countersign_after_me_moves_the_case_only_on_agreement(scene):
    side = _ask(scene, position="after", reason="同意报送，请党务干部复核")
    assert Case.objects.get(pk=scene.branch.pk).state == CaseState.BRANCH_REVIEW
    (asked,) = _events(AuditAction.COUNTERSIGN_ASK)
    assert asked.reason == "同意报送，请党务干部复核" and asked.changes["countersign_position"] == "后加签"
    assert not _events(AuditAction.APPROVE, case=scene.branch, seq__gt=asked.seq)
    response = _post(scene.w.officer, _answer_url(side), {"agree": "yes", "reason": "复核无误"})
    assert response.status_code == 302, alert_text(response)
    case = Case.objects.get(pk=scene.branch.pk)
    assert case.state == CaseState.UNIT_REVIEW
    assert CaseTask.objects.get(pk=scene.branch_task.pk).status == STATUS.DONE
    (approve,) = _events(AuditAction.APPROVE, case=case, seq__gt=asked.seq)
    assert (approve.actor_id, approve.task_id_ref, approve.reason) == (
        scene.w.officer.pk,
        scene.branch_task.pk,
        "复核无误",
    )
    assert approve.changes == {"after": "支部书记"}
    assert (approve.from_state, approve.to_state) == (CaseState.BRANCH_REVIEW, CaseState.UNIT_REVIEW)
    (answer,) = _events(AuditAction.COUNTERSIGN)
    assert answer.seq < approve.seq and answer.changes["agree"] is True
    assert one_open(case).flow_task == CaseFlow.unit_review
    told = Notification.objects.get(kind=NotificationKind.COUNTERSIGN, recipient=scene.w.secretary)
    assert "已报上一级" in told.message


def test_a_disagreement_after_me_hands_the_step_back_to_the_holder(scene):
    side = _ask(scene, position="after", reason="同意报送")
    forwarding.countersign_answer(actor=scene.w.officer, task_id=side.pk, agree=False, opinion="培养期不足")
    case = Case.objects.get(pk=scene.branch.pk)
    assert case.state == CaseState.BRANCH_REVIEW and not _events(AuditAction.APPROVE, task_id_ref=scene.branch_task.pk)
    parent = CaseTask.objects.get(pk=scene.branch_task.pk)
    assert (parent.status, parent.owner_id) == (STATUS.ASSIGNED, scene.w.secretary.pk)
    told = Notification.objects.get(kind=NotificationKind.COUNTERSIGN, recipient=scene.w.secretary)
    assert "不同意" in told.message and "培养期不足" in told.message
    svc.case_return(actor=scene.w.secretary, task_id=parent.pk, reason="培养期不足")  # the holder decides again
    assert Case.objects.get(pk=scene.branch.pk).state == CaseState.TRAINING


# --- a 加签 ends with its step ------------------------------------------------------------------


def test_a_countersign_is_cancelled_when_the_submission_is_withdrawn(scene):
    side = _ask(scene)
    task_svc.task_unclaim(actor=scene.w.secretary, task_id=scene.branch_task.pk)
    svc.case_withdraw(actor=scene.w.officer, case_id=scene.branch.pk, reason="补材料")
    side.refresh_from_db()
    assert side.status == STATUS.CANCELED
    assert side not in selectors.inbox_for_user(scene.w.officer)
    assert Case.objects.get(pk=scene.branch.pk).state == CaseState.TRAINING
    with pytest.raises(GuardError):
        forwarding.countersign_answer(actor=scene.w.officer, task_id=side.pk, agree=True)


def test_a_countersign_is_cancelled_when_the_case_is_paused(scene):
    side = _ask(scene)
    svc.case_pause(actor=scene.w.officer, case_id=scene.branch.pk, reason="长期病假")
    side.refresh_from_db()
    assert side.status == STATUS.CANCELED
    svc.case_resume(actor=scene.w.officer, case_id=scene.branch.pk)
    case = Case.objects.get(pk=scene.branch.pk)
    assert one_open(case).flow_task == CaseFlow.branch_review  # the step reopens, the 加签 does not


def test_the_trainee_is_not_shown_the_countersign(scene):
    _ask(scene)
    page = client_for(scene.trainee).get(f"/inbox/tasks/{scene.branch_task.pk}/").content.decode()
    assert "请先看一下谈心谈话记录" not in page and 'id="countersigns"' not in page
    # Nor, on the case page, that a colleague was asked (the 加签 task is not the step she waits on).
    case_id = scene.branch_task.case_id
    case_page = client_for(scene.trainee).get(f"/inbox/cases/{case_id}/").content.decode()
    assert "加签审核" not in case_page
    # Nor by its address, on the page or through the API.
    side = CaseTask.objects.get(flow_task=CaseFlow.countersign, data__parent=scene.branch_task.pk)
    assert client_for(scene.trainee).get(f"/inbox/tasks/{side.pk}/").status_code == 404
    # A mentor reads the step's decisions, not who was consulted and what was said.
    mentor_page = client_for(scene.mentor).get(f"/inbox/cases/{case_id}/").content.decode()
    assert "请先看一下谈心谈话记录" not in mentor_page
    assert "加签审核" in client_for(scene.w.officer).get(f"/inbox/cases/{case_id}/").content.decode()


# --- the API --------------------------------------------------------------------------------


def call(url, token=None, body=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return Client().post(url, data=json.dumps(body or {}), content_type="application/json", **headers)


def _api_forward(s):
    return s.branch_task, {"action": "forward", "to_user": s.secretary2.pk, "reason": "出差"}, "secretary"


def _api_ask(s):
    return (
        s.branch_task,
        {"action": "countersign_ask", "to_user": s.w.officer.pk, "position": "before", "reason": "请看"},
        "secretary",
    )


def _api_answer(s):
    side = _ask(s)
    return side, {"action": "countersign_answer", "agree": False, "reason": "记录不足"}, "officer"


API = {"forward": (_api_forward, AuditAction.FORWARD), "countersign_ask": (_api_ask, AuditAction.COUNTERSIGN_ASK)}
API["countersign_answer"] = (_api_answer, AuditAction.COUNTERSIGN)
API_REFUSED = {
    None: 401,
    "revoked": 401,
    "outsider": 404,
    "other_officer": 404,
    "other_reviewer": 404,
    "mentor": 403,
    "auditor": 403,
}


@pytest.mark.parametrize("who", API_REFUSED, ids=[str(k) for k in API_REFUSED])
@pytest.mark.parametrize("action", API)
def test_api_actions_refused_to_the_wrong_people_change_nothing(scene, action, who):
    task, body, _right = API[action][0](scene)
    before = snapshot()
    response = call(f"/api/tasks/{task.pk}/act", scene.tokens.get(who) if who else None, body)
    assert response.status_code == API_REFUSED[who], response.content.decode()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["detail"])
    assert snapshot() == before


@pytest.mark.parametrize("action", API)
def test_api_actions_by_the_right_person_write_their_event(scene, action):
    builder, event_action = API[action]
    task, body, right = builder(scene)
    seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    response = call(f"/api/tasks/{task.pk}/act", scene.tokens[right], body)
    assert response.status_code == 200, response.content.decode()
    (event,) = AuditEvent.objects.filter(action=event_action, seq__gt=seq)
    assert event.actor_id == scene.people[right].pk and event.reason == body["reason"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"action": "forward", "to_user": 999999, "reason": "出差"}, "转交对象须是"),
        ({"action": "forward", "reason": "出差"}, "请选择转交对象"),
        (
            {"action": "countersign_ask", "to_user": "mentor", "position": "before", "reason": "请看"},
            "不能再对本案例加签审核",
        ),
        ({"action": "countersign_ask", "to_user": "officer", "position": "later", "reason": "请看"}, "前加签或后加签"),
    ],
    ids=["forward-nobody", "forward-no-target", "ask-mentor", "ask-position"],
)
def test_api_bad_input_is_refused_in_chinese(scene, body, message):
    if body.get("to_user") == "mentor":
        body = {**body, "to_user": scene.mentor_official.user.pk}
    elif body.get("to_user") == "officer":
        body = {**body, "to_user": scene.w.officer.pk}
    before = snapshot()
    response = call(f"/api/tasks/{scene.branch_task.pk}/act", scene.tokens["secretary"], body)
    assert response.status_code == 400, response.content.decode()
    assert message in response.json()["detail"]
    assert snapshot() == before


def test_api_detail_offers_the_answer_to_the_person_asked(scene):
    side = _ask(scene)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {scene.tokens['officer']}"}
    data = Client().get(f"/api/tasks/{side.pk}", **headers).json()
    assert data["actions"] == ["countersign_answer"]


def test_a_step_is_never_forwarded_to_the_trainee(scene):
    from workflows.access.forwarding import check_forward_target, forward_candidates

    submit = CaseTask.objects.get(case=scene.branch, flow_task=CaseFlow.submit)  # a 党务干部 step of 官培养's case
    assert scene.trainee not in forward_candidates(submit)
    with pytest.raises(GuardError, match="是该案例的培养对象本人，须回避"):
        check_forward_target(scene.w.officer, submit, scene.trainee)

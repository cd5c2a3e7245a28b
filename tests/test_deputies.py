"""代理人 (issue 11): a role holder, or someone above them, names a deputy for a period.

During it the deputy sees and acts on what the principal would and the trail says
"李四（代张三）"; before and after it they cannot; ``tick`` lapses it after its last day, gives
back the steps the deputy took and tells both. Setting and ending by the right person, refusals
for the wrong person and bad input (nothing changed, input kept), and the page against
anonymous, an outsider, another county, a mentor and the auditor.

The scene stands on Monday 2026-11-16 (``SEMESTER_NOW``); each test moves the clock itself.
"""

import datetime
import zoneinfo
from contextlib import contextmanager
from types import SimpleNamespace
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.factories import make_org, make_teacher, make_user, make_world
from tests.flow_client import client_for
from tests.helpers import new_case, one_open, refused, scene_once
from tests.helpers import snapshot as case_snapshot
from workflows import access, selectors
from workflows.errors import GuardError
from workflows.models import (
    AuditAction,
    AuditEvent,
    CaseState,
    Deputy,
    Notification,
    NotificationKind,
    OrgKind,
    PartyStatus,
    Role,
    RoleAssignment,
)
from workflows.services import deputies as svc
from workflows.services.reminders import tick

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
MON, TUE, WED, FRI, SAT = (datetime.date(2026, 11, d) for d in (16, 17, 18, 20, 21))


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=TZ)


@contextmanager
def on(day: datetime.date, hour: int = 10):
    """The clock stands at ``day`` (local time) for what runs inside."""
    now = at(day, hour)
    with mock.patch("django.utils.timezone.now", lambda: now):
        yield now


def fresh(user):
    """The user as a new request would load it (no roles cached from another day)."""
    return get_user_model().objects.get(pk=user.pk)


def build() -> SimpleNamespace:
    w = make_world()
    s = SimpleNamespace(w=w)
    # 张三, the branch secretary, is away; 李四, the secretary of the school's second branch, stands in.
    s.zhang = w.secretary
    s.zhang.first_name = "张三"
    s.zhang.save()
    s.branch2 = make_org("赫山一中第二党支部", OrgKind.BRANCH, w.school)
    s.li = make_user("li_si", org=s.branch2, role=Role.BRANCH_SECRETARY, full_name="李四")
    s.mentor = w.member_mentor.user  # a teacher with an account and no role
    # Two cases at 支部审核: one 张三 has claimed, one still in the branch's queue.
    s.claimed = new_case(w, "甲老师", CaseState.BRANCH_REVIEW)
    from workflows.services import tasks as task_services

    task_services.task_claim(actor=w.secretary, task_id=one_open(s.claimed).pk)
    s.queued = new_case(w, "乙老师", CaseState.BRANCH_REVIEW)
    # A case 李四 mentors (as a teacher of the school): as a deputy he must stay out of it.
    li_teacher = make_teacher("李四", s.branch2, party_status=PartyStatus.FULL)
    li_teacher.user = s.li
    li_teacher.save()
    s.mentored = new_case(w, "丙老师", CaseState.BRANCH_REVIEW, mentors=[li_teacher])
    return s


_built = scene_once(build)


@pytest.fixture
def scene(_built, db):
    return _built


def snapshot() -> dict:
    return case_snapshot() | {
        "deputies": sorted(Deputy.objects.values_list("id", "deputy_id", "start_date", "end_date", "ended_at")),
        "all_audit": AuditEvent.objects.count(),
    }


def arrange(s, start=TUE, end=FRI, *, by=None, principal=None, deputy=None) -> Deputy:
    """The arrangement, set on Monday through the service."""
    with on(MON):
        return svc.deputy_set(
            actor=fresh(by or s.zhang),
            principal_id=(principal or s.zhang).pk,
            deputy_id=(deputy or s.li).pk,
            start_date=start,
            end_date=end,
            reason="外出培训",
        )


def form(s, **over) -> dict:
    data = {
        "principal": "",
        "deputy": "li_si",
        "start_date": "2026-11-17",
        "end_date": "2026-11-20",
        "reason": "外出培训",
    }
    return data | over


# --- the deputy acts during the period, not before or after ---------------------------------------


def test_the_deputy_approves_the_principals_branch_review_and_the_trail_names_both(scene):
    s = scene
    arrange(s)
    task = one_open(s.claimed)
    assert task.owner == s.zhang
    with on(WED):
        li = client_for(s.li)
        inbox = li.get("/inbox/").content.decode()
        assert "甲老师" in inbox and "代张三" in inbox  # 张三's claimed step is in 李四's 我的待办, marked
        assert "乙老师" in li.get("/inbox/queue/").content.decode()  # and the branch's queue too
        page = li.get(f"/inbox/tasks/{task.pk}/")
        assert page.status_code == 200
        assert "代张三办理" in page.content.decode()
        response = li.post(f"/inbox/tasks/{task.pk}/act/", {"action": "approve", "reason": "同意"})
        assert response.status_code == 302, response.content.decode()[:1500]
    s.claimed.refresh_from_db()
    assert s.claimed.state == CaseState.UNIT_REVIEW
    event = AuditEvent.objects.get(case=s.claimed, action=AuditAction.APPROVE)
    assert event.actor == s.li
    assert event.actor_name == "李四（代张三）"
    assert event.changes["on_behalf_of"] == "张三"
    assert (event.role, event.org) == (Role.BRANCH_SECRETARY, s.w.branch)
    assert "被代理人：张三" in event.changes_text
    with on(WED, 11):
        trail = client_for(s.w.officer).get(f"/inbox/cases/{s.claimed.pk}/audit/")
    assert trail.status_code == 200 and "李四（代张三）" in trail.content.decode()
    # 张三 acting himself is still just 张三.
    assert not AuditEvent.objects.filter(actor=s.zhang, actor_name__contains="代").exists()


def test_the_deputy_approving_a_queued_step_is_named_on_both_its_events(scene):
    """An approval of a queued step writes 认领 and 审核通过 together (``audit_log_many``): both
    go through the same fields as ``audit_log``, so both say whom the deputy stood in for."""
    s = scene
    arrange(s)
    task = one_open(s.queued)
    assert task.owner_id is None
    with on(WED):
        response = client_for(s.li).post(f"/inbox/tasks/{task.pk}/act/", {"action": "approve", "reason": "同意"})
        assert response.status_code == 302, response.content.decode()[:1500]
    claim, approve = AuditEvent.objects.filter(case=s.queued).order_by("-seq")[:2][::-1]
    assert (claim.action, approve.action) == (AuditAction.CLAIM, AuditAction.APPROVE)
    assert approve.seq == claim.seq + 1 and approve.prev_hash == claim.hash
    for event in (claim, approve):
        assert (event.actor, event.actor_name) == (s.li, "李四（代张三）")
        assert event.changes["on_behalf_of"] == "张三"
        assert (event.role, event.org) == (Role.BRANCH_SECRETARY, s.w.branch)


def test_before_the_start_the_deputy_sees_and_does_nothing(scene):
    s = scene
    arrange(s)
    task = one_open(s.claimed)
    before = snapshot()
    with on(MON, 16):
        li = client_for(s.li)
        assert "甲老师" not in li.get("/inbox/").content.decode()
        assert "乙老师" not in li.get("/inbox/queue/").content.decode()
        refused(li.post(f"/inbox/tasks/{task.pk}/act/", {"action": "approve", "reason": "同意"}), 404, "未找到该任务")
        assert not access.may_act(fresh(s.li), task)
    assert snapshot() == before


def test_after_the_last_day_the_deputy_cannot_act_even_before_tick(scene):
    s = scene
    arrange(s)
    task = one_open(s.claimed)
    queued = one_open(s.queued)
    before = snapshot()
    with on(SAT, 8):
        li = client_for(s.li)
        refused(li.post(f"/inbox/tasks/{task.pk}/act/", {"action": "approve", "reason": "同意"}), 404)
        refused(li.post(f"/inbox/tasks/{queued.pk}/claim/"), 404)
        assert selectors.deputised_assignments(fresh(s.li)) == []
    assert snapshot() == before


def test_the_deputy_stays_out_of_a_case_he_mentors(scene):
    s = scene
    arrange(s)
    task = one_open(s.mentored)
    before = snapshot()
    with on(WED):
        li = client_for(s.li)
        refused(li.post(f"/inbox/tasks/{task.pk}/claim/"), 403, "培养人", "回避")
        refused(li.post(f"/inbox/tasks/{task.pk}/act/", {"action": "approve", "reason": "同意"}), 403, "回避")
    assert snapshot() == before


def test_a_deputys_own_deputy_inherits_nothing(scene):
    s = scene
    arrange(s)
    # 李四 names a deputy of his own for the same days: the county's second reviewer.
    wang = make_user("wang_wu", org=s.w.county, role=Role.REVIEWER, full_name="王五")
    arrange(s, by=s.li, principal=s.li, deputy=wang)
    with on(WED):
        roles = {(a.role, a.org_id) for a in selectors.user_assignments(fresh(wang))}
        assert (Role.BRANCH_SECRETARY, s.branch2.pk) in roles  # 李四's own role
        assert (Role.BRANCH_SECRETARY, s.w.branch.pk) not in roles  # not what 李四 holds for 张三
        # and 李四 cannot hand on 张三's role either
        with pytest.raises(GuardError) as refusal:
            svc.deputy_set(
                actor=fresh(s.li),
                principal_id=s.zhang.pk,
                deputy_id=wang.pk,
                start_date=WED,
                end_date=FRI,
                reason="转委托",
            )
        assert refusal.value.status == 404


# --- the lapse -------------------------------------------------------------------------------


def test_tick_lapses_the_arrangement_once_returns_the_claimed_step_and_tells_both(scene):
    s = scene
    arrangement = arrange(s)
    task = one_open(s.queued)
    with on(WED):
        assert client_for(s.li).post(f"/inbox/tasks/{task.pk}/claim/").status_code == 302
    task.refresh_from_db()
    assert task.owner == s.li
    claim = AuditEvent.objects.filter(task_id_ref=task.pk, action=AuditAction.CLAIM).latest("id")
    assert claim.actor_name == "李四（代张三）"

    with on(SAT, 1) as now:
        report = tick(now=now)
    assert report.deputies_lapsed == 1
    assert "到期结束代理 1 项" in report.summary()
    task.refresh_from_db()
    assert task.owner == s.zhang
    arrangement.refresh_from_db()
    assert arrangement.lapsed_at is not None
    lapse = AuditEvent.objects.get(action=AuditAction.DEPUTY_LAPSE)
    assert lapse.changes["principal"] == "张三" and lapse.changes["deputy"] == "李四"
    assert any("乙老师" in t for t in lapse.changes["returned_tasks"])
    handed = AuditEvent.objects.filter(task_id_ref=task.pk, action=AuditAction.REASSIGN).latest("id")
    assert handed.changes["owner"] == ["li_si", s.zhang.username] and handed.actor is None
    told = Notification.objects.filter(kind=NotificationKind.DEPUTY, message__contains="已到期")
    assert {n.recipient_id for n in told} == {s.zhang.pk, s.li.pk}
    assert all("乙老师" in n.message for n in told)

    with on(SAT, 2) as later:
        assert tick(now=later).deputies_lapsed == 0
    assert AuditEvent.objects.filter(action=AuditAction.DEPUTY_LAPSE).count() == 1
    assert Notification.objects.filter(kind=NotificationKind.DEPUTY, message__contains="已到期").count() == 2


def test_a_lapse_puts_the_step_back_in_the_queue_when_the_principal_left_the_role(scene):
    s = scene
    arrange(s)
    task = one_open(s.queued)
    with on(WED):
        assert client_for(s.li).post(f"/inbox/tasks/{task.pk}/claim/").status_code == 302
    RoleAssignment.objects.filter(user=s.zhang).update(end_date=FRI)
    with on(SAT, 1) as now:
        tick(now=now)
    task.refresh_from_db()
    assert task.owner is None and task.status == "NEW"


# --- setting: right person, wrong person, bad input ---------------------------------------------


def test_the_principal_names_a_deputy_on_the_page(scene):
    s = scene
    with on(MON):
        response = client_for(s.zhang).post("/inbox/deputies/", form(s))
        assert response.status_code == 302, response.content.decode()[:1500]
    arrangement = Deputy.objects.get()
    assert (arrangement.principal, arrangement.deputy, arrangement.org) == (s.zhang, s.li, s.w.branch)
    assert (arrangement.start_date, arrangement.end_date, arrangement.created_by) == (TUE, FRI, s.zhang)
    event = AuditEvent.objects.get(action=AuditAction.DEPUTY_SET)
    assert (event.actor, event.actor_name, event.role, event.org) == (
        s.zhang,
        "张三",
        Role.BRANCH_SECRETARY,
        s.w.branch,
    )
    assert event.reason == "外出培训" and event.changes["deputy"] == "李四"
    told = Notification.objects.filter(kind=NotificationKind.DEPUTY)
    assert {n.recipient_id for n in told} == {s.zhang.pk, s.li.pk}
    with on(MON):
        page = client_for(s.zhang).get("/inbox/deputies/").content.decode()
    assert f'data-deputy="{arrangement.pk}"' in page and "未开始" in page


def test_the_school_officer_names_a_deputy_for_the_branch_secretary(scene):
    s = scene
    with on(MON):
        response = client_for(s.w.officer).post("/inbox/deputies/", form(s, principal=s.zhang.username))
        assert response.status_code == 302, response.content.decode()[:1500]
    event = AuditEvent.objects.get(action=AuditAction.DEPUTY_SET)
    assert (event.actor, event.role, event.org) == (s.w.officer, Role.OFFICER, s.w.school)
    assert Deputy.objects.get().created_by == s.w.officer


@pytest.mark.parametrize(
    ("who", "status", "fragment"),
    [
        ("other_officer", 404, "未找到该用户"),  # another county
        ("other_reviewer", 404, "未找到该用户"),
        ("li", 404, "未找到该用户"),  # a colleague at another branch
        ("auditor", 403, "仅向在任"),
        ("mentor", 403, "仅向在任"),
        ("outsider", 403, "仅向在任"),
    ],
)
def test_the_wrong_person_cannot_name_a_deputy_for_the_secretary(scene, who, status, fragment):
    s = scene
    user = getattr(s, who, None) or getattr(s.w, who)
    before = snapshot()
    with on(MON):
        refused(
            client_for(user).post("/inbox/deputies/", form(s, principal=s.zhang.username, deputy="li_si")),
            status,
            fragment,
        )
    assert snapshot() == before


@pytest.mark.parametrize(
    ("over", "fragments"),
    [
        ({"start_date": "2026-11-15"}, ("不能早于今天",)),
        ({"end_date": "2027-02-20"}, ("最长 90 天", "96 天")),
        ({"end_date": "2026-11-16"}, ("不能早于开始日期",)),
        ({"deputy": "branch_secretary"}, ("不能是被代理人本人",)),
        ({"deputy": "taojiang_officer"}, ("赫山区教育局", "不符合")),  # another county: out of scope
        ({"deputy": "county_auditor"}, ("赫山区教育局", "不符合")),  # an auditor only
        ({"deputy": "nobody_here"}, ("未找到该代理人",)),
        ({"deputy": ""}, ("请填写代理人",)),
        ({"reason": ""}, ("请填写代理事由",)),
        ({"reason": "外出\u202e培训"}, ("方向控制符",)),
        ({"reason": "长" * 201}, ("最多 200 字", "201")),
        ({"start_date": "11/17/2026"}, ("2026-11-16 的格式",)),
    ],
)
def test_bad_input_is_refused_in_chinese_and_kept(scene, over, fragments):
    s = scene
    before = snapshot()
    data = form(s, **over)
    with on(MON):
        response = client_for(s.zhang).post("/inbox/deputies/", data)
    refused(response, 400, *fragments)
    text = response.content.decode()
    if data["deputy"]:
        assert f'value="{data["deputy"]}"' in text  # what was typed stays
    assert snapshot() == before


def test_overlapping_periods_and_a_deputy_who_is_away_are_refused(scene):
    s = scene
    arrange(s)
    before = snapshot()
    with on(MON):
        zhang = client_for(s.zhang)
        refused(
            zhang.post("/inbox/deputies/", form(s, start_date="2026-11-20", end_date="2026-11-25")), 400, "不能重叠"
        )
    assert snapshot() == before
    # 李四 is away himself on Friday (王五 stands in for him): he cannot stand in for anyone then.
    wang = make_user("wang_wu2", org=s.w.school, role=Role.OFFICER, full_name="王五")
    other = make_user("zhao_liu", org=s.branch2, role=Role.BRANCH_SECRETARY, full_name="赵六")
    arrange(s, start=FRI, end=FRI, by=s.li, principal=s.li, deputy=wang)
    before = snapshot()
    with on(MON):
        response = client_for(other).post("/inbox/deputies/", form(s, deputy="li_si"))
    refused(response, 400, "本人也不在岗")
    assert snapshot() == before


def test_the_setter_cannot_name_themself(scene):
    s = scene
    before = snapshot()
    with on(MON):
        response = client_for(s.w.officer).post(
            "/inbox/deputies/", form(s, principal=s.zhang.username, deputy="school_officer")
        )
    refused(response, 400, "不能指定自己")
    assert snapshot() == before


# --- ending early ----------------------------------------------------------------------------


def test_the_principal_ends_it_early_and_the_deputy_can_no_longer_act(scene):
    s = scene
    arrangement = arrange(s)
    queued = one_open(s.queued)
    with on(WED):
        assert client_for(s.li).post(f"/inbox/tasks/{queued.pk}/claim/").status_code == 302
        response = client_for(s.zhang).post(f"/inbox/deputies/{arrangement.pk}/end/", {"reason": "提前返岗"})
        assert response.status_code == 302, response.content.decode()[:1500]
    arrangement.refresh_from_db()
    assert arrangement.ended_at is not None and arrangement.ended_by == s.zhang
    event = AuditEvent.objects.get(action=AuditAction.DEPUTY_END)
    assert (event.actor, event.reason) == (s.zhang, "提前返岗")
    queued.refresh_from_db()
    assert queued.owner == s.zhang  # the step he took comes back
    told = Notification.objects.filter(kind=NotificationKind.DEPUTY, message__contains="提前结束")
    assert {n.recipient_id for n in told} == {s.zhang.pk, s.li.pk}
    task = one_open(s.claimed)
    before = snapshot()
    with on(WED, 11):
        refused(client_for(s.li).post(f"/inbox/tasks/{task.pk}/act/", {"action": "approve", "reason": "同意"}), 404)
        # and ending it twice is refused (409)
        refused(client_for(s.zhang).post(f"/inbox/deputies/{arrangement.pk}/end/", {"reason": ""}), 409, "已经结束")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("li", 403),
        ("other_officer", 404),
        ("other_reviewer", 404),
        ("auditor", 404),
        ("mentor", 404),
        ("outsider", 404),
    ],
)
def test_the_wrong_person_cannot_end_it(scene, who, status):
    s = scene
    arrangement = arrange(s)
    user = getattr(s, who, None) or getattr(s.w, who)
    before = snapshot()
    with on(WED):
        refused(client_for(user).post(f"/inbox/deputies/{arrangement.pk}/end/", {"reason": "x"}), status)
    assert snapshot() == before


def test_the_officer_above_ends_it_and_anonymous_or_get_does_nothing(scene):
    s = scene
    arrangement = arrange(s)
    before = snapshot()
    with on(WED):
        anonymous = Client().post(f"/inbox/deputies/{arrangement.pk}/end/", {"reason": ""})
        assert anonymous.status_code == 302 and "login" in anonymous["Location"]
        assert client_for(s.zhang).get(f"/inbox/deputies/{arrangement.pk}/end/").status_code == 405
        assert snapshot() == before
        assert client_for(s.w.officer).post(f"/inbox/deputies/{arrangement.pk}/end/", {"reason": ""}).status_code == 302
    event = AuditEvent.objects.get(action=AuditAction.DEPUTY_END)
    assert (event.actor, event.role, event.org) == (s.w.officer, Role.OFFICER, s.w.school)


# --- the page against everyone ---------------------------------------------------------------


def test_the_page_shows_each_their_own(scene):
    s = scene
    arrangement = arrange(s)
    row = f'data-deputy="{arrangement.pk}"'
    with on(WED):
        deputy_page = client_for(s.li).get("/inbox/deputies/").content.decode()
        assert row in deputy_page and "我正在代理" in deputy_page and "代张三" in deputy_page
        officer_page = client_for(s.w.officer).get("/inbox/deputies/")
        assert officer_page.status_code == 200 and row in officer_page.content.decode()
        assert "提前结束" in officer_page.content.decode()
        for other in (s.w.other_officer, s.w.other_reviewer):
            page = client_for(other).get("/inbox/deputies/")
            assert page.status_code == 200
            assert row not in page.content.decode() and "张三" not in page.content.decode()
        assert "/inbox/deputies/" in client_for(s.w.officer).get("/inbox/").content.decode()
        assert "/inbox/deputies/" not in client_for(s.mentor).get("/inbox/").content.decode()


@pytest.mark.parametrize("who", ["outsider", "mentor", "auditor"])
def test_the_page_refuses_those_without_an_acting_role(scene, who):
    s = scene
    arrange(s)
    user = getattr(s, who, None) or getattr(s.w, who)
    with on(WED):
        response = client_for(user).get("/inbox/deputies/")
    refused(response, 403, "代理人设置仅向")
    assert "data-deputy" not in response.content.decode()


def test_anonymous_is_sent_to_log_in(scene):
    response = Client().get("/inbox/deputies/")
    assert response.status_code == 302 and "login" in response["Location"]

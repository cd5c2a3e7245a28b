"""示范岗 and 示范课 (seed 000 §三(三)–(四); 长沙: 申报备案 → 授牌认定).

A school's 党务干部 declares a 党员示范岗 for a party-member teacher; the county's 审核人 (or the
city) certifies it or not, and may revoke it; the coverage table shows, per school with at least
10 party-member teachers, each subject's post or its gap, on screen and as XLSX. The school
schedules 示范课 / 观摩课 / 名家授课 and records or cancels them. End to end through the test
client as the real roles; refusals (nothing changed, Chinese message, input kept); every view
against anonymous, an outsider, the other county, a mentor and the auditor; the audit events.

The scene is built once for the module on Monday 2026-11-16 10:00 (``SEMESTER_NOW``); every test
stands on that clock too, unless it moves it.
"""

import datetime
import io
import re
from contextlib import contextmanager
from html import unescape
from types import SimpleNamespace
from unittest import mock

import openpyxl
import pytest
from django.test import Client

from tests.factories import make_teacher, make_user, make_world
from tests.helpers import SEMESTER_NOW, alert_text, refused, scene_once
from tests.helpers import snapshot as case_snapshot
from workflows.access import demo as rules
from workflows.models import (
    AuditAction,
    AuditEvent,
    DemoLesson,
    DemoPost,
    DemoPostKind,
    DemoPostState,
    LessonKind,
    LessonState,
    PartyStatus,
    Role,
    RoleAssignment,
)
from workflows.services import demo as svc

NOW = SEMESTER_NOW
NEXT_WEEK = NOW + datetime.timedelta(days=7)


def build() -> SimpleNamespace:
    w = make_world()
    s = SimpleNamespace(w=w)
    # 赫山一中: make_world's four party members (语文) plus six, so it holds exactly the ten the
    # rule asks for; 英语 and 数学 have party members too, 物理 only a 群众 teacher.
    w.probationary.subject = "英语"
    w.probationary.save()
    s.math = [make_teacher(f"数学党员{i}", w.branch, party_status=PartyStatus.FULL) for i in range(4)]
    s.english = [make_teacher(f"英语党员{i}", w.branch, party_status=PartyStatus.FULL) for i in range(2)]
    for t in s.math:
        t.subject = "数学"
        t.save()
    for t in s.english:
        t.subject = "英语"
        t.save()
    s.physics = make_teacher("物理老师", w.school)
    s.physics.subject = "物理"
    s.physics.save()
    # A county user who both declares (党务干部 at the county) and certifies (审核人 there).
    s.both = make_user("heshan_both", org=w.county, role=Role.OFFICER, full_name="赫山兼职")
    RoleAssignment.objects.create(user=s.both, org=w.county, role=Role.REVIEWER)
    # Standing posts: one declared (陈正式, 语文), one certified (孙预备, 英语).
    s.pending = svc.demo_post_declare(
        actor=w.officer, teacher_id=w.member_mentor2.pk, kind=DemoPostKind.POST, subject="", title="语文示范岗"
    )
    s.certified = svc.demo_post_declare(
        actor=w.officer,
        teacher_id=w.probationary.pk,
        kind=DemoPostKind.POST,
        subject="",
        title="英语示范岗",
        commitment="每周开放课堂一次",
    )
    svc.demo_post_decide(actor=w.reviewer, post_id=s.certified.pk, certify=True, note="")
    # Lessons: a 示范课 by 刘骨干 next week, and a 名家授课 an hour from now.
    s.lesson = svc.demo_lesson_schedule(
        actor=w.officer,
        school_id=w.school.pk,
        kind=LessonKind.DEMO,
        teacher_id=w.backbone_mentor.pk,
        title="整本书阅读示范课",
        scheduled_for=NEXT_WEEK,
        place="学术报告厅",
    )
    s.guest = svc.demo_lesson_schedule(
        actor=w.officer,
        school_id=w.school.pk,
        kind=LessonKind.GUEST,
        teacher_id=None,
        guest_name="魏书生",
        subject="语文",
        title="班级管理的民主与科学",
        scheduled_for=NOW + datetime.timedelta(hours=1),
        place="大礼堂",
    )
    return s


_built = scene_once(build)


@pytest.fixture
def scene(_built, db):
    with mock.patch("django.utils.timezone.now", lambda: NOW):
        yield _built


@contextmanager
def at(moment: datetime.datetime):
    with mock.patch("django.utils.timezone.now", lambda: moment):
        yield


def client_of(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def snapshot() -> dict:
    return {
        **case_snapshot(),
        "posts": sorted(DemoPost.objects.values_list("id", "state", "decided_by_id", "decision_note", "title")),
        "lessons": sorted(DemoLesson.objects.values_list("id", "state", "attendees", "record", "title")),
    }


def text_of(response) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))


def coverage_rows(response) -> dict[tuple[str, str], str]:
    """(school id, subject) → status, from the coverage table's rows."""
    html = response.content.decode()
    return {
        (school, unescape(subject)): status
        for school, subject, status in re.findall(
            r'<tr data-school="(\d+)" data-subject="([^"]*)" data-status="(\w+)">', html
        )
    }


def declare_data(teacher, **more) -> dict:
    return {"teacher": teacher.pk, "kind": DemoPostKind.POST, "subject": "", "title": "数学示范岗", **more}


def lesson_data(scene, **more) -> dict:
    return {
        "school": scene.w.school.pk,
        "kind": LessonKind.DEMO,
        "teacher": scene.w.backbone_mentor.pk,
        "guest_name": "",
        "subject": "",
        "title": "函数图像观摩",
        "scheduled_for": (NOW + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        "place": "三楼录播室",
        **more,
    }


def events(action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


# --- end to end ------------------------------------------------------------------------------


def test_declare_certify_and_the_coverage_follows(scene):
    w = scene.w
    school = str(w.school.pk)
    officer = client_of(w.officer)
    page = officer.get("/inbox/demo-posts/")
    assert page.status_code == 200
    rows = coverage_rows(page)
    assert rows[(school, "数学")] == "gap"
    assert rows[(school, "物理")] == "gap"  # taught at the school, no party member: still a gap
    assert rows[(school, "语文")] == "declared"
    assert rows[(school, "英语")] == "certified"
    assert "党员人数较多的学校" in text_of(page)

    # 申报备案: the school's officer declares 数学党员0 (subject from the teacher).
    response = officer.post("/inbox/demo-posts/", declare_data(scene.math[0], commitment="带头上好每一节课"))
    assert response.status_code == 302, alert_text(response)
    post = DemoPost.objects.get(holder=scene.math[0])
    assert (post.state, post.subject, post.school, post.declared_by) == ("declared", "数学", w.school, w.officer)
    (event,) = events(AuditAction.DEMO_DECLARE)[-1:]
    assert (event.case_id, event.role, event.org_id) == (None, Role.OFFICER, w.school.pk)
    assert event.changes["teacher"] == "数学党员0" and event.changes["subject"] == "数学"
    assert "承诺与服务标准：带头上好每一节课" in event.changes_text
    assert coverage_rows(officer.get("/inbox/demo-posts/"))[(school, "数学")] == "declared"
    # The officer has no 认定 button; the county's reviewer has.
    assert f"/inbox/demo-posts/{post.pk}/decide/" not in officer.get("/inbox/demo-posts/").content.decode()
    reviewer = client_of(w.reviewer)
    assert f"/inbox/demo-posts/{post.pk}/decide/" in reviewer.get("/inbox/demo-posts/").content.decode()

    # 授牌认定 by the county's reviewer.
    response = reviewer.post(f"/inbox/demo-posts/{post.pk}/decide/", {"decision": "certify", "note": "同意授牌"})
    assert response.status_code == 302, alert_text(response)
    post.refresh_from_db()
    assert (post.state, post.decided_by, post.decision_note) == ("certified", w.reviewer, "同意授牌")
    event = events(AuditAction.DEMO_DECIDE)[-1]
    assert (event.role, event.org_id, event.reason) == (Role.REVIEWER, w.county.pk, "同意授牌")
    assert event.changes["state"] == ["已申报备案", "已授牌认定"]
    page = reviewer.get("/inbox/demo-posts/")
    assert coverage_rows(page)[(school, "数学")] == "certified"
    assert re.search(r'data-subject="数学" data-status="certified">.*?数学党员0', page.content.decode(), re.S)
    # 长沙's two figures: 申报备案 (every declaration) and 授牌认定.
    counts = re.search(r'<tr data-kind="post">(.*?)</tr>', page.content.decode(), re.S).group(1)
    assert re.findall(r">(\d+)<", counts) == ["3", "2", "1", "0", "0"]

    # The XLSX says the same.
    download = reviewer.get("/inbox/demo-posts/coverage.xlsx")
    assert download.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(download.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "党员示范岗学科覆盖情况表"
    by_subject = {r[3]: r for r in rows[3:] if r and r[1] == w.school.name}
    assert by_subject["数学"][5:] == ("已认定", "数学党员0")
    assert by_subject["物理"][5] == "缺（本学科暂无党员教师）"  # a gap no post of the subject can fill yet
    assert by_subject["语文"][5] == "已申报待认定"
    assert sheet.print_title_rows == "$3:$3"

    # 撤销 with a reason: the subject is a gap again.
    response = reviewer.post(f"/inbox/demo-posts/{post.pk}/revoke/", {"reason": "教师调离本校"})
    assert response.status_code == 302, alert_text(response)
    post.refresh_from_db()
    assert (post.state, post.decision_note) == ("revoked", "教师调离本校")
    assert events(AuditAction.DEMO_DECIDE)[-1].changes["state"] == ["已授牌认定", "已撤销"]
    assert coverage_rows(reviewer.get("/inbox/demo-posts/"))[(school, "数学")] == "gap"


def test_not_certified_with_the_reason(scene):
    w = scene.w
    response = client_of(w.reviewer).post(
        f"/inbox/demo-posts/{scene.pending.pk}/decide/", {"decision": "reject", "note": "承诺内容过于笼统"}
    )
    assert response.status_code == 302
    scene.pending.refresh_from_db()
    assert (scene.pending.state, scene.pending.decision_note) == (DemoPostState.REJECTED, "承诺内容过于笼统")
    assert events(AuditAction.DEMO_DECIDE)[-1].reason == "承诺内容过于笼统"
    # A rejected post stands no more: the holder may be declared again, the cell is a gap.
    assert coverage_rows(client_of(w.officer).get("/inbox/demo-posts/"))[(str(w.school.pk), "语文")] == "gap"
    response = client_of(w.officer).post("/inbox/demo-posts/", declare_data(w.member_mentor2, title="语文示范岗（二）"))
    assert response.status_code == 302, alert_text(response)


def test_the_city_certifies_too_and_a_direct_unit_has_its_own(scene):
    w = scene.w
    assert client_of(w.city_admin).post(f"/inbox/demo-posts/{scene.pending.pk}/decide/", {"decision": "certify"})
    scene.pending.refresh_from_db()
    assert scene.pending.state == DemoPostState.CERTIFIED
    assert events(AuditAction.DEMO_DECIDE)[-1].org_id == w.city.pk
    # 市一中 (a direct unit): its own officer declares, its own reviewer certifies.
    response = client_of(w.direct_officer).post("/inbox/demo-posts/", declare_data(w.direct_mentor, title="理科示范岗"))
    assert response.status_code == 302, alert_text(response)
    post = DemoPost.objects.get(holder=w.direct_mentor)
    assert post.school == w.direct
    response = client_of(w.direct_reviewer).post(f"/inbox/demo-posts/{post.pk}/decide/", {"decision": "certify"})
    assert response.status_code == 302, alert_text(response)
    post.refresh_from_db()
    assert post.state == DemoPostState.CERTIFIED


def test_the_rule_holds_schools_with_ten_party_members_only(scene):
    w = scene.w
    page = client_of(w.officer).get("/inbox/demo-posts/")
    assert f'data-school="{w.school.pk}"' in page.content.decode()
    # 桃江一中 has one party member: outside the rule (and outside the officer's scope anyway).
    assert (
        f'data-school="{w.other_school.pk}"'
        not in client_of(w.other_officer).get("/inbox/demo-posts/").content.decode()
    )
    assert "另有 1 所学校" in text_of(client_of(w.other_officer).get("/inbox/demo-posts/"))
    # Nine party members: the school drops out of the table.
    scene.math[3].party_status = PartyStatus.MASSES
    scene.math[3].save()
    coverage = rules.coverage_for_user(w.officer)
    assert coverage.schools == [] and coverage.exempt == 1


# --- 示范课 ------------------------------------------------------------------------------------


def test_schedule_record_and_cancel_lessons(scene):
    w = scene.w
    officer = client_of(w.officer)
    response = officer.post(
        "/inbox/demo-lessons/", lesson_data(scene, kind=LessonKind.OBSERVATION, teacher=w.member_mentor.pk)
    )
    assert response.status_code == 302, alert_text(response)
    lesson = DemoLesson.objects.get(title="函数图像观摩")
    assert (lesson.kind, lesson.teacher, lesson.subject, lesson.state) == (
        "observation",
        w.member_mentor,
        "语文",
        "scheduled",
    )
    event = events(AuditAction.LESSON_SCHEDULE)[-1]
    assert (event.case_id, event.role, event.org_id) == (None, Role.OFFICER, w.school.pk)
    assert event.changes["place"] == "三楼录播室" and event.changes["teacher"] == "张正式"
    # The teacher giving it sees it on their own page.
    mine = client_of(w.member_mentor.user).get("/inbox/demo-lessons/")
    assert mine.status_code == 200 and "函数图像观摩" in text_of(mine)
    assert "整本书阅读示范课" not in text_of(mine)  # not the others' lessons

    # Two hours on, the guest lesson has been held: record it.
    with at(NOW + datetime.timedelta(hours=2)):
        page = officer.get("/inbox/demo-lessons/")
        assert f"/inbox/demo-lessons/{scene.guest.pk}/record/" in page.content.decode()
        response = officer.post(
            f"/inbox/demo-lessons/{scene.guest.pk}/record/", {"attendees": "86", "record": "全校班主任参加，反响热烈。"}
        )
    assert response.status_code == 302, alert_text(response)
    scene.guest.refresh_from_db()
    assert (scene.guest.state, scene.guest.attendees, scene.guest.recorded_by) == (LessonState.HELD, 86, w.officer)
    event = events(AuditAction.LESSON_RECORD)[-1]
    assert event.changes["attendees"] == 86 and event.changes["state"] == ["已安排", "已开课"]
    assert "听课 86 人" in text_of(officer.get("/inbox/demo-lessons/"))

    # Cancel the 示范课 with its reason.
    response = officer.post(f"/inbox/demo-lessons/{scene.lesson.pk}/cancel/", {"reason": "授课教师外出培训"})
    assert response.status_code == 302, alert_text(response)
    scene.lesson.refresh_from_db()
    assert (scene.lesson.state, scene.lesson.record) == (LessonState.CANCELLED, "授课教师外出培训")
    assert events(AuditAction.LESSON_RECORD)[-1].reason == "授课教师外出培训"


# --- refusals: nothing changed, the Chinese message, the input kept ------------------------------


def _refused_unchanged(response, status, *fragments, kept=()):
    refused(response, status, *fragments)
    for text in kept:
        assert text in response.content.decode(), text


DECLARE_REFUSALS = [
    # (who, data, status, fragments)
    ("officer", lambda s: declare_data(s.w.candidate1, title="群众示范岗"), 400, ["群众", "正式党员或预备党员"]),
    ("officer", lambda s: declare_data(s.w.other_teacher, title="外县示范岗"), 404, ["不在您的管辖范围内"]),
    (
        "officer",
        lambda s: declare_data(s.w.member_mentor2, title="重复示范岗"),
        400,
        ["已有一个已申报备案的党员示范岗"],
    ),
    ("officer", lambda s: declare_data(s.math[1], title="长" * 101), 400, ["最多 100 字，现有 101 字"]),
    ("officer", lambda s: declare_data(s.math[1], title="正常名称", commitment="承诺\u202e反转"), 400, ["方向控制符"]),
    ("officer", lambda s: declare_data(s.math[1], title=""), 400, ["请填写示范岗名称"]),
    ("reviewer", lambda s: declare_data(s.math[1], title="审核人申报"), 403, ["党务干部"]),
    ("auditor", lambda s: declare_data(s.math[1], title="审计申报"), 403, ["党务干部"]),
    ("other_officer", lambda s: declare_data(s.math[1], title="外县申报"), 404, ["不在您的管辖范围内"]),
]


@pytest.mark.parametrize(("who", "data", "status", "fragments"), DECLARE_REFUSALS)
def test_declarations_refused(scene, who, data, status, fragments):
    user = getattr(scene.w, who)
    payload = data(scene)
    before = snapshot()
    response = client_of(user).post("/inbox/demo-posts/", payload)
    kept = [payload["title"]] if status == 400 and payload["title"] and len(payload["title"]) < 50 else []
    _refused_unchanged(response, status, *fragments, kept=kept)
    assert snapshot() == before


DECIDE_REFUSALS = [
    ("officer", "pending", {"decision": "certify"}, 403, ["审核人"]),
    ("both_own", "mine", {"decision": "certify"}, 403, ["本人申报"]),
    ("reviewer", "pending", {"decision": "reject", "note": ""}, 400, ["不予认定时请填写理由"]),
    ("reviewer", "pending", {"decision": "reject", "note": "长" * 501}, 400, ["最多 500 字，现有 501 字"]),
    ("reviewer", "pending", {"decision": ""}, 400, ["请选择认定结果"]),
    ("reviewer", "certified", {"decision": "certify"}, 409, ["不在待认定状态"]),
    ("auditor", "pending", {"decision": "certify"}, 403, ["审核人"]),
    ("other_reviewer", "pending", {"decision": "certify"}, 404, ["不在您的管辖范围内"]),
    ("direct_reviewer", "pending", {"decision": "certify"}, 404, ["不在您的管辖范围内"]),
]


@pytest.mark.parametrize(("who", "which", "data", "status", "fragments"), DECIDE_REFUSALS)
def test_decisions_refused(scene, who, which, data, status, fragments):
    w = scene.w
    if which == "mine":
        post = svc.demo_post_declare(
            actor=scene.both, teacher_id=scene.math[2].pk, kind=DemoPostKind.POST, subject="", title="兼职申报"
        )
        user = scene.both
    else:
        post = getattr(scene, which)
        user = getattr(w, who)
    before = snapshot()
    response = client_of(user).post(f"/inbox/demo-posts/{post.pk}/decide/", data)
    _refused_unchanged(response, status, *fragments, kept=[data["note"]] if data.get("note", "")[:1] == "长" else [])
    assert snapshot() == before


def test_revoke_needs_a_reason_and_a_certified_post(scene):
    w = scene.w
    before = snapshot()
    refused(
        client_of(w.reviewer).post(f"/inbox/demo-posts/{scene.certified.pk}/revoke/", {"reason": ""}), 400, "撤销理由"
    )
    refused(
        client_of(w.reviewer).post(f"/inbox/demo-posts/{scene.pending.pk}/revoke/", {"reason": "x"}),
        409,
        "只有已授牌认定",
    )
    refused(
        client_of(w.officer).post(f"/inbox/demo-posts/{scene.certified.pk}/revoke/", {"reason": "x"}), 403, "审核人"
    )
    assert snapshot() == before


LESSON_REFUSALS = [
    (
        lambda s: {"scheduled_for": (NOW - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")},
        400,
        ["上课时间须在现在之后"],
    ),
    (lambda s: {"scheduled_for": "下周三"}, 400, ["2026-11-20 14:30"]),
    (lambda s: {"title": "长" * 201}, 400, ["最多 200 字，现有 201 字"]),
    (lambda s: {"place": "长" * 101}, 400, ["最多 100 字，现有 101 字"]),
    (lambda s: {"kind": LessonKind.OBSERVATION, "teacher": s.physics.pk}, 400, ["须由党员教师授课", "群众"]),
    (lambda s: {"kind": LessonKind.GUEST, "teacher": ""}, 400, ["校外授课人"]),
    (lambda s: {"guest_name": "魏书生"}, 400, ["清空校外授课人"]),
    (lambda s: {"teacher": s.w.other_teacher.pk}, 404, ["不在"]),
    (lambda s: {"school": s.w.other_school.pk}, 404, ["不在您的管辖范围内"]),
]


@pytest.mark.parametrize(("more", "status", "fragments"), LESSON_REFUSALS)
def test_scheduling_refused(scene, more, status, fragments):
    data = lesson_data(scene, **more(scene))
    before = snapshot()
    response = client_of(scene.w.officer).post("/inbox/demo-lessons/", data)
    kept = ["三楼录播室"] if status == 400 and "place" not in more(scene) else []
    _refused_unchanged(response, status, *fragments, kept=kept)
    assert snapshot() == before


def test_recording_refused(scene):
    w = scene.w
    officer = client_of(w.officer)
    before = snapshot()
    # Not yet held (the 示范课 is next week).
    refused(
        officer.post(f"/inbox/demo-lessons/{scene.lesson.pk}/record/", {"attendees": "30", "record": "提前记录"}),
        400,
        "还没有开课",
    )
    with at(NOW + datetime.timedelta(hours=2)):
        response = officer.post(
            f"/inbox/demo-lessons/{scene.guest.pk}/record/", {"attendees": "0", "record": "零人听课"}
        )
        _refused_unchanged(response, 400, "听课人数至少为 1", kept=["零人听课"])
        refused(
            officer.post(f"/inbox/demo-lessons/{scene.guest.pk}/record/", {"attendees": "5", "record": ""}),
            400,
            "开课记录",
        )
        refused(
            client_of(w.reviewer).post(
                f"/inbox/demo-lessons/{scene.guest.pk}/record/", {"attendees": "5", "record": "x"}
            ),
            403,
            "党务干部",
        )
    refused(officer.post(f"/inbox/demo-lessons/{scene.lesson.pk}/cancel/", {"reason": ""}), 400, "取消原因")
    assert snapshot() == before
    # Once held, it is neither recorded again nor cancelled.
    with at(NOW + datetime.timedelta(hours=2)):
        svc.demo_lesson_record(actor=w.officer, lesson_id=scene.guest.pk, attendees=5, record="已开课")
    before = snapshot()
    refused(officer.post(f"/inbox/demo-lessons/{scene.guest.pk}/cancel/", {"reason": "取消"}), 409, "已开课")
    assert snapshot() == before


# --- every view against those who may not ------------------------------------------------------


def _post_urls(scene):
    return {
        "declare": ("/inbox/demo-posts/", declare_data(scene.math[1], title="越权申报")),
        "decide": (f"/inbox/demo-posts/{scene.pending.pk}/decide/", {"decision": "certify"}),
        "revoke": (f"/inbox/demo-posts/{scene.certified.pk}/revoke/", {"reason": "越权撤销"}),
        "schedule": ("/inbox/demo-lessons/", lesson_data(scene, title="越权安排")),
        "record": (f"/inbox/demo-lessons/{scene.lesson.pk}/record/", {"attendees": "3", "record": "越权记录"}),
        "cancel": (f"/inbox/demo-lessons/{scene.lesson.pk}/cancel/", {"reason": "越权取消"}),
    }


GET_URLS = ["/inbox/demo-posts/", "/inbox/demo-posts/coverage.xlsx", "/inbox/demo-lessons/"]
ACTIONS = ["declare", "decide", "revoke", "schedule", "record", "cancel"]


def test_anonymous_is_sent_to_log_in(scene):
    for url in GET_URLS:
        response = Client().get(url)
        assert response.status_code == 302 and "login" in response["Location"], url
    before = snapshot()
    for url, data in _post_urls(scene).values():
        response = Client().post(url, data)
        assert response.status_code == 302 and "login" in response["Location"], url
    assert snapshot() == before


@pytest.mark.parametrize("who", ["outsider", "mentor"])
def test_no_role_no_page(scene, who):
    user = scene.w.outsider if who == "outsider" else scene.w.member_mentor2.user
    for url in GET_URLS:
        refused(client_of(user).get(url), 403, "没有在任的角色")
    assert 'href="/inbox/demo-posts/"' not in client_of(user).get("/inbox/").content.decode()


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("who", ["outsider", "mentor", "other_officer", "other_reviewer"])
def test_those_outside_change_nothing(scene, who, action):
    user = {
        "outsider": scene.w.outsider,
        "mentor": scene.w.member_mentor2.user,
        "other_officer": scene.w.other_officer,
        "other_reviewer": scene.w.other_reviewer,
    }[who]
    url, data = _post_urls(scene)[action]
    before = snapshot()
    response = client_of(user).post(url, data)
    expected = 403 if who in ("outsider", "mentor") and action in ("declare", "schedule") else 404
    refused(response, expected)
    assert snapshot() == before


def test_the_other_county_sees_none_of_it(scene):
    client = client_of(scene.w.other_officer)
    page = text_of(client.get("/inbox/demo-posts/"))
    assert "英语示范岗" not in page and "孙预备" not in page and scene.w.school.name not in page
    assert "整本书阅读示范课" not in text_of(client.get("/inbox/demo-lessons/"))
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/inbox/demo-posts/coverage.xlsx").content)).active
    assert scene.w.school.name not in str(list(sheet.iter_rows(values_only=True)))
    # Its declaration form offers only its own party members.
    assert f'value="{scene.math[1].pk}"' not in client.get("/inbox/demo-posts/").content.decode()


@pytest.mark.parametrize("action", ACTIONS)
def test_the_auditor_reads_and_writes_nothing(scene, action):
    auditor = client_of(scene.w.auditor)
    page = auditor.get("/inbox/demo-posts/")
    assert page.status_code == 200 and "英语示范岗" in text_of(page)
    assert 'id="demo-declare"' not in page.content.decode() and "/decide/" not in page.content.decode()
    assert auditor.get("/inbox/demo-posts/coverage.xlsx").status_code == 200
    lessons = auditor.get("/inbox/demo-lessons/")
    assert lessons.status_code == 200 and "整本书阅读示范课" in text_of(lessons)
    assert 'id="lesson-schedule"' not in lessons.content.decode()
    url, data = _post_urls(scene)[action]
    before = snapshot()
    refused(auditor.post(url, data), 403)
    assert snapshot() == before


def test_action_urls_answer_a_get_with_a_way_back(scene):
    for action in ("decide", "revoke", "record", "cancel"):
        url, _data = _post_urls(scene)[action]
        assert client_of(scene.w.reviewer).get(url).status_code == 405


def test_the_menu_offers_it_to_role_holders(scene):
    for user in (scene.w.officer, scene.w.reviewer, scene.w.auditor, scene.w.city_admin, scene.w.other_officer):
        assert 'href="/inbox/demo-posts/"' in client_of(user).get("/inbox/").content.decode()


def test_the_events_are_found_in_the_audit_search_of_those_above(scene):
    from workflows.selectors import audit_events_in_scope

    actions = set(audit_events_in_scope(scene.w.auditor).values_list("action", flat=True))
    assert {AuditAction.DEMO_DECLARE, AuditAction.DEMO_DECIDE, AuditAction.LESSON_SCHEDULE} <= actions
    assert not audit_events_in_scope(scene.w.other_reviewer).filter(action=AuditAction.DEMO_DECLARE).exists()


def test_the_posts_page_reads_in_a_fixed_number_of_queries(scene, django_assert_max_num_queries):
    client = client_of(scene.w.reviewer)
    client.get("/inbox/demo-posts/")  # warm the session
    with django_assert_max_num_queries(30) as counted:
        client.get("/inbox/demo-posts/")
    few = len(counted.captured_queries)
    for i in range(5):
        svc.demo_post_declare(
            actor=scene.w.officer,
            teacher_id=scene.math[i % 4].pk,
            kind=list(DemoPostKind)[i // 4],
            subject="",
            title=f"示范{i}",
        )
    with django_assert_max_num_queries(few):
        client.get("/inbox/demo-posts/")

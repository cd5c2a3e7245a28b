"""一人一档 (seed 000 §三: 对每一个党员进行专业水平摸底，分类建立业务档案和专业发展规划，确定为
“名师”“名校长”“骨干教师”培养对象).

The school's 党务干部 (or the county's 审核人) builds a party-member teacher's 业务档案 — the 摸底
result and the target category — and its 专业发展规划 of dated goals, marked achieved with the
date and what shows it; a 类别2 case shows the trainee's target and the plan's progress; the list
shows, per school, who has no 档案 yet, on screen and as XLSX. End to end through the test client
as the real roles; refusals (4xx, Chinese message, nothing changed, input kept); every view
against anonymous, an outsider, the other county, a mentor and the auditor; the audit events.

The scene is built once for the module on Monday 2026-11-16 10:00 (``SEMESTER_NOW``).
"""

import datetime
import io
import re
from html import unescape
from types import SimpleNamespace
from unittest import mock

import openpyxl
import pytest
from django.test import Client

from tests.factories import make_teacher
from tests.helpers import SEMESTER_NOW, alert_text, new_case, refused, scene_once
from tests.helpers import snapshot as case_snapshot
from workflows.models import (
    AuditAction,
    AuditEvent,
    CaseState,
    DevelopmentGoal,
    PartyStatus,
    ProfessionalFile,
    Role,
    SurveyLevel,
    TargetCategory,
)
from workflows.services import files as svc

NOW = SEMESTER_NOW
SURVEYED = datetime.date(2026, 9, 1)


def build() -> SimpleNamespace:
    from tests.factories import make_world

    w = make_world()
    s = SimpleNamespace(w=w)
    # A 类别2 case (党员教师培养成教学骨干) in training, its trainee with an account; no 档案 yet.
    s.case2 = new_case(
        w, "吴类二", CaseState.TRAINING, kind="2", mentors=[w.backbone_mentor], party_status=PartyStatus.FULL, user=True
    )
    s.trainee = s.case2.teacher
    s.mentor = w.backbone_mentor.user
    s.masses = make_teacher("钱群众", w.branch)
    # 张正式 already has a 档案 with two goals, one achieved and one overdue.
    s.filed, _outcome = svc.file_save(
        actor=w.officer,
        teacher_id=w.member_mentor.pk,
        surveyed_on=SURVEYED,
        level=SurveyLevel.GOOD,
        target=TargetCategory.FAMOUS_TEACHER,
        strengths="课堂驾驭能力强",
    )
    s.goal_done = svc.goal_add(
        actor=w.officer, file_id=s.filed.pk, title="开设区级公开课", due_on=datetime.date(2026, 10, 1)
    )
    svc.goal_update(
        actor=w.officer,
        goal_id=s.goal_done.pk,
        title="开设区级公开课",
        due_on=datetime.date(2026, 10, 1),
        achieved_on=datetime.date(2026, 9, 28),
        evidence="《背影》区级公开课",
    )
    s.goal_late = svc.goal_add(
        actor=w.officer, file_id=s.filed.pk, title="发表教学论文一篇", due_on=datetime.date(2026, 11, 1)
    )
    return s


_built = scene_once(build)


@pytest.fixture
def scene(_built, db):
    with mock.patch("django.utils.timezone.now", lambda: NOW):
        yield _built


def client_of(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def snapshot() -> dict:
    return {
        **case_snapshot(),
        "files": sorted(
            ProfessionalFile.objects.values_list(
                "id", "teacher_id", "surveyed_on", "level", "strengths", "weaknesses", "target", "achieved"
            )
        ),
        "goals": sorted(
            DevelopmentGoal.objects.values_list("id", "file_id", "title", "due_on", "achieved_on", "evidence")
        ),
    }


def text_of(response) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def list_rows(response) -> dict[int, str]:
    """teacher id → "filed" | "missing", from the list's rows."""
    return {
        int(t): status
        for t, status in re.findall(r'<tr data-teacher="(\d+)" data-status="(\w+)">', response.content.decode())
    }


def file_data(**more) -> dict:
    return {
        "surveyed_on": "2026-09-10",
        "level": SurveyLevel.ADEQUATE,
        "strengths": "班级管理细致",
        "weaknesses": "课堂提问层次不够",
        "target": TargetCategory.BACKBONE,
        "achieved": "",
        "achieved_on": "",
        **more,
    }


def goal_row(goal, **more) -> dict:
    return {
        "title": goal.title,
        "due_on": goal.due_on.isoformat(),
        "achieved_on": goal.achieved_on.isoformat() if goal.achieved_on else "",
        "evidence": goal.evidence,
        **more,
    }


def events(action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


# --- end to end ------------------------------------------------------------------------------


def test_officer_builds_a_file_and_the_case_shows_the_plan(scene):
    w, trainee = scene.w, scene.trainee
    officer = client_of(w.officer)

    # The list: the trainee has no 档案 yet, 张正式 has; a 群众 teacher is not listed at all.
    page = officer.get("/inbox/files/")
    assert page.status_code == 200
    rows = list_rows(page)
    assert rows[trainee.pk] == "missing" and rows[w.member_mentor.pk] == "filed"
    assert scene.masses.pk not in rows and w.candidate1.pk not in rows
    # 赫山一中's party members: 李党员, 张正式, 陈正式, 孙预备 and 吴类二; only 张正式 has a 档案.
    assert "4 名党员教师尚未建档" in text_of(page)
    missing_only = list_rows(officer.get("/inbox/files/", {"missing": "1", "school": w.school.pk}))
    assert trainee.pk in missing_only and w.member_mentor.pk not in missing_only

    # The case page: no 档案 yet, and a link to build it for the officer.
    case_page = officer.get(f"/inbox/cases/{scene.case2.pk}/")
    assert "尚未建立业务档案" in text_of(case_page)
    assert f"/inbox/files/{trainee.pk}/" in case_page.content.decode()

    # 建立业务档案.
    response = officer.post(f"/inbox/files/{trainee.pk}/", file_data())
    assert response.status_code == 302, alert_text(response)
    file = ProfessionalFile.objects.get(teacher=trainee)
    assert (file.level, file.target, file.surveyed_on, file.created_by) == (
        SurveyLevel.ADEQUATE,
        TargetCategory.BACKBONE,
        datetime.date(2026, 9, 10),
        w.officer,
    )
    (event,) = events(AuditAction.FILE_SAVE)[-1:]
    assert (event.case_id, event.role, event.org_id) == (None, Role.OFFICER, w.school.pk)
    assert event.changes["target"] == ["", "骨干教师"] and event.changes["teacher"] == "吴类二"
    assert "培养方向：— → 骨干教师" in event.changes_text

    # Two dated goals; one marked achieved with its date and evidence.
    for title, due in (("获评区级骨干教师", "2027-07-01"), ("上一节校级示范课", "2026-11-10")):
        response = officer.post(f"/inbox/files/{trainee.pk}/goals/", {"title": title, "due_on": due})
        assert response.status_code == 302, alert_text(response)
    lesson = DevelopmentGoal.objects.get(file=file, title="上一节校级示范课")
    response = officer.post(
        f"/inbox/files/goals/{lesson.pk}/",
        goal_row(lesson, achieved_on="2026-11-09", evidence="示范课《春》，听课 30 人"),
    )
    assert response.status_code == 302, alert_text(response)
    lesson.refresh_from_db()
    assert (lesson.achieved_on, lesson.evidence) == (datetime.date(2026, 11, 9), "示范课《春》，听课 30 人")
    goal_events = events(AuditAction.GOAL_SAVE)
    assert goal_events[-1].changes["goal_done_on"] == ["", "2026-11-09"]
    assert goal_events[-2].changes["goal_title"] == ["", "上一节校级示范课"]

    # The 档案 page shows the progress; the case page shows the target and the plan's progress.
    detail = text_of(officer.get(f"/inbox/files/{trainee.pk}/"))
    assert "目标 2 项，已完成 1 项（50%）" in detail and "下一目标：获评区级骨干教师" in detail
    case_text = text_of(officer.get(f"/inbox/cases/{scene.case2.pk}/"))
    assert "培养方向：骨干教师（2026-09-10 摸底，合格）" in case_text
    assert "目标 2 项：已完成 1 项，未到期 1 项" in case_text and "2026-11-09 完成" in case_text
    # The trainee reads it on their own case page, without the link to the officials' page.
    own = client_of(trainee.user).get(f"/inbox/cases/{scene.case2.pk}/")
    assert "培养方向：骨干教师" in text_of(own) and f"/inbox/files/{trainee.pk}/" not in own.content.decode()
    # The 类别2 mentor coaches teaching: no 档案 (and no political status) on their case page.
    mentor_page = client_of(scene.mentor).get(f"/inbox/cases/{scene.case2.pk}/")
    assert mentor_page.status_code == 200 and "业务档案" not in text_of(mentor_page)
    # The list follows.
    assert list_rows(officer.get("/inbox/files/"))[trainee.pk] == "filed"
    assert "3 名党员教师尚未建档" in text_of(officer.get("/inbox/files/"))

    # The county's reviewer keeps the 档案 too; a change is audited as [old, new]; no change, no event.
    reviewer = client_of(w.reviewer)
    response = reviewer.post(f"/inbox/files/{trainee.pk}/", file_data(level=SurveyLevel.GOOD))
    assert response.status_code == 302, alert_text(response)
    (event,) = events(AuditAction.FILE_SAVE)[-1:]
    assert event.role == Role.REVIEWER and event.changes["survey_level"] == ["合格", "良好"]
    assert set(event.changes) == {"professional_file", "teacher", "survey_level"}
    count = AuditEvent.objects.count()
    assert reviewer.post(f"/inbox/files/{trainee.pk}/", file_data(level=SurveyLevel.GOOD)).status_code == 302
    assert AuditEvent.objects.count() == count


def test_overdue_goal_shows_on_the_list_and_the_page(scene):
    w = scene.w
    officer = client_of(w.officer)
    page = officer.get("/inbox/files/")
    row = re.search(rf'<tr data-teacher="{w.member_mentor.pk}".*?</tr>', page.content.decode(), re.S).group()
    assert "1/2" in row and "逾期 1 项" in unescape(row) and "名师" in unescape(row)
    detail = officer.get(f"/inbox/files/{w.member_mentor.pk}/").content.decode()
    assert f'data-goal="{scene.goal_late.pk}" data-state="overdue"' in detail
    assert f'data-goal="{scene.goal_done.pk}" data-state="done"' in detail
    # The forms come filled in, dates as a browser's date field reads them (yyyy-mm-dd).
    assert 'name="surveyed_on" value="2026-09-01"' in detail
    assert f'id="id_goal{scene.goal_late.pk}_due_on"' in detail and 'value="2026-11-01"' in detail


# --- refusals: 4xx, a Chinese message, nothing changed, what was typed kept ---------------------


@pytest.mark.parametrize(
    ("who", "target", "data", "status", "fragment", "kept"),
    [
        ("officer", "masses", file_data(), 400, "政治面貌为“群众”", ""),
        ("officer", "other_teacher", file_data(), 404, "不在您的管辖范围内", ""),
        ("officer", "trainee", file_data(surveyed_on="2026-11-17"), 400, "晚于今天", "课堂提问层次不够"),
        ("officer", "trainee", file_data(surveyed_on="2026年9月"), 400, "请按 2026-09-01 的格式", "班级管理细致"),
        (
            "officer",
            "trainee",
            file_data(strengths="长" * 1001),
            400,
            "业务特长最多 1000 字，现有 1001 字",
            "课堂提问层次不够",
        ),
        ("officer", "trainee", file_data(weaknesses="提问\u202e不够"), 400, "方向控制符", "班级管理细致"),
        ("officer", "trainee", file_data(target="expert"), 400, "请选择培养方向", "班级管理细致"),
        ("officer", "trainee", file_data(achieved=TargetCategory.BACKBONE), 400, "要一起填写", "班级管理细致"),
        ("auditor", "trainee", file_data(), 403, "只能查看", ""),
        ("secretary", "trainee", file_data(), 403, "只能查看", ""),
        ("city_admin", "trainee", file_data(), 403, "只能查看", ""),
    ],
)
def test_file_save_refused(scene, who, target, data, status, fragment, kept):
    teacher = getattr(scene, target, None) or getattr(scene.w, target)
    before = snapshot()
    response = client_of(getattr(scene.w, who)).post(f"/inbox/files/{teacher.pk}/", data)
    if status == 404:
        assert response.status_code == 404 and fragment in text_of(response)
    else:
        refused(response, status, fragment)
    if kept:
        assert kept in unescape(response.content.decode())
    assert snapshot() == before


@pytest.mark.parametrize(
    ("surveyed_on", "fragment"),
    [("2026-10-15", "不晚于新的摸底日期"), ("2026-09-29", "早于新的摸底日期")],
)
def test_survey_date_cannot_move_past_a_goal(scene, surveyed_on, fragment):
    w = scene.w
    before = snapshot()
    data = file_data(surveyed_on=surveyed_on, level=SurveyLevel.GOOD, target=TargetCategory.FAMOUS_TEACHER)
    response = client_of(w.officer).post(f"/inbox/files/{w.member_mentor.pk}/", data)
    refused(response, 400, "开设区级公开课", fragment)
    assert f'value="{surveyed_on}"' in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"title": "评上名师", "due_on": "2026-08-01"}, "须晚于摸底日期"),
        ({"title": "评上名师", "due_on": "2026-09-01"}, "须晚于摸底日期"),
        ({"title": "", "due_on": "2027-01-01"}, "请填写目标"),
        ({"title": "评" * 201, "due_on": "2027-01-01"}, "目标最多 200 字，现有 201 字"),
        ({"title": "评上\u2066名师", "due_on": "2027-01-01"}, "方向控制符"),
        ({"title": "评上名师", "due_on": ""}, "请填写计划完成日期"),
    ],
)
def test_goal_add_refused(scene, data, fragment):
    w = scene.w
    before = snapshot()
    response = client_of(w.officer).post(f"/inbox/files/{w.member_mentor.pk}/goals/", data)
    refused(response, 400, fragment)
    if data["due_on"]:
        assert f'value="{data["due_on"]}"' in response.content.decode()
    assert snapshot() == before


def test_goal_needs_a_file_first(scene):
    before = snapshot()
    response = client_of(scene.w.officer).post(
        f"/inbox/files/{scene.trainee.pk}/goals/", {"title": "评上名师", "due_on": "2027-01-01"}
    )
    refused(response, 400, "请先建立业务档案")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("more", "fragment"),
    [
        ({"achieved_on": "2026-11-17", "evidence": "论文发表"}, "晚于今天"),
        ({"achieved_on": "2026-08-30", "evidence": "论文发表"}, "早于摸底日期"),
        ({"achieved_on": "2026-11-15", "evidence": ""}, "请填写完成情况"),
        ({"achieved_on": "", "evidence": "论文发表"}, "请同时填写实际完成日期"),
        ({"achieved_on": "2026-11-15", "evidence": "论" * 501}, "完成情况最多 500 字，现有 501 字"),
        ({"achieved_on": "2026-11-15", "evidence": "论文\u2067发表"}, "方向控制符"),
        ({"due_on": "2026-08-01"}, "须晚于摸底日期"),
    ],
)
def test_goal_update_refused(scene, more, fragment):
    goal = scene.goal_late
    before = snapshot()
    response = client_of(scene.w.officer).post(f"/inbox/files/goals/{goal.pk}/", goal_row(goal, **more))
    refused(response, 400, fragment)
    if more.get("achieved_on"):
        assert f'value="{more["achieved_on"]}"' in response.content.decode()
    assert snapshot() == before


def test_service_refuses_what_a_form_would(scene):
    """The service checks again (a command or another caller does not go through the form)."""
    w = scene.w
    before = snapshot()
    with pytest.raises(Exception, match="晚于今天"):
        svc.file_save(
            actor=w.officer,
            teacher_id=scene.trainee.pk,
            surveyed_on=datetime.date(2026, 12, 1),
            level=SurveyLevel.GOOD,
            target=TargetCategory.BACKBONE,
        )
    with pytest.raises(Exception, match="方向控制符"):
        svc.goal_add(actor=w.officer, file_id=scene.filed.pk, title="a\u202eb", due_on=datetime.date(2027, 1, 1))
    with pytest.raises(Exception, match="政治面貌"):
        svc.file_save(
            actor=w.officer,
            teacher_id=scene.masses.pk,
            surveyed_on=SURVEYED,
            level=SurveyLevel.GOOD,
            target=TargetCategory.BACKBONE,
        )
    assert snapshot() == before


# --- every view against every outsider --------------------------------------------------------


def _views(scene) -> dict:
    w = scene.w
    return {
        "list": ("get", "/inbox/files/", None),
        "xlsx": ("get", "/inbox/files.xlsx", None),
        "detail": ("get", f"/inbox/files/{w.member_mentor.pk}/", None),
        "save": ("post", f"/inbox/files/{w.member_mentor.pk}/", file_data()),
        "goal_add": (
            "post",
            f"/inbox/files/{w.member_mentor.pk}/goals/",
            {"title": "评上名师", "due_on": "2027-01-01"},
        ),
        "goal_update": (
            "post",
            f"/inbox/files/goals/{scene.goal_late.pk}/",
            goal_row(scene.goal_late, achieved_on="2026-11-15", evidence="论文发表"),
        ),
    }


VIEWS = ("list", "xlsx", "detail", "save", "goal_add", "goal_update")
# Who may not read at all (no role: a mentor and a trainee hold none) — 403 on every view.
NO_ROLE = ("outsider", "mentor", "trainee")


def _user(scene, who):
    return {"mentor": scene.mentor, "trainee": scene.trainee.user}.get(who) or getattr(scene.w, who)


@pytest.mark.parametrize("view", VIEWS)
def test_anonymous_goes_to_login(scene, view):
    method, url, data = _views(scene)[view]
    before = snapshot()
    response = getattr(Client(), method)(url, data or {})
    assert response.status_code == 302 and "/login" in response["Location"]
    assert snapshot() == before


@pytest.mark.parametrize("who", NO_ROLE)
@pytest.mark.parametrize("view", VIEWS)
def test_no_role_is_refused(scene, view, who):
    method, url, data = _views(scene)[view]
    before = snapshot()
    response = getattr(client_of(_user(scene, who)), method)(url, data or {})
    assert response.status_code == 403, response.status_code
    assert "政治面貌" in text_of(response)
    assert snapshot() == before


@pytest.mark.parametrize("view", ("detail", "save", "goal_add", "goal_update"))
def test_other_county_sees_nothing(scene, view):
    method, url, data = _views(scene)[view]
    before = snapshot()
    response = getattr(client_of(scene.w.other_officer), method)(url, data or {})
    assert response.status_code == 404 and "管辖范围" in text_of(response)
    assert snapshot() == before


def test_other_county_list_holds_only_its_own(scene):
    w = scene.w
    page = client_of(w.other_reviewer).get("/inbox/files/")
    assert page.status_code == 200
    assert set(list_rows(page)) == {w.other_teacher.pk}
    workbook = openpyxl.load_workbook(io.BytesIO(client_of(w.other_reviewer).get("/inbox/files.xlsx").content))
    names = {row[2] for row in workbook.active.iter_rows(min_row=4, values_only=True)}
    assert names == {"桃江老师"}


@pytest.mark.parametrize("view", ("save", "goal_add", "goal_update"))
def test_auditor_reads_but_cannot_write(scene, view):
    w = scene.w
    auditor = client_of(w.auditor)
    assert w.member_mentor.pk in list_rows(auditor.get("/inbox/files/"))
    detail = auditor.get(f"/inbox/files/{w.member_mentor.pk}/")
    assert detail.status_code == 200 and "开设区级公开课" in text_of(detail)
    assert 'action="/inbox/files/' not in detail.content.decode()
    method, url, data = _views(scene)[view]
    before = snapshot()
    response = auditor.post(url, data)
    assert response.status_code == 403 and "只能查看" in text_of(response)
    assert snapshot() == before


def test_auditor_case_page_shows_no_create_link(scene):
    page = client_of(scene.w.auditor).get(f"/inbox/cases/{scene.case2.pk}/")
    assert "尚未建立业务档案" in text_of(page)
    assert f"/inbox/files/{scene.trainee.pk}/" not in page.content.decode()


def test_menu_entry_follows_the_rule(scene):
    assert "/inbox/files/" in client_of(scene.w.auditor).get("/inbox/").content.decode()
    assert "/inbox/files/" not in client_of(scene.mentor).get("/inbox/").content.decode()


def test_detail_of_a_masses_teacher_says_why_there_is_no_form(scene):
    page = client_of(scene.w.officer).get(f"/inbox/files/{scene.masses.pk}/")
    assert page.status_code == 200 and "该教师不是党员" in text_of(page)
    assert 'action="/inbox/files/' not in page.content.decode()


# --- the XLSX ---------------------------------------------------------------------------------


def test_xlsx_lists_the_rows_and_no_formula(scene):
    w = scene.w
    make_teacher('=HYPERLINK("http://x","点我")', w.branch, party_status=PartyStatus.FULL)
    response = client_of(w.officer).get("/inbox/files.xlsx", {"missing": "1"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = {row[2].value: row for row in ws.iter_rows(min_row=4) if row[2].value}
    assert "张正式" not in rows and rows["吴类二"][5].value == "未建档"
    cell = rows['=HYPERLINK("http://x","点我")'][2]
    assert cell.data_type == "s" and cell.quotePrefix
    assert "尚未建档 5 人" in ws["A2"].value

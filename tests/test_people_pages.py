"""人员管理 pages (/inbox/people/…): the teacher list, add / edit / transfer, role holders, one-time
passwords and the XLSX import, for those who may use them and against those who may not
(anonymous, an outsider, another county's officer and reviewer, a mentor, the county's
read-only auditor), with nothing changed by any refusal.

The scene is built once for the module (``tests.helpers.scene_once``); each test runs in its
own savepoint.
"""

import datetime
import io
import re
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from tests.factories import make_user, make_world
from tests.flow_client import client_for
from tests.helpers import alert_text, refused, scene_once
from tests.test_people_import import workbook
from workflows.models import AuditAction, AuditEvent, Case, Organisation, Role, RoleAssignment, Teacher
from workflows.selectors import queue_for_user, user_assignments
from workflows.services import cases as case_services

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def build() -> SimpleNamespace:
    w = make_world()
    s = SimpleNamespace(w=w, mentor=w.member_mentor.user)  # 张正式: a teacher with an account, no role
    s.secretary_role = RoleAssignment.objects.get(user=w.secretary)
    s.ended = make_user("former_officer", full_name="前任党务干部")
    RoleAssignment.objects.create(
        user=s.ended,
        org=w.school,
        role=Role.OFFICER,
        start_date=datetime.date(2024, 9, 1),
        end_date=datetime.date(2026, 9, 1),
    )
    s.case = case_services.case_register(actor=w.officer, teacher_id=w.candidate1.pk, kind="1")
    return s


_built = scene_once(build)


@pytest.fixture
def scene(_built, db):
    return _built


def snapshot() -> dict:
    """Everything a refused request must leave as it was."""
    return {
        "teachers": sorted(
            Teacher.objects.values_list(
                "id",
                "staff_no",
                "name",
                "sex",
                "birth_date",
                "org_id",
                "subject",
                "party_status",
                "planned_kind",
                "user_id",
            )
        ),
        "orgs": sorted(Organisation.objects.values_list("id", "name", "parent_id", "path")),
        "users": sorted(get_user_model().objects.values_list("id", "username", "password", "first_name", "email")),
        "roles": sorted(
            RoleAssignment.objects.values_list("id", "user_id", "org_id", "role", "start_date", "end_date")
        ),
        "audit": AuditEvent.objects.count(),
        "cases": sorted(Case.objects.values_list("id", "org_id", "scope_path", "state")),
    }


def teacher_post(org, **over) -> dict:
    data = {
        "staff_no": "NEW001",
        "name": "吴新来",
        "sex": "F",
        "birth_date": "1991-04-05",
        "org": org.pk,
        "subject": "英语",
        "position": "",
        "party_status": "masses",
        "titles": "二级教师",
        "honours": "",
        "planned_kind": "1",
        "reason": "",
    }
    return data | over


# --- the people for whom the pages are made ------------------------------------------------------


def test_an_officer_lists_searches_adds_and_edits_teachers(scene):
    w = scene.w
    client = client_for(w.officer)
    page = client.get("/inbox/people/?q=王")
    assert page.status_code == 200
    text = page.content.decode()
    assert "王骨干" in text and "李党员" not in text and "桃江老师" not in text

    added = client.post("/inbox/people/teachers/new/", teacher_post(w.branch))
    assert added.status_code == 302
    teacher = Teacher.objects.get(staff_no="NEW001")
    assert (teacher.name, teacher.org, teacher.planned_kind) == ("吴新来", w.branch, "1")
    event = AuditEvent.objects.get(action=AuditAction.TEACHER_ADD, changes__teacher="吴新来")
    assert (event.actor, event.role, event.org) == (w.officer, "officer", w.school)

    edited = client.post(
        f"/inbox/people/teachers/{teacher.pk}/",
        teacher_post(w.branch, subject="数学", action="edit", reason="任教学科调整"),
    )
    assert edited.status_code == 302
    teacher.refresh_from_db()
    assert teacher.subject == "数学"
    edit = AuditEvent.objects.get(action=AuditAction.EDIT, changes__teacher="吴新来")
    assert edit.changes == {"teacher": "吴新来", "subject": ["英语", "数学"]}
    assert edit.reason == "任教学科调整"

    # 名校长 (the 长沙 measure on the dashboard counts party members among them) is kept here too.
    client.post(
        f"/inbox/people/teachers/{teacher.pk}/",
        teacher_post(w.branch, subject="数学", is_famous_principal="on", action="edit", reason="评为市级名校长"),
    )
    teacher.refresh_from_db()
    assert teacher.is_famous_principal
    named = AuditEvent.objects.filter(action=AuditAction.EDIT, changes__teacher="吴新来").latest("seq")
    assert named.changes == {"teacher": "吴新来", "is_famous_principal": ["否", "是"]}


def test_a_refused_form_keeps_what_was_typed(scene):
    w = scene.w
    before = snapshot()
    # 类别2 needs a party member: the form refuses, the page keeps the typed name.
    response = client_for(w.officer).post("/inbox/people/teachers/new/", teacher_post(w.branch, planned_kind="2"))
    refused(response, 400, "须为党员")
    assert 'value="吴新来"' in response.content.decode()
    assert snapshot() == before
    # A 教师编号 already used: the service refuses.
    Teacher.objects.filter(pk=w.candidate2.pk).update(staff_no="USED1")
    before = snapshot()
    response = client_for(w.officer).post("/inbox/people/teachers/new/", teacher_post(w.branch, staff_no="USED1"))
    refused(response, 400, "教师编号“USED1”已登记给另一名教师")
    assert 'value="吴新来"' in response.content.decode()
    assert snapshot() == before


def test_a_transfer_inside_the_subtree_moves_the_open_case_and_outside_is_refused(scene):
    w = scene.w
    client = client_for(w.reviewer)  # the county's 审核人 manages all of 赫山
    url = f"/inbox/people/teachers/{w.candidate1.pk}/"
    new_school = Organisation.objects.create(name="赫山区第二中学", kind="school", parent=w.county)

    moved = client.post(url, {"action": "transfer", "org": new_school.pk, "reason": "工作调动"})
    assert moved.status_code == 302
    scene.case.refresh_from_db()
    assert (scene.case.org, scene.case.scope_path) == (new_school, new_school.path)
    transfer = AuditEvent.objects.get(action=AuditAction.TRANSFER)
    assert transfer.changes == {"teacher": "王骨干", "org": ["赫山一中第一党支部", "赫山区第二中学"]}
    assert transfer.case == scene.case

    before = snapshot()
    out = client.post(url, {"action": "transfer", "org": w.other_school.pk, "reason": ""})
    refused(out, 403, "调入的组织不在您的管辖范围内")
    assert snapshot() == before


def test_an_officer_appoints_and_ends_a_role_and_generates_a_one_time_password(scene):
    w = scene.w
    client = client_for(w.officer)
    listing = client.get("/inbox/people/roles/").content.decode()
    assert "branch_secretary" in listing and "taojiang_officer" not in listing
    granted = client.post(
        "/inbox/people/roles/",
        {
            "username": "new_secretary",
            "full_name": "新书记",
            "org": w.branch.pk,
            "role": Role.BRANCH_SECRETARY,
            "start_date": "2026-01-01",
            "end_date": "",
        },
    )
    assert granted.status_code == 302
    account = get_user_model().objects.get(username="new_secretary")
    assignment = RoleAssignment.objects.get(user=account)
    assert (assignment.org, assignment.start_date, assignment.end_date) == (w.branch, datetime.date(2026, 1, 1), None)
    assert not account.has_usable_password()
    assert [a.role for a in user_assignments(account)] == ["branch_secretary"]

    url = f"/inbox/people/accounts/{account.pk}/password/"
    for asked in (client.get(url), client.post(url)):  # first a confirmation, nothing changed yet
        assert asked.status_code == 200
        assert "将为 new_secretary（新书记）生成新的初始密码，原密码立即失效。确定吗？" in asked.content.decode()
        assert 'name="confirm" value="1"' in asked.content.decode() and "<code>" not in asked.content.decode()
    account.refresh_from_db()
    assert not account.has_usable_password()
    shown = client.post(url, {"confirm": "1"})
    assert shown.status_code == 200 and shown["Cache-Control"] == "private, no-store"
    password = shown.content.decode().split("<code>")[1].split("</code>")[0]
    account.refresh_from_db()
    assert account.check_password(password)
    reset = AuditEvent.objects.get(action=AuditAction.PASSWORD_RESET)
    assert password not in str(reset.changes)

    ended = client.post(f"/inbox/people/roles/{assignment.pk}/end/", {"end_date": "", "reason": "离任"})
    assert ended.status_code == 302
    assignment.refresh_from_db()
    assert assignment.end_date is not None
    account = get_user_model().objects.get(pk=account.pk)  # a fresh request's user
    assert user_assignments(account) == []
    event = AuditEvent.objects.get(action=AuditAction.ROLE_END)
    assert event.changes["end_date"][0] == "" and event.reason == "离任"


def test_the_import_page_lists_every_bad_cell_and_imports_a_clean_file(scene):
    w = scene.w
    client = client_for(w.reviewer)
    page = client.get("/inbox/people/import/")
    assert page.status_code == 200 and "下载导入模板" in page.content.decode()
    template = client.get("/inbox/people/import/template.xlsx")
    assert template["Content-Type"] == XLSX
    assert load_workbook(io.BytesIO(template.content)).sheetnames[:3] == ["学校与支部", "教师", "账号与角色"]

    bad = workbook(teachers=[["B1", "", "男", "1985-13-01", "不存在中学", "", "", "", "群众", "", "", "", ""]])
    before = snapshot()
    response = client.post(
        "/inbox/people/import/", {"root": w.county.pk, "file": SimpleUploadedFile("名单.xlsx", bad, XLSX)}
    )
    assert response.status_code == 400
    text = response.content.decode()
    for cell in ("教师 第 2 行 B 列", "教师 第 2 行 D 列", "教师 第 2 行 E 列"):
        assert cell in text
    assert "未导入任何数据" in alert_text(response)
    assert snapshot() == before

    good = client.post(
        "/inbox/people/import/", {"root": w.county.pk, "file": SimpleUploadedFile("名单.xlsx", workbook(), XLSX)}
    )
    assert good.status_code == 302
    assert Teacher.objects.filter(staff_no="43090119860504001").exists()


# --- those who must not ---------------------------------------------------------------------------


def _requests(s) -> dict:
    w = s.w
    teacher_url = f"/inbox/people/teachers/{w.candidate2.pk}/"
    upload = SimpleUploadedFile("名单.xlsx", workbook(), XLSX)
    return {
        "list": ("get", "/inbox/people/", None),
        "teacher_page": ("get", teacher_url, None),
        "teacher_edit": (
            "post",
            teacher_url,
            teacher_post(w.branch, name="李党员", party_status="full", action="edit"),
        ),
        "teacher_transfer": ("post", teacher_url, {"action": "transfer", "org": w.school.pk}),
        "teacher_add": ("post", "/inbox/people/teachers/new/", teacher_post(w.branch)),
        "roles": ("get", "/inbox/people/roles/", None),
        "role_grant": (
            "post",
            "/inbox/people/roles/",
            {"username": "x_new", "org": w.branch.pk, "role": "branch_secretary", "start_date": "2026-01-01"},
        ),
        "role_end": ("post", f"/inbox/people/roles/{s.secretary_role.pk}/end/", {"end_date": ""}),
        "password": ("post", f"/inbox/people/accounts/{w.secretary.pk}/password/", {"confirm": "1"}),
        "import_page": ("get", "/inbox/people/import/", None),
        "import": ("post", "/inbox/people/import/", {"root": w.county.pk, "file": upload}),
        "template": ("get", "/inbox/people/import/template.xlsx", None),
    }


REQUEST_NAMES = [
    "list",
    "teacher_page",
    "teacher_edit",
    "teacher_transfer",
    "teacher_add",
    "roles",
    "role_grant",
    "role_end",
    "password",
    "import_page",
    "import",
    "template",
]
# who -> the status of each request; those not listed have no role and get only 403 / 404.
EXPECTED = {
    # The county's auditor lists the county's people and role holders, and changes nothing.
    "auditor": {
        "list": 200,
        "roles": 200,
        "teacher_page": 403,
        "teacher_edit": 403,
        "teacher_transfer": 403,
        "teacher_add": 403,
        "role_grant": 403,
        "role_end": 403,
        "password": 403,
        "import_page": 403,
        "import": 403,
        "template": 403,
    },
    # Another county's officer and reviewer see their own county only: 赫山's people answer 404.
    "other_officer": {
        "list": 200,
        "roles": 200,
        "teacher_page": 404,
        "teacher_edit": 404,
        "teacher_transfer": 404,
        "teacher_add": 404,
        "role_grant": 404,
        "role_end": 404,
        "password": 404,
        "import_page": 403,
        "import": 403,
        "template": 200,
    },
    "other_reviewer": {
        "list": 200,
        "roles": 200,
        "teacher_page": 404,
        "teacher_edit": 404,
        "teacher_transfer": 404,
        "teacher_add": 404,
        "role_grant": 404,
        "role_end": 404,
        "password": 404,
        "import_page": 200,
        "import": 404,
        "template": 200,
    },
}


def _who(s, name):
    return {"mentor": s.mentor, "outsider": s.w.outsider, "ended": s.ended}.get(name) or getattr(s.w, name)


@pytest.mark.parametrize("who", ["outsider", "mentor", "ended", "auditor", "other_officer", "other_reviewer"])
@pytest.mark.parametrize("name", REQUEST_NAMES)
def test_refused_requests_change_nothing(scene, who, name):
    method, url, data = _requests(scene)[name]
    client = client_for(_who(scene, who))
    before = snapshot()
    response = getattr(client, method)(url, data) if data is not None else getattr(client, method)(url)
    expected = EXPECTED.get(who, {}).get(name)
    if expected is None:  # no role at all (an ended role counts as none): nothing but refusals
        assert response.status_code in (403, 404), response.status_code
    else:
        assert response.status_code == expected, (response.status_code, alert_text(response))
    if response.status_code in (403, 404):
        assert alert_text(response), "a refusal explains itself"
    assert snapshot() == before
    if response.status_code == 200 and name == "list":
        text = response.content.decode()
        assert ("李党员" in text) == (who == "auditor")  # another county never sees 赫山's teachers


def test_anonymous_is_sent_to_the_login(scene):
    before = snapshot()
    for method, url, data in _requests(scene).values():
        response = getattr(Client(), method)(url, data) if data is not None else getattr(Client(), method)(url)
        assert response.status_code == 302 and "login" in response["Location"]
    assert snapshot() == before


def test_an_ended_role_grants_nothing(scene):
    """The former officer's appointment ended on 2026-09-01: no scope, no queue, no registering."""
    former = scene.ended
    assert user_assignments(former) == []
    assert not queue_for_user(former).exists()
    refused(client_for(former).get("/inbox/people/"), 403)
    with pytest.raises(Exception) as refused_register:
        case_services.case_register(actor=former, teacher_id=scene.w.candidate2.pk, kind="2")
    assert getattr(refused_register.value, "status", None) == 404
    menu = client_for(former).get("/inbox/").content.decode()
    assert "人员管理" not in menu
    assert "人员管理" in client_for(scene.w.officer).get("/inbox/").content.decode()


# --- separation of duties, lengths, dates, direction controls (review findings) -------------------


def grant_post(username, org, role, **over) -> dict:
    return {"username": username, "full_name": "", "org": org.pk, "role": role, "start_date": "2026-01-01"} | over


def test_nobody_appoints_themselves_or_at_their_own_level(scene):
    """市一中's officer made themselves 审核人 and approved their own case's 单位审核: refused now."""
    w = scene.w
    client = client_for(w.direct_officer)
    before = snapshot()
    own = client.post("/inbox/people/roles/", grant_post("direct_officer", w.direct, Role.REVIEWER))
    refused(own, 403, "不能为自己任命")
    assert 'value="direct_officer"' in own.content.decode()  # what was typed stays
    own_below = client.post("/inbox/people/roles/", grant_post("direct_officer", w.direct_branch, Role.AUDITOR))
    refused(own_below, 403, "不能为自己任命")
    peer = client.post("/inbox/people/roles/", grant_post("someone_new", w.direct, Role.REVIEWER))
    refused(peer, 403, "本级组织的任职须由上级组织办理")
    # The county's reviewer cannot appoint at the county, nor the city's administrator at the city.
    refused(client_for(w.reviewer).post("/inbox/people/roles/", grant_post("x1", w.county, Role.OFFICER)), 403, "本级")
    city = client_for(w.city_admin).post("/inbox/people/roles/", grant_post("x2", w.city, Role.AUDITOR))
    refused(city, 403, "本级组织的任职须由上级组织办理")
    assert snapshot() == before
    # Ending a same-level colleague's role or one's own is refused too, and not offered.
    reviewer_role = RoleAssignment.objects.get(user=w.direct_reviewer)
    refused(client_for(w.direct_officer).post(f"/inbox/people/roles/{reviewer_role.pk}/end/", {}), 403, "本级")
    own_role = RoleAssignment.objects.get(user=w.direct_officer)
    refused(client_for(w.direct_officer).post(f"/inbox/people/roles/{own_role.pk}/end/", {}), 403, "不能为自己")
    listing = client.get("/inbox/people/roles/").content.decode()
    assert f"/inbox/people/roles/{reviewer_role.pk}/end/" not in listing
    assert f'<option value="{w.direct.pk}"' not in listing and f'<option value="{w.direct_branch.pk}"' in listing
    assert snapshot() == before
    # Below their level they appoint as before; the city appoints at the direct unit.
    assert (
        client.post("/inbox/people/roles/", grant_post("new_sec", w.direct_branch, "branch_secretary")).status_code
        == 302
    )
    city_grant = client_for(w.city_admin).post("/inbox/people/roles/", grant_post("new_rev", w.direct, Role.REVIEWER))
    assert city_grant.status_code == 302


def test_a_password_only_for_accounts_strictly_below(scene):
    """An officer cannot generate a same-level colleague's password (and log in as them), nor their own."""
    w = scene.w
    client = client_for(w.direct_officer)
    before = snapshot()
    for confirm in ({}, {"confirm": "1"}):
        peer = client.post(f"/inbox/people/accounts/{w.direct_reviewer.pk}/password/", confirm)
        refused(peer, 403, "同级")
        assert "<code>" not in peer.content.decode()
    refused(client.post(f"/inbox/people/accounts/{w.direct_officer.pk}/password/", {"confirm": "1"}), 403, "自己")
    # The county's reviewer may not reset the county's auditor (same level) but may a school's officer.
    refused(client_for(w.reviewer).post(f"/inbox/people/accounts/{w.auditor.pk}/password/", {"confirm": "1"}), 403)
    assert snapshot() == before
    listing = client.get("/inbox/people/roles/").content.decode()
    assert f"/inbox/people/accounts/{w.direct_reviewer.pk}/password/" not in listing
    assert f"/inbox/people/accounts/{w.direct_secretary.pk}/password/" in listing
    teachers = client_for(w.reviewer).get("/inbox/people/").content.decode()
    assert f"/inbox/people/accounts/{w.candidate1.user.pk}/password/" in teachers  # a teacher's account, no role
    ok = client_for(w.reviewer).post(f"/inbox/people/accounts/{w.officer.pk}/password/", {"confirm": "1"})
    assert ok.status_code == 200 and "<code>" in ok.content.decode()


def test_the_form_limits_come_from_the_model_with_chinese_messages(scene):
    w = scene.w
    client = client_for(w.officer)
    page = client.get("/inbox/people/teachers/new/").content.decode()
    assert 'maxlength="2000"' in page and 'maxlength="50"' in page
    before = snapshot()
    long = client.post("/inbox/people/teachers/new/", teacher_post(w.branch, honours="优" * 2001))
    refused(long, 400, "最多 2000 个字符，现有 2001 个")
    assert "优" * 2001 in long.content.decode()  # what was typed stays
    name = client.post("/inbox/people/teachers/new/", teacher_post(w.branch, name="长" * 51))
    refused(name, 400, "姓名”：姓名最多 50 个字符，现有 51 个")
    assert snapshot() == before


def test_date_inputs_render_iso_values(scene):
    """<input type=date> accepts only 1988-07-21; the zh-hans format 1988/07/21 shows an empty box."""
    w = scene.w
    page = client_for(w.officer).get(f"/inbox/people/teachers/{w.candidate1.pk}/").content.decode()
    assert 'type="date" name="birth_date" value="1988-07-21"' in page
    roles = client_for(w.officer).get("/inbox/people/roles/").content.decode()
    assert re.search(r'type="date" name="start_date" value="\d{4}-\d{2}-\d{2}"', roles)
    assert re.search(r'type="date" name="end_date" value="\d{4}-\d{2}-\d{2}"', roles)


@pytest.mark.parametrize("control", ["\u202e", "\u202a", "\u2066", "\u2069"])
def test_direction_controls_are_refused(scene, control):
    w = scene.w
    before = snapshot()
    response = client_for(w.officer).post(
        "/inbox/people/teachers/new/", teacher_post(w.branch, name=f"吴{control}新来")
    )
    refused(response, 400, f"U+{ord(control):04X}", "文字方向控制符")
    grant = client_for(w.officer).post(
        "/inbox/people/roles/", grant_post("bidi_user", w.branch, "branch_secretary", full_name=f"新{control}书记")
    )
    refused(grant, 400, "文字方向控制符")
    assert snapshot() == before


def test_wide_tables_scroll_inside_their_card(scene):
    w = scene.w
    for url in ("/inbox/people/", "/inbox/people/roles/"):
        page = client_for(w.reviewer).get(url).content.decode()
        assert '<div class="sp-scroll"><table class="sp-table"' in page, url
    for url in ("/inbox/people/teachers/new/", "/inbox/people/import/"):
        assert "<h2>" in client_for(w.reviewer).get(url).content.decode(), url

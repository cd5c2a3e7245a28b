"""登记造册名册 (/inbox/roster/): a unit's or school's register on screen, as XLSX and as PDF, and
who may read it (the county's reviewer, its school's officer, the county's auditor, the city) and
who may not (anonymous, an outsider, the other county's officer and reviewer, a mentor, a trainee,
a branch secretary), each refusal leaving everything as it was.

The scene is built once for the module (``tests.helpers.scene_once``); each test runs in its
own savepoint.
"""

import datetime
import io
import re
from types import SimpleNamespace

import openpyxl
import pytest
from django.test import Client
from pypdf import PdfReader

from tests.factories import make_teacher
from tests.helpers import module_media, one_open, refused, scene_once, snapshot
from workflows.models import CaseState, PartyStatus
from workflows.services import cases as svc

COUNTY_NAMES_1 = ["吴登记", "王骨干", "冯暂停"]  # 类别 1 of the county: by school / branch, then registration
COUNTY_NAMES_2 = ["李党员"]
EXITED = "郑退出"


def _train(case, officer, mentors):
    svc.case_pair(actor=officer, task_id=one_open(case).pk, mentor_ids=[m.pk for m in mentors])
    for _mentor in mentors:  # one acceptance each
        task = one_open(case)
        svc.mentor_accept(actor=task.owner, task_id=task.pk)
    case.refresh_from_db()
    assert case.state == CaseState.TRAINING
    return case


def build_scene() -> SimpleNamespace:
    from tests.factories import make_world

    w = make_world()
    s = SimpleNamespace(w=w)
    # 类别 1: 王骨干 in training under 张正式 (branch); 吴登记 only registered (school itself);
    # 冯暂停 paused in training; 郑退出 registered, then exited.
    s.trained = _train(
        svc.case_register(actor=w.officer, teacher_id=w.candidate1.pk, kind="1"), w.officer, [w.member_mentor]
    )
    registered = make_teacher("吴登记", w.school, is_backbone=True, birth=(1991, 4, 30))
    s.registered = svc.case_register(actor=w.officer, teacher_id=registered.pk, kind="1")
    paused = make_teacher("冯暂停", w.branch, is_backbone=True)
    s.paused = _train(svc.case_register(actor=w.officer, teacher_id=paused.pk, kind="1"), w.officer, [w.member_mentor2])
    svc.case_pause(actor=w.officer, case_id=s.paused.pk, reason="长期病假")
    exited = make_teacher(EXITED, w.branch, is_backbone=True)
    s.exited = svc.case_register(actor=w.officer, teacher_id=exited.pk, kind="1")
    svc.case_exit(actor=w.officer, case_id=s.exited.pk, reason="调出本市")
    # 类别 2: 李党员 trained by 刘骨干, who left; 钱骨干 is asked to take over (not yet accepted).
    s.repaired = _train(
        svc.case_register(actor=w.officer, teacher_id=w.candidate2.pk, kind="2"), w.officer, [w.backbone_mentor]
    )
    s.new_mentor = make_teacher("钱骨干", w.school, is_backbone=True, user=True)
    svc.case_repair(
        actor=w.officer,
        case_id=s.repaired.pk,
        leaving_mentor_id=s.repaired.mentors.get().pk,
        new_mentor_ids=[s.new_mentor.pk],
        reason="调往他校",
    )
    # Elsewhere: 桃江县 (the other county) and 市一中 (a direct unit).
    s.other = svc.case_register(actor=w.other_officer, teacher_id=w.other_teacher.pk, kind="2")
    s.direct = svc.case_register(actor=w.direct_officer, teacher_id=w.direct_candidate.pk, kind="1")
    return s


_built = scene_once(build_scene)


@pytest.fixture
def scene(_built, db, settings):
    module_media(settings, _built)
    return _built


def client_of(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def page_rows(response) -> list[list[str]]:
    """The roster table's rows as text: 类别 headings as one cell, case rows as twelve (a cell's
    second line, such as the branch under the school, follows after a space)."""
    html = response.content.decode()
    table = re.search(r'<table class="sp-table" id="roster-table">(.*?)</table>', html, re.S).group(1)
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S):
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        cells = [re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", " ", c)).strip() for c in cells]
        rows.append(cells)
    return rows


def xlsx_rows(response) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return list(book.active.iter_rows(values_only=True))


def pdf_text(response) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


# --- what the roster shows -----------------------------------------------------------------


def test_the_county_page_lists_both_kinds_in_order_with_stages_and_mentors(scene):
    w = scene.w
    response = client_of(w.reviewer).get("/inbox/roster/")
    assert response.status_code == 200
    rows = page_rows(response)
    assert rows[0] == ["序号", "姓名", "性别", "出生年月", "学校/支部", "类别", "当前阶段", "培养人", "登记日期",
                       "结对日期", "培养开始日期", "最近一次状态变化"]  # fmt: skip
    headings = [i for i, r in enumerate(rows) if len(r) == 1]
    assert [rows[i][0] for i in headings] == [
        "类别1　骨干教师培养成共产党员（3 人）",
        "类别2　党员教师培养成教学骨干（1 人）",
    ]
    ones = rows[headings[0] + 1 : headings[1]]
    twos = rows[headings[1] + 1 :]
    assert [r[1] for r in ones] == COUNTY_NAMES_1 and [r[0] for r in ones] == ["1", "2", "3"]
    assert [r[1] for r in twos] == COUNTY_NAMES_2 and [r[0] for r in twos] == ["1"]
    by_name = {r[1]: r for r in ones + twos}
    trained = by_name["王骨干"]
    assert trained[2:8] == ["女", "1988.07", "赫山区第一中学 赫山一中第一党支部", "1", "培养中", "张正式"]
    assert trained[9] != "—" and trained[10] != "—" and re.fullmatch(r"\d{4}\.\d\d\.\d\d 结对→培养中", trained[11])
    assert by_name["吴登记"][4:8] == ["赫山区第一中学", "1", "登记造册", "—"]
    assert by_name["吴登记"][11].endswith("登记造册")
    assert by_name["冯暂停"][6] == "暂停（暂停前：培养中）" and by_name["冯暂停"][11].endswith("培养中→暂停")
    assert by_name["李党员"][6:8] == ["结对", "刘骨干（已离任）、钱骨干（待接受）"]
    assert by_name["李党员"][11].endswith("培养中→结对")
    html = response.content.decode()
    for absent in (EXITED, "桃江老师", "赵老师", "政治面貌", "正式党员", "群众"):
        assert absent not in html, absent


def test_closed_cases_only_when_asked(scene):
    w = scene.w
    rows = page_rows(client_of(w.reviewer).get(f"/inbox/roster/?org={w.county.pk}&closed=1"))
    exited = next(r for r in rows if len(r) > 1 and r[1] == EXITED)
    assert exited[6] == "已退出" and exited[0] == "4"  # registered last of 类别 1


def test_a_school_officer_sees_the_school_and_not_the_county(scene):
    w = scene.w
    client = client_of(w.officer)
    response = client.get("/inbox/roster/")
    assert response.status_code == 200
    assert re.search(r'id="roster-unit">赫山区教育局　赫山区第一中学<', response.content.decode())
    options = re.findall(r'<option value="(\d+)"', response.content.decode())
    assert options == [str(w.school.pk)]
    before = snapshot()
    refused(client.get(f"/inbox/roster/?org={w.county.pk}"), 404, "不在您的管辖范围内")
    refused(client.get(f"/inbox/roster/download/xlsx/?org={w.county.pk}"), 404)
    assert snapshot() == before


def test_the_xlsx_reads_back_with_both_kinds_dates_as_dates(scene):
    w = scene.w
    response = client_of(w.reviewer).get(f"/inbox/roster/download/xlsx/?org={w.county.pk}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "private" in response["Cache-Control"]
    rows = xlsx_rows(response)
    assert rows[0][0] == "益阳市教育系统“双培”工程培养对象登记造册名册"
    assert rows[1][0] == "单位名称：赫山区教育局" and "年" in rows[1][-1]
    assert rows[2][0] == "序号" and rows[2][-1] == "最近一次状态变化"
    assert rows[3][0] == "类别1　骨干教师培养成共产党员（3 人）"
    assert [r[1] for r in rows[4:7]] == COUNTY_NAMES_1 and [r[0] for r in rows[4:7]] == [1, 2, 3]
    assert rows[7][0] == "类别2　党员教师培养成教学骨干（1 人）"
    assert rows[8][1] == "李党员" and rows[8][0] == 1
    assert rows[8][6:8] == ("结对", "刘骨干（已离任）、钱骨干（待接受）")
    assert rows[5][1:8] == ("王骨干", "女", "1988.07", "赫山区第一中学／赫山一中第一党支部", "1", "培养中", "张正式")
    assert isinstance(rows[5][8], datetime.datetime) and isinstance(rows[5][10], datetime.datetime)
    assert rows[4][1] == "吴登记" and rows[4][9] is None  # not paired yet
    text = " ".join(str(v) for r in rows for v in r if v is not None)
    for absent in (EXITED, "桃江老师", "政治面貌", "正式党员"):
        assert absent not in text


def test_the_pdf_is_the_official_document(scene):
    w = scene.w
    response = client_of(w.reviewer).get(f"/inbox/roster/download/pdf/?org={w.county.pk}")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    text = pdf_text(response)
    compact = re.sub(r"\s+", "", text)
    assert "登记造册名册" in compact and "单位名称：赫山区教育局" in compact
    assert "—1—" in compact
    one, two = compact.index("类别1骨干教师培养成共产党员（3人）"), compact.index("类别2党员教师培养成教学骨干（1人）")
    assert one < two
    positions = [compact.index(name) for name in COUNTY_NAMES_1]
    assert one < positions[0] < positions[1] < positions[2] < two < compact.index("李党员")
    assert "暂停（暂停前：培养中）" in compact and "刘骨干（已离任）" in compact and "钱骨干（待接受）" in compact
    for absent in (EXITED, "桃江老师", "政治面貌", "正式党员"):
        assert absent not in compact


def test_a_direct_unit_has_its_own_roster(scene):
    w = scene.w
    response = client_of(w.direct_reviewer).get("/inbox/roster/")
    assert response.status_code == 200
    names = [r[1] for r in page_rows(response) if len(r) > 1][1:]
    assert names == ["赵老师"]


def test_the_city_chooses_among_every_unit_and_school(scene):
    w = scene.w
    client = client_of(w.city_admin)
    response = client.get("/inbox/roster/")
    options = set(re.findall(r'<option value="(\d+)"', response.content.decode()))
    assert {str(o.pk) for o in (w.county, w.other_county, w.school, w.other_school, w.direct)} <= options
    names = [r[1] for r in page_rows(client.get(f"/inbox/roster/?org={w.other_county.pk}")) if len(r) > 1][1:]
    assert names == ["桃江老师"]


def test_the_read_only_auditor_reads_their_own_subtree(scene):
    w = scene.w
    client = client_of(w.auditor)
    before = snapshot()
    page = client.get("/inbox/roster/")
    assert page.status_code == 200 and "王骨干" in page.content.decode()
    assert "王骨干" in " ".join(str(v) for r in xlsx_rows(client.get("/inbox/roster/download/xlsx/")) for v in r)
    assert "王骨干" in pdf_text(client.get("/inbox/roster/download/pdf/"))
    refused(client.get(f"/inbox/roster/?org={w.other_county.pk}"), 404)
    assert snapshot() == before


# --- who may not ----------------------------------------------------------------------------

URLS = ["/inbox/roster/?org={org}", "/inbox/roster/download/xlsx/?org={org}", "/inbox/roster/download/pdf/?org={org}"]


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize(
    "who", ["outsider", "other_officer", "other_reviewer", "mentor", "trainee", "secretary", "new_mentor"]
)
def test_refused_with_nothing_changed(scene, who, url):
    w = scene.w
    user = {
        "outsider": w.outsider,
        "other_officer": w.other_officer,
        "other_reviewer": w.other_reviewer,
        "mentor": w.member_mentor.user,
        "trainee": w.candidate1.user,
        "secretary": w.secretary,
        "new_mentor": scene.new_mentor.user,
    }[who]
    before = snapshot()
    for org in (w.county, w.school):
        response = client_of(user).get(url.format(org=org.pk))
        refused(response, 404)
        assert "吴登记" not in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("who", ["mentor", "trainee", "outsider", "secretary"])
def test_no_roster_at_all_for_those_outside_the_register(scene, who):
    w = scene.w
    user = {
        "mentor": w.member_mentor.user,
        "trainee": w.candidate1.user,
        "outsider": w.outsider,
        "secretary": w.secretary,
    }
    response = client_of(user[who]).get("/inbox/roster/")
    refused(response, 404, "登记造册名册仅向")
    assert "登记造册名册" not in client_of(user[who]).get("/inbox/").content.decode()


def test_the_menu_offers_it_to_those_who_may(scene):
    w = scene.w
    for user in (w.reviewer, w.officer, w.auditor, w.city_admin):
        assert 'href="/inbox/roster/"' in client_of(user).get("/inbox/").content.decode()


def test_anonymous_is_sent_to_log_in(scene):
    response = Client().get("/inbox/roster/download/pdf/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_only_xlsx_and_pdf(scene):
    refused(client_of(scene.w.reviewer).get("/inbox/roster/download/csv/"), 404, "XLSX 和 PDF")


def test_the_roster_is_read_in_a_fixed_number_of_queries(scene, django_assert_max_num_queries):
    from workflows import selectors

    w = scene.w
    with django_assert_max_num_queries(4):
        cases = selectors.roster_cases(w.reviewer, org=w.county, include_closed=True)
        assert [m.teacher.name for c in cases for m in c.roster_mentors]
    assert len(cases) == 5
    assert all(c.teacher.party_status in PartyStatus.values for c in cases)  # read, never printed

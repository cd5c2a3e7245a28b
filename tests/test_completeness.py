"""完成情况: the trainee × semester matrix on screen and as XLSX, scoped like every other read."""

import datetime
import io
import zoneinfo
from html.parser import HTMLParser
from types import SimpleNamespace
from unittest import mock
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from tests.factories import make_teacher
from tests.flow_client import client_for
from tests.helpers import alert_text, drive, new_case
from tests.training import lifecycle_tasks
from workflows import selectors
from workflows.models import (
    CaseState,
    PartyStatus,
    RecordDuty,
    SemesterWork,
    TrainingRecord,
    WorkItem,
    WorkStatus,
)
from workflows.periods import record_period, semester_label, semester_of
from workflows.services import cases as svc
from workflows.services import records as record_svc

# The tests run on a fixed day inside a semester, whatever the calendar says (in August
# training opens no semester work, so "today" must not depend on when CI runs).
TODAY = datetime.date(2026, 11, 10)
CURRENT = semester_of(TODAY)


@pytest.fixture(autouse=True)
def _fixed_day():
    now = datetime.datetime.combine(TODAY, datetime.time(10), tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    with mock.patch("django.utils.timezone.now", lambda: now):
        yield


DONE = ["已通过", "已通过"]
NOT_OWED = [("—", False), ("—", False), ("0 条", False)]
ALL_DONE_NOW = [("已通过", False), ("已通过", False), ("0 条", False)]


class MatrixParser(HTMLParser):
    """The body rows of #completeness-table: each cell's text and whether it is marked missing."""

    def __init__(self):
        super().__init__()
        self.rows, self.headers = [], []
        self._in_table = self._in_body = False
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id") == "completeness-table":
            self._in_table = True
        elif self._in_table and tag == "tbody":
            self._in_body = True
        elif self._in_table and tag == "tr":
            self.rows.append([]) if self._in_body else self.headers.append([])
        elif self._in_table and tag in ("td", "th"):
            self._cell = ["", "sp-missing" in (attrs.get("class") or "").split()]

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            (self.rows if self._in_body else self.headers)[-1].append((self._cell[0].strip(), self._cell[1]))
            self._cell = None
        elif tag == "table":
            self._in_table = self._in_body = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[0] += data


def matrix(response):
    """``(semester headers, {name: row})`` where a row is [(text, missing), …] from 序号 on."""
    assert response.status_code == 200, response.content.decode()[:2000]
    parser = MatrixParser()
    parser.feed(response.content.decode())
    semesters = [text for text, _missing in parser.headers[0][5:]]
    return semesters, [row for row in parser.rows if len(row) > 1]  # not the "no trainee" line


def by_name(rows):
    return {row[1][0]: row for row in rows}


def cells(row):
    return row[5:]


@pytest.fixture
def scene(world):
    """赫山一中: one case with everything accepted, one with work and records missing, one 类别2, one
    paused, one only registered; 桃江一中: one case in training."""
    w = world
    s = SimpleNamespace(w=w, previous=semester_of(CURRENT.start - datetime.timedelta(days=40)))
    s.done = new_case(w, "钱完成", CaseState.TRAINING)
    s.kind2 = new_case(
        w, "周类二", CaseState.TRAINING, kind="2", mentors=[w.backbone_mentor], party_status=PartyStatus.FULL
    )
    s.paused = new_case(w, "郑暂停", CaseState.TRAINING)
    svc.case_pause(actor=w.officer, case_id=s.paused.pk, reason="长期病假")
    s.registered = svc.case_register(actor=w.officer, teacher_id=w.candidate1.pk, kind="1")

    # 孙待交: paired and accepted, so this semester's 典型案例 and 论文 are still 待提交.
    teacher = make_teacher("孙待交", w.branch, is_backbone=True)
    s.pending = svc.case_register(actor=w.officer, teacher_id=teacher.pk, kind="1")
    drive(s.pending, CaseState.PAIRED, officer=w.officer, mentors=[w.member_mentor2])
    for task in lifecycle_tasks(s.pending):
        svc.mentor_accept(actor=task.owner, task_id=task.pk)
    s.pending.refresh_from_db()
    assert s.pending.state == CaseState.TRAINING
    mentor_user = w.member_mentor2.user
    # This semester: one record, corrected once (two versions, one current).
    record = record_svc.record_write(
        actor=mentor_user, case_id=s.pending.pk, date=TODAY, kind="talk", content="谈入党动机。"
    )
    record_svc.record_correct(
        actor=mentor_user, record_id=record.pk, date=TODAY, kind="talk", content="谈入党动机，学习党章。", reason="补充"
    )
    # Last semester (before the case was registered, so written straight into the ledger):
    # 典型案例 accepted, 论文 returned, two records, and one period's record never written.
    mentor = s.pending.mentors.get()
    prev = s.previous
    for item, status in ((WorkItem.CASE_STUDY, WorkStatus.ACCEPTED), (WorkItem.PAPER, WorkStatus.RETURNED)):
        SemesterWork.objects.create(
            case=s.pending, semester_start=prev.start, semester_end=prev.end, item=item, status=status
        )
    first = record_period(prev.start)
    second = record_period(first.end + datetime.timedelta(days=1))
    written = [
        TrainingRecord.objects.create(
            case=s.pending, mentor=mentor, date=day, kind="talk", content="谈心谈话。", signed_by=mentor_user
        )
        for day in (second.start, second.start + datetime.timedelta(days=3))
    ]
    RecordDuty.objects.create(case=s.pending, mentor=mentor, period_start=first.start, period_end=first.end)
    RecordDuty.objects.create(
        case=s.pending, mentor=mentor, period_start=second.start, period_end=second.end, record=written[0]
    )

    # 桃江县: a trained case the 赫山 people must never see.
    other_mentor = make_teacher("桃江骨干", w.other_school, is_backbone=True, user=True)
    s.other = svc.case_register(actor=w.other_officer, teacher_id=w.other_teacher.pk, kind="2")
    drive(s.other, CaseState.TRAINING, officer=w.other_officer, mentors=[other_mentor])
    return s


def expected_heshan(s):
    return {
        "钱完成": ("1", "赫山区第一中学", "培养中", NOT_OWED + ALL_DONE_NOW),
        "周类二": ("2", "赫山区第一中学", "培养中", NOT_OWED + ALL_DONE_NOW),
        "郑暂停": ("1", "赫山区第一中学", "暂停（暂停前：培养中）", NOT_OWED + ALL_DONE_NOW),
        "孙待交": (
            "1",
            "赫山区第一中学",
            "培养中",
            [
                ("已通过", False),
                ("未完成（已退回修改）", True),
                ("2 条，缺 1 期", True),
                ("未完成（待提交）", True),
                ("未完成（待提交）", True),
                ("1 条", False),
            ],
        ),
    }


def assert_heshan_matrix(s, response):
    semesters, rows = matrix(response)
    assert semesters == [semester_label(s.previous.start), semester_label(CURRENT.start)]
    found = by_name(rows)
    assert set(found) == set(expected_heshan(s))
    for name, (kind, school, state, expected_cells) in expected_heshan(s).items():
        row = found[name]
        assert [text for text, _missing in row[2:5]] == [kind, school, state], name
        assert cells(row) == expected_cells, name
    # Only 孙待交 has anything missing, and the page says so in words too.
    page = response.content.decode()
    assert "其中 1 名有未完成项目" in page
    assert "王骨干" not in page and "桃江老师" not in page


@pytest.mark.parametrize("who", ["officer", "reviewer", "auditor", "city_admin"])
def test_matrix_lists_the_trainees_in_scope_with_their_statuses(scene, who):
    s = scene
    response = client_for(getattr(s.w, who)).get("/inbox/completeness/")
    if who == "city_admin":
        semesters, rows = matrix(response)
        assert set(by_name(rows)) == set(expected_heshan(s)) | {"桃江老师"}
        return
    assert_heshan_matrix(s, response)
    assert 'class="sp-table"' in response.content.decode()


def test_missing_cells_are_red_and_say_so(scene):
    page = client_for(scene.w.officer).get("/inbox/completeness/").content.decode()
    assert ".sp-missing" in page and "#b71c1c" in page  # the style lives with the page
    assert '<td class="sp-missing">未完成（待提交）</td>' in page
    assert '<td class="sp-missing">2 条，缺 1 期</td>' in page
    assert "<td>已通过</td>" in page


def test_another_countys_officer_sees_only_their_own_and_gets_404_for_our_school(scene):
    s = scene
    for user in (s.w.other_officer, s.w.other_reviewer):
        client = client_for(user)
        semesters, rows = matrix(client.get("/inbox/completeness/"))
        assert semesters == [semester_label(CURRENT.start)]
        assert [[text for text, _missing in row[1:5]] for row in rows] == [
            ["桃江老师", "2", "桃江县第一中学", "培养中"]
        ]
        for org in (s.w.school, s.w.county):
            for url in ("/inbox/completeness/", "/inbox/completeness/download/"):
                response = client.get(f"{url}?org={org.pk}")
                assert response.status_code == 404
                assert "不在您的管辖范围内" in alert_text(response)
    # And the other way round.
    response = client_for(s.w.officer).get(f"/inbox/completeness/?org={s.w.other_school.pk}")
    assert response.status_code == 404
    with pytest.raises(selectors.NotInScope):
        selectors.completeness_rows(s.w.officer, org=s.w.other_school)


@pytest.mark.parametrize("who", ["outsider", "mentor"])
def test_people_without_a_role_are_refused(scene, who):
    user = scene.w.outsider if who == "outsider" else scene.w.member_mentor2.user
    client = client_for(user)
    for url in ("/inbox/completeness/", "/inbox/completeness/download/"):
        response = client.get(url)
        assert response.status_code == 403
        assert "没有查看权限" in alert_text(response)
        assert "孙待交" not in response.content.decode()


def test_anonymous_is_sent_to_log_in(scene):
    from django.test import Client

    for url in ("/inbox/completeness/", "/inbox/completeness/download/"):
        response = Client().get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_filter_offers_the_organisations_in_scope(scene):
    w = scene.w
    officer = selectors.completeness_orgs(w.officer)
    assert [o.name for o in officer] == ["赫山区第一中学"]
    reviewer = selectors.completeness_orgs(w.reviewer)
    assert [o.name for o in reviewer] == ["赫山区教育局", "赫山区第一中学"]
    everyone = {o.name for o in selectors.completeness_orgs(w.city_admin)}
    assert everyone == {"赫山区教育局", "赫山区第一中学", "桃江县教育局", "桃江县第一中学", "市一中（益阳师范）"}
    page = client_for(w.officer).get("/inbox/completeness/").content.decode()
    assert f'<option value="{w.school.pk}">' in page
    assert f'<option value="{w.other_school.pk}">' not in page


def test_filters_by_organisation_and_kind(scene):
    s, w = scene, scene.w
    admin = client_for(w.city_admin)
    _semesters, rows = matrix(admin.get(f"/inbox/completeness/?org={w.other_county.pk}"))
    assert list(by_name(rows)) == ["桃江老师"]
    _semesters, rows = matrix(admin.get(f"/inbox/completeness/?org={w.school.pk}"))
    assert set(by_name(rows)) == set(expected_heshan(s))
    response = admin.get(f"/inbox/completeness/?org={w.direct.pk}")
    assert matrix(response) == ([], [])
    assert "没有处于培养中至市级备案（含暂停）阶段的培养对象" in response.content.decode()
    _semesters, rows = matrix(admin.get("/inbox/completeness/?kind=2"))
    assert set(by_name(rows)) == {"周类二", "桃江老师"}
    response = admin.get(f"/inbox/completeness/?org={w.county.pk}&kind=1")
    _semesters, rows = matrix(response)
    assert set(by_name(rows)) == {"钱完成", "郑暂停", "孙待交"}
    # The download link keeps the filters; the selects show them.
    page = response.content.decode()
    assert f"/inbox/completeness/download/?org={w.county.pk}&amp;kind=1" in page
    assert f'<option value="{w.county.pk}" selected>' in page
    assert admin.get("/inbox/completeness/?kind=3").status_code == 400


def read_xlsx(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(io.BytesIO(response.content)).active


def test_xlsx_has_the_same_rows_and_marks_as_the_page(scene):
    s, w = scene, scene.w
    client = client_for(w.reviewer)
    page_semesters, page_rows = matrix(client.get("/inbox/completeness/"))
    response = client.get("/inbox/completeness/download/")
    assert response["Content-Disposition"] == f"attachment; filename*=UTF-8''{quote('双培完成情况.xlsx')}"
    ws = read_xlsx(response)

    assert ws["A1"].value == "“双培”培养完成情况"
    assert [c.value for c in ws[2]][:5] == ["序号", "姓名", "“双培”类别", "学校（单位）", "阶段"]
    assert [ws.cell(row=2, column=6 + 3 * n).value for n in range(2)] == page_semesters
    assert [c.value for c in ws[3]][5:] == ["典型案例", "论文", "培养记录"] * 2
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"F2:H2", "I2:K2", "A2:A3"} <= merged

    def red(cell) -> bool:
        return cell.fill.fill_type == "solid" and cell.fill.start_color.rgb.endswith("FFC7CE")

    sheet_rows = [[(str(cell.value), red(cell)) for cell in r] for r in ws.iter_rows(min_row=4, max_row=ws.max_row)]
    assert len(sheet_rows) == len(page_rows) == 4
    # Same rows in the same order, same words, and red exactly where the page is red.
    assert [[text for text, _red in row] for row in sheet_rows] == [[text for text, _m in row] for row in page_rows]
    assert [[red for _text, red in row[5:]] for row in sheet_rows] == [[m for _t, m in row[5:]] for row in page_rows]
    pending = by_name(sheet_rows)["孙待交"]
    assert cells(pending) == expected_heshan(s)["孙待交"][3]


def test_xlsx_keeps_the_filters(scene):
    w = scene.w
    response = client_for(w.city_admin).get(f"/inbox/completeness/download/?org={w.other_county.pk}&kind=2")
    assert quote("双培完成情况_桃江县教育局_类别2.xlsx") in response["Content-Disposition"]
    ws = read_xlsx(response)
    names = [ws.cell(row=r, column=2).value for r in range(4, ws.max_row + 1)]
    assert names == ["桃江老师"]
    response = client_for(w.city_admin).get("/inbox/completeness/download/?kind=1")
    names = [c.value for c in read_xlsx(response)["B"][3:]]
    assert sorted(names) == sorted(["钱完成", "郑暂停", "孙待交"])


def test_queries_do_not_grow_with_the_number_of_cases(scene):
    w = scene.w

    def count():
        user = get_user_model().objects.get(pk=w.reviewer.pk)  # fresh: no cached role assignments
        with CaptureQueriesContext(connection) as queries:
            _semesters, rows = selectors.completeness_rows(user)
        return len(queries), len(rows)

    before, rows_before = count()
    new_case(w, "冯新增", CaseState.TRAINING)
    new_case(w, "陈新增", CaseState.TRAINING, mentors=[w.member_mentor2])
    after, rows_after = count()
    assert (rows_before, rows_after) == (4, 6)
    assert after == before <= 6

"""统计看板, the 80% targets' records and the half-year 通报: figures, scope, guards and the PDF."""

import datetime
import io
import re
import zoneinfo
from html import unescape
from types import SimpleNamespace
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from tests.factories import make_org, make_teacher
from tests.flow_client import client_for
from workflows import figures
from workflows.flows import AnnualReportFlow, CaseFlow
from workflows.models import (
    Annex2Row,
    AnnualReport,
    Appraisal,
    AuditEvent,
    Case,
    CaseProcess,
    CaseTask,
    OrgKind,
    PartyAdmission,
    PartyStatus,
    Quota,
    QuotaPlan,
    QuotaYear,
    ReportProcess,
    Role,
    UnitPlan,
)
from workflows.services import outcomes as svc

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2026, 11, 10)
YEAR = 2026
NOW = datetime.datetime.combine(TODAY, datetime.time(10), tzinfo=TZ)


@pytest.fixture(autouse=True)
def _fixed_day():
    with mock.patch("django.utils.timezone.now", lambda: NOW):
        yield


def alert_text(response) -> str:
    found = re.findall(r'class="sp-error"[^>]*>(.*?)</div>', response.content.decode(), re.S)
    return unescape(" ".join(found)).strip()


# --- a small world of figures --------------------------------------------------------------


def make_case(teacher, kind, *, state="training", by):
    org = teacher.org
    return Case.objects.create(
        teacher=teacher, kind=kind, state=state, org=org, unit_id=org.unit_id, scope_path=org.path, registered_by=by
    )


def completed(org, kind, year, *, by, name=None):
    """One completion: a completed case and its 附件2 row."""
    teacher = make_teacher(name or f"完成{Annex2Row.objects.count() + 1}", org)
    case = make_case(teacher, kind, state="completed", by=by)
    return Annex2Row.objects.create(
        case=case, unit_id=org.unit_id, name=teacher.name, birth_month="1985.03", kind=kind, year=year
    )


def make_task(case, *, due_at, status="NEW"):
    process = CaseProcess.objects.filter(case=case).first() or CaseProcess.objects.create(
        flow_class=CaseFlow, case=case
    )
    return CaseTask.objects.create(
        process=process,
        case=case,
        flow_task=CaseFlow.submit,
        flow_task_type="HUMAN",
        status=status,
        org=case.org,
        role=Role.OFFICER,
        due_at=due_at,
    )


def make_report(unit, *, version, state, submitted_at, by):
    process = ReportProcess.objects.create(flow_class=AnnualReportFlow, kind="annex2", unit=unit, year=YEAR)
    return AnnualReport.objects.create(
        unit=unit,
        year=YEAR,
        version=version,
        process=process,
        state=state,
        dated=submitted_at.date(),
        submitted_by=by,
        submitted_at=submitted_at,
    )


def appraise(teacher, result, *, year=YEAR, member=None):
    return Appraisal.objects.create(
        teacher=teacher,
        year=year,
        result=result,
        party_member=teacher.is_party_member if member is None else member,
    )


@pytest.fixture
def figured(world):
    """Plans, completions, open cases and tasks, reports, appraisals and admissions for 2026."""
    w = world
    plan = QuotaPlan.objects.create(
        title="三年实施计划", first_year=2025, last_year=2027, source_name="附件1.xlsx", sha256="0"
    )
    for unit, (q1, q2) in ((w.county, (30, 45)), (w.other_county, (20, 40)), (w.direct, (3, 3))):
        Quota.objects.create(plan=plan, unit=unit, kind="1", total=q1)
        Quota.objects.create(plan=plan, unit=unit, kind="2", total=q2)
    county_plan = UnitPlan.objects.create(plan=plan, unit=w.county)
    QuotaYear.objects.create(unit_plan=county_plan, year=YEAR, kind="1", proposed=10, approved=8)
    QuotaYear.objects.create(unit_plan=county_plan, year=YEAR, kind="2", proposed=15)
    other_plan = UnitPlan.objects.create(plan=plan, unit=w.other_county)
    QuotaYear.objects.create(unit_plan=other_plan, year=YEAR, kind="1", proposed=5, approved=5)
    QuotaYear.objects.create(unit_plan=other_plan, year=YEAR, kind="2", proposed=12, approved=10)

    by = w.officer
    for _ in range(3):
        completed(w.branch, "1", YEAR, by=by)
    for _ in range(2):
        completed(w.branch, "2", YEAR, by=by)
    completed(w.branch, "1", 2025, by=by)  # counts to date, not this year
    completed(w.branch, "1", 2024, by=by)  # before the plan: neither
    for _ in range(5):
        completed(w.other_school, "1", YEAR, by=w.other_officer)
    completed(w.direct_branch, "2", YEAR, by=w.direct_officer)

    training = [make_case(make_teacher(f"在培{i}", w.branch), "1", by=by) for i in range(2)]
    make_case(make_teacher("单位审核中", w.branch), "2", state="unit_review", by=by)
    other_open = make_case(make_teacher("桃江在册", w.other_school), "1", state="registered", by=w.other_officer)
    make_task(training[0], due_at=NOW - datetime.timedelta(days=3))  # overdue
    make_task(training[1], due_at=NOW + datetime.timedelta(days=3))  # not yet due
    make_task(training[1], due_at=NOW - datetime.timedelta(days=9), status="DONE")  # done: not open
    make_task(other_open, due_at=NOW - datetime.timedelta(days=1))

    at = datetime.datetime(YEAR, 9, 1, 9, tzinfo=TZ)
    make_report(w.county, version=1, state="returned", submitted_at=at, by=w.reviewer)
    make_report(w.county, version=2, state="accepted", submitted_at=at + datetime.timedelta(days=5), by=w.reviewer)
    make_report(w.other_county, version=1, state="returned", submitted_at=at, by=w.other_reviewer)
    # the direct unit has not reported at all

    # Target one (admitted in 2026): A, B, D in 赫山, C in 桃江; E was admitted in 2025.
    a = make_teacher("甲", w.branch, party_status=PartyStatus.PROBATIONARY)
    b = make_teacher("乙", w.branch, party_status=PartyStatus.PROBATIONARY)
    c = make_teacher("丙", w.other_school, party_status=PartyStatus.PROBATIONARY)
    d = make_teacher("丁", w.branch, party_status=PartyStatus.PROBATIONARY)
    e = make_teacher("戊", w.branch, party_status=PartyStatus.FULL)
    f = make_teacher("己", w.branch)
    g = make_teacher("庚", w.direct_branch, party_status=PartyStatus.FULL)
    for teacher, day in ((a, 3), (b, 4), (c, 5), (d, 6)):
        PartyAdmission.objects.create(teacher=teacher, admitted_on=datetime.date(YEAR, 6, day))
    PartyAdmission.objects.create(teacher=e, admitted_on=datetime.date(2025, 6, 30))
    # Target two (excellent in 2026): A, C, E, G members; F is not.
    for teacher in (a, c, e, f, g):
        appraise(teacher, "excellent")
    appraise(b, "competent")
    appraise(d, "excellent", year=2025)
    return w


def row_of(board, org):
    return next(r for r in board.rows if r.org.pk == org.pk)


# --- the figures --------------------------------------------------------------------------


def test_city_figures(figured):
    w = figured
    board = figures.dashboard(w.city_admin, YEAR, today=TODAY)
    assert board.scope.level == "city"
    assert [r.name for r in board.rows] == ["赫山区教育局", "桃江县教育局", "市一中（益阳师范）"]

    heshan = row_of(board, w.county)
    k1, k2 = heshan.kinds["1"], heshan.kinds["2"]
    assert (k1.quota, k1.quota_source, k1.completed, k1.pct_text) == (8, "approved", 3, "37.5%")
    assert (k1.total, k1.completed_to_date) == (30, 4)  # 2025 and 2026; 2024 is before the plan
    assert (k2.quota, k2.quota_source, k2.completed, k2.pct_text) == (15, "proposed", 2, "13.3%")
    assert "待核定" in k2.quota_text
    assert (heshan.quota, heshan.completed) == (23, 5)

    taojiang = row_of(board, w.other_county)
    assert (taojiang.kinds["1"].completed, taojiang.kinds["1"].pct_text, taojiang.kinds["1"].below_plan) == (
        5,
        "100.0%",
        False,
    )
    direct = row_of(board, w.direct)
    assert direct.kinds["1"].quota is None and direct.kinds["1"].quota_text == "未分解"
    assert direct.kinds["2"].completed == 1 and direct.kinds["2"].total == 3

    assert board.totals["1"].completed == 8 and board.totals["1"].quota == 13
    assert board.totals["2"].quota_source == "mixed"
    # The direct unit has no plan for the year: its completion counts, but not in the rate.
    assert (board.totals["2"].completed, board.totals["2"].quota, board.totals["2"].pct_text) == (3, 25, "8.0%")
    assert board.total_pct_text == "26.3%"  # (3 + 5 + 2 + 0) / (8 + 5 + 15 + 10)

    (m1, m2) = board.minimums
    assert (m1.kind, m1.completed, m1.target, m1.city_wide, m1.met) == ("1", 8, 150, True, False)
    assert (m2.kind, m2.completed, m2.target) == ("2", 3, 240)
    assert "全市完成 8 人" in m1.text

    assert heshan.stages == {"completed": 7, "training": 2, "unit_review": 1}
    assert taojiang.stages == {"completed": 5, "registered": 1}
    assert (heshan.overdue_tasks, taojiang.overdue_tasks, direct.overdue_tasks) == (1, 1, 0)


def test_targets_city_and_unit(figured):
    w = figured
    admitted, commended = figures.dashboard(w.city_admin, YEAR, today=TODAY).targets
    # A and C of A, B, C, D were rated excellent; E was admitted in 2025.
    assert (admitted.numerator, admitted.denominator, admitted.met) == (2, 4, False)
    assert "2 / 4 = 50.0%" in admitted.text and "未达标" in admitted.text
    # A, C, E, G of the five excellent are members: exactly 80% meets the target.
    assert (commended.numerator, commended.denominator, commended.met) == (4, 5, True)
    assert "4 / 5 = 80.0%" in commended.text and "达标" in commended.text

    admitted, commended = figures.dashboard(w.reviewer, YEAR, today=TODAY).targets
    assert (admitted.numerator, admitted.denominator) == (1, 3)  # A of A, B, D
    assert (commended.numerator, commended.denominator, commended.met) == (2, 3, False)  # A, E of A, E, F


def test_targets_without_data_say_so(figured):
    admitted, commended = figures.dashboard(figured.city_admin, 2024, today=TODAY).targets
    for target in (admitted, commended):
        assert target.denominator == 0 and target.share is None and target.met is None
        assert target.verdict == "无数据" and "无数据" in target.text
    assert "无数据" in str(figures.svg_targets([admitted, commended]))


def test_report_status(figured):
    w = figured
    board = figures.dashboard(w.city_admin, YEAR, today=TODAY)
    heshan, taojiang, direct = (row_of(board, u).report for u in (w.county, w.other_county, w.direct))
    assert (heshan.status, heshan.version, heshan.overdue) == ("accepted", 2, False)
    assert heshan.label == "市级已接收（第2版）"
    assert (taojiang.status, taojiang.overdue) == ("returned", True)
    assert taojiang.label.startswith("逾期未报")
    assert (direct.status, direct.overdue, direct.label) == ("none", True, "逾期未报")
    assert direct.days_left == -61 and direct.days_text == "已逾期 61 天"
    assert any("逾期未报" in p and "桃江县教育局" in p and "市一中（益阳师范）" in p for p in board.problems)


def test_report_status_from_plain_rows():
    due = datetime.date(YEAR, 9, 10)
    before = figures.report_status([], due=due, today=datetime.date(YEAR, 9, 1))
    assert (before.status, before.days_left, before.overdue, before.days_text) == ("none", 9, False, "剩 9 天")
    late = SimpleNamespace(version=1, state="submitted", submitted_at=datetime.datetime(YEAR, 9, 12, 9, tzinfo=TZ))
    status = figures.report_status([late], due=due, today=TODAY)
    assert (status.status, status.reported, status.overdue, status.late) == ("submitted", True, False, True)
    assert "逾期报送" in status.label
    returned = SimpleNamespace(version=1, state="returned", submitted_at=datetime.datetime(YEAR, 9, 1, tzinfo=TZ))
    assert figures.report_status([returned], due=due, today=TODAY).overdue
    assert not figures.report_status([returned], due=due, today=datetime.date(YEAR, 9, 10)).overdue


def test_unit_reviewer_sees_own_unit_and_contribution(figured):
    w = figured
    board = figures.dashboard(w.reviewer, YEAR, today=TODAY)
    assert board.scope.level == "unit"
    assert [r.name for r in board.rows] == ["赫山区教育局"]
    m1, m2 = board.minimums
    assert (m1.completed, m1.city_wide, m2.completed) == (3, False, 2)
    assert "本单位完成 3 人" in m1.text


def test_figures_take_a_fixed_number_of_queries(figured):
    w = figured

    def count():
        with CaptureQueriesContext(connection) as ctx:
            board = figures.dashboard(w.city_admin, YEAR, today=TODAY)
            board.problems, board.charts  # noqa: B018 - rendering must not query either
        return len(ctx.captured_queries), len(board.rows)

    count()  # the user's roles are read once and kept on the user
    before, units_before = count()
    for n in range(4):
        unit = make_org(f"新增单位{n}", OrgKind.COUNTY, w.city)
        school = make_org(f"新增学校{n}", OrgKind.SCHOOL, unit)
        completed(school, "1", YEAR, by=w.officer)
        completed(school, "2", YEAR, by=w.officer)
    after, units_after = count()
    assert units_after == units_before + 4
    assert after == before, (before, after)


# --- the pages -----------------------------------------------------------------------------


def unit_names(response) -> list[str]:
    body = response.content.decode()
    table = body.split('id="dashboard-units"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<td class="sp-name">(.*?)</td>', table)


def test_dashboard_page_scope(figured):
    w = figured
    response = client_for(w.city_admin).get(f"/inbox/dashboard/?year={YEAR}")
    assert response.status_code == 200
    assert unit_names(response) == ["赫山区教育局", "桃江县教育局", "市一中（益阳师范）"]
    body = response.content.decode()
    assert body.count("<svg") == 3 and "<script src" not in body.split('id="dashboard-overall"')[1]
    assert "全市年度最低完成数" in body and "逾期未报" in body

    response = client_for(w.reviewer).get(f"/inbox/dashboard/?year={YEAR}")
    assert unit_names(response) == ["赫山区教育局"]
    assert "桃江" not in response.content.decode().split('id="dashboard-overall"')[1]

    response = client_for(w.other_reviewer).get(f"/inbox/dashboard/?year={YEAR}")
    assert unit_names(response) == ["桃江县教育局"]
    assert "赫山" not in response.content.decode().split('id="dashboard-overall"')[1]


def test_school_officer_sees_their_school(figured):
    w = figured
    response = client_for(w.officer).get(f"/inbox/dashboard/?year={YEAR}")
    assert response.status_code == 200
    assert unit_names(response) == ["赫山区第一中学"]
    assert "不分解到学校" in response.content.decode()
    board = figures.dashboard(w.officer, YEAR, today=TODAY)
    (row,) = board.rows
    assert (row.kinds["1"].completed, row.kinds["2"].completed, row.quota, row.overdue_tasks) == (3, 2, None, 1)
    assert client_for(w.officer).get(f"/inbox/dashboard/bulletin.pdf?year={YEAR}&half=1").status_code == 403


@pytest.mark.parametrize("who", ["outsider", "mentor", "trainee"])
def test_people_without_a_role_are_refused(figured, who):
    w = figured
    user = {"outsider": w.outsider, "mentor": w.member_mentor.user, "trainee": w.candidate1.user}[who]
    for url in ("/inbox/dashboard/", f"/inbox/dashboard/bulletin.pdf?year={YEAR}&half=1", "/inbox/outcomes/"):
        response = client_for(user).get(url)
        assert response.status_code == 403, url
        assert "没有" in alert_text(response) or "开放" in alert_text(response)


def test_bad_year_is_a_chinese_400(figured):
    response = client_for(figured.city_admin).get("/inbox/dashboard/?year=abc")
    assert response.status_code == 400 and "四位数字" in alert_text(response)


# --- the bulletin ----------------------------------------------------------------------------


def pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_city_bulletin_pdf(figured):
    w = figured
    response = client_for(w.city_admin).get(f"/inbox/dashboard/bulletin.pdf?year={YEAR}&half=1")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    text = squeeze(pdf_text(response.content))
    assert "益阳市教育系统“双培”工程2026年上半年工作情况通报" in text
    assert "中共益阳市委教育工作委员会" in text and "2026年11月10日" in text
    for heading in ("一、总体情况", "二、各单位完成情况", "三、两个80%目标", "四、存在的问题"):
        assert heading in text
    table = text.split("二、各单位完成情况", 1)[1].split("注：", 1)[0]
    positions = [table.find(name) for name in ("赫山区教育局", "桃江县教育局", "市一中（益阳师范）")]
    assert -1 not in positions and positions == sorted(positions), positions
    assert "1赫山区教育局23521.7%" in table  # 序号, unit, quota, completed, %
    assert "2/4=50.0%" in text and "4/5=80.0%" in text
    assert "逾期未报" in text.split("四、存在的问题", 1)[1]


def test_unit_bulletin_is_its_own(figured):
    w = figured
    filename, mime, content = figures.bulletin_pdf(w.reviewer, year=YEAR, half=2, today=TODAY)
    assert mime == "application/pdf" and filename.endswith(".pdf")
    text = squeeze(pdf_text(content))
    assert "赫山区教育局“双培”工程2026年下半年工作情况通报" in text
    assert "桃江县教育局" not in text


# --- recording the targets' data ------------------------------------------------------------


def test_officer_records_appraisal_and_admission(world):
    w = world
    client = client_for(w.officer)
    assert client.get("/inbox/outcomes/").status_code == 200
    response = client.post(
        "/inbox/outcomes/",
        {"action": "appraisal", "teacher": w.candidate2.pk, "year": YEAR, "result": "excellent"},
    )
    assert response.status_code == 302
    appraisal = Appraisal.objects.get(teacher=w.candidate2, year=YEAR)
    assert appraisal.party_member is True and appraisal.recorded_by == w.officer
    svc.record_appraisal(actor=w.officer, teacher_id=w.candidate1.pk, year=YEAR, result="excellent")
    assert Appraisal.objects.get(teacher=w.candidate1).party_member is False  # 群众 when recorded

    response = client.post(
        "/inbox/outcomes/", {"action": "admission", "teacher": w.candidate1.pk, "admitted_on": "2026-07-01"}
    )
    assert response.status_code == 302
    assert PartyAdmission.objects.get(teacher=w.candidate1).admitted_on == datetime.date(2026, 7, 1)
    actions = list(AuditEvent.objects.filter(action__in=["appraisal", "admission"]).values_list("action", flat=True))
    assert sorted(actions) == ["admission", "appraisal", "appraisal"]
    page = client.get(f"/inbox/outcomes/?year={YEAR}").content.decode()
    assert "李党员" in page and "王骨干" in page and "2026-07-01" in page

    # The reviewer of the county may record too; a correction needs a reason and is audited.
    svc.correct_appraisal(actor=w.reviewer, appraisal_id=appraisal.pk, result="competent", reason="录入错误")
    event = AuditEvent.objects.filter(action="appraisal").order_by("-id").first()
    assert event.reason == "录入错误" and "优秀 → 合格" in event.changes_text


def state():
    return (
        list(Appraisal.objects.values_list("teacher_id", "year", "result").order_by("id")),
        list(PartyAdmission.objects.values_list("teacher_id", "admitted_on").order_by("id")),
        AuditEvent.objects.count(),
    )


def test_recording_guards_change_nothing(world):
    w = world
    svc.record_appraisal(actor=w.officer, teacher_id=w.candidate2.pk, year=YEAR, result="excellent")
    svc.record_admission(actor=w.officer, teacher_id=w.candidate1.pk, admitted_on=datetime.date(2026, 7, 1))
    before = state()

    # Another county's officer: the teacher does not exist for them.
    response = client_for(w.other_officer).post(
        "/inbox/outcomes/", {"action": "appraisal", "teacher": w.candidate1.pk, "year": YEAR, "result": "excellent"}
    )
    assert response.status_code == 404 and "不在您的管辖范围内" in alert_text(response)

    # The same teacher and year again: 400, saying it is recorded and how to correct it.
    response = client_for(w.reviewer).post(
        "/inbox/outcomes/", {"action": "appraisal", "teacher": w.candidate2.pk, "year": YEAR, "result": "competent"}
    )
    assert response.status_code == 400
    message = alert_text(response)
    assert "已经登记" in message and "优秀" in message and "更正" in message

    response = client_for(w.officer).post(
        "/inbox/outcomes/", {"action": "admission", "teacher": w.candidate1.pk, "admitted_on": "2026-08-01"}
    )
    assert response.status_code == 400 and "已登记入党" in alert_text(response) and "更正" in alert_text(response)

    # A date in the future.
    response = client_for(w.officer).post(
        "/inbox/outcomes/", {"action": "admission", "teacher": w.member_mentor.pk, "admitted_on": "2026-11-11"}
    )
    assert response.status_code == 400 and "晚于今天" in alert_text(response)

    # A year not yet come, and a branch secretary (who sees the teacher but does not record).
    response = client_for(w.officer).post(
        "/inbox/outcomes/", {"action": "appraisal", "teacher": w.member_mentor.pk, "year": 2027, "result": "excellent"}
    )
    assert response.status_code == 400 and "尚未到来" in alert_text(response)
    response = client_for(w.secretary).post(
        "/inbox/outcomes/", {"action": "appraisal", "teacher": w.member_mentor.pk, "year": YEAR, "result": "excellent"}
    )
    assert response.status_code == 403

    # A correction without a reason.
    appraisal = Appraisal.objects.get(teacher=w.candidate2)
    response = client_for(w.officer).post(
        "/inbox/outcomes/",
        {"action": "correct_appraisal", "appraisal": appraisal.pk, "result": "competent", "reason": " "},
    )
    assert response.status_code == 400 and "更正理由" in alert_text(response)
    assert state() == before


def test_city_admin_cannot_record(world):
    response = client_for(world.city_admin).get("/inbox/outcomes/")
    assert response.status_code == 403 and "党务干部、审核人" in alert_text(response)


def test_direct_unit_officer_records_own_teachers(world):
    w = world
    svc.record_admission(actor=w.direct_officer, teacher_id=w.direct_candidate.pk, admitted_on="2026-05-04")
    with pytest.raises(Exception) as raised:
        svc.record_admission(actor=w.direct_officer, teacher_id=w.candidate1.pk, admitted_on="2026-05-04")
    assert getattr(raised.value, "status", None) == 404


def test_auditor_reads_the_dashboard_but_does_not_record(figured):
    w = figured
    response = client_for(w.auditor).get(f"/inbox/dashboard/?year={YEAR}")
    assert response.status_code == 200 and unit_names(response) == ["赫山区教育局"]
    assert client_for(w.auditor).get("/inbox/outcomes/").status_code == 403


# --- demo data ---------------------------------------------------------------------------------


def test_seed_outcomes_is_idempotent(figured):
    from workflows.management.demo_outcomes import seed_outcomes

    before = PartyAdmission.objects.count()
    out = io.StringIO()
    added = seed_outcomes(out)
    # One admission per completed 类别1 case of 2025 and 2026 (3 + 1 in 赫山, 5 in 桃江).
    assert added["admissions"] == 9 and PartyAdmission.objects.count() == before + 9
    assert added["appraisals"] > 0 and "已登记评优结果" in out.getvalue()
    admission = PartyAdmission.objects.filter(teacher__org=figured.branch).order_by("-id").first()
    assert admission.admitted_on <= TODAY and admission.recorded_by is not None
    assert AuditEvent.objects.filter(action="admission").exists()
    assert seed_outcomes() == {"admissions": 0, "appraisals": 0}

"""Who may see and do what on the pages added for issue 4: 年度报表 (附件2 and the 附件1
breakdown), 三年计划, 统计看板 and its 通报, 评优与入党登记, the 台账 / 附件2 documents and
批量导出, walked against the people who must not use them (anonymous, outsider, another
county's officer and reviewer, a mentor, the county's read-only auditor).

Every refusal also checks that nothing changed: reports (state and frozen rows), report
tasks (status and owner) and processes, plans and quotas, appraisals and admissions, export
jobs and their files, cases and the audit trail are snapshotted before and after each request.

The scene is built once for the module inside a transaction (``tests.helpers.scene_once``),
and every test runs inside its own savepoint (pytest-django's ``db``) that is rolled back
afterwards, as Django's ``TestCase.setUpTestData`` does: building it (a case driven to 市级备案 costs most of it)
for each of the ~230 tests would take minutes.
"""

import datetime
import io
import re
import zipfile
import zoneinfo
from html import unescape
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader
from viewflow.workflow.status import STATUS

from tests.factories import make_teacher, make_user, make_world
from tests.flow_client import client_for
from tests.helpers import scene_once
from tests.test_reports import complete_case
from workflows.flows import AnnualReportFlow, PlanFlow
from workflows.models import (
    Annex2Row,
    AnnualReport,
    Appraisal,
    AuditEvent,
    Case,
    ExportJob,
    ExportKind,
    JobStatus,
    Notification,
    PartyAdmission,
    PartyStatus,
    Quota,
    QuotaPlan,
    QuotaYear,
    ReportProcess,
    ReportState,
    ReportTask,
    Role,
    RoleAssignment,
    UnitPlan,
)
from workflows.services import outcomes, reports

YEAR = 2026
NOW = datetime.datetime(2026, 11, 16, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
OPEN = (STATUS.NEW, STATUS.ASSIGNED)
COUNTY = "赫山区教育局"
TRAINEE = "王骨干"  # the county's completed type-1 case: the 附件2 row, the report's row, the appraisal
OTHER_COUNTY = "桃江县教育局"
OTHER_TEACHER = "桃江老师"
EXPORT_FILE = f"{COUNTY}_培养台账.zip"


# --- the scene ------------------------------------------------------------------------


def _open_task(process, node) -> ReportTask:
    return ReportTask.objects.get(process=process, flow_task=node, status__in=OPEN)


def _quota_plan(title, first, last, sha, totals) -> QuotaPlan:
    plan = QuotaPlan.objects.create(
        title=title, first_year=first, last_year=last, source_name=f"{sha}.xlsx", sha256=sha
    )
    for unit, (ones, twos) in totals.items():
        Quota.objects.create(plan=plan, unit=unit, kind="1", total=ones)
        Quota.objects.create(plan=plan, unit=unit, kind="2", total=twos)
    return plan


def _unit_plan_round(plan, unit) -> ReportProcess:
    """The unit's 年度分解 round of ``plan``, as the 附件1 import opens it (see test_reports.plan_task)."""
    unit_plan = UnitPlan.objects.create(plan=plan, unit=unit)
    for year in plan.years:
        for kind in ("1", "2"):
            QuotaYear.objects.create(unit_plan=unit_plan, year=year, kind=kind)
    return reports.plan_round_open(unit_plan)


def breakdown(first_year, ones=(20, 20, 20), twos=(30, 35, 35)) -> dict:
    """A 年度分解 that adds up to the scene's 60 / 100."""
    years = range(first_year, first_year + 3)
    return {f"{y}_1": n for y, n in zip(years, ones, strict=True)} | {
        f"{y}_2": n for y, n in zip(years, twos, strict=True)
    }


def build_scene() -> SimpleNamespace:
    w = make_world()
    s = SimpleNamespace(w=w, mentor=w.member_mentor.user)  # 张正式: 王骨干's 培养联系人, no role anywhere

    # 附件2 of 2026: 王骨干 completed and filed; version 1 submitted, awaiting the city.
    s.case = complete_case(w, w.candidate1, "1", year=YEAR)
    s.round = reports.report_round_open(unit=w.county, year=YEAR)
    s.prepare_task = _open_task(s.round, AnnualReportFlow.prepare)
    s.report = reports.report_submit(actor=w.reviewer, task_id=s.prepare_task.pk)
    s.review_task = _open_task(s.round, AnnualReportFlow.review)
    # 2025: submitted and accepted (what a 更正 starts from); 2024: still to be prepared.
    done_2025 = reports.report_round_open(unit=w.county, year=2025)
    reports.report_submit(actor=w.reviewer, task_id=_open_task(done_2025, AnnualReportFlow.prepare).pk)
    reports.report_accept(actor=w.city_admin, task_id=_open_task(done_2025, AnnualReportFlow.review).pk)
    s.todo_task = _open_task(reports.report_round_open(unit=w.county, year=2024), AnnualReportFlow.prepare)

    # 附件1: the 2019–2021 plan waits for the county's breakdown; the 2022–2024 one for the city.
    plan_a = _quota_plan("三年计划甲", 2019, 2021, "a" * 64, {w.county: (60, 100), w.other_county: (50, 80)})
    s.plan_task = _open_task(_unit_plan_round(plan_a, w.county), PlanFlow.prepare)
    plan_b = _quota_plan("三年计划乙", 2022, 2024, "b" * 64, {w.county: (60, 100)})
    plan_b_round = _unit_plan_round(plan_b, w.county)
    reports.plan_submit(actor=w.reviewer, task_id=_open_task(plan_b_round, PlanFlow.prepare).pk, data=breakdown(2022))
    s.plan_review_task = _open_task(plan_b_round, PlanFlow.review)

    # 评优与入党 of 王骨干, and of a 桃江 teacher (so the other county's lists are not empty).
    s.appraisal = outcomes.record_appraisal(actor=w.officer, teacher_id=w.candidate1.pk, year=YEAR, result="excellent")
    s.admission = outcomes.record_admission(
        actor=w.officer, teacher_id=w.candidate1.pk, admitted_on=datetime.date(2026, 7, 1)
    )
    outcomes.record_appraisal(actor=w.other_officer, teacher_id=w.other_teacher.pk, year=YEAR, result="excellent")

    # The county reviewer's finished export (its file is written per test, see ``scene``).
    s.job = ExportJob.objects.create(
        kind=ExportKind.LEDGERS,
        unit=w.county,
        requested_by=w.reviewer,
        status=JobStatus.DONE,
        done=1,
        total=1,
        file_name=EXPORT_FILE,
        stored_name="0123456789abcdef0123456789abcdef.zip",
        finished_at=NOW,
    )
    s.spare = make_teacher("蒋待评", w.branch, party_status=PartyStatus.FULL)  # nothing recorded yet
    s.baseline = baseline()
    return s


def baseline() -> tuple:
    """A few counts that only the smoke tests change: equal at the start of every test, or a
    previous test's changes leaked past its savepoint."""
    return (
        AnnualReport.objects.count(),
        ReportTask.objects.filter(status__in=OPEN).count(),
        QuotaPlan.objects.count(),
        Appraisal.objects.count(),
        PartyAdmission.objects.count(),
        ExportJob.objects.count(),
        AuditEvent.objects.count(),
    )


_built = scene_once(build_scene, now=NOW)


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{TRAINEE}_台账.pdf", b"%PDF-1.4\n%%EOF\n")
    return buffer.getvalue()


@pytest.fixture
def scene(_built, db, settings):
    """The module's scene; this test's changes are rolled back with its savepoint."""
    root = Path(settings.EXPORTS_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    (root / _built.job.stored_name).write_bytes(_zip_bytes())
    assert baseline() == _built.baseline
    return _built


# --- helpers ----------------------------------------------------------------------------


def snapshot() -> dict:
    """Everything a refused request must leave exactly as it was."""
    root = Path(settings.EXPORTS_ROOT)
    return {
        "reports": sorted(AnnualReport.objects.values_list("id", "unit_id", "year", "version", "state", "rows")),
        "report_tasks": sorted(ReportTask.objects.values_list("id", "status", "owner_id")),
        "report_processes": sorted(ReportProcess.objects.values_list("id", "status", "finished", "reason")),
        "quota_plans": sorted(QuotaPlan.objects.values_list("id", "sha256")),
        "quotas": sorted(Quota.objects.values_list("id", "plan_id", "unit_id", "kind", "total")),
        "unit_plans": sorted(UnitPlan.objects.values_list("id", "state", "submitted_at", "approved_at")),
        "quota_years": sorted(QuotaYear.objects.values_list("id", "proposed", "approved")),
        "appraisals": sorted(Appraisal.objects.values_list("id", "teacher_id", "year", "result")),
        "admissions": sorted(PartyAdmission.objects.values_list("id", "teacher_id", "admitted_on")),
        "export_jobs": sorted(ExportJob.objects.values_list("id", "status", "stored_name")),
        "export_files": sorted(p.name for p in root.glob("*")) if root.is_dir() else [],
        "queued_tasks": DBTaskResult.objects.count(),
        "audit": AuditEvent.objects.count(),
        "cases": sorted(Case.objects.values_list("id", "state")),
        "annex2_rows": Annex2Row.objects.count(),
        "notifications": Notification.objects.count(),
    }


def alert_text(response) -> str:
    """The guard's message as the page shows it (the red alert box)."""
    if response.streaming or not response["Content-Type"].startswith("text/html"):
        return ""
    found = re.findall(r'class="sp-error"[^>]*>(.*?)</div>', response.content.decode(), re.S)
    return unescape(" ".join(found)).strip()


def body_text(response) -> str:
    """What the response says, whatever its format: HTML, PDF text, XLSX cells or a ZIP's names."""
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response.get("Content-Type", "")
    if kind == "application/pdf":
        return "".join(page.extract_text() for page in PdfReader(io.BytesIO(raw)).pages)
    if kind.startswith("application/vnd.openxmlformats"):
        book = openpyxl.load_workbook(io.BytesIO(raw))
        return " ".join(str(v) for ws in book for row in ws.iter_rows(values_only=True) for v in row if v is not None)
    if kind == "application/zip":
        return " ".join(zipfile.ZipFile(io.BytesIO(raw)).namelist())
    return raw.decode("utf-8", "replace")


# --- what each URL is -------------------------------------------------------------------

# name -> scene -> url
GET_PAGES = {
    "reports": lambda s: f"/inbox/reports/?year={YEAR}",
    "report_task_prepare": lambda s: f"/inbox/reports/tasks/{s.prepare_task.pk}/",
    "report_task_review": lambda s: f"/inbox/reports/tasks/{s.review_task.pk}/",
    "plan_task_prepare": lambda s: f"/inbox/reports/tasks/{s.plan_task.pk}/",
    "plan_task_review": lambda s: f"/inbox/reports/tasks/{s.plan_review_task.pk}/",
    "report": lambda s: f"/inbox/reports/{s.report.pk}/",
    "report_pdf": lambda s: f"/inbox/reports/{s.report.pk}/pdf/",
    "report_xlsx": lambda s: f"/inbox/reports/{s.report.pk}/xlsx/",
    "plans": lambda s: "/inbox/plans/",
    "dashboard": lambda s: f"/inbox/dashboard/?year={YEAR}",
    "bulletin": lambda s: f"/inbox/dashboard/bulletin.pdf?year={YEAR}&half=2",
    "outcomes": lambda s: f"/inbox/outcomes/?year={YEAR}",
    "ledger": lambda s: f"/inbox/cases/{s.case.pk}/ledger.pdf",
    "annex2_city_pdf": lambda s: f"/inbox/annex2/city/pdf/?year={YEAR}",
    "annex2_city_xlsx": lambda s: f"/inbox/annex2/city/xlsx/?year={YEAR}",
    "annex2_pdf": lambda s: f"/inbox/annex2/download/pdf/?unit={s.w.county.pk}&year={YEAR}",
    "exports": lambda s: "/inbox/exports/",
    "export_job": lambda s: f"/inbox/exports/{s.job.pk}/",
    "export_download": lambda s: f"/inbox/exports/{s.job.pk}/download/",
}

# name -> scene -> (the person for whom the page is made, text it must show them)
GET_OWNERS = {
    "reports": lambda s: (s.w.reviewer, COUNTY),
    "report_task_prepare": lambda s: (s.w.reviewer, TRAINEE),
    "report_task_review": lambda s: (s.w.city_admin, TRAINEE),
    "plan_task_prepare": lambda s: (s.w.reviewer, "三年计划甲"),
    "plan_task_review": lambda s: (s.w.city_admin, "三年计划乙"),
    "report": lambda s: (s.w.reviewer, TRAINEE),
    "report_pdf": lambda s: (s.w.reviewer, TRAINEE),
    "report_xlsx": lambda s: (s.w.reviewer, TRAINEE),
    "plans": lambda s: (s.w.reviewer, COUNTY),
    "dashboard": lambda s: (s.w.reviewer, COUNTY),
    "bulletin": lambda s: (s.w.reviewer, COUNTY),
    "outcomes": lambda s: (s.w.officer, TRAINEE),
    "ledger": lambda s: (s.w.officer, TRAINEE),
    "annex2_city_pdf": lambda s: (s.w.city_admin, TRAINEE),
    "annex2_city_xlsx": lambda s: (s.w.city_admin, TRAINEE),
    "annex2_pdf": lambda s: (s.w.reviewer, TRAINEE),
    "exports": lambda s: (s.w.reviewer, f"/inbox/exports/{s.job.pk}/download/"),
    "export_job": lambda s: (s.w.reviewer, EXPORT_FILE),
    "export_download": lambda s: (s.w.reviewer, f"{TRAINEE}_台账.pdf"),
}


def _upload_csv() -> SimpleUploadedFile:
    """A small 附件1 with the world's three units, for the city's import."""
    lines = [
        "附件1,,",
        "益阳市教育系统“双培”工程三年实施计划指导性任务表（2025-2027）,,",
        "单  位,骨干教师培养成共产党员数,党员教师培养成教学骨干数",
        f"{COUNTY},60,100",
        f"{OTHER_COUNTY},60,100",
        "市一中（益阳师范）,3,3",
        "合计,123,203",
    ]
    return SimpleUploadedFile("附件1_2025-2027.csv", ("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))


# name -> scene -> (url, data, the person for whom this exact request succeeds)
POST_ACTIONS = {
    "report_submit": lambda s: (
        f"/inbox/reports/tasks/{s.todo_task.pk}/act/",
        {"action": "submit"},
        s.w.reviewer,
    ),
    "report_accept": lambda s: (
        f"/inbox/reports/tasks/{s.review_task.pk}/act/",
        {"action": "accept"},
        s.w.city_admin,
    ),
    "report_return": lambda s: (
        f"/inbox/reports/tasks/{s.review_task.pk}/act/",
        {"action": "return", "reason": "备注栏请写明入党时间"},
        s.w.city_admin,
    ),
    "report_correct": lambda s: (
        "/inbox/reports/correct/",
        {"unit": s.w.county.pk, "year": 2025, "reason": "漏报一人"},
        s.w.reviewer,
    ),
    "plan_submit": lambda s: (
        f"/inbox/reports/tasks/{s.plan_task.pk}/act/",
        {"action": "plan_submit", **breakdown(2019)},
        s.w.reviewer,
    ),
    "plan_approve": lambda s: (
        f"/inbox/reports/tasks/{s.plan_review_task.pk}/act/",
        {"action": "plan_approve", **breakdown(2022)},
        s.w.city_admin,
    ),
    "plan_return": lambda s: (
        f"/inbox/reports/tasks/{s.plan_review_task.pk}/act/",
        {"action": "plan_return", "reason": "请前两年多安排"},
        s.w.city_admin,
    ),
    "plans_upload": lambda s: (
        "/inbox/plans/",
        {"file": _upload_csv(), "first_year": 2025, "last_year": 2027},
        s.w.city_admin,
    ),
    "appraisal": lambda s: (
        "/inbox/outcomes/",
        {"action": "appraisal", "teacher": s.spare.pk, "year": YEAR, "result": "excellent"},
        s.w.officer,
    ),
    "admission": lambda s: (
        "/inbox/outcomes/",
        {"action": "admission", "teacher": s.w.probationary.pk, "admitted_on": "2026-06-01"},
        s.w.officer,
    ),
    "correct_appraisal": lambda s: (
        "/inbox/outcomes/",
        {"action": "correct_appraisal", "appraisal": s.appraisal.pk, "result": "competent", "reason": "录入错误"},
        s.w.officer,
    ),
    "correct_admission": lambda s: (
        "/inbox/outcomes/",
        {"action": "correct_admission", "admission": s.admission.pk, "admitted_on": "2026-06-30", "reason": "日期有误"},
        s.w.officer,
    ),
    "export_ledgers": lambda s: (
        "/inbox/exports/new/",
        {"kind": "ledgers", "unit": s.w.county.pk},
        s.w.reviewer,
    ),
    "export_city": lambda s: (
        "/inbox/exports/new/",
        {"kind": "city_annex2", "year": YEAR},
        s.w.city_admin,
    ),
}

ACTORS = {
    "outsider": lambda s: s.w.outsider,
    "other_officer": lambda s: s.w.other_officer,
    "other_reviewer": lambda s: s.w.other_reviewer,
    "mentor": lambda s: s.mentor,
    "auditor": lambda s: s.w.auditor,
}

# --- GET: what each person gets -------------------------------------------------------------

# The county's objects by id (tasks, reports, the case, the reviewer's export job) are out of
# scope for everyone below: 404. Pages that are a function, not an object (统计看板, 通报,
# 评优与入党登记, 全市汇总表), answer 403 to those who hold no role for them. Lists answer 200
# and show the viewer's own scope only.
OBJECTS = (
    "report_task_prepare",
    "report_task_review",
    "plan_task_prepare",
    "plan_task_review",
    "report",
    "report_pdf",
    "report_xlsx",
    "ledger",
    "annex2_pdf",
    "export_job",
    "export_download",
)
LISTS = ("reports", "plans", "exports")
CITY_ONLY = ("annex2_city_pdf", "annex2_city_xlsx")

GET_EXPECTED = {
    # No role anywhere: no scope, no figures, nothing to record.
    "outsider": {
        **{p: 404 for p in OBJECTS},
        **{p: 200 for p in LISTS},
        **{p: 403 for p in CITY_ONLY},
        "dashboard": 403,
        "bulletin": 403,
        "outcomes": 403,
    },
    # A 桃江 school's officer: his school's figures; no 通报 (a unit's or the city's document).
    "other_officer": {
        **{p: 404 for p in OBJECTS},
        **{p: 200 for p in LISTS},
        **{p: 403 for p in CITY_ONLY},
        "dashboard": 200,
        "bulletin": 403,
        "outcomes": 200,
    },
    # 桃江's reviewer: his own county's board and 通报, nothing of 赫山.
    "other_reviewer": {
        **{p: 404 for p in OBJECTS},
        **{p: 200 for p in LISTS},
        **{p: 403 for p in CITY_ONLY},
        "dashboard": 200,
        "bulletin": 200,
        "outcomes": 200,
    },
    # 王骨干's 培养联系人 holds no role: only the case he mentors is his, so its 台账 is too.
    "mentor": {
        **{p: 404 for p in OBJECTS},
        **{p: 200 for p in LISTS},
        **{p: 403 for p in CITY_ONLY},
        "dashboard": 403,
        "bulletin": 403,
        "outcomes": 403,
        "ledger": 200,
    },
    # The county's auditor reads everything of the county, records nothing, and another
    # person's export is not his.
    "auditor": {
        **{p: 200 for p in GET_PAGES},
        **{p: 403 for p in CITY_ONLY},
        "outcomes": 403,
        "export_job": 404,
        "export_download": 404,
    },
}

# Text the page must show the actor (so "does not show 赫山" is not vacuous).
GET_OWN = {
    ("other_officer", "plans"): OTHER_COUNTY,
    ("other_officer", "dashboard"): "桃江县第一中学",
    ("other_officer", "outcomes"): OTHER_TEACHER,
    ("other_reviewer", "reports"): OTHER_COUNTY,
    ("other_reviewer", "plans"): OTHER_COUNTY,
    ("other_reviewer", "dashboard"): OTHER_COUNTY,
    ("other_reviewer", "bulletin"): OTHER_COUNTY,
    ("other_reviewer", "outcomes"): OTHER_TEACHER,
    ("mentor", "ledger"): TRAINEE,
}


def forbidden_text(scene, actor: str, page: str) -> list[str]:
    """What the actor's response must not contain."""
    job_link = f"/inbox/exports/{scene.job.pk}/"
    if actor == "auditor":
        return [OTHER_COUNTY, OTHER_TEACHER, job_link, EXPORT_FILE]
    if actor == "mentor" and page == "ledger":
        return [OTHER_TEACHER]  # his own mentee's ledger
    return [COUNTY, TRAINEE, job_link, EXPORT_FILE]


# --- POST: what each refused person gets ----------------------------------------------------

NOT_FOUND = {404}
FORBIDDEN = {403}
REPORT_ACTIONS = ("report_submit", "report_accept", "report_return", "plan_submit", "plan_approve", "plan_return")
# Only the city imports 附件1 and exports the city table: refused before anything is read.
CITY_ACTIONS = ("plans_upload", "export_city")
# Recording is for a 党务干部 / 审核人 (checked first); then the teacher must be in scope.
OUTCOME_ACTIONS = ("appraisal", "admission", "correct_appraisal", "correct_admission")

POST_EXPECTED = {
    "outsider": {
        **{a: NOT_FOUND for a in POST_ACTIONS},
        **{a: FORBIDDEN for a in CITY_ACTIONS},
        **{a: FORBIDDEN for a in OUTCOME_ACTIONS},
    },
    "other_officer": {
        **{a: NOT_FOUND for a in POST_ACTIONS},
        **{a: FORBIDDEN for a in CITY_ACTIONS},
    },
    "other_reviewer": {
        **{a: NOT_FOUND for a in POST_ACTIONS},
        **{a: FORBIDDEN for a in CITY_ACTIONS},
    },
    "mentor": {
        **{a: NOT_FOUND for a in POST_ACTIONS},
        **{a: FORBIDDEN for a in CITY_ACTIONS},
        **{a: FORBIDDEN for a in OUTCOME_ACTIONS},
    },
    # Everything is in his scope, and he may do none of it.
    "auditor": {a: FORBIDDEN for a in POST_ACTIONS},
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


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("page", GET_PAGES)
def test_get_pages(scene, actor, page):
    user = ACTORS[actor](scene)
    before = snapshot()
    response = client_for(user).get(GET_PAGES[page](scene))
    expected = GET_EXPECTED[actor][page]
    assert response.status_code == expected, alert_text(response) or response.content[:300]
    if expected in (403, 404):
        assert re.search(r"[\u4e00-\u9fff]", alert_text(response)), "a refusal explains itself in Chinese"
    body = body_text(response)
    for text in forbidden_text(scene, actor, page):
        assert text not in body, text
    if (actor, page) in GET_OWN:
        assert GET_OWN[actor, page] in body
    assert snapshot() == before


@pytest.mark.parametrize("page", GET_PAGES)
def test_get_page_serves_the_person_it_is_made_for(scene, page):
    """The refusals above are not vacuous: the same URL shows its owner the county's data."""
    user, text = GET_OWNERS[page](scene)
    response = client_for(user).get(GET_PAGES[page](scene))
    assert response.status_code == 200, alert_text(response)
    assert text in body_text(response)


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
    message = alert_text(response)
    assert re.search(r"[\u4e00-\u9fff]", message), "a refusal explains itself in Chinese"
    if actor != "auditor":
        assert COUNTY not in response.content.decode() and TRAINEE not in response.content.decode()
    assert snapshot() == before


# --- gaps this file found, fixed: a former holder, a stuck returned round, a malformed id ---------


def _move_reviewer_to_the_other_county(scene) -> None:
    """赫山's reviewer is transferred to 桃江 (same role, other county); 赫山 names a new one."""
    RoleAssignment.objects.filter(user=scene.w.reviewer).update(org=scene.w.other_county)
    scene.new_reviewer = make_user("heshan_reviewer_new", org=scene.w.county, role=Role.REVIEWER)


def test_a_reviewer_moved_away_no_longer_sees_the_countys_report_tasks(scene):
    _move_reviewer_to_the_other_county(scene)
    client = client_for(scene.w.reviewer)
    for task in (scene.prepare_task, scene.review_task):
        response = client.get(f"/inbox/reports/tasks/{task.pk}/")
        assert response.status_code == 404, (task.flow_task, TRAINEE in response.content.decode())
    # The frozen version itself is already refused (report_for_user checks the unit's scope).
    assert client.get(f"/inbox/reports/{scene.report.pk}/").status_code == 404
    # And the county's tasks are gone from the 年度报表 page.
    assert TRAINEE not in client.get("/inbox/reports/").content.decode()


def test_a_returned_round_can_be_resubmitted_by_the_reviewer_who_took_over(scene):
    w = scene.w
    reports.report_return(actor=w.city_admin, task_id=scene.review_task.pk, reason="备注栏请写明入党时间")
    again = _open_task(scene.round, AnnualReportFlow.prepare)
    assert again.owner_id == w.reviewer.pk  # routed back to who prepared it, as designed
    _move_reviewer_to_the_other_county(scene)
    # The new reviewer finds the stuck task in 报表待办 and takes it over by acting on it.
    assert again in reports.report_tasks_for_user(scene.new_reviewer)
    response = client_for(scene.new_reviewer).post(
        f"/inbox/reports/tasks/{again.pk}/act/", {"action": "submit", "reason": "已补充备注"}
    )
    assert response.status_code == 302, (response.status_code, alert_text(response))
    assert AnnualReport.objects.filter(process=scene.round, state=ReportState.SUBMITTED).count() == 1


def test_a_flow_task_that_is_nobodys_step_is_a_404(scene):
    """The round's start / decide / end tasks have no role: no page, no action, for anyone."""
    system_tasks = ReportTask.objects.filter(process=scene.round, role="")
    assert system_tasks.exists()
    for task in system_tasks:
        for user in (scene.w.reviewer, scene.w.city_admin):
            client = client_for(user)
            assert client.get(f"/inbox/reports/tasks/{task.pk}/").status_code == 404
            before = snapshot()
            assert client.post(f"/inbox/reports/tasks/{task.pk}/act/", {"action": "submit"}).status_code == 404
            assert snapshot() == before


@pytest.mark.parametrize("year", ["0000", "²²²²", "1999", "20266"])
def test_a_malformed_year_is_a_400(scene, year):
    response = client_for(scene.w.reviewer).get(f"/inbox/reports/?year={year}")
    assert response.status_code == 400 and "年度" in response.content.decode()


@pytest.mark.parametrize("action, field", [("correct_appraisal", "appraisal"), ("correct_admission", "admission")])
def test_a_correction_of_a_malformed_id_is_a_404(scene, action, field):
    client = client_for(scene.w.other_officer)
    client.raise_request_exception = False
    before = snapshot()
    data = {"action": action, field: "abc", "result": "competent", "admitted_on": "2026-06-30", "reason": "x"}
    response = client.post("/inbox/outcomes/", data)
    assert response.status_code == 404
    assert snapshot() == before

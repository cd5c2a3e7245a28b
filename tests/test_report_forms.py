"""年度报表's forms (issue 11): 报送, 接收, 退回, 更正 and the 附件1 年度分解 are validated by forms
(forms/reports.py). Bad input answers 400 with the Chinese message, changes nothing and keeps what
was typed; a wrong person hears 403/404 before anything about the input; the right person's
action is written to the trail.

The scene is built once for the module (``tests.helpers.scene_once``): each test runs in a
savepoint that is rolled back.
"""

from html import escape
from types import SimpleNamespace

import pytest
from django.test import Client
from viewflow.workflow.status import STATUS

from tests.factories import make_world
from tests.flow_client import client_for
from tests.helpers import refused, scene_once, snapshot
from workflows.flows import AnnualReportFlow, PlanFlow
from workflows.models import (
    AnnualReport,
    AuditAction,
    AuditEvent,
    PlanState,
    Quota,
    QuotaPlan,
    QuotaYear,
    ReportProcess,
    ReportState,
    ReportTask,
    UnitPlan,
)
from workflows.services import reports

YEAR = 2026
LONG = "很" * 1001
OPEN = (STATUS.NEW, STATUS.ASSIGNED)


def _open(unit, node, **kw) -> ReportTask:
    return ReportTask.objects.get(process__unit=unit, flow_task=node, status__in=OPEN, **kw)


def _plan(unit, totals):
    plan = QuotaPlan.objects.get_or_create(
        title="三年计划", first_year=2019, last_year=2021, source_name="a.xlsx", sha256="x"
    )[0]
    for kind, total in totals.items():
        Quota.objects.create(plan=plan, unit=unit, kind=kind, total=total)
    unit_plan = UnitPlan.objects.create(plan=plan, unit=unit)
    for year in plan.years:
        for kind in ("1", "2"):
            QuotaYear.objects.create(unit_plan=unit_plan, year=year, kind=kind)
    process = reports.plan_round_open(unit_plan)
    return ReportTask.objects.get(process=process, status=STATUS.NEW)


def breakdown(ones, twos):
    years = (2019, 2020, 2021)
    return {f"{y}_1": n for y, n in zip(years, ones, strict=True)} | {
        f"{y}_2": n for y, n in zip(years, twos, strict=True)
    }


def build_scene() -> SimpleNamespace:
    """赫山区: v1 returned, its 审核人 prepares again (a reason needed); 市一中: v1 waiting for the
    city; 桃江县: v1 accepted (a correction may open). 附件1: 赫山区 breaks its plan down, 市一中's
    breakdown waits for the city."""
    w = make_world()
    s = SimpleNamespace(w=w)
    for unit in (w.county, w.direct, w.other_county):
        reports.report_round_open(unit=unit, year=YEAR)
    reports.report_submit(actor=w.reviewer, task_id=_open(w.county, AnnualReportFlow.prepare).pk)
    reports.report_return(actor=w.city_admin, task_id=_open(w.county, AnnualReportFlow.review).pk, reason="请补备注")
    s.prepare = _open(w.county, AnnualReportFlow.prepare, process__kind="annex2")
    reports.report_submit(actor=w.direct_reviewer, task_id=_open(w.direct, AnnualReportFlow.prepare).pk)
    s.review = _open(w.direct, AnnualReportFlow.review)
    reports.report_submit(actor=w.other_reviewer, task_id=_open(w.other_county, AnnualReportFlow.prepare).pk)
    reports.report_accept(actor=w.city_admin, task_id=_open(w.other_county, AnnualReportFlow.review).pk)

    s.plan_prepare = _plan(w.county, {"1": 60, "2": 100})
    direct_prepare = _plan(w.direct, {"1": 3, "2": 3})
    reports.plan_submit(actor=w.direct_reviewer, task_id=direct_prepare.pk, data=breakdown([1, 1, 1], [1, 1, 1]))
    s.plan_review = ReportTask.objects.get(process=direct_prepare.process, flow_task=PlanFlow.review, status=STATUS.NEW)
    return s


_built = scene_once(build_scene)


@pytest.fixture
def scene(_built, db):
    return _built


def everything() -> dict:
    """The reports' rows as well as the cases' (``snapshot``): a refusal leaves all of it."""
    return {
        **snapshot(),
        "reports": sorted(AnnualReport.objects.values_list("id", "state", "review_note", "reason")),
        "report_tasks": sorted(ReportTask.objects.values_list("id", "status", "owner_id")),
        "report_processes": sorted(ReportProcess.objects.values_list("id", "status", "reason")),
        "unit_plans": sorted(UnitPlan.objects.values_list("id", "state")),
        "plan_years": sorted(QuotaYear.objects.values_list("id", "proposed", "approved")),
        "all_audit": AuditEvent.objects.count(),
    }


def act(user, task, **data):
    return client_for(user).post(f"/inbox/reports/tasks/{task.pk}/act/", data)


def kept(response, typed):
    assert escape(typed) in response.content.decode(), "what was typed must stay in the form"


# --- 附件2 报送 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        (LONG, "修改/更正说明最多 1000 字，现有 1001 字"),
        ("已补充\u202e备注", "文字方向控制符"),
        ("", "修改说明"),  # the service: a returned version needs its 修改说明
    ],
)
def test_submit_refuses_bad_reasons_and_keeps_them(scene, reason, message):
    before = everything()
    response = act(scene.w.reviewer, scene.prepare, action="submit", reason=reason)
    refused(response, 400, message)
    if reason and "\u202e" not in reason:
        kept(response, reason)
    assert everything() == before


def test_submit_with_a_reason_writes_version_two(scene):
    response = act(scene.w.reviewer, scene.prepare, action="submit", reason="已补充备注")
    assert response.status_code == 302
    report = AnnualReport.objects.get(unit=scene.w.county, version=2)
    assert report.reason == "已补充备注" and report.state == ReportState.SUBMITTED
    event = AuditEvent.objects.filter(action=AuditAction.REPORT_SUBMIT).latest("seq")
    assert event.actor_id == scene.w.reviewer.pk


@pytest.mark.parametrize(("who", "status"), [("auditor", 403), ("city_admin", 403), ("other_reviewer", 404)])
def test_submit_refuses_the_wrong_people_before_their_input(scene, who, status):
    before = everything()
    response = act(getattr(scene.w, who), scene.prepare, action="submit", reason=LONG)
    assert response.status_code == status
    assert everything() == before


# --- 附件2 接收 / 退回 -----------------------------------------------------------------------------


def test_accept_refuses_a_too_long_note_and_keeps_it(scene):
    before = everything()
    response = act(scene.w.city_admin, scene.review, action="accept", note=LONG)
    refused(response, 400, "审核意见最多 1000 字，现有 1001 字")
    kept(response, LONG)
    assert everything() == before


def test_accept_with_a_note(scene):
    response = act(scene.w.city_admin, scene.review, action="accept", note="数据准确")
    assert response.status_code == 302
    report = AnnualReport.objects.get(unit=scene.w.direct)
    assert (report.state, report.review_note) == (ReportState.ACCEPTED, "数据准确")
    assert AuditEvent.objects.filter(action=AuditAction.REPORT_ACCEPT, reason="数据准确").exists()


@pytest.mark.parametrize(
    ("reason", "message"),
    [("", "请填写退回理由"), ("   ", "请填写退回理由"), (LONG, "退回理由最多 1000 字，现有 1001 字")],
)
def test_return_refuses_a_missing_or_too_long_reason(scene, reason, message):
    before = everything()
    response = act(scene.w.city_admin, scene.review, action="return", reason=reason)
    refused(response, 400, message)
    if reason.strip():
        kept(response, reason)
    assert everything() == before


def test_return_with_a_reason(scene):
    response = act(scene.w.city_admin, scene.review, action="return", reason="备注栏请写明入党时间")
    assert response.status_code == 302
    assert AnnualReport.objects.get(unit=scene.w.direct).state == ReportState.RETURNED
    event = AuditEvent.objects.filter(action=AuditAction.REPORT_RETURN).latest("seq")
    assert (event.actor_id, event.reason) == (scene.w.city_admin.pk, "备注栏请写明入党时间")


@pytest.mark.parametrize(("who", "status"), [("direct_reviewer", 403), ("reviewer", 404), ("outsider", 404)])
def test_review_refuses_the_wrong_people(scene, who, status):
    before = everything()
    response = act(getattr(scene.w, who), scene.review, action="return", reason="")
    assert response.status_code == status
    assert everything() == before


def test_anonymous_is_sent_to_sign_in(scene):
    before = everything()
    response = Client().post(f"/inbox/reports/tasks/{scene.review.pk}/act/", {"action": "accept"})
    assert response.status_code == 302 and "/login" in response["Location"]
    assert everything() == before


# --- 附件1 年度分解 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("numbers", "message", "typed"),
    [
        (breakdown([20, "二十", 20], [30, 35, 35]), "2020年类别1：“二十”不是 0 到 99999 之间的整数", "二十"),
        (breakdown([20, 20, 20], [30, 30, 30]), "类别2各年合计 90，与三年计划数 100 不符", None),
        (breakdown(["1" * 21, 20, 20], [30, 35, 35]), "2019年类别1的数字太长", "1" * 21),
    ],
)
def test_plan_submit_refuses_bad_numbers_and_keeps_them(scene, numbers, message, typed):
    before = everything()
    response = act(scene.w.reviewer, scene.plan_prepare, action="plan_submit", **numbers)
    refused(response, 400, message)
    page = response.content.decode()
    for name, value in numbers.items():
        assert f'name="{name}" value="{value}"' in page, name  # every cell as typed
    if typed:
        kept(response, typed)
    assert everything() == before


def test_plan_submit_that_adds_up(scene):
    response = act(scene.w.reviewer, scene.plan_prepare, action="plan_submit", **breakdown([20, 20, 20], [30, 35, 35]))
    assert response.status_code == 302
    assert UnitPlan.objects.get(unit=scene.w.county).state == PlanState.SUBMITTED
    assert AuditEvent.objects.filter(action=AuditAction.PLAN_SUBMIT, actor=scene.w.reviewer).exists()


def test_plan_approve_refuses_an_adjustment_without_a_reason_and_keeps_the_numbers(scene):
    before = everything()
    adjusted = breakdown([2, 1, 0], [1, 1, 1])
    response = act(scene.w.city_admin, scene.plan_review, action="plan_approve", note="", **adjusted)
    refused(response, 400, "调整理由")
    assert 'name="2019_1" value="2"' in response.content.decode()
    assert everything() == before


def test_plan_approve_refuses_a_too_long_note_and_keeps_it(scene):
    before = everything()
    response = act(
        scene.w.city_admin, scene.plan_review, action="plan_approve", note=LONG, **breakdown([1] * 3, [1] * 3)
    )
    refused(response, 400, "审批意见最多 1000 字，现有 1001 字")
    kept(response, LONG)
    assert everything() == before


def test_plan_approve_with_an_adjustment_and_its_reason(scene):
    data = breakdown([2, 1, 0], [1, 1, 1])
    response = act(scene.w.city_admin, scene.plan_review, action="plan_approve", note="全市首年需多安排", **data)
    assert response.status_code == 302
    unit_plan = UnitPlan.objects.get(unit=scene.w.direct)
    assert unit_plan.state == PlanState.APPROVED and unit_plan.years.get(year=2019, kind="1").approved == 2
    event = AuditEvent.objects.get(action=AuditAction.PLAN_APPROVE)
    assert event.reason == "全市首年需多安排" and event.changes["adjusted"] == {"2019_1": [1, 2], "2021_1": [1, 0]}


@pytest.mark.parametrize(("reason", "message"), [("", "请填写退回理由"), (LONG, "退回理由最多 1000 字")])
def test_plan_return_refuses_a_missing_or_too_long_reason(scene, reason, message):
    before = everything()
    response = act(scene.w.city_admin, scene.plan_review, action="plan_return", reason=reason)
    refused(response, 400, message)
    if reason:
        kept(response, reason)
    assert everything() == before


def test_plan_return_with_a_reason(scene):
    response = act(scene.w.city_admin, scene.plan_review, action="plan_return", reason="请前两年多安排")
    assert response.status_code == 302
    assert UnitPlan.objects.get(unit=scene.w.direct).state == PlanState.DRAFT
    assert AuditEvent.objects.filter(action=AuditAction.PLAN_RETURN, reason="请前两年多安排").exists()


@pytest.mark.parametrize(("who", "status"), [("direct_reviewer", 403), ("reviewer", 404), ("auditor", 404)])
def test_plan_review_refuses_the_wrong_people(scene, who, status):
    before = everything()
    response = act(getattr(scene.w, who), scene.plan_review, action="plan_return", reason=LONG)
    assert response.status_code == status
    assert everything() == before


# --- 更正 --------------------------------------------------------------------------------------------


def correct(user, **data):
    return client_for(user).post("/inbox/reports/correct/", data)


@pytest.mark.parametrize(
    ("data", "message", "typed"),
    [
        ({"reason": ""}, "请填写更正理由", None),
        ({"reason": LONG}, "更正理由最多 1000 字，现有 1001 字", LONG),
        ({"reason": "漏报\u202e一人"}, "文字方向控制符", None),
        ({"reason": "漏报一人", "year": "26"}, "年度须为 2000—2099", None),
    ],
)
def test_correct_refuses_bad_input_and_keeps_it(scene, data, message, typed):
    w = scene.w
    before = everything()
    response = correct(w.other_reviewer, **{"unit": w.other_county.pk, "year": YEAR, **data})
    refused(response, 400, message)
    if typed:
        kept(response, typed)
    assert everything() == before


def test_correct_opens_a_new_round(scene):
    w = scene.w
    response = correct(w.other_reviewer, unit=w.other_county.pk, year=YEAR, reason="漏报一人")
    assert response.status_code == 302
    process = ReportProcess.objects.filter(unit=w.other_county).latest("id")
    assert process.reason == "漏报一人"
    assert "/inbox/reports/tasks/" in response["Location"]


@pytest.mark.parametrize(
    ("who", "unit", "status"),
    [("reviewer", "other_county", 404), ("auditor", "county", 403), ("outsider", "other_county", 404)],
)
def test_correct_refuses_the_wrong_people_before_their_input(scene, who, unit, status):
    w = scene.w
    before = everything()
    response = correct(getattr(w, who), unit=getattr(w, unit).pk, year=YEAR, reason=LONG)
    assert response.status_code == status
    assert everything() == before


@pytest.mark.parametrize("unit", ["", "abc", "0", "99999999999"])
def test_correct_with_a_bad_unit_is_not_found(scene, unit):
    before = everything()
    response = correct(scene.w.other_reviewer, unit=unit, year=YEAR, reason="漏报一人")
    assert response.status_code == 404
    assert everything() == before


def test_correct_of_a_unit_not_yet_accepted_says_why(scene):
    w = scene.w
    before = everything()
    response = correct(w.reviewer, unit=w.county.pk, year=YEAR, reason="漏报一人")
    refused(response, 400, "只有市级已接收的附件2才需要更正")
    assert everything() == before

"""The annual 附件2 round: compile, submit a frozen snapshot, accept or return, correct."""

import datetime

import pytest
from viewflow.workflow.status import STATUS

from tests.flow_client import client_for
from tests.training import complete_training, lifecycle_tasks
from workflows.errors import AlreadyHandled, GuardError, NotInScope, NotPermitted
from workflows.flows import AnnualReportFlow
from workflows.models import (
    AnnualReport,
    AuditAction,
    AuditEvent,
    ReportProcess,
    ReportState,
    ReportTask,
)
from workflows.services import cases as svc
from workflows.services import reports
from workflows.services.teachers import teacher_update

YEAR = 2026


def complete_case(w, teacher, kind="1", *, year=YEAR):
    """Drive a case of the county's school through every step to 市级备案 in ``year``."""
    case = svc.case_register(actor=w.officer, teacher_id=teacher.pk, kind=kind)
    (t,) = lifecycle_tasks(case)
    mentor = w.member_mentor if kind == "1" else w.backbone_mentor
    svc.case_pair(actor=w.officer, task_id=t.pk, mentor_ids=[mentor.pk])
    (t,) = lifecycle_tasks(case)
    svc.mentor_accept(actor=t.owner, task_id=t.pk)
    complete_training(case)
    for actor in (w.officer, w.secretary, w.reviewer):
        (t,) = lifecycle_tasks(case)
        (svc.case_submit if actor is w.officer else svc.case_approve)(actor=actor, task_id=t.pk)
    (t,) = lifecycle_tasks(case)
    svc.case_file(actor=w.city_admin, task_id=t.pk, year=year)
    return case


def open_task(unit, node):
    return ReportTask.objects.get(
        process__unit=unit, process__year=YEAR, flow_task=node, status__in=[STATUS.NEW, STATUS.ASSIGNED]
    )


@pytest.fixture
def round_open(world):
    process = reports.report_round_open(unit=world.county, year=YEAR)
    assert process is not None
    return process


def test_the_round_opens_once_per_unit_and_year_with_the_due_date(world):
    first = reports.report_round_open(unit=world.county, year=YEAR)
    assert reports.report_round_open(unit=world.county, year=YEAR) is None
    task = open_task(world.county, AnnualReportFlow.prepare)
    assert task.process == first and task.org == world.county and task.role == "reviewer"
    local_due = task.due_at.astimezone(datetime.timezone(datetime.timedelta(hours=8)))
    assert (local_due.month, local_due.day, local_due.hour) == (9, 10, 23)
    # Every county and direct unit gets one from tick's daily sync; the county's already has one.
    opened = reports.annex2_rounds_sync(datetime.date(YEAR, 1, 2))
    assert opened == 2  # 桃江县教育局 and 市一中（益阳师范）
    assert ReportProcess.objects.filter(year=YEAR).count() == 3


def test_the_submitted_table_is_a_frozen_snapshot(world, round_open):
    w = world
    complete_case(w, w.candidate1, "1")
    task = open_task(w.county, AnnualReportFlow.prepare)
    report = reports.report_submit(actor=w.reviewer, task_id=task.pk)
    assert report.version == 1 and report.state == ReportState.SUBMITTED
    assert [r["name"] for r in report.rows] == ["王骨干"] and report.count_1 == 1
    frozen = AnnualReport.objects.filter(pk=report.pk).values("rows", "count_1", "count_2").get()

    # After submission: the trainee's name is corrected and another case completes in the year.
    teacher_update(actor=w.officer, teacher_id=w.candidate1.pk, name="王骨干改", reason="姓名有误")
    complete_case(w, w.candidate2, "2")
    live = [r["name"] for r in reports.snapshot_rows(w.county, YEAR)]
    assert len(live) == 2

    report.refresh_from_db()
    assert AnnualReport.objects.filter(pk=report.pk).values("rows", "count_1", "count_2").get() == frozen
    # And the snapshot cannot be rewritten through the model either.
    report.rows = []
    with pytest.raises(ValueError):
        report.save()


def test_city_returns_then_accepts_a_new_version_and_a_correction_supersedes_it(world, round_open):
    w = world
    complete_case(w, w.candidate1, "1")
    reports.report_submit(actor=w.reviewer, task_id=open_task(w.county, AnnualReportFlow.prepare).pk)
    review = open_task(w.county, AnnualReportFlow.review)
    assert review.org == w.city and review.report.version == 1

    with pytest.raises(GuardError):
        reports.report_return(actor=w.city_admin, task_id=review.pk, reason="  ")
    returned = reports.report_return(actor=w.city_admin, task_id=review.pk, reason="备注栏请写明入党时间")
    assert returned.state == ReportState.RETURNED

    # The round goes back to the reviewer who prepared it; resubmitting needs a note.
    again = open_task(w.county, AnnualReportFlow.prepare)
    assert again.owner_id == w.reviewer.pk
    with pytest.raises(GuardError, match="修改说明"):
        reports.report_submit(actor=w.reviewer, task_id=again.pk)
    v2 = reports.report_submit(actor=w.reviewer, task_id=again.pk, reason="已补充备注")
    assert v2.version == 2
    accepted = reports.report_accept(actor=w.city_admin, task_id=open_task(w.county, AnnualReportFlow.review).pk)
    assert accepted.state == ReportState.ACCEPTED
    round_open.refresh_from_db()
    assert round_open.finished is not None  # the round ended

    # A correction after acceptance: a new round, a new version with a reason; v2 is superseded on acceptance.
    with pytest.raises(GuardError):
        reports.report_correct(actor=w.reviewer, unit_id=w.county.pk, year=YEAR, reason="")
    with pytest.raises(NotPermitted):
        reports.report_correct(actor=w.auditor, unit_id=w.county.pk, year=YEAR, reason="漏报")
    with pytest.raises(NotInScope):
        reports.report_correct(actor=w.other_reviewer, unit_id=w.county.pk, year=YEAR, reason="漏报")
    complete_case(w, w.candidate2, "2")
    reports.report_correct(actor=w.reviewer, unit_id=w.county.pk, year=YEAR, reason="漏报李党员")
    v3 = reports.report_submit(actor=w.reviewer, task_id=open_task(w.county, AnnualReportFlow.prepare).pk)
    assert v3.version == 3 and v3.reason == "漏报李党员" and v3.count_2 == 1
    reports.report_accept(actor=w.city_admin, task_id=open_task(w.county, AnnualReportFlow.review).pk)
    states = dict(AnnualReport.objects.filter(unit=w.county, year=YEAR).values_list("version", "state"))
    assert states == {1: ReportState.RETURNED, 2: ReportState.SUPERSEDED, 3: ReportState.ACCEPTED}

    actions = list(
        AuditEvent.objects.filter(org__in=[w.county, w.city], action__startswith="report").values_list(
            "action", flat=True
        )
    )
    assert actions.count(AuditAction.REPORT_SUBMIT) == 3
    assert actions.count(AuditAction.REPORT_ACCEPT) == 2 and actions.count(AuditAction.REPORT_RETURN) == 1


def test_guards_refuse_wrong_people_and_second_hands_leaving_nothing_changed(world, round_open):
    w = world
    task = open_task(w.county, AnnualReportFlow.prepare)
    for actor, error in (
        (w.other_reviewer, NotInScope),
        (w.officer, NotInScope),
        (w.auditor, NotPermitted),
        (w.city_admin, NotPermitted),
    ):
        with pytest.raises(error):
            reports.report_submit(actor=actor, task_id=task.pk)
    assert not AnnualReport.objects.exists()
    reports.report_submit(actor=w.reviewer, task_id=task.pk)
    with pytest.raises(AlreadyHandled):
        reports.report_submit(actor=w.reviewer, task_id=task.pk)
    review = open_task(w.county, AnnualReportFlow.review)
    with pytest.raises(NotPermitted):
        reports.report_accept(actor=w.reviewer, task_id=review.pk)
    reports.report_accept(actor=w.city_admin, task_id=review.pk)
    with pytest.raises(AlreadyHandled):
        reports.report_return(actor=w.city_admin, task_id=review.pk, reason="晚了")
    assert AnnualReport.objects.get().state == ReportState.ACCEPTED


def test_pages_show_the_countdown_and_keep_outsiders_out(world, round_open):
    w = world
    task = open_task(w.county, AnnualReportFlow.prepare)
    page = client_for(w.reviewer).get("/inbox/reports/")
    body = page.content.decode()
    assert page.status_code == 200 and w.county.name in body and "9月10日" in body
    detail = client_for(w.reviewer).get(f"/inbox/reports/tasks/{task.pk}/")
    assert detail.status_code == 200 and "报送" in detail.content.decode()
    # 我的待办 lists the round with its countdown.
    inbox = client_for(w.reviewer).get("/inbox/").content.decode()
    assert "编制并报送年度附件2" in inbox
    for outsider in (w.outsider, w.other_reviewer, w.other_officer):
        assert client_for(outsider).get(f"/inbox/reports/tasks/{task.pk}/").status_code == 404
        response = client_for(outsider).post(f"/inbox/reports/tasks/{task.pk}/act/", {"action": "submit"})
        assert response.status_code == 404
    assert not AnnualReport.objects.exists()
    # The auditor sees the page but cannot act.
    assert client_for(w.auditor).get(f"/inbox/reports/tasks/{task.pk}/").status_code == 200
    response = client_for(w.auditor).post(f"/inbox/reports/tasks/{task.pk}/act/", {"action": "submit"})
    assert response.status_code == 403 and not AnnualReport.objects.exists()


def test_submit_and_accept_through_the_pages(world, round_open):
    w = world
    complete_case(w, w.candidate1, "1")
    task = open_task(w.county, AnnualReportFlow.prepare)
    response = client_for(w.reviewer).post(f"/inbox/reports/tasks/{task.pk}/act/", {"action": "submit"})
    assert response.status_code == 302
    report = AnnualReport.objects.get()
    review = open_task(w.county, AnnualReportFlow.review)
    page = client_for(w.city_admin).get(f"/inbox/reports/tasks/{review.pk}/").content.decode()
    assert "王骨干" in page and "1988.07" in page
    response = client_for(w.city_admin).post(f"/inbox/reports/tasks/{review.pk}/act/", {"action": "accept"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.state == ReportState.ACCEPTED
    # A second click on the same task says it was handled, with 409.
    again = client_for(w.city_admin).post(f"/inbox/reports/tasks/{review.pk}/act/", {"action": "accept"})
    assert again.status_code == 409 and "办理完毕" in again.content.decode()
    pdf = client_for(w.reviewer).get(f"/inbox/reports/{report.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert client_for(w.other_reviewer).get(f"/inbox/reports/{report.pk}/pdf/").status_code == 404


# --- 附件1: the year breakdown ------------------------------------------------------------


@pytest.fixture
def plan_task(world):
    from workflows.models import Quota, QuotaPlan, QuotaYear, UnitPlan

    plan = QuotaPlan.objects.create(title="三年计划", first_year=2019, last_year=2021, source_name="a.xlsx", sha256="x")
    Quota.objects.create(plan=plan, unit=world.county, kind="1", total=60)
    Quota.objects.create(plan=plan, unit=world.county, kind="2", total=100)
    unit_plan = UnitPlan.objects.create(plan=plan, unit=world.county)
    for year in plan.years:
        for kind in ("1", "2"):
            QuotaYear.objects.create(unit_plan=unit_plan, year=year, kind=kind)
    process = reports.plan_round_open(unit_plan)
    return ReportTask.objects.get(process=process, status=STATUS.NEW), unit_plan


def _breakdown(ones, twos):
    return {f"{y}_1": n for y, n in zip((2019, 2020, 2021), ones, strict=True)} | {
        f"{y}_2": n for y, n in zip((2019, 2020, 2021), twos, strict=True)
    }


def test_plan_breakdown_must_add_up_and_the_city_adjusts_with_a_reason(world, plan_task):
    from workflows.flows import PlanFlow
    from workflows.models import PlanState

    w = world
    task, unit_plan = plan_task
    assert task.org == w.county and task.flow_task == PlanFlow.prepare

    with pytest.raises(GuardError, match="类别2各年合计 90，与三年计划数 100 不符"):
        reports.plan_submit(actor=w.reviewer, task_id=task.pk, data=_breakdown([20, 20, 20], [30, 30, 30]))
    with pytest.raises(GuardError, match="不是 0 到 99999 之间的整数") as error:
        reports.plan_submit(actor=w.reviewer, task_id=task.pk, data=_breakdown([20, "二十", 20], [30, -1, 10**30]))
    assert all(f in error.value.message for f in ("2020年类别1", "2020年类别2", "2021年类别2"))
    unit_plan.refresh_from_db()
    assert unit_plan.state == PlanState.DRAFT and not unit_plan.years.exclude(proposed=0).exists()

    reports.plan_submit(actor=w.reviewer, task_id=task.pk, data=_breakdown([20, 20, 20], [30, 35, 35]))
    review = ReportTask.objects.get(process=task.process, flow_task=PlanFlow.review, status=STATUS.NEW)
    assert review.org == w.city
    adjusted = _breakdown([25, 20, 20], [30, 35, 35])
    with pytest.raises(GuardError, match="调整理由"):
        reports.plan_approve(actor=w.city_admin, task_id=review.pk, data=adjusted)
    reports.plan_approve(actor=w.city_admin, task_id=review.pk, data=adjusted, note="全市2019年类别1需达150")
    unit_plan.refresh_from_db()
    assert unit_plan.state == PlanState.APPROVED
    assert unit_plan.years.get(year=2019, kind="1").approved == 25
    assert unit_plan.years.get(year=2019, kind="1").proposed == 20
    event = AuditEvent.objects.get(action=AuditAction.PLAN_APPROVE)
    assert event.changes["adjusted"] == {"2019_1": [20, 25]} and event.reason == "全市2019年类别1需达150"
    task.process.refresh_from_db()
    assert task.process.finished is not None


def test_plan_returned_goes_back_to_the_unit(world, plan_task):
    from workflows.flows import PlanFlow
    from workflows.models import PlanState

    w = world
    task, unit_plan = plan_task
    reports.plan_submit(actor=w.reviewer, task_id=task.pk, data=_breakdown([20, 20, 20], [30, 35, 35]))
    review = ReportTask.objects.get(process=task.process, flow_task=PlanFlow.review, status=STATUS.NEW)
    response = client_for(w.city_admin).post(
        f"/inbox/reports/tasks/{review.pk}/act/", {"action": "plan_return", "reason": "请前两年多安排"}
    )
    assert response.status_code == 302
    unit_plan.refresh_from_db()
    assert unit_plan.state == PlanState.DRAFT
    again = ReportTask.objects.get(process=task.process, flow_task=PlanFlow.prepare, status=STATUS.ASSIGNED)
    assert again.owner_id == w.reviewer.pk
    page = client_for(w.reviewer).get(f"/inbox/reports/tasks/{again.pk}/").content.decode()
    assert 'name="2019_1" value="20"' in page
    assert client_for(w.other_reviewer).get(f"/inbox/reports/tasks/{again.pk}/").status_code == 404

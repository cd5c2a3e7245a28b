"""Plans that can be met (issue 12): the city-wide check of the year breakdowns against 每年
150 / 240 (附件1 注), the forecast per unit and year to 9月10日, and starting a new three-year plan.

The scene is the seed's own 附件1 (docs/samples, imported through the service) with its 19
units: 桃江 and 市一中 have broken their quota down the way a unit naturally would (each year
the whole third, the remainder in the last year) and the city has approved them; the 16 units
without a 审核人 in the test world have the same breakdown on file as approved; 赫山 has not
broken its quota down yet. Split that way, 2019 falls short city-wide: 类别1 146 (还差 4 人),
类别2 238 (还差 2 人). 赫山 also has cases at every stage for the forecast.

Built once for the module (``tests.helpers.scene_once``); each test runs in a savepoint.
"""

import csv
import datetime
import io
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from viewflow.workflow.status import STATUS

from tests.factories import make_world
from tests.flow_client import client_for
from tests.helpers import new_case, open_human, refused, scene_once
from workflows import forecast, plan_check
from workflows.flows import PlanFlow
from workflows.management.commands.seed_demo import UNITS
from workflows.models import (
    AuditAction,
    AuditEvent,
    CaseState,
    Organisation,
    PartyStatus,
    PlanState,
    Quota,
    QuotaPlan,
    QuotaYear,
    ReportProcess,
    ReportTask,
    UnitPlan,
)
from workflows.services import cases as case_svc
from workflows.services import reports
from workflows.services.plan_start import plan_start
from workflows.services.quotas import import_quota
from workflows.workdays import add_workdays

SAMPLES = Path(__file__).resolve().parent.parent / "docs" / "samples"
XLSX = SAMPLES / "附件1_三年实施计划指导性任务表_2019-2021.xlsx"
CSV = SAMPLES / "附件1_三年实施计划指导性任务表_2019-2021.csv"
TODAY = datetime.date(2026, 11, 16)  # the scene's clock (tests.helpers.SEMESTER_NOW)
SHORT_1 = "2019 年类别1 全市合计 146 人，低于每年 150 人的目标，还差 4 人"
SHORT_2 = "2019 年类别2 全市合计 238 人，低于每年 240 人的目标，还差 2 人"
OPEN = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


def thirds(total: int, years) -> dict[int, int]:
    """A unit's natural breakdown: the whole third each year, the remainder in the last year."""
    share = total // 3
    return {year: share + (total - 3 * share if i == 2 else 0) for i, year in enumerate(years)}


def breakdown_data(plan, unit) -> dict[str, int]:
    data = {}
    for kind, total in Quota.objects.filter(plan=plan, unit=unit).values_list("kind", "total"):
        for year, n in thirds(total, plan.years).items():
            data[f"{year}_{kind}"] = n
    return data


def task_of(plan, unit, node) -> ReportTask:
    return ReportTask.objects.get(process__plan=plan, process__unit=unit, flow_task=node, status__in=OPEN)


def build_scene() -> SimpleNamespace:
    w = make_world()
    for order, (name, kind) in enumerate(UNITS, start=1):
        org = Organisation.objects.filter(name=name, kind=kind).first()
        if org is None:
            org = Organisation.objects.create(name=name, kind=kind, parent=w.city)
        org.sort_order = order
        org.save()
    plan = import_quota(actor=w.city_admin, content=XLSX.read_bytes(), filename=XLSX.name)
    # The two other units with a 审核人 break down and are approved, through the services.
    for unit, reviewer in ((w.other_county, w.other_reviewer), (w.direct, w.direct_reviewer)):
        data = breakdown_data(plan, unit)
        reports.plan_submit(actor=reviewer, task_id=task_of(plan, unit, PlanFlow.prepare).pk, data=data)
        reports.plan_approve(actor=w.city_admin, task_id=task_of(plan, unit, PlanFlow.review).pk, data=data)
    # The units without a 审核人 here: the same breakdown, on file as approved earlier.
    for unit_plan in UnitPlan.objects.filter(plan=plan).exclude(unit__in=[w.county, w.other_county, w.direct]):
        for row in unit_plan.years.all():
            total = Quota.objects.get(plan=plan, unit=unit_plan.unit, kind=row.kind).total
            row.proposed = row.approved = thirds(total, plan.years)[row.year]
            row.save()
        UnitPlan.objects.filter(pk=unit_plan.pk).update(state=PlanState.APPROVED)

    # 赫山's pipeline for the forecast, one case at each stage.
    s = SimpleNamespace(w=w, plan=plan, mentor=w.member_mentor.user)
    s.branch_review = new_case(w, "甲审核", CaseState.BRANCH_REVIEW)
    s.city_filing = new_case(w, "乙备案", CaseState.CITY_FILING)
    s.ready = new_case(w, "丙期满", CaseState.TRAINING)  # the period passed long ago, the gate open
    s.fresh = new_case(w, "丁新培", CaseState.PAIRED)
    for task in open_human(s.fresh):
        case_svc.mentor_accept(actor=task.owner, task_id=task.pk)
    s.fresh.refresh_from_db()  # training from today: the 12 months still ahead
    s.paused = new_case(w, "戊暂停", CaseState.TRAINING)
    case_svc.case_pause(actor=w.officer, case_id=s.paused.pk, reason="病假")
    s.registered = new_case(w, "己登记", CaseState.REGISTERED)
    s.backbone = new_case(
        w, "庚骨干", CaseState.UNIT_REVIEW, kind="2", mentors=[w.backbone_mentor], party_status=PartyStatus.FULL
    )
    return s


_built = scene_once(build_scene)


@pytest.fixture
def scene(_built, db):
    return _built


def snapshot() -> dict:
    """Plans, their rows, the rounds and the trail: what a refused request leaves as it was."""
    return {
        "plans": sorted(QuotaPlan.objects.values_list("id", "first_year", "last_year", "title")),
        "quotas": sorted(Quota.objects.values_list("id", "plan_id", "unit_id", "kind", "total")),
        "unit_plans": sorted(UnitPlan.objects.values_list("id", "state")),
        "quota_years": sorted(QuotaYear.objects.values_list("id", "proposed", "approved")),
        "processes": sorted(ReportProcess.objects.values_list("id", "status")),
        "tasks": sorted(ReportTask.objects.values_list("id", "status", "owner_id")),
        "audit": AuditEvent.objects.count(),
    }


# --- the check, as pure functions -----------------------------------------------------


def test_the_seeds_three_year_numbers_leave_no_room_in_category_1():
    """附件1 computed from its rows: 380 + 70 = 450 and 640 + 90 = 730 (the file states 80)."""
    notes = plan_check.three_year_notes({"1": 450, "2": 730}, 3)
    assert "类别1三年计划数合计 450 人，恰好等于每年 150 人 × 3 年" in notes[0]
    assert "比每年 240 人 × 3 年多 10 人" in notes[1]
    # The stated 合计 (640 + 80 = 720) would leave 类别2 no room either; 700 cannot be met at all.
    assert "恰好等于每年 240 人" in plan_check.three_year_notes({"1": 450, "2": 720}, 3)[1]
    assert "还差 20 人" in plan_check.three_year_notes({"1": 450, "2": 700}, 3)[1]


def test_year_checks_count_approved_numbers_and_mark_the_rest():
    years = [2019, 2020, 2021]
    numbers = [
        plan_check.UnitYear(1, "甲", PlanState.APPROVED, 2019, "1", proposed=100, approved=90),
        plan_check.UnitYear(2, "乙", PlanState.SUBMITTED, 2019, "1", proposed=52, approved=None),
        plan_check.UnitYear(3, "丙", PlanState.DRAFT, 2019, "1", proposed=0, approved=None),
        plan_check.UnitYear(1, "甲", PlanState.APPROVED, 2020, "1", proposed=150, approved=150),
    ]
    checks = {(c.year, c.kind): c for c in plan_check.year_checks(numbers, years)}
    assert len(checks) == 6
    c2019 = checks[(2019, "1")]
    assert (c2019.total, c2019.shortfall, c2019.provisional_units) == (142, 8, ["乙", "丙"])
    assert c2019.message == (
        "2019 年类别1 全市合计 142 人，低于每年 150 人的目标，还差 8 人（其中 2 个单位尚未审批，按上报数计）"
    )
    assert checks[(2020, "1")].met and checks[(2020, "1")].message.endswith("达到每年 150 人的目标")
    assert checks[(2021, "2")].shortfall == 240


def test_the_seeds_numbers_split_evenly_meet_both_minimums_and_a_thinner_year_is_named(scene):
    """Every unit's third each year and the remainders in 2021: 2019 and 2020 fall short."""
    checks = {(c.year, c.kind): c for c in plan_check.city_check(scene.plan, overrides=_heshan_thirds(scene))}
    assert checks[(2019, "1")].message == SHORT_1 and checks[(2020, "1")].shortfall == 4
    assert checks[(2019, "2")].message == SHORT_2 and checks[(2020, "2")].shortfall == 2
    assert (checks[(2021, "1")].total, checks[(2021, "2")].total) == (158, 254)
    assert checks[(2021, "1")].met and checks[(2021, "2")].met
    # The same three-year numbers split so that the city gets 150 / 150 / 150 and 243 / 243 / 244:
    # moving 4 and 2 of 赫山's 2021 into 2019 and 2020 is enough.
    heshan = _heshan_thirds(scene)[scene.w.county.pk]
    heshan.update({(2019, "1"): 24, (2020, "1"): 24, (2021, "1"): 12})
    heshan.update({(2019, "2"): 38, (2020, "2"): 38, (2021, "2"): 24})
    checks = plan_check.city_check(scene.plan, overrides={scene.w.county.pk: heshan})
    assert [c.total for c in checks] == [150, 243, 150, 243, 150, 244]
    assert plan_check.shortfalls(checks) == []


def _heshan_thirds(scene) -> dict:
    data = breakdown_data(scene.plan, scene.w.county)
    return {scene.w.county.pk: {(int(k[:4]), k[5:]): v for k, v in data.items()}}


# --- the check on the approval page and in the trail ------------------------------------


def act(user, task, **data):
    return client_for(user).post(f"/inbox/reports/tasks/{task.pk}/act/", data)


def test_the_city_sees_the_shortfall_before_approving_and_the_approval_records_it(scene):
    w, plan = scene.w, scene.plan
    # Before 赫山 reports, its zeros count (marked): the plans page says so to the city.
    page = client_for(w.city_admin).get("/inbox/plans/").content.decode()
    assert f'id="plan-{plan.pk}-city-check"' in page
    assert (
        "2019 年类别1 全市合计 126 人，低于每年 150 人的目标，还差 24 人（其中 1 个单位尚未审批，按上报数计）" in page
    )
    assert "恰好等于每年 150 人 × 3 年" in page

    # 赫山's 审核人 reports its natural breakdown on the page.
    data = breakdown_data(plan, w.county)
    response = act(w.reviewer, task_of(plan, w.county, PlanFlow.prepare), action="plan_submit", **data)
    assert response.status_code == 302
    review = task_of(plan, w.county, PlanFlow.review)

    # The city's approval page says it before the decision: the exact shortfalls.
    page = client_for(w.city_admin).get(f"/inbox/reports/tasks/{review.pk}/").content.decode()
    assert 'id="city-check"' in page and SHORT_1 in page and SHORT_2 in page
    assert "2021 年类别1 全市合计 158 人，达到每年 150 人的目标" in page
    # The unit's own 审核人 sees the task, not the city's sums.
    page = client_for(w.reviewer).get(f"/inbox/reports/tasks/{review.pk}/").content.decode()
    assert 'id="city-check"' not in page

    # An adjustment without its reason is refused; the check follows the numbers as typed.
    adjusted = dict(data, **{"2019_1": 24, "2021_1": 16})
    response = act(w.city_admin, review, action="plan_approve", note="", **adjusted)
    refused(response, 400, "调整理由")
    text = response.content.decode()
    assert "2019 年类别1 全市合计 150 人，达到每年 150 人的目标" in text and 'value="24"' in text

    # Approved as reported: not blocked, and the trail keeps the check's result.
    response = act(w.city_admin, review, action="plan_approve", note="", **data)
    assert response.status_code == 302
    assert UnitPlan.objects.get(plan=plan, unit=w.county).state == PlanState.APPROVED
    event = AuditEvent.objects.filter(action=AuditAction.PLAN_APPROVE, changes__unit=w.county.name).get()
    assert SHORT_1 in event.changes["city_check"] and SHORT_2 in event.changes["city_check"]
    assert len(event.changes["city_check"]) == 6 and "全市年度合计核对" in event.changes_text
    # Everyone approved now: the plans page names the same shortfall, nothing provisional.
    page = client_for(w.city_admin).get("/inbox/plans/").content.decode()
    assert SHORT_1 in page and "个单位尚未审批" not in page


def test_the_plans_page_shows_units_their_rows_not_the_citys_sums(scene):
    for who in (scene.w.reviewer, scene.w.auditor, scene.w.other_reviewer):
        page = client_for(who).get("/inbox/plans/")
        assert page.status_code == 200 and "city-check" not in page.content.decode()


# --- the forecast -----------------------------------------------------------------------


def test_completion_estimates_by_stage():
    days = {"pair": 14, "accept": 7, "branch_review": 14, "unit_review": 14, "city_filing": 14}

    def add(day, n):  # calendar days, to read the arithmetic
        return day + datetime.timedelta(days=n)

    today = datetime.date(2026, 11, 16)

    def estimate(state, **kw):
        return forecast.completion_estimate(state=state, today=today, min_months=12, days=days, add=add, **kw)

    assert estimate(CaseState.CITY_FILING) == (None, datetime.date(2026, 11, 30))
    assert estimate(CaseState.UNIT_REVIEW) == (None, datetime.date(2026, 12, 14))
    assert estimate(CaseState.BRANCH_REVIEW) == (None, datetime.date(2026, 12, 28))
    # 培养中: the gate's day, or today if it has passed, then the three review steps.
    ready = datetime.date(2027, 3, 1)
    assert estimate(CaseState.TRAINING, ready_on=ready) == (ready, datetime.date(2027, 4, 12))
    assert estimate(CaseState.TRAINING, ready_on=datetime.date(2026, 1, 1))[1] == datetime.date(2026, 12, 28)
    # Not yet training: pairing (14) and acceptance (7) first, then 12 months.
    assert estimate(CaseState.PAIRED) == (datetime.date(2027, 11, 23), datetime.date(2028, 1, 4))
    assert estimate(CaseState.REGISTERED)[0] == datetime.date(2027, 12, 7)
    assert estimate(CaseState.PAUSED) == (None, None)


def test_which_year_a_case_counts_for():
    today = datetime.date(2026, 11, 16)  # 2026's 9月10日 has passed
    assert forecast.forecast_year(today) == 2027 and forecast.forecast_year(datetime.date(2026, 9, 10)) == 2026
    assert forecast.counts_for_year(datetime.date(2027, 9, 10), 2027, today)
    assert not forecast.counts_for_year(datetime.date(2027, 9, 11), 2027, today)
    assert not forecast.counts_for_year(datetime.date(2026, 12, 1), 2026, today)  # the day has passed
    # In spring, a case that can make this year's deadline counts there, not next year.
    spring = datetime.date(2026, 3, 2)
    assert forecast.counts_for_year(datetime.date(2026, 6, 1), 2026, spring)
    assert not forecast.counts_for_year(datetime.date(2026, 6, 1), 2027, spring)
    assert forecast.counts_for_year(datetime.date(2026, 10, 1), 2027, spring)


def _next_plan_with_heshan_approved(scene, ones=(5, 6, 7), twos=(3, 3, 3)):
    """2026—2028 started by the city; 赫山's 2027 quota approved at 6 (类别1) and 3 (类别2)."""
    w = scene.w
    plan = plan_start(actor=w.city_admin, first_year=2026, title="三年计划（2026—2028）", source="copy")
    Quota.objects.filter(plan=plan, unit=w.county).update(total=0)
    Quota.objects.filter(plan=plan, unit=w.county, kind="1").update(total=sum(ones))
    Quota.objects.filter(plan=plan, unit=w.county, kind="2").update(total=sum(twos))
    data = {f"{y}_1": n for y, n in zip(plan.years, ones, strict=True)}
    data |= {f"{y}_2": n for y, n in zip(plan.years, twos, strict=True)}
    reports.plan_submit(actor=w.reviewer, task_id=task_of(plan, w.county, PlanFlow.prepare).pk, data=data)
    reports.plan_approve(actor=w.city_admin, task_id=task_of(plan, w.county, PlanFlow.review).pk, data=data)
    return plan


def test_the_forecast_of_a_unit_with_cases_at_every_stage(scene):
    s, w = scene, scene.w
    _next_plan_with_heshan_approved(s)
    (heshan,) = forecast.unit_forecasts([w.county], 2027, today=TODAY)
    by_name = {c.name: c for c in heshan.cases}
    assert set(by_name) == {"甲审核", "乙备案", "丙期满", "丁新培", "己登记", "庚骨干"}
    assert [c.name for c in heshan.paused] == ["戊暂停"]
    # Dates: the remaining steps' working days from today; the gate's day, then all three.
    assert by_name["乙备案"].completes_on == add_workdays(TODAY, 14)
    assert by_name["庚骨干"].completes_on == add_workdays(TODAY, 28)
    assert by_name["甲审核"].completes_on == add_workdays(TODAY, 42)
    assert by_name["丙期满"].completes_on == add_workdays(TODAY, 42)  # its 12 months passed long ago
    fresh = by_name["丁新培"]
    assert fresh.ready_on == datetime.date(2027, 11, 16) and fresh.completes_on == add_workdays(fresh.ready_on, 42)
    assert not fresh.counts and any("培养人意见" in m or "未通过" in m for m in fresh.missing)
    assert not by_name["己登记"].counts
    # Soonest first, the unknown ones listed apart.
    assert [c.name for c in heshan.cases][:2] == ["乙备案", "庚骨干"]
    # Against the approved 2027 quota: 类别1 6, at most 3 (甲, 乙, 丙) → 还差 3; 类别2 3, at most 1.
    k1, k2 = heshan.kinds["1"], heshan.kinds["2"]
    assert (k1.quota, k1.quota_source, k1.completed, k1.possible, k1.paused, k1.gap) == (6, "approved", 0, 3, 1, 3)
    assert k1.message == "按当前进度，9月10日前最多完成 3 人，距年度计划 6 人还差 3 人"
    assert (k2.possible, k2.gap) == (1, 2)
    # 2026: the day has passed, only the year's completions count (none in 赫山 this year).
    (past,) = forecast.unit_forecasts([w.county], 2026, today=TODAY)
    assert past.kinds["1"].possible == 0 and past.kinds["1"].message.startswith("2026 年 9月10日已过")


def test_the_forecast_page_for_the_unit_and_the_city(scene):
    w = scene.w
    _next_plan_with_heshan_approved(scene)
    page = client_for(w.reviewer).get("/inbox/forecast/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "2027 年度" in text and "按当前进度，9月10日前最多完成 3 人，距年度计划 6 人还差 3 人" in text
    assert "戊暂停" in text and "甲审核" in text and f'data-unit="{w.county.pk}"' in text
    assert f'data-unit="{w.other_county.pk}"' not in text  # only their unit
    city = client_for(w.city_admin).get("/inbox/forecast/", {"year": 2027}).content.decode()
    assert f'data-unit="{w.other_county.pk}"' in city and f'data-unit="{w.county.pk}"' in city
    one = client_for(w.city_admin).get("/inbox/forecast/", {"unit": w.county.pk}).content.decode()
    assert f'data-unit="{w.other_county.pk}"' not in one and "甲审核" in one
    # The county's auditor reads it.
    audit = client_for(w.auditor).get("/inbox/forecast/")
    assert audit.status_code == 200 and "甲审核" in audit.content.decode()


@pytest.mark.parametrize("who", ["outsider", "mentor", "officer"])
def test_the_forecast_is_refused_to_people_without_a_unit(scene, who):
    user = scene.mentor if who == "mentor" else getattr(scene.w, who)
    response = client_for(user).get("/inbox/forecast/")
    refused(response, 403, "进度预测")
    assert "甲审核" not in response.content.decode()


def test_the_forecast_of_another_county_is_a_404_and_a_bad_year_a_400(scene):
    w = scene.w
    response = client_for(w.other_reviewer).get("/inbox/forecast/", {"unit": w.county.pk})
    refused(response, 404, "不在您的管辖范围内")
    assert "甲审核" not in response.content.decode()
    own = client_for(w.other_reviewer).get("/inbox/forecast/").content.decode()
    assert f'data-unit="{w.other_county.pk}"' in own and "甲审核" not in own
    assert f'data-unit="{w.county.pk}"' not in own
    refused(client_for(w.reviewer).get("/inbox/forecast/", {"year": "20x7"}), 400, "四位数字")
    anonymous = Client().get("/inbox/forecast/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


# --- starting a new three-year plan -----------------------------------------------------


def start(user, **data):
    fields = {"first_year": "2022", "title": "三年计划（2022—2024）", "source": "copy"} | data
    return client_for(user).post("/inbox/plans/start/", fields)


def test_the_city_starts_the_next_plan_by_copying_and_the_units_break_it_down(scene):
    w, old = scene.w, scene.plan
    page = client_for(w.city_admin).get("/inbox/plans/").content.decode()
    assert 'id="plan-start-form"' in page and 'value="2022"' in page  # the next free year offered

    response = start(w.city_admin)
    assert response.status_code == 302
    plan = QuotaPlan.objects.get(first_year=2022)
    assert (plan.last_year, plan.title, plan.imported_by) == (2024, "三年计划（2022—2024）", w.city_admin)
    assert sorted(Quota.objects.filter(plan=plan).values_list("unit_id", "kind", "total")) == sorted(
        Quota.objects.filter(plan=old).values_list("unit_id", "kind", "total")
    )
    assert UnitPlan.objects.filter(plan=plan, state=PlanState.DRAFT).count() == 19
    assert set(QuotaYear.objects.filter(unit_plan__plan=plan).values_list("year", flat=True)) == {2022, 2023, 2024}
    event = AuditEvent.objects.get(action=AuditAction.PLAN_START)
    assert (event.actor, event.org, event.role) == (w.city_admin, w.city, "city_admin")
    assert event.changes["plan_years"] == "2022—2024" and event.changes["copied_from"] == old.pk
    assert "复制" in event.changes["plan_source"] and event.changes["rows"] == 19
    assert event.changes["totals"] == {"骨干教师培养成共产党员数": 450, "党员教师培养成教学骨干数": 730}

    # The units' rounds opened: 赫山's 审核人 breaks it down, the city sees the check and approves.
    prepare = task_of(plan, w.county, PlanFlow.prepare)
    assert act(w.reviewer, prepare, action="plan_submit", **breakdown_data(plan, w.county)).status_code == 302
    review = task_of(plan, w.county, PlanFlow.review)
    page = client_for(w.city_admin).get(f"/inbox/reports/tasks/{review.pk}/").content.decode()
    assert "2022 年类别1 全市合计 20 人，低于每年 150 人的目标，还差 130 人" in page
    assert (
        act(w.city_admin, review, action="plan_approve", note="", **breakdown_data(plan, w.county)).status_code == 302
    )
    page = client_for(w.city_admin).get("/inbox/plans/").content.decode()
    assert f'id="plan-{plan.pk}-city-check"' in page and "2024 年类别2" in page
    # Now the next free year is 2025, and the dashboard's plan of 2023 is the new one.
    from workflows.figures import plan_for_year

    assert plan_for_year(2023) == plan
    assert 'value="2025"' in client_for(w.city_admin).get("/inbox/plans/").content.decode()


def _csv_for(first: int, last: int) -> bytes:
    rows = list(csv.reader(io.StringIO(CSV.read_bytes().decode("utf-8-sig"))))
    rows[1][0] = rows[1][0].replace("2019-2021", f"{first}-{last}")
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def test_the_city_starts_a_plan_from_an_uploaded_file(scene):
    w = scene.w
    upload = SimpleUploadedFile("附件1_2026-2028.csv", _csv_for(2026, 2028), content_type="text/csv")
    response = client_for(w.city_admin).post(
        "/inbox/plans/start/", {"first_year": "2026", "title": "新三年计划", "source": "file", "file": upload}
    )
    assert response.status_code == 302
    plan = QuotaPlan.objects.get(first_year=2026)
    assert (plan.title, plan.source_name, len(plan.inconsistencies)) == ("新三年计划", "附件1_2026-2028.csv", 1)
    event = AuditEvent.objects.get(action=AuditAction.PLAN_START)
    assert "附件1_2026-2028.csv" in event.changes["plan_source"] and "copied_from" not in event.changes
    assert AuditEvent.objects.filter(action=AuditAction.QUOTA_IMPORT).count() == 2  # the scene's and this one


@pytest.mark.parametrize(
    "data, message",
    [
        ({"first_year": "2020"}, "与已有的“益阳市教育系统“双培”工程三年实施计划指导性任务表（2019—2021）”年度重叠"),
        ({"first_year": "2021"}, "请把起始年度改为 2022 年或以后"),
        ({"first_year": "20x6"}, "起始年度须为四位数字的年份"),
        ({"first_year": "226"}, "起始年度须为四位数字的年份"),
        ({"first_year": ""}, "请填写起始年度"),
        ({"title": "   "}, "请填写计划名称"),
        ({"source": "elsewhere"}, "请选择各单位三年计划数的来源"),
        ({"source": "file"}, "请选择要导入的附件1文件"),
    ],
    ids=["overlap", "overlap-last", "letters", "three-digits", "no-year", "no-title", "bad-source", "no-file"],
)
def test_bad_input_is_refused_in_chinese_and_changes_nothing(scene, data, message):
    before = snapshot()
    fields = {"first_year": "2022", "title": "我的新计划", "source": "copy"} | data
    response = client_for(scene.w.city_admin).post("/inbox/plans/start/", fields)
    refused(response, 400, message)
    assert snapshot() == before
    text = response.content.decode()
    if fields["title"].strip():
        assert 'value="我的新计划"' in text  # what was typed stays
    if fields["first_year"]:
        assert f'value="{fields["first_year"]}"' in text


def test_a_file_for_other_years_is_refused_and_nothing_is_imported(scene):
    before = snapshot()
    upload = SimpleUploadedFile(XLSX.name, XLSX.read_bytes())
    response = client_for(scene.w.city_admin).post(
        "/inbox/plans/start/", {"first_year": "2026", "title": "新计划", "source": "file", "file": upload}
    )
    refused(response, 400, "该文件已于")  # the seed's own file: imported already, as 2019—2021
    upload = SimpleUploadedFile("附件1.csv", _csv_for(2019, 2021))
    response = client_for(scene.w.city_admin).post(
        "/inbox/plans/start/", {"first_year": "2026", "title": "新计划", "source": "file", "file": upload}
    )
    refused(response, 400, "文件标题写的是 2019—2021 年，导入时选择的是 2026—2028 年")
    assert snapshot() == before


@pytest.mark.parametrize(
    "who", ["officer", "reviewer", "other_reviewer", "direct_reviewer", "auditor", "mentor", "outsider"]
)
def test_only_the_city_may_start_a_plan(scene, who):
    user = scene.mentor if who == "mentor" else getattr(scene.w, who)
    before = snapshot()
    response = start(user)
    refused(response, 403, "只有市级管理员可以新建三年实施计划")
    assert snapshot() == before
    page = client_for(user).get("/inbox/plans/")
    assert 'id="plan-start-form"' not in page.content.decode()


def test_anonymous_is_sent_to_login_and_a_get_is_not_an_action(scene):
    before = snapshot()
    response = Client().post("/inbox/plans/start/", {"first_year": "2022", "title": "x", "source": "copy"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert snapshot() == before
    assert client_for(scene.w.city_admin).get("/inbox/plans/start/").status_code == 405
    assert snapshot() == before


def test_the_service_refuses_the_same_as_the_page(scene):
    from workflows.errors import GuardError, NotPermitted

    w = scene.w
    with pytest.raises(NotPermitted):
        plan_start(actor=w.reviewer, first_year=2022, title="x", source="copy")
    with pytest.raises(GuardError, match="年度重叠"):
        plan_start(actor=w.city_admin, first_year=2017, title="x", source="copy")  # 2017—2019
    with pytest.raises(GuardError, match="四位年份"):
        plan_start(actor=w.city_admin, first_year=1999, title="x", source="copy")
    assert QuotaPlan.objects.count() == 1
    assert timezone.localdate() == TODAY  # the scene's clock, which the forecast tests rely on

"""The half-year 通报 as an issued document, the 年度党建工作考核 figure set, and 长沙's measures.

One scene for the module (tests/helpers.scene_once): the world, a small year of figures, and one
通报 the city issued for 2025 (so reading, downloading and signing have something to act on).
The end-to-end test issues 2026's first two 通报 through the test client as the city, and the
units read, download and sign them as their own officials.
"""

import datetime
import hashlib
import io
import zoneinfo
from types import SimpleNamespace

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.factories import make_teacher, make_world
from tests.flow_client import client_for
from tests.helpers import alert_text, module_media, refused, scene_once, snapshot
from workflows import figures
from workflows.flows import AnnualReportFlow
from workflows.models import (
    Annex2Row,
    AnnualReport,
    Appraisal,
    AuditAction,
    AuditEvent,
    Bulletin,
    BulletinReceipt,
    Case,
    CaseMentor,
    Notification,
    NotificationKind,
    PartyAdmission,
    PartyStatus,
    QuotaPlan,
    QuotaYear,
    RecordDuty,
    ReportProcess,
    TrainingRecord,
    UnitPlan,
)
from workflows.services import bulletins as svc

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 10, 10, 0, tzinfo=TZ)
TODAY = NOW.date()
YEAR = 2026

pytestmark = pytest.mark.django_db


# --- the scene ---------------------------------------------------------------------------


def _case(teacher, kind, *, state="training", by):
    org = teacher.org
    return Case.objects.create(
        teacher=teacher, kind=kind, state=state, org=org, unit_id=org.unit_id, scope_path=org.path, registered_by=by
    )


def _completed(org, kind, *, by, year=YEAR):
    teacher = make_teacher(f"完成{Annex2Row.objects.count() + 1}", org)
    case = _case(teacher, kind, state="completed", by=by)
    Annex2Row.objects.create(
        case=case, unit_id=org.unit_id, name=teacher.name, birth_month="1985.03", kind=kind, year=year
    )


def _report(unit, *, state, submitted_at, by):
    process = ReportProcess.objects.create(flow_class=AnnualReportFlow, kind="annex2", unit=unit, year=YEAR)
    AnnualReport.objects.create(
        unit=unit,
        year=YEAR,
        version=1,
        process=process,
        state=state,
        dated=submitted_at.date(),
        submitted_by=by,
        submitted_at=submitted_at,
    )


def _duty(case, mentor, end: datetime.date, *, written: bool, by):
    record = None
    if written:
        record = TrainingRecord.objects.create(
            case=case, mentor=mentor, date=end, kind="talk", content="谈心谈话", signed_by=by
        )
    return RecordDuty.objects.create(
        case=case, mentor=mentor, period_start=end - datetime.timedelta(days=27), period_end=end, record=record
    )


def build():
    w = make_world()
    plan = QuotaPlan.objects.create(
        title="三年实施计划", first_year=2025, last_year=2027, source_name="附件1.xlsx", sha256="0"
    )
    heshan = UnitPlan.objects.create(plan=plan, unit=w.county)
    QuotaYear.objects.create(unit_plan=heshan, year=YEAR, kind="1", proposed=4, approved=4)
    QuotaYear.objects.create(unit_plan=heshan, year=YEAR, kind="2", proposed=6)  # not approved yet
    taojiang = UnitPlan.objects.create(plan=plan, unit=w.other_county)
    QuotaYear.objects.create(unit_plan=taojiang, year=YEAR, kind="1", proposed=2, approved=2)
    QuotaYear.objects.create(unit_plan=taojiang, year=YEAR, kind="2", proposed=2, approved=2)
    for _ in range(3):
        _completed(w.branch, "1", by=w.officer)
    _completed(w.branch, "2", by=w.officer)
    _completed(w.branch, "1", by=w.officer, year=2025)  # another year: not counted
    for _ in range(2):
        _completed(w.other_school, "1", by=w.other_officer)
    _completed(w.direct_branch, "2", by=w.direct_officer)

    # 附件2: 赫山 on time, 桃江 late (after 10 September), the direct unit not at all.
    _report(w.county, state="submitted", submitted_at=datetime.datetime(YEAR, 9, 5, 9, tzinfo=TZ), by=w.reviewer)
    _report(
        w.other_county, state="accepted", submitted_at=datetime.datetime(YEAR, 9, 15, 9, tzinfo=TZ), by=w.other_reviewer
    )

    # 培养记录 in 赫山: four periods ended in 2026 (three written), one still running, one in 2025.
    case = _case(w.candidate1, "1", by=w.officer)
    mentor = CaseMentor.objects.create(case=case, teacher=w.member_mentor, status="accepted")
    by = w.member_mentor.user
    for end, written in (
        (datetime.date(YEAR, 3, 31), True),
        (datetime.date(YEAR, 5, 31), True),
        (datetime.date(YEAR, 7, 31), True),
        (datetime.date(YEAR, 10, 31), False),
        (datetime.date(YEAR, 12, 31), False),  # not ended yet: not due
        (datetime.date(2025, 12, 31), False),  # another year
    ):
        _duty(case, mentor, end, written=written, by=by)

    # 长沙's measures. Admitted in 2026: 甲 (骨干教师), 乙 (trained as 类别1), 丙 (neither) in 赫山;
    # 丁 (骨干教师) in 桃江; 戊 was admitted in 2025.
    jia = make_teacher("甲", w.branch, party_status=PartyStatus.PROBATIONARY, is_backbone=True)
    yi = make_teacher("乙", w.branch, party_status=PartyStatus.PROBATIONARY)
    _case(yi, "1", state="completed", by=w.officer)
    bing = make_teacher("丙", w.branch, party_status=PartyStatus.PROBATIONARY)
    ding = make_teacher("丁", w.other_school, party_status=PartyStatus.PROBATIONARY, is_backbone=True)
    wu = make_teacher("戊", w.branch, party_status=PartyStatus.FULL, is_backbone=True)
    for teacher, day in ((jia, 3), (yi, 4), (bing, 5), (ding, 6)):
        PartyAdmission.objects.create(teacher=teacher, admitted_on=datetime.date(YEAR, 6, day))
    PartyAdmission.objects.create(teacher=wu, admitted_on=datetime.date(2025, 6, 30))
    Appraisal.objects.create(teacher=jia, year=YEAR, result="excellent", party_member=True)
    # 名校长: two in 赫山 (one a party member), one in the direct unit (a member).
    for name, org, status in (
        ("名校长甲", w.school, PartyStatus.FULL),
        ("名校长乙", w.school, PartyStatus.MASSES),
        ("名校长丙", w.direct, PartyStatus.FULL),
    ):
        principal = make_teacher(name, org, party_status=status)
        principal.is_famous_principal = True
        principal.save(update_fields=["is_famous_principal"])

    issued = svc.bulletin_issue(actor=w.city_admin, year=2025, half=2, remark="请各单位认真对照。", today=TODAY)
    return SimpleNamespace(w=w, issued=issued)


scene = scene_once(build, now=NOW)


@pytest.fixture
def s(scene, db, settings):
    module_media(settings, scene)
    return scene


def _state() -> dict:
    """Everything a refused 签发 or 签收 must leave as it was."""
    return {
        **snapshot(),
        "bulletins": sorted(Bulletin.objects.values_list("id", "year", "number", "pdf_sha256")),
        "receipts": sorted(BulletinReceipt.objects.values_list("id", "read_at", "read_by_id")),
        "notifications": Notification.objects.count(),
    }


def _pdf_text(content: bytes) -> str:
    return "".join("".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages)


def _receipt(bulletin, unit) -> BulletinReceipt:
    return BulletinReceipt.objects.get(bulletin=bulletin, unit=unit)


# --- end to end ------------------------------------------------------------------------------


def test_the_city_issues_units_read_download_and_sign(s):
    w = s.w
    city = client_for(w.city_admin)
    page = city.get(reverse("inbox:dashboard"), {"year": YEAR})
    assert page.status_code == 200 and 'id="bulletin-issue-form"' in page.content.decode()

    response = city.post(
        reverse("inbox:bulletin_issue"), {"year": YEAR, "half": 1, "title": "", "remark": "请各单位对照检查。"}
    )
    first = Bulletin.objects.get(year=YEAR, number=1)
    assert response.status_code == 302 and response.url == reverse("inbox:bulletin", args=[first.pk])
    assert first.doc_no == "〔2026〕1号"
    assert first.title == "益阳市教育系统“双培”工程2026年上半年工作情况通报"
    second_response = city.post(reverse("inbox:bulletin_issue"), {"year": YEAR, "half": 2, "title": "", "remark": ""})
    second = Bulletin.objects.get(year=YEAR, number=2)
    assert second_response.status_code == 302 and second.doc_no == "〔2026〕2号"
    assert Bulletin.objects.get(year=2025).number == 1  # each year numbers from 1

    # Delivered to every unit; the units' 党务干部 and 审核人 notified, nobody else.
    assert set(first.receipts.values_list("unit_id", flat=True)) == {w.county.pk, w.other_county.pk, w.direct.pk}
    notified = set(
        Notification.objects.filter(kind=NotificationKind.BULLETIN, message__contains="〔2026〕1号").values_list(
            "recipient_id", flat=True
        )
    )
    assert notified == {w.reviewer.pk, w.other_reviewer.pk, w.direct_officer.pk, w.direct_reviewer.pk}
    issue = AuditEvent.objects.filter(action=AuditAction.BULLETIN_ISSUE, changes__doc_no="〔2026〕1号").get()
    assert (issue.actor_id, issue.org_id, issue.changes["units"]) == (w.city_admin.pk, w.city.pk, 3)

    # 赫山's 审核人 finds it, downloads it (the same bytes each time), and signs.
    reviewer = client_for(w.reviewer)
    listing = reviewer.get(reverse("inbox:bulletins")).content.decode()
    assert "〔2026〕1号" in listing and "〔2026〕2号" in listing
    pdf = reviewer.get(reverse("inbox:bulletin_pdf", args=[first.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    again = reviewer.get(reverse("inbox:bulletin_pdf", args=[first.pk]))
    assert pdf.content == again.content
    code = first.figures["verification_code"]
    # The 签发 event holds the archived bytes' digest and the code printed on them.
    assert issue.changes["sha256"] == first.pdf_sha256 == hashlib.sha256(pdf.content).hexdigest()
    assert issue.changes["verification_code"] == code
    text = _pdf_text(pdf.content)
    assert "〔2026〕1号" in text and code in text and "请各单位对照检查。" in text
    assert "长沙" in text  # 长沙's measures are in the 通报

    receipt = _receipt(first, w.county)
    signed = reviewer.post(reverse("inbox:bulletin_sign", args=[receipt.pk]))
    assert signed.status_code == 302
    receipt.refresh_from_db()
    assert receipt.read_by_id == w.reviewer.pk and receipt.read_at is not None
    assert AuditEvent.objects.filter(action=AuditAction.BULLETIN_READ, org=w.county).count() == 1

    # A second 签收 says it is already signed, and writes nothing.
    before = _state()
    refused(reviewer.post(reverse("inbox:bulletin_sign", args=[receipt.pk])), 409, "已于", "无需再次签收")
    assert _state() == before

    # The city sees who signed and who did not.
    detail = city.get(reverse("inbox:bulletin", args=[first.pk])).content.decode()
    assert f'data-unit="{w.county.pk}" data-signed="yes"' in detail
    assert f'data-unit="{w.other_county.pk}" data-signed="no"' in detail
    assert "已签收 1 / 3 个单位" in city.get(reverse("inbox:bulletins")).content.decode()

    # The 核验 page accepts the code printed on the 通报.
    verified = reviewer.get(reverse("inbox:verify"), {"code": code}).content.decode()
    assert "核验通过" in verified


# --- refusals ----------------------------------------------------------------------------


def test_only_the_city_issues(s):
    w = s.w
    before = _state()
    for user in (w.reviewer, w.direct_officer, w.auditor):
        response = client_for(user).post(reverse("inbox:bulletin_issue"), {"year": YEAR, "half": 1, "remark": ""})
        refused(response, 403, "只有市级管理员可以签发")
    assert _state() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"year": YEAR, "half": 3}, "半年度只能是 1（上半年）或 2（下半年）"),
        ({"year": YEAR, "half": ""}, "半年度只能是 1（上半年）或 2（下半年）"),
        ({"year": "二〇二六", "half": 1}, "年度须为四位数字"),
        ({"year": 1999, "half": 1}, "年度须为四位数字"),
        ({"year": 2027, "half": 1}, "年度须为 2000 至 2026 之间"),
        ({"year": YEAR, "half": 1, "remark": "按" * 2001}, "按语最多 2000 字，现有 2001 字"),
        ({"year": YEAR, "half": 1, "remark": "请\u202e对照"}, "按语"),
    ],
)
def test_bad_input_is_refused_and_kept(s, data, message):
    before = _state()
    remark = data.get("remark", "留下的按语")
    response = client_for(s.w.city_admin).post(reverse("inbox:bulletin_issue"), {"title": "", **data, "remark": remark})
    refused(response, 400, message)
    assert _state() == before
    if "\u202e" not in remark:
        assert remark in response.content.decode()  # what was typed stays in the form


def test_a_unit_cannot_sign_another_units_receipt(s):
    w = s.w
    heshan = _receipt(s.issued, w.county)
    before = _state()
    refused(
        client_for(w.other_reviewer).post(reverse("inbox:bulletin_sign", args=[heshan.pk])), 404, "不是发给您所在单位"
    )
    refused(client_for(w.auditor).post(reverse("inbox:bulletin_sign", args=[heshan.pk])), 403, "审计人员只能查阅")
    refused(client_for(w.city_admin).post(reverse("inbox:bulletin_sign", args=[heshan.pk])), 404)
    assert _state() == before
    # 桃江 signs its own.
    own = _receipt(s.issued, w.other_county)
    assert client_for(w.other_reviewer).post(reverse("inbox:bulletin_sign", args=[own.pk])).status_code == 302


def test_a_tampered_archive_is_not_served(s, settings):
    from workflows.services.attachments import storage_root

    path = storage_root() / s.issued.stored_name
    original = path.read_bytes()
    try:
        path.write_bytes(original + b"x")
        refused(client_for(s.w.reviewer).get(reverse("inbox:bulletin_pdf", args=[s.issued.pk])), 400, "摘要不符")
    finally:
        path.write_bytes(original)


# --- who sees what ------------------------------------------------------------------------


def _urls(s) -> dict[str, str]:
    b = s.issued
    return {
        "list": reverse("inbox:bulletins"),
        "detail": reverse("inbox:bulletin", args=[b.pk]),
        "pdf": reverse("inbox:bulletin_pdf", args=[b.pk]),
        "assessment": reverse("inbox:assessment") + f"?year={YEAR}",
        "assessment_xlsx": reverse("inbox:assessment_xlsx") + f"?year={YEAR}",
        "dashboard": reverse("inbox:dashboard") + f"?year={YEAR}",
    }


def test_anonymous_is_sent_to_log_in(s):
    from django.test import Client

    client = Client()
    for url in _urls(s).values():
        response = client.get(url)
        assert response.status_code == 302 and "login" in response.url, url
    before = _state()
    receipt = _receipt(s.issued, s.w.county)
    assert client.post(reverse("inbox:bulletin_sign", args=[receipt.pk])).status_code == 302
    assert client.post(reverse("inbox:bulletin_issue"), {"year": YEAR, "half": 1}).status_code == 302
    assert _state() == before


@pytest.mark.parametrize("who", ["outsider", "member_mentor"])
def test_outsiders_and_mentors_see_nothing(s, who):
    w = s.w
    user = getattr(w, who)
    user = user.user if hasattr(user, "user") else user
    client = client_for(user)
    for name, url in _urls(s).items():
        response = client.get(url)
        assert response.status_code == 403, (name, response.status_code)
        assert alert_text(response), name
    before = _state()
    receipt = _receipt(s.issued, w.county)
    assert client.post(reverse("inbox:bulletin_sign", args=[receipt.pk])).status_code in (403, 404)
    assert client.post(reverse("inbox:bulletin_issue"), {"year": YEAR, "half": 1}).status_code == 403
    assert _state() == before


def test_other_county_sees_its_own_receipt_only(s):
    w = s.w
    client = client_for(w.other_reviewer)
    detail = client.get(_urls(s)["detail"]).content.decode()
    assert f'data-unit="{w.other_county.pk}"' in detail and f'data-unit="{w.county.pk}"' not in detail
    assert client.get(_urls(s)["pdf"]).status_code == 200
    board = client.get(_urls(s)["assessment"]).content.decode()
    assert f'data-unit="{w.other_county.pk}"' in board and f'data-unit="{w.county.pk}"' not in board


def test_a_school_officer_has_no_bulletins_and_no_assessment(s):
    client = client_for(s.w.officer)
    for name in ("list", "detail", "pdf", "assessment", "assessment_xlsx"):
        assert client.get(_urls(s)[name]).status_code == 403, name


def test_the_auditor_reads_but_does_not_sign(s):
    w = s.w
    client = client_for(w.auditor)
    detail = client.get(_urls(s)["detail"]).content.decode()
    assert f'data-unit="{w.county.pk}"' in detail and 'id="sign-' not in detail
    assert client.get(_urls(s)["pdf"]).status_code == 200
    assert client.get(_urls(s)["assessment"]).status_code == 200
    assert client.get(_urls(s)["assessment_xlsx"]).status_code == 200
    assert 'id="bulletin-issue-form"' not in client.get(_urls(s)["dashboard"]).content.decode()


def test_a_bulletin_not_delivered_to_the_unit_is_not_found(s):
    w = s.w
    BulletinReceipt.objects.filter(bulletin=s.issued, unit=w.other_county).delete()
    response = client_for(w.other_reviewer).get(_urls(s)["detail"])
    refused(response, 404, "没有印发给您所在的单位")
    assert client_for(w.other_reviewer).get(_urls(s)["pdf"]).status_code == 404
    assert "〔2025〕1号" not in client_for(w.other_reviewer).get(_urls(s)["list"]).content.decode()


def test_the_menu_offers_bulletins_to_units_and_the_city_only(s):
    w = s.w
    url = reverse("inbox:bulletins")
    assert url in client_for(w.reviewer).get(reverse("inbox:inbox")).content.decode()
    assert url in client_for(w.city_admin).get(reverse("inbox:inbox")).content.decode()
    assert url not in client_for(w.officer).get(reverse("inbox:inbox")).content.decode()


# --- 年度党建工作考核 ---------------------------------------------------------------------------


def test_assessment_figures(s):
    w = s.w
    assessment = figures.assessment(w.city_admin, YEAR, today=TODAY)
    rows = {r.unit.pk: r for r in assessment.rows}
    heshan, taojiang, direct = rows[w.county.pk], rows[w.other_county.pk], rows[w.direct.pk]
    # 赫山: 类别1 3 of 4 approved; 类别2 (1 done) not approved yet: left out of the rate.
    assert (heshan.approved("1"), heshan.kinds["1"].completed, heshan.approved("2")) == (4, 3, None)
    assert (heshan.approved_quota, heshan.completed_against_approved, heshan.quota_rate_text) == (4, 3, "75.0%")
    assert (taojiang.approved_quota, taojiang.completed, taojiang.quota_rate_text) == (4, 2, "50.0%")
    assert (direct.approved_quota, direct.completed, direct.quota_rate_text) == (None, 1, "未核定")
    # 附件2: the one 逾期 rule.
    assert [r.timeliness for r in (heshan, taojiang, direct)] == ["on_time", "late", "overdue"]
    assert direct.timeliness_label == "逾期未报"
    # 培养记录: four periods ended in 2026 before today, three written.
    assert (heshan.records_due, heshan.records_written, heshan.records_rate_text) == (4, 3, "75.0%")
    assert (taojiang.records_due, taojiang.records_rate_text) == (0, "无应记周期")
    # The two 80% targets, per unit: 赫山 admitted 甲乙丙 (甲 excellent); 甲 is the one excellent.
    admitted, commended = heshan.targets
    assert (admitted.numerator, admitted.denominator, admitted.met) == (1, 3, False)
    assert (commended.numerator, commended.denominator, commended.met) == (1, 1, True)
    assert taojiang.targets[0].denominator == 1 and taojiang.targets[1].has_data is False

    # A unit's own officials see their own row only.
    own = figures.assessment(w.reviewer, YEAR, today=TODAY)
    assert [r.unit.pk for r in own.rows] == [w.county.pk]


def test_assessment_page_and_workbook(s):
    w = s.w
    page = client_for(w.city_admin).get(reverse("inbox:assessment"), {"year": YEAR}).content.decode()
    assert 'data-timeliness="overdue"' in page and "75.0%" in page
    response = client_for(w.city_admin).get(reverse("inbox:assessment_xlsx"), {"year": YEAR})
    assert response.status_code == 200 and "spreadsheetml" in response["Content-Type"]
    ws = load_workbook(io.BytesIO(response.content)).active
    assert "2026年度党建工作考核" in ws["A1"].value
    header = [c.value for c in ws[2]]
    rows = {r[1]: dict(zip(header, r, strict=False)) for r in ws.iter_rows(min_row=3, values_only=True) if r[1]}
    heshan = rows["赫山区教育局"]
    assert (heshan["类别1 核定计划"], heshan["类别1 完成"], heshan["类别1 完成率"]) == (4, 3, 0.75)
    assert heshan["类别2 核定计划"] == "未核定"
    assert (heshan["附件2 报送"], heshan["应记周期"], heshan["已记周期"], heshan["培养记录完整率"]) == (
        "按时报送",
        4,
        3,
        0.75,
    )
    assert rows["市一中（益阳师范）"]["附件2 报送"] == "逾期未报"
    assert rows["桃江县教育局"]["附件2 报送"] == "逾期报送"
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4) and ws.print_title_rows


def test_a_bad_year_on_the_assessment_is_refused(s):
    response = client_for(s.w.city_admin).get(reverse("inbox:assessment"), {"year": "明年"})
    refused(response, 400, "年度须为四位数字")


# --- 长沙's measures ---------------------------------------------------------------------------


def _shares(user):
    return {m.key: m for m in figures.dashboard(user, YEAR, today=TODAY).measures}


def test_changsha_measures_for_the_city_and_a_unit(s):
    w = s.w
    city = _shares(w.city_admin)
    # Admitted in 2026: 甲 乙 丙 丁; 甲 and 丁 are 骨干教师, 乙 was trained as 类别1.
    assert (city["admitted_backbone"].numerator, city["admitted_backbone"].denominator) == (3, 4)
    assert city["admitted_backbone"].share_text == "75.0%"
    # 骨干教师: 王骨干 赵老师 刘骨干 (群众), 甲 丁 (预备党员), 戊 (正式党员).
    assert (city["backbone_members"].numerator, city["backbone_members"].denominator) == (3, 6)
    assert (city["principal_members"].numerator, city["principal_members"].denominator) == (2, 3)
    assert [m.reference for m in city.values()] == [21, 80, 97]

    heshan = _shares(w.reviewer)
    assert (heshan["admitted_backbone"].numerator, heshan["admitted_backbone"].denominator) == (2, 3)
    assert (heshan["backbone_members"].numerator, heshan["backbone_members"].denominator) == (2, 4)
    assert (heshan["principal_members"].numerator, heshan["principal_members"].denominator) == (1, 2)
    direct = _shares(w.direct_officer)
    assert direct["admitted_backbone"].has_data is False and direct["admitted_backbone"].share_text == "无数据"


def test_the_dashboard_shows_the_measures_without_names(s):
    page = client_for(s.w.city_admin).get(reverse("inbox:dashboard"), {"year": YEAR}).content.decode()
    section = page.split('id="dashboard-measures"', 1)[1].split("</table>", 1)[0]
    assert "长沙：21%" in section and "长沙：80%" in section and "长沙：97%" in section
    assert "75.0%" in section and "66.7%" in section
    for name in ("甲", "名校长甲", "王骨干"):
        assert f">{name}<" not in section

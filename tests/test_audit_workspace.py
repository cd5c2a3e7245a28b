"""The auditor's workspace (issue 10, part 5): 审计检索 across the cases in scope, the stepper on a
case's trail, the trail's PDF / XLSX / JSON exports, and the logging of every read of the trail
(查阅, 导出, 检索) that the city sees on its 查阅记录 page.

Walked against an outsider, a mentor, a trainee and another county's officer and reviewer: each
refusal leaves everything as it was, the read's own log included. The scene is built once for
the module (``tests.helpers.scene_once``); each test runs in its own savepoint.
"""

import datetime
import io
import json
import re
import zoneinfo
from html import unescape
from types import SimpleNamespace
from unittest import mock

import openpyxl
import pytest
from django.core.management import call_command
from pypdf import PdfReader

from tests.factories import make_teacher, make_user, make_world
from tests.flow_client import client_for
from tests.helpers import alert_text, drive, new_case, scene_once, snapshot
from workflows.models import AuditAction, AuditEvent, CaseState, Role
from workflows.models.audit import TRAIL_ACCESS_ACTIONS
from workflows.selectors import audit_events_in_scope, case_events, trail_steps
from workflows.services import cases as svc
from workflows.services.audit import audit_log

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
EARLY = datetime.datetime(2026, 10, 5, 9, 30, tzinfo=TZ)  # case 乙 is registered on this day
FORMULA = '=HYPERLINK("http://example.invalid","点我")'
TRAINEE_A = "审计甲"
TRAINEE_B = "审计乙"
OTHER_TRAINEE = "桃江审计丙"
DIRECT_TRAINEE = "赵老师"


def _build():
    w = make_world()
    # 甲: registered, paired, training; paused (with a reason a spreadsheet would run) and
    # resumed; then through the branch review to 单位审核.
    a = new_case(w, TRAINEE_A, CaseState.TRAINING, user=True)
    svc.case_pause(actor=w.officer, case_id=a.pk, reason=FORMULA)
    svc.case_resume(actor=w.officer, case_id=a.pk, reason="休假结束")
    a = drive(a, CaseState.UNIT_REVIEW, officer=w.officer, mentors=[w.member_mentor], secretary=w.secretary)
    # 乙: registered on an earlier day, nothing more.
    with mock.patch("django.utils.timezone.now", lambda: EARLY):
        b = new_case(w, TRAINEE_B, CaseState.REGISTERED)
    # Another county's case, and a direct unit's (outside the county auditor's subtree).
    other_teacher = make_teacher(OTHER_TRAINEE, w.other_school, is_backbone=True)
    other = svc.case_register(actor=w.other_officer, teacher_id=other_teacher.pk, kind="1")
    direct = svc.case_register(actor=w.direct_officer, teacher_id=w.direct_candidate.pk, kind="1")
    # Events with no case: recorded at the county, at the other county, and at no organisation.
    at_county = audit_log(
        actor=w.reviewer, action=AuditAction.PEOPLE_IMPORT, case=None, role=Role.REVIEWER, org=w.county
    )
    at_other = audit_log(
        actor=w.other_reviewer, action=AuditAction.PEOPLE_IMPORT, case=None, role=Role.REVIEWER, org=w.other_county
    )
    nowhere = audit_log(actor=None, action=AuditAction.LOCKOUT_RELEASE, case=None, role="system", org=None)
    city_auditor = make_user("city_auditor", org=w.city, role=Role.AUDITOR, full_name="市审计")
    return SimpleNamespace(
        w=w,
        a=a,
        b=b,
        other=other,
        direct=direct,
        at_county=at_county,
        at_other=at_other,
        nowhere=nowhere,
        city_auditor=city_auditor,
        mentor=w.member_mentor.user,
        trainee=a.teacher.user,
    )


_built = scene_once(_build)


@pytest.fixture
def scene(_built, db):
    return _built


def _access_count() -> int:
    return AuditEvent.objects.filter(action__in=TRAIL_ACCESS_ACTIONS).count()


def _search(user, **params):
    response = client_for(user).get("/inbox/audit/", params)
    assert response.status_code == 200, alert_text(response)
    return response


def _found(response) -> list[int]:
    """Every event id the search found, across all its pages."""
    paginator = response.context["paginator"]
    return [e.pk for n in paginator.page_range for e in paginator.page(n).object_list]


def _in_county(scene, event) -> bool:
    """The county auditor's scope, written out independently of the selector."""
    path = scene.w.county.path
    if event.case_id is not None:
        return event.case.scope_path.startswith(path) and event.case.teacher.user_id != scene.w.auditor.pk
    return event.org_id is not None and event.org.path.startswith(path)


def _expected(scene, keep) -> set[int]:
    events = AuditEvent.objects.exclude(action__in=TRAIL_ACCESS_ACTIONS).select_related("case__teacher", "org")
    return {e.pk for e in events if _in_county(scene, e) and keep(e)}


# --- 审计检索 --------------------------------------------------------------------------------


def test_search_without_filters_lists_the_county_and_nothing_else(scene):
    response = _search(scene.w.auditor)
    found = _found(response)
    assert set(found) == _expected(scene, lambda e: True)
    assert len(found) == len(set(found))
    assert scene.at_county.pk in found
    assert scene.at_other.pk not in found and scene.nowhere.pk not in found
    events = AuditEvent.objects.filter(pk__in=found)
    assert not events.filter(case__in=[scene.other, scene.direct]).exists()
    body = response.content.decode()
    assert TRAINEE_A in body and OTHER_TRAINEE not in body and DIRECT_TRAINEE not in body
    # Each row links to its case's trail, at that event.
    shown = response.context["page_obj"].object_list
    linked = next(e for e in shown if e.case_id == scene.a.pk)
    assert f'href="/inbox/cases/{scene.a.pk}/audit/?event={linked.pk}"' in body


FILTERS = {
    "unit": (lambda s: {"unit": s.w.county.pk}, lambda s, e: True),
    "school": (
        lambda s: {"school": s.w.school.pk},
        lambda s, e: e.case_id is not None or e.org.path.startswith(s.w.school.path),
    ),
    "actor": (lambda s: {"actor": "支部"}, lambda s, e: "支部" in e.actor_name),
    "action": (lambda s: {"action": "pause"}, lambda s, e: e.action == "pause"),
    "stage": (lambda s: {"stage": "paused"}, lambda s, e: "paused" in (e.from_state, e.to_state)),
    "date_from": (
        lambda s: {"date_from": "2026-11-01"},
        lambda s, e: e.at >= datetime.datetime(2026, 11, 1, tzinfo=TZ),
    ),
    "date_to": (lambda s: {"date_to": "2026-10-05"}, lambda s, e: e.at < datetime.datetime(2026, 10, 6, tzinfo=TZ)),
    "date_range": (
        lambda s: {"date_from": "2026-10-05", "date_to": "2026-10-05", "actor": "党务"},
        lambda s, e: e.at.astimezone(TZ).date() == datetime.date(2026, 10, 5) and "党务" in e.actor_name,
    ),
}


@pytest.mark.parametrize("name", FILTERS)
def test_each_filter_narrows_the_search(scene, name):
    params, keep = FILTERS[name]
    expected = _expected(scene, lambda e: keep(scene, e))
    everything = _expected(scene, lambda e: True)
    found = set(_found(_search(scene.w.auditor, **params(scene))))
    assert found == expected
    assert found, "the filter must keep something in this scene"
    if name != "unit":  # the county auditor's whole scope is the county
        assert found < everything


def test_the_unit_filter_on_the_city_separates_the_units(scene):
    county = set(_found(_search(scene.city_auditor, unit=scene.w.county.pk)))
    direct = set(_found(_search(scene.city_auditor, unit=scene.w.direct.pk)))
    assert county and direct and not county & direct
    assert AuditEvent.objects.filter(pk__in=direct, case=scene.direct).count() == len(direct)
    assert scene.at_county.pk in county


def test_a_filter_outside_the_users_scope_finds_nothing(scene):
    for params in ({"unit": scene.w.other_county.pk}, {"school": scene.w.other_school.pk}, {"action": "nonsense"}):
        assert _found(_search(scene.w.auditor, **params)) == []


def test_another_countys_events_never_appear(scene):
    other_path = scene.w.other_county.path
    for user in (scene.w.auditor, scene.w.reviewer, scene.w.officer):
        for event in audit_events_in_scope(user).select_related("case", "org"):
            assert not (event.case_id and event.case.scope_path.startswith(other_path))
            assert not (event.case_id is None and (event.org is None or event.org.path.startswith(other_path)))
    # And the other county sees its own, never ours.
    theirs = set(_found(_search(scene.w.other_reviewer)))
    assert AuditEvent.objects.filter(case=scene.other).exists()
    assert set(AuditEvent.objects.filter(case=scene.other).values_list("pk", flat=True)) <= theirs
    assert scene.at_other.pk in theirs
    assert not AuditEvent.objects.filter(pk__in=theirs, case__in=[scene.a, scene.b]).exists()
    assert scene.at_county.pk not in theirs


def test_events_without_a_case_by_where_they_were_recorded(scene):
    county = set(_found(_search(scene.w.auditor)))
    city = set(_found(_search(scene.city_auditor)))
    assert scene.at_county.pk in county and {scene.at_other.pk, scene.nowhere.pk}.isdisjoint(county)
    assert {scene.at_county.pk, scene.at_other.pk, scene.nowhere.pk} <= city
    assert county < city


def test_the_search_never_lists_the_reads_of_the_trail(scene):
    client = client_for(scene.w.auditor)
    client.get(f"/inbox/cases/{scene.a.pk}/audit/")
    before = set(_found(_search(scene.w.auditor)))
    again = set(_found(_search(scene.w.auditor)))
    assert before == again
    assert not AuditEvent.objects.filter(pk__in=again, action__in=TRAIL_ACCESS_ACTIONS).exists()


# --- who may not -----------------------------------------------------------------------------

REFUSED_SEARCH = ("outsider", "mentor", "trainee")


def _user(scene, who):
    return {
        "outsider": scene.w.outsider,
        "mentor": scene.mentor,
        "trainee": scene.trainee,
        "other_officer": scene.w.other_officer,
        "other_reviewer": scene.w.other_reviewer,
        "auditor": scene.w.auditor,
        "reviewer": scene.w.reviewer,
        "city_admin": scene.w.city_admin,
        "city_auditor": scene.city_auditor,
    }[who]


def _refused(response, status):
    assert response.status_code == status, response.status_code
    assert re.search(r"[\u4e00-\u9fff]", alert_text(response)), "a refusal explains itself in Chinese"


@pytest.mark.parametrize("who", REFUSED_SEARCH)
def test_search_refused_to_those_without_an_official_role(scene, who):
    before, total = snapshot(), AuditEvent.objects.count()
    _refused(client_for(_user(scene, who)).get("/inbox/audit/", {"actor": "党务"}), 404)
    assert AuditEvent.objects.count() == total and snapshot() == before


def test_anonymous_is_sent_to_log_in(scene, client):
    total = AuditEvent.objects.count()
    for url in ("/inbox/audit/", "/inbox/audit/access/", f"/inbox/cases/{scene.a.pk}/audit/pdf/"):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]
    assert AuditEvent.objects.count() == total


TRAIL_URLS = {
    "page": lambda s: f"/inbox/cases/{s.a.pk}/audit/",
    "step": lambda s: f"/inbox/cases/{s.a.pk}/audit/?step=2",
    "pdf": lambda s: f"/inbox/cases/{s.a.pk}/audit/pdf/",
    "xlsx": lambda s: f"/inbox/cases/{s.a.pk}/audit/xlsx/",
    "json": lambda s: f"/inbox/cases/{s.a.pk}/audit/json/",
}
# The outsider and the other county do not see the case at all (404); the mentor and the trainee
# read its trail on its page, but exports are for the officials over it (403).
TRAIL_REFUSED = {
    "outsider": dict.fromkeys(TRAIL_URLS, 404),
    "other_officer": dict.fromkeys(TRAIL_URLS, 404),
    "other_reviewer": dict.fromkeys(TRAIL_URLS, 404),
    "mentor": {"pdf": 403, "xlsx": 403, "json": 403},
    "trainee": {"pdf": 403, "xlsx": 403, "json": 403},
}


@pytest.mark.parametrize(
    ("who", "what"), [(who, what) for who, urls in TRAIL_REFUSED.items() for what in urls], ids=lambda v: str(v)
)
def test_trail_refused_logs_nothing(scene, who, what):
    before, total = snapshot(), AuditEvent.objects.count()
    response = client_for(_user(scene, who)).get(TRAIL_URLS[what](scene))
    _refused(response, TRAIL_REFUSED[who][what])
    assert AuditEvent.objects.count() == total and snapshot() == before


def test_unknown_export_format_is_refused_and_logs_nothing(scene):
    total = AuditEvent.objects.count()
    _refused(client_for(scene.w.auditor).get(f"/inbox/cases/{scene.a.pk}/audit/docx/"), 404)
    assert AuditEvent.objects.count() == total


def test_mentor_and_trainee_may_still_open_the_trail_page(scene):
    for user in (scene.mentor, scene.trainee):
        before = _access_count()
        response = client_for(user).get(TRAIL_URLS["page"](scene))
        assert response.status_code == 200
        assert "trail-exports" not in response.content.decode()
        assert _access_count() == before + 1


# --- the stepper -----------------------------------------------------------------------------


def _step_page(scene, n):
    response = client_for(scene.w.auditor).get(f"/inbox/cases/{scene.a.pk}/audit/", {"step": n})
    assert response.status_code == 200
    return response.content.decode()


def _field(body, id_):
    match = re.search(rf'id="{id_}"[^>]*>(.*?)</', body, re.S)
    return unescape(match.group(1)).strip() if match else None


def test_the_stepper_shows_the_state_after_each_event(scene):
    events = list(case_events(scene.a))
    pause = next(i for i, e in enumerate(events, 1) if e.action == AuditAction.PAUSE)
    resume = next(i for i, e in enumerate(events, 1) if e.action == AuditAction.RESUME)
    first = _step_page(scene, 1)
    assert _field(first, "step-action") == "登记造册" and _field(first, "step-state") == "登记造册"
    assert 'id="step-previous"' not in first and 'href="?step=2"' in first
    body = _step_page(scene, pause)
    assert _field(body, "step-state") == "暂停" and _field(body, "step-action") == "暂停"
    assert f'id="step-previous" href="?step={pause - 1}"' in body
    assert f'id="step-next" href="?step={pause + 1}"' in body
    assert _field(_step_page(scene, resume), "step-state") == "培养中"
    # An event that moves nothing (a record, a claim) leaves the stage where it was.
    still = next(i for i, e in enumerate(events, 1) if i > resume and e.from_state == e.to_state)
    assert _field(_step_page(scene, still), "step-state") == "培养中"
    last = _step_page(scene, len(events))
    assert _field(last, "step-state") == "单位审核" and 'id="step-next"' not in last
    # Out of range or not a number: the nearest step.
    assert _field(_step_page(scene, 999), "step-state") == "单位审核"
    assert _field(_step_page(scene, "x"), "step-action") == "登记造册"


def test_an_event_that_records_no_stage_keeps_the_previous_one():
    events = [AuditEvent(to_state="training"), AuditEvent(to_state=""), AuditEvent(to_state="paused")]
    assert [s.state_after for s in trail_steps(events)] == ["training", "training", "paused"]
    assert [s.number for s in trail_steps(events)] == [1, 2, 3]
    assert trail_steps(events)[1].state_after_label == "培养中"


def test_a_search_row_opens_the_stepper_at_its_event(scene):
    pause = AuditEvent.objects.get(case=scene.a, action=AuditAction.PAUSE)
    response = client_for(scene.w.auditor).get(f"/inbox/cases/{scene.a.pk}/audit/", {"event": pause.pk})
    assert _field(response.content.decode(), "step-action") == "暂停"


# --- exports -------------------------------------------------------------------------------


def _download(scene, fmt, user=None):
    response = client_for(user or scene.w.auditor).get(f"/inbox/cases/{scene.a.pk}/audit/{fmt}/")
    assert response.status_code == 200, alert_text(response)
    assert response["Cache-Control"] == "private, no-store"
    return response


def test_the_pdf_holds_every_event_in_order(scene):
    response = _download(scene, "pdf")
    assert response["Content-Type"] == "application/pdf"
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    flat = re.sub(r"\s+", "", text)
    assert "培养案例审计轨迹" in flat and TRAINEE_A in flat and "赫山区第一中学" in flat
    events = list(case_events(scene.a))
    assert f"共{len(events)}条事件" in flat
    position = 0
    for event in events:
        label = re.sub(r"\s+", "", event.get_action_display())
        found = flat.find(label, position)
        assert found >= 0, (label, position)
        position = found + len(label)
    assert "休假结束" in flat and "HYPERLINK" in flat


def test_the_xlsx_holds_the_same_rows_and_formulas_stay_text(scene):
    response = _download(scene, "xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    header = rows.index(["序号", "时间", "操作人", "身份", "所在组织", "操作", "原阶段", "新阶段", "理由", "变更内容"])
    body = rows[header + 1 :]
    events = list(case_events(scene.a))
    assert len(body) == len(events)
    for n, (row, event) in enumerate(zip(body, events, strict=True), 1):
        assert row[0] == n
        assert row[2] == event.actor_name and row[5] == event.get_action_display()
        assert (row[8] or "") == event.reason
    cell = next(c for line in ws.iter_rows() for c in line if c.value == FORMULA)
    assert cell.data_type == "s" and cell.quotePrefix
    assert ["培养对象", TRAINEE_A] in [r[:2] for r in rows[:header]]


def test_the_json_equals_the_audit_trail_command(scene):
    response = _download(scene, "json")
    out = io.StringIO()
    call_command("audit_trail", str(scene.a.pk), "--format", "json", stdout=out)
    assert json.loads(response.content) == json.loads(out.getvalue())
    assert response.content.decode() == out.getvalue().rstrip("\n")
    payload = json.loads(response.content)
    assert [e["id"] for e in payload["events"]] == [e.pk for e in case_events(scene.a)]


def test_the_trail_does_not_list_its_own_reads(scene):
    client = client_for(scene.w.auditor)
    client.get(f"/inbox/cases/{scene.a.pk}/audit/")
    first = json.loads(client.get(f"/inbox/cases/{scene.a.pk}/audit/json/").content)
    client.get(f"/inbox/cases/{scene.a.pk}/audit/")
    again = json.loads(client.get(f"/inbox/cases/{scene.a.pk}/audit/json/").content)
    assert first == again
    assert not {e["action"] for e in again["events"]} & set(TRAIL_ACCESS_ACTIONS)


# --- every read is logged, once ----------------------------------------------------------------

READS = {
    "page": (lambda s: f"/inbox/cases/{s.a.pk}/audit/", AuditAction.TRAIL_VIEW, {}),
    "step": (lambda s: f"/inbox/cases/{s.a.pk}/audit/?step=3", AuditAction.TRAIL_VIEW, {"step": 3}),
    "pdf": (lambda s: f"/inbox/cases/{s.a.pk}/audit/pdf/", AuditAction.TRAIL_EXPORT, {"format": "pdf"}),
    "xlsx": (lambda s: f"/inbox/cases/{s.a.pk}/audit/xlsx/", AuditAction.TRAIL_EXPORT, {"format": "xlsx"}),
    "json": (lambda s: f"/inbox/cases/{s.a.pk}/audit/json/", AuditAction.TRAIL_EXPORT, {"format": "json"}),
    "search": (
        lambda s: "/inbox/audit/?actor=支部&action=approve",
        AuditAction.AUDIT_SEARCH,
        {"filters": {"actor": "支部", "action": "审核通过"}},
    ),
}


@pytest.mark.parametrize("read", READS)
def test_each_read_writes_exactly_one_access_event(scene, read):
    url, action, changes = READS[read]
    before_ids = set(AuditEvent.objects.values_list("pk", flat=True))
    snap = snapshot()
    response = client_for(scene.w.auditor).get(url(scene))
    assert response.status_code == 200
    (new,) = AuditEvent.objects.exclude(pk__in=before_ids)
    assert new.action == action and new.actor_id == scene.w.auditor.pk and new.changes == changes
    assert new.role == Role.AUDITOR and new.org_id == scene.w.county.pk
    assert new.case_id == (None if read == "search" else scene.a.pk)
    # Nothing else moved (the snapshot leaves out the reads of the trail).
    assert snapshot() == snap


# --- the city's 查阅记录 -----------------------------------------------------------------------


def test_the_city_sees_who_read_what(scene):
    auditor = client_for(scene.w.auditor)
    auditor.get(f"/inbox/cases/{scene.a.pk}/audit/")
    auditor.get(f"/inbox/cases/{scene.a.pk}/audit/xlsx/")
    auditor.get("/inbox/audit/", {"actor": "支部", "action": "pause"})
    for user in (scene.w.city_admin, scene.city_auditor):
        total = AuditEvent.objects.count()
        response = client_for(user).get("/inbox/audit/access/")
        assert response.status_code == 200
        assert AuditEvent.objects.count() == total  # the 查阅记录 page itself is not a trail
        rows = list(response.context["page_obj"].object_list)
        assert [e.action for e in rows[:3]] == ["audit_search", "trail_export", "trail_view"]
        assert all(e.actor_id == scene.w.auditor.pk for e in rows[:3])
        body = response.content.decode()
        assert "赫山审计" in body and TRAINEE_A in body and "xlsx" in body and "支部" in body
        assert "导出审计轨迹" in body and "查阅审计轨迹" in body and "检索审计记录" in body
        # The search's conditions read as words, not codes.
        assert "操作人 支部，操作 暂停" in body and "pause" not in body


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("auditor", 403),
        ("reviewer", 403),
        ("other_reviewer", 403),
        ("mentor", 404),
        ("trainee", 404),
        ("outsider", 404),
    ],
)
def test_the_access_page_is_the_citys(scene, who, status):
    client_for(scene.w.auditor).get(f"/inbox/cases/{scene.a.pk}/audit/")
    before, total = snapshot(), AuditEvent.objects.count()
    response = client_for(_user(scene, who)).get("/inbox/audit/access/")
    _refused(response, status)
    assert "查阅审计轨迹" not in response.content.decode()
    assert AuditEvent.objects.count() == total and snapshot() == before


def test_the_menu_offers_the_search_to_officials_only(scene):
    for user, search, access in (
        (scene.w.auditor, True, False),
        (scene.w.officer, True, False),
        (scene.city_auditor, True, True),
        (scene.w.city_admin, True, True),
        (scene.mentor, False, False),
        (scene.trainee, False, False),
    ):
        body = client_for(user).get("/inbox/").content.decode()
        assert ('href="/inbox/audit/"' in body) == search, user
        assert ('href="/inbox/audit/access/"' in body) == access, user


def test_the_ledger_still_agrees_with_the_trail_after_it_was_read(scene):
    from workflows.documents import ledger_context

    client_for(scene.w.auditor).get(f"/inbox/cases/{scene.a.pk}/audit/")
    assert AuditEvent.objects.filter(case=scene.a).order_by("-id").first().action == AuditAction.TRAIL_VIEW
    assert ledger_context(scene.a)["last_event_id"] == list(case_events(scene.a))[-1].pk


def test_an_official_who_is_also_a_trainee_does_not_search_their_own_case(scene):
    from workflows.models import RoleAssignment

    RoleAssignment.objects.create(user=scene.trainee, org=scene.w.county, role=Role.AUDITOR)
    found = set(_found(_search(scene.trainee)))
    assert AuditEvent.objects.filter(case=scene.b).exists()
    assert set(AuditEvent.objects.filter(case=scene.b).values_list("pk", flat=True)) <= found
    assert not AuditEvent.objects.filter(pk__in=found, case=scene.a).exists()
    # On the case's own trail they remain its trainee: no exports, the trainee's view of the events.
    assert client_for(scene.trainee).get(f"/inbox/cases/{scene.a.pk}/audit/pdf/").status_code == 403
    body = client_for(scene.trainee).get(f"/inbox/cases/{scene.a.pk}/audit/").content.decode()
    assert 'id="trainee-note"' in body


def test_no_one_but_an_official_is_shown_who_read_the_trail(scene):
    from workflows.visibility import events_for

    client_for(scene.w.auditor).get(f"/inbox/cases/{scene.a.pk}/audit/")
    client_for(scene.w.auditor).get(f"/inbox/cases/{scene.a.pk}/audit/json/")
    everything = AuditEvent.objects.filter(case=scene.a).order_by("at", "id")
    assert everything.filter(action__in=TRAIL_ACCESS_ACTIONS).count() == 2
    for user in (scene.mentor, scene.trainee):
        shown = events_for(user, scene.a, everything)
        assert shown and not {e.action for e in shown} & set(TRAIL_ACCESS_ACTIONS)

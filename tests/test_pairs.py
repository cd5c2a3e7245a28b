"""结对帮带 and 培养教育的具体措施 (seed 000 §三(二)).

The school's 党务干部 registers 老人带新人 (带德、带才、带教、带研) and 骨干带党员 pairs (a
非中共党员骨干教师 with a 党员教师) and ends them; both teachers record the pair's activities.
An accepted mentor writes a case's 培养措施 and submits it to the branch; the 支部书记 returns or
approves it; the approved plan is printed in the 附件3 ledger and shown to the trainee.

End to end through the test client as the real roles; refusals (Chinese message, nothing
changed, input kept); every view against anonymous, an outsider, the other county, a mentor of
another case and the auditor; the audit events. The scene is built once for the module on
Monday 2026-11-16 10:00 (``SEMESTER_NOW``).
"""

import datetime
import io
import re
from html import unescape
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from tests.factories import make_teacher, make_world
from tests.helpers import SEMESTER_NOW, alert_text, new_case, refused, scene_once
from tests.helpers import snapshot as case_snapshot
from workflows.access import pairs as rules
from workflows.models import (
    KINDS_FOR_CASE,
    ActivityForm,
    AuditAction,
    AuditEvent,
    CaseState,
    MentoringPair,
    Notification,
    NotificationKind,
    PairActivity,
    PairKind,
    PlanStatus,
    RecordKind,
    TrainingMeasure,
)
from workflows.services import pairs as svc

NOW = SEMESTER_NOW
TODAY = NOW.date()


def build():
    from types import SimpleNamespace

    w = make_world()
    s = SimpleNamespace(w=w)
    s.old = make_teacher("周老教师", w.branch, birth=(1968, 4, 1), user=True)
    s.young = make_teacher("吴新教师", w.branch, birth=(1999, 9, 1), user=True)
    s.pair = svc.pair_add(
        actor=w.officer,
        kind=PairKind.SENIOR_JUNIOR,
        senior_id=s.old.pk,
        junior_id=s.young.pk,
        focus=["ethics", "teaching"],
        goals="一学期内独立上好一节公开课",
        started_on=TODAY - datetime.timedelta(days=30),
    )
    s.activity = svc.pair_activity_add(
        actor=s.old.user,
        pair_id=s.pair.pk,
        date=TODAY - datetime.timedelta(days=3),
        form=ActivityForm.OBSERVATION,
        content="听《背影》一课，指导导入环节",
    )
    # A case whose mentor (张正式) has a plan waiting for the branch, and one (陈正式's) with none.
    s.case = new_case(w, "培养对象甲", CaseState.TRAINING, mentors=[w.member_mentor], user=True)
    s.case2 = new_case(w, "培养对象乙", CaseState.TRAINING, mentors=[w.member_mentor2], user=True)
    s.submitted = svc.measure_submit(
        actor=w.member_mentor.user, case_id=s.case.pk, text="每月谈心谈话一次；每季度听党课一次。"
    )
    return s


_built = scene_once(build)


@pytest.fixture
def scene(_built, db):
    with mock.patch("django.utils.timezone.now", lambda: NOW):
        yield _built


def client_of(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def snapshot() -> dict:
    return {
        **case_snapshot(),
        "pairs": sorted(MentoringPair.objects.values_list("id", "kind", "senior_id", "junior_id", "ended_on")),
        "activities": sorted(PairActivity.objects.values_list("id", "pair_id", "content")),
        "measures": sorted(TrainingMeasure.objects.values_list("id", "version", "status", "review_note")),
    }


def text_of(response) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))


def pdf_text(content: bytes) -> str:
    return "".join("".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages)


def events(action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


# --- end to end ------------------------------------------------------------------------------


def test_pairs_end_to_end(scene):
    w = scene.w
    officer = client_of(w.officer)
    before = len(events(AuditAction.PAIR_ADD))
    response = officer.post(
        reverse("inbox:pairs"),
        {
            "kind": PairKind.SENIOR_JUNIOR,
            "senior": w.member_mentor.pk,
            "junior": w.probationary.pk,
            "focus": ["ethics", "research"],
            "goals": "带德带研，一年内主持一项校级课题",
        },
    )
    assert response.status_code == 302, alert_text(response)
    response = officer.post(
        reverse("inbox:pairs"),
        {"kind": PairKind.BACKBONE_MEMBER, "senior": w.backbone_mentor.pk, "junior": w.probationary.pk},
    )
    assert response.status_code == 302, alert_text(response)
    sj = MentoringPair.objects.get(kind=PairKind.SENIOR_JUNIOR, senior=w.member_mentor)
    bm = MentoringPair.objects.get(kind=PairKind.BACKBONE_MEMBER, senior=w.backbone_mentor)
    assert sj.focus == ["ethics", "research"] and sj.org == w.school and sj.started_on == TODAY
    assert bm.junior == w.probationary and bm.created_by == w.officer
    added = events(AuditAction.PAIR_ADD)[before:]
    assert [e.changes["pair"] for e in added] == [sj.pk, bm.pk]
    assert added[0].role == "officer" and added[0].org == w.school and added[0].case is None
    assert added[0].changes["focus"] == ["带德", "带研"]

    # The senior (a 非党员骨干教师) records a 业务督导; the junior records a 谈心交流 on the same pair.
    senior = client_of(w.backbone_mentor.user)
    page = senior.get(reverse("inbox:pairs"))
    assert page.status_code == 200 and f'data-pair="{bm.pk}"' in page.content.decode()
    assert 'id="pair-add"' not in page.content.decode()  # a teacher registers nothing
    response = senior.post(
        reverse("inbox:pair_activity_add", args=[bm.pk]),
        {"date": TODAY.isoformat(), "form": ActivityForm.SUPERVISION, "content": "检查教案三篇，提出修改意见"},
    )
    assert response.status_code == 302, alert_text(response)
    junior = client_of(w.probationary.user)
    response = junior.post(
        reverse("inbox:pair_activity_add", args=[bm.pk]),
        {"date": TODAY.isoformat(), "form": ActivityForm.TALK, "content": "交流班级管理心得"},
    )
    assert response.status_code == 302, alert_text(response)
    acts = list(bm.activities.order_by("id"))
    assert [(a.form, a.written_by) for a in acts] == [
        (ActivityForm.SUPERVISION, w.backbone_mentor.user),
        (ActivityForm.TALK, w.probationary.user),
    ]
    logged = events(AuditAction.PAIR_ACTIVITY)[-2:]
    assert [e.role for e in logged] == ["mentor", "mentor"]
    assert logged[0].changes["activity_form"] == "业务督导" and logged[0].changes["activity_content"].startswith(
        "检查教案"
    )

    # The officer reads both activities and ends the 老人带新人 pair with its reason.
    text = text_of(officer.get(reverse("inbox:pairs")))
    assert "检查教案三篇" in text and "交流班级管理心得" in text and "业务督导" in text
    response = officer.post(reverse("inbox:pair_end", args=[sj.pk]), {"reason": "被帮带人调离本校"})
    assert response.status_code == 302, alert_text(response)
    sj.refresh_from_db()
    assert sj.ended_on == TODAY and sj.ended_reason == "被帮带人调离本校"
    (ended,) = events(AuditAction.PAIR_END)
    assert ended.reason == "被帮带人调离本校" and ended.changes["pair"] == sj.pk
    # An ended pair takes no more activities, and is no longer listed as open.
    response = junior.post(
        reverse("inbox:pair_activity_add", args=[sj.pk]),
        {"date": TODAY.isoformat(), "form": ActivityForm.TALK, "content": "补记"},
    )
    refused(response, 409, "已于", "结束")
    assert f'data-pair="{sj.pk}"' not in officer.get(reverse("inbox:pairs")).content.decode()
    assert f'data-pair="{sj.pk}"' in officer.get(reverse("inbox:pairs") + "?show=all").content.decode()


def test_measures_end_to_end_and_ledger(scene):
    w, case = scene.w, scene.case2
    mentor = client_of(w.member_mentor2.user)
    secretary = client_of(w.secretary)
    page = mentor.get(reverse("inbox:case", args=[case.pk]))
    assert 'id="measure-submit"' in page.content.decode()  # the mentor writes at the start

    v1 = "一、每月与培养对象谈心谈话一次。\n二、推荐阅读《中国共产党章程》。"
    response = mentor.post(reverse("inbox:measure_submit", args=[case.pk]), {"text": v1})
    assert response.status_code == 302, alert_text(response)
    first = TrainingMeasure.objects.get(case=case)
    assert (first.version, first.status, first.written_by) == (1, PlanStatus.SUBMITTED, w.member_mentor2.user)
    (submitted,) = events(AuditAction.MEASURE_SUBMIT)[-1:]
    assert submitted.case == case and submitted.changes["measure_text"] == v1

    # The 支部书记 sees the review form and returns it with a note; the mentor is told.
    page = secretary.get(reverse("inbox:case", args=[case.pk])).content.decode()
    assert reverse("inbox:measure_review", args=[first.pk]) in page
    note = "请补充参加主题党日和列席支部大会的安排"
    response = secretary.post(reverse("inbox:measure_review", args=[first.pk]), {"decision": "return", "note": note})
    assert response.status_code == 302, alert_text(response)
    first.refresh_from_db()
    assert first.status == PlanStatus.RETURNED and first.review_note == note and first.reviewed_by == w.secretary
    told = Notification.objects.get(recipient=w.member_mentor2.user, case=case)
    assert told.kind == NotificationKind.RETURNED and note in told.message
    reviewed = events(AuditAction.MEASURE_REVIEW)[-1]
    assert reviewed.role == "branch_secretary" and reviewed.org == w.branch and reviewed.reason == note

    # Revised as version 2 and approved.
    v2 = v1 + "\n三、每季度参加一次主题党日，列席接收新党员的支部大会。"
    response = mentor.post(reverse("inbox:measure_submit", args=[case.pk]), {"text": v2})
    assert response.status_code == 302, alert_text(response)
    second = TrainingMeasure.objects.get(case=case, version=2)
    response = secretary.post(
        reverse("inbox:measure_review", args=[second.pk]), {"decision": "approve", "note": "同意，按此落实"}
    )
    assert response.status_code == 302, alert_text(response)
    second.refresh_from_db()
    assert second.status == PlanStatus.APPROVED
    assert rules.approved_measure(case) == second

    # The 附件3 ledger prints the approved plan, above the 培养记录.
    response = mentor.get(reverse("inbox:ledger_pdf", args=[case.pk]))
    assert response.status_code == 200
    text = pdf_text(b"".join(response.streaming_content) if response.streaming else response.content)
    assert "培养教育的具体措施" in text
    assert "列席接收新党员的支部大会。" in text.split("培养记录")[0]
    assert text.index("具体措施") < text.index("培养记录")

    # The trainee reads the approved plan, not the returned version nor the branch's note.
    trainee = client_of(case.teacher.user)
    page = text_of(trainee.get(reverse("inbox:case", args=[case.pk])))
    assert "三、每季度参加一次主题党日" in page
    assert note not in page and "退回修改" not in page and "同意，按此落实" not in page
    assert 'id="measure-submit"' not in trainee.get(reverse("inbox:case", args=[case.pk])).content.decode()


def test_ledger_without_an_approved_plan_says_so(scene):
    response = client_of(scene.w.officer).get(reverse("inbox:ledger_pdf", args=[scene.case.pk]))
    text = pdf_text(b"".join(response.streaming_content) if response.streaming else response.content)
    # 张正式's plan waits for the branch: not printed yet.
    assert "尚未经支部审核" in text and "每月谈心谈话一次" not in text


def test_the_record_form_offers_supervision_for_kind_2():
    assert RecordKind.SUPERVISION in KINDS_FOR_CASE["2"]
    assert RecordKind.SUPERVISION.label == "业务督导"


# --- refusals: Chinese message, nothing changed, input kept ----------------------------------


def _pair_post(s, **overrides):
    data = {
        "kind": PairKind.SENIOR_JUNIOR,
        "senior": s.old.pk,
        "junior": s.young.pk,
        "focus": ["talent"],
        "goals": "这段目标要留在表单里",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize(
    "case_name, overrides, status, fragment",
    [
        (
            "party-member senior",
            {"kind": PairKind.BACKBONE_MEMBER, "senior": "member_mentor", "junior": "probationary"},
            400,
            "非中共党员骨干教师",
        ),
        (
            "non-member junior",
            {"kind": PairKind.BACKBONE_MEMBER, "senior": "backbone_mentor", "junior": "old"},
            400,
            "须是党员教师",
        ),
        ("self", {"junior": "old"}, 400, "同一位教师"),
        ("duplicate", {}, 400, "请勿重复登记"),
        ("no focus", {"focus": None, "junior": "probationary"}, 400, "至少选择一项"),
        (
            "future start",
            {"junior": "probationary", "started_on": (TODAY + datetime.timedelta(days=1)).isoformat()},
            400,
            "晚于今天",
        ),
        ("long goals", {"junior": "probationary", "goals": "标" * 1001}, 400, "最多 1000 字"),
    ],
)
def test_pair_add_refused(scene, case_name, overrides, status, fragment):
    w, s = scene.w, scene
    people = {
        "member_mentor": w.member_mentor,
        "probationary": w.probationary,
        "backbone_mentor": w.backbone_mentor,
        "old": s.old,
    }
    data = _pair_post(s, **{k: people[v].pk if v in people else v for k, v in overrides.items()})
    before = snapshot()
    response = client_of(w.officer).post(reverse("inbox:pairs"), data)
    refused(response, status, fragment)
    assert snapshot() == before
    if "goals" not in overrides:
        assert "这段目标要留在表单里" in response.content.decode()  # what was typed stays


def test_pair_add_teacher_outside_scope_is_not_found(scene):
    w = scene.w
    before = snapshot()
    response = client_of(w.officer).post(reverse("inbox:pairs"), _pair_post(scene, junior=w.other_teacher.pk))
    refused(response, 404, "不在您的管辖范围内")
    assert snapshot() == before


@pytest.mark.parametrize(
    "data, fragment",
    [
        ({"date": (TODAY + datetime.timedelta(days=1)).isoformat(), "content": "明天的听课"}, "晚于今天"),
        ({"date": (TODAY - datetime.timedelta(days=60)).isoformat(), "content": "结对前的听课"}, "早于结对日期"),
        ({"date": TODAY.isoformat(), "content": "   "}, "请填写活动内容"),
        ({"date": TODAY.isoformat(), "content": "长" * 2001}, "最多 2000 字"),
        ({"date": "2026-13-01", "content": "日期写错"}, "格式"),
    ],
)
def test_activity_refused(scene, data, fragment):
    before = snapshot()
    response = client_of(scene.young.user).post(
        reverse("inbox:pair_activity_add", args=[scene.pair.pk]), {"form": ActivityForm.RESEARCH, **data}
    )
    refused(response, 400, fragment)
    assert snapshot() == before
    if data["content"].strip():
        assert data["content"][:50] in response.content.decode()


def test_activity_by_the_officer_is_refused(scene):
    before = snapshot()
    response = client_of(scene.w.officer).post(
        reverse("inbox:pair_activity_add", args=[scene.pair.pk]),
        {"date": TODAY.isoformat(), "form": ActivityForm.TALK, "content": "代为记录"},
    )
    refused(response, 403, "本人记录")
    assert snapshot() == before


def test_pair_end_needs_a_reason(scene):
    before = snapshot()
    response = client_of(scene.w.officer).post(reverse("inbox:pair_end", args=[scene.pair.pk]), {"reason": ""})
    refused(response, 400, "请填写结束原因")
    assert snapshot() == before


@pytest.mark.parametrize(
    "who, case_attr, text, status, fragment",
    [
        ("secretary", "case2", "支书代写的措施", 403, "不是该案例的培养人"),
        ("officer", "case2", "党务干部代写的措施", 403, "不是该案例的培养人"),
        ("mentor2", "case2", "", 400, "请填写培养教育的具体措施"),
        ("mentor2", "case2", "措" * 3001, 400, "最多 3000 字"),
        ("mentor", "case", "第二版，趁第一版还没审", 409, "正在等待支部审核"),
    ],
)
def test_measure_submit_refused(scene, who, case_attr, text, status, fragment):
    w = scene.w
    users = {
        "secretary": w.secretary,
        "officer": w.officer,
        "mentor": w.member_mentor.user,
        "mentor2": w.member_mentor2.user,
    }
    case = getattr(scene, case_attr)
    before = snapshot()
    response = client_of(users[who]).post(reverse("inbox:measure_submit", args=[case.pk]), {"text": text})
    refused(response, status, fragment)
    assert snapshot() == before
    if status != 403 and text:
        assert text in unescape(response.content.decode())  # the case page keeps what was typed
    if status == 403:
        assert 'id="measure-submit"' not in response.content.decode()  # no form for who may not write


@pytest.mark.parametrize(
    "who, data, status, fragment",
    [
        ("officer", {"decision": "approve", "note": ""}, 403, "支部书记审核"),
        ("reviewer", {"decision": "approve", "note": ""}, 403, "支部书记审核"),
        ("mentor", {"decision": "approve", "note": "自己批准"}, 403, "支部书记审核"),
        ("direct_secretary", {"decision": "approve", "note": ""}, 404, "不在您的管辖范围内"),
        ("secretary", {"decision": "return", "note": ""}, 400, "退回时请填写审核意见"),
        ("secretary", {"decision": "", "note": "这段意见要留下"}, 400, "请选择审核结果"),
    ],
)
def test_measure_review_refused(scene, who, data, status, fragment):
    w = scene.w
    users = {
        "officer": w.officer,
        "reviewer": w.reviewer,
        "mentor": w.member_mentor.user,
        "direct_secretary": w.direct_secretary,
        "secretary": w.secretary,
    }
    before = snapshot()
    response = client_of(users[who]).post(reverse("inbox:measure_review", args=[scene.submitted.pk]), data)
    refused(response, status, fragment)
    assert snapshot() == before
    if status == 400 and data["note"]:
        assert data["note"] in response.content.decode()


def test_nobody_reviews_a_plan_they_wrote(scene):
    # A 支部书记 who is also the case's mentor wrote this version.
    own = TrainingMeasure.objects.create(case=scene.case2, version=1, text="自己写的措施", written_by=scene.w.secretary)
    before = snapshot()
    response = client_of(scene.w.secretary).post(
        reverse("inbox:measure_review", args=[own.pk]), {"decision": "approve", "note": ""}
    )
    refused(response, 403, "本人制定")
    assert snapshot() == before


def test_reviewing_twice_is_a_conflict(scene):
    svc.measure_review(actor=scene.w.secretary, measure_id=scene.submitted.pk, approve=True)
    before = snapshot()
    response = client_of(scene.w.secretary).post(
        reverse("inbox:measure_review", args=[scene.submitted.pk]), {"decision": "approve", "note": ""}
    )
    refused(response, 409, "不在待审核状态")
    assert snapshot() == before


# --- every view against anonymous, an outsider, the other county, a mentor, the auditor -------

VIEWERS = ("anonymous", "outsider", "other_county", "mentor", "auditor")


def viewer(scene, name):
    w = scene.w
    return {
        "anonymous": None,
        "outsider": w.outsider,
        "other_county": w.other_officer,
        "mentor": w.member_mentor2.user,  # 陈正式 mentors 培养对象乙, not 培养对象甲, and is in no pair
        "auditor": w.auditor,
    }[name]


def _post(scene, action):
    s, w = scene, scene.w
    return {
        "pair_add": (
            reverse("inbox:pairs"),
            {"kind": PairKind.BACKBONE_MEMBER, "senior": w.backbone_mentor.pk, "junior": w.probationary.pk},
        ),
        "pair_end": (reverse("inbox:pair_end", args=[s.pair.pk]), {"reason": "帮带期满"}),
        "activity": (
            reverse("inbox:pair_activity_add", args=[s.pair.pk]),
            {"date": TODAY.isoformat(), "form": ActivityForm.TALK, "content": "谈心"},
        ),
        "measure_submit": (reverse("inbox:measure_submit", args=[s.case.pk]), {"text": "别人的措施"}),
        "measure_review": (
            reverse("inbox:measure_review", args=[s.submitted.pk]),
            {"decision": "approve", "note": ""},
        ),
    }[action]


EXPECTED_POST = {
    # anonymous, outsider, other county, mentor of another case, auditor
    "pair_add": (302, 403, 404, 403, 403),
    "pair_end": (302, 404, 404, 404, 403),
    "activity": (302, 404, 404, 404, 403),
    "measure_submit": (302, 404, 404, 404, 403),
    "measure_review": (302, 404, 404, 404, 403),
}


@pytest.mark.parametrize("action", list(EXPECTED_POST))
@pytest.mark.parametrize("who", VIEWERS)
def test_actions_refused_to_everyone_else(scene, action, who):
    url, data = _post(scene, action)
    expected = EXPECTED_POST[action][VIEWERS.index(who)]
    before = snapshot()
    response = client_of(viewer(scene, who)).post(url, data)
    if who == "anonymous":
        assert response.status_code == 302 and "/login" in response["Location"]
    else:
        refused(response, expected)
        assert re.search(r"[\u4e00-\u9fff]", alert_text(response))
    assert snapshot() == before


@pytest.mark.parametrize("who", VIEWERS)
def test_pairs_page_readers(scene, who):
    response = client_of(viewer(scene, who)).get(reverse("inbox:pairs"))
    marker = f'data-pair="{scene.pair.pk}"'
    if who == "anonymous":
        assert response.status_code == 302 and "/login" in response["Location"]
    elif who in ("outsider", "mentor"):
        refused(response, 403, "结对帮带页面")
    elif who == "other_county":
        assert response.status_code == 200 and marker not in response.content.decode()
    else:  # the auditor reads, and has no form
        body = response.content.decode()
        assert response.status_code == 200 and marker in body and "听《背影》一课" in text_of(response)
        assert 'id="pair-add"' not in body and 'class="sp-form">' not in body.split('id="pairs"')[1]
        assert reverse("inbox:pair_activity_add", args=[scene.pair.pk]) not in body


def test_pair_teachers_see_their_pair_and_its_forms(scene):
    for teacher in (scene.old, scene.young):
        body = client_of(teacher.user).get(reverse("inbox:pairs")).content.decode()
        assert f'data-pair="{scene.pair.pk}" data-kind="senior_junior" data-mine="1"' in body
        assert reverse("inbox:pair_activity_add", args=[scene.pair.pk]) in body
        assert reverse("inbox:pair_end", args=[scene.pair.pk]) not in body  # the officer ends it
    body = client_of(scene.w.officer).get(reverse("inbox:pairs")).content.decode()
    assert reverse("inbox:pair_end", args=[scene.pair.pk]) in body and 'id="pair-add"' in body


@pytest.mark.parametrize("who", VIEWERS)
def test_case_page_measures_readers(scene, who):
    response = client_of(viewer(scene, who)).get(reverse("inbox:case", args=[scene.case.pk]))
    if who == "anonymous":
        assert response.status_code == 302
    elif who == "auditor":  # reads every version, reviews nothing
        body = response.content.decode()
        assert response.status_code == 200 and "每月谈心谈话一次" in text_of(response)
        assert reverse("inbox:measure_review", args=[scene.submitted.pk]) not in body
        assert 'id="measure-submit"' not in body
    else:
        assert response.status_code == 404
        assert "每月谈心谈话一次" not in text_of(response)


def test_trainee_does_not_see_a_plan_under_review(scene):
    page = text_of(client_of(scene.case.teacher.user).get(reverse("inbox:case", args=[scene.case.pk])))
    assert "每月谈心谈话一次" not in page


def test_menu_entry(scene):
    assert rules.may_read_pairs(scene.w.auditor) and rules.may_read_pairs(scene.old.user)
    assert not rules.may_read_pairs(scene.w.outsider)
    body = client_of(scene.old.user).get(reverse("inbox:pairs")).content.decode()
    assert reverse("inbox:pairs") in body and "结对帮带" in body

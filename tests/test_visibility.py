"""Who sees what (issue 9, part 3; docs/visibility.md, workflows/visibility.py).

A trainee's own case page, audit page and task pages show their stage, their own tasks and
what was returned to them and why, but none of the officials' internal notes (催办, 改派, a
支部书记's reasons on the 党务干部's step, 升级督办) and no username anywhere. Political status
(政治面貌, and the 入党 admission that reveals it) is shown to the officials in scope, the teacher
themself and a 类别1 培养联系人, and to no one else. Officials see what they saw before.

Every "is not shown" is paired with the officer's page that does show it, so each assertion
can fail. The scene is built once for the module (``scene_once``).
"""

import io
import re
from html import unescape
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from pypdf import PdfReader

from forms.cases import PairForm, RegisterCaseForm
from tests.factories import make_user, make_world
from tests.flow_client import client_for
from tests.helpers import scene_once
from tests.training import complete_training, lifecycle_tasks, training_tasks
from workflows import selectors, visibility
from workflows.flows import CaseFlow
from workflows.models import AuditAction, AuditEvent, CaseState, CaseTask, PartyStatus, Role
from workflows.services import cases as svc
from workflows.services import outcomes, reminders, teachers, training
from workflows.services import tasks as task_services
from workflows.services.attachments import as_upload

# A real one-page PDF: uploads must parse (workflows/services/attachments.py).
PDF = (
    b"%PDF-1.3\n1 0 obj\n<<\n/Producer (pypdf)\n>>\nendobj\n2 0 obj\n<<\n/Type /Pages\n/Count 1\n/Kids [ 4 0 R ]\n>>\n"
    b"endobj\n3 0 obj\n<<\n/Type /Catalog\n/Pages 2 0 R\n>>\nendobj\n4 0 obj\n<<\n/Type /Page\n/Resources <<\n>>\n"
    b"/MediaBox [ 0.0 0.0 595 842 ]\n/Parent 2 0 R\n>>\nendobj\nxref\n0 5\n0000000000 65535 f \n0000000009 00000 n \n"
    b"0000000048 00000 n \n0000000107 00000 n \n0000000156 00000 n \n"
    b"trailer\n<<\n/Size 5\n/Root 3 0 R\n/Info 1 0 R\n>>\nstartxref\n250\n%%EOF\n"
)

WORK_RETURN = "典型案例缺少课堂实录，请补充后重新提交"
SECRETARY_RETURN = "支部书记内部意见：培养记录的签名日期请党务干部核对"
URGE = "催办内部说明：本周内务必提交支部审核"
REASSIGN = "改派内部说明：原承办人外出学习"
APPROVE = "支部审核意见：同意，请审核人重点核查论文查重"
PARTY_EDIT = "按组织关系介绍信更正政治面貌"
ADMITTED_ON = "2020-07-01"


def _one(case, node):
    (task,) = [t for t in lifecycle_tasks(case) if t.flow_task == node]
    return task


def build() -> SimpleNamespace:
    w = make_world()
    s = SimpleNamespace(w=w)
    s.officer2 = make_user("school_officer2", org=w.school, role=Role.OFFICER, full_name="第二党务干部")
    s.nameless = make_user("nameless_officer", org=w.school, role=Role.OFFICER)  # no full name, no teacher
    s.trainee = w.candidate1.user  # 王骨干, 类别1, 群众
    s.trainee_b = w.candidate2.user  # 李党员, 类别2, 正式党员
    s.mentor1 = w.member_mentor.user  # 类别1 培养联系人 of 王骨干
    s.mentor2 = w.backbone_mentor.user  # 类别2 mentor of 李党员

    # Case A (类别1): a returned semester work, a 退回 by the 支部书记, a 催办 and a 改派 of the
    # officer's step, then 支部审核 passed with a comment; it stands at 单位审核, escalated.
    a = svc.case_register(actor=w.officer, teacher_id=w.candidate1.pk, kind="1")
    svc.case_pair(actor=w.officer, task_id=_one(a, CaseFlow.pair).pk, mentor_ids=[w.member_mentor.pk])
    svc.mentor_accept(actor=s.mentor1, task_id=_one(a, CaseFlow.accept).pk)
    submit = training_tasks(a, CaseFlow.submit_work)[0]
    s.own_work_task = submit
    upload = as_upload("典型案例.pdf", PDF)
    training.work_submit(actor=s.trainee, task_id=submit.pk, title="家校沟通", summary="一次沟通", upload=upload)
    review = training_tasks(a, CaseFlow.review_work)[0]
    training.work_review(actor=s.mentor1, task_id=review.pk, accept=False, note=WORK_RETURN)
    complete_training(a)
    svc.case_submit(actor=w.officer, task_id=_one(a, CaseFlow.submit).pk)
    svc.case_return(actor=w.secretary, task_id=_one(a, CaseFlow.branch_review).pk, reason=SECRETARY_RETURN)
    step = _one(a, CaseFlow.submit)
    reminders.task_urge(actor=w.reviewer, task_id=step.pk, reason=URGE)
    task_services.task_reassign(actor=w.reviewer, task_id=step.pk, to_user_id=s.officer2.pk, reason=REASSIGN)
    svc.case_submit(actor=s.officer2, task_id=step.pk)
    branch = _one(a, CaseFlow.branch_review)
    svc.case_approve(actor=w.secretary, task_id=branch.pk, reason=APPROVE)
    s.unit_task = _one(a, CaseFlow.unit_review)
    # Test set-up only: 升级督办 is the tick's (tests/test_reminders.py drives it there).
    CaseTask.objects.filter(pk=s.unit_task.pk).update(escalated_to=w.city)
    a.refresh_from_db()
    s.case_a = a

    # Case B (类别2): in training, a correction of her 政治面貌 and her 入党 admission recorded.
    b = svc.case_register(actor=w.officer, teacher_id=w.candidate2.pk, kind="2")
    svc.case_pair(actor=w.officer, task_id=_one(b, CaseFlow.pair).pk, mentor_ids=[w.backbone_mentor.pk])
    svc.mentor_accept(actor=s.mentor2, task_id=_one(b, CaseFlow.accept).pk)
    teachers.teacher_update(
        actor=w.officer, teacher_id=w.candidate2.pk, reason=PARTY_EDIT, party_status=PartyStatus.PROBATIONARY
    )
    outcomes.record_admission(actor=w.officer, teacher_id=w.candidate2.pk, admitted_on=ADMITTED_ON)
    s.record_task_b = training_tasks(b, CaseFlow.record)[0]  # 刘骨干's 培养记录 task
    b.refresh_from_db()
    s.case_b = b
    s.usernames = sorted(get_user_model().objects.values_list("username", flat=True))
    return s


_built = scene_once(build)


@pytest.fixture
def s(_built, db):
    return _built


def page(user, url, status=200) -> str:
    response = client_for(user).get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def usernames_in(html: str, usernames) -> list[str]:
    """Every username that stands on the page as a word of its own (in text or attributes)."""
    return [u for u in usernames if re.search(rf"(?<![A-Za-z0-9_]){re.escape(u)}(?![A-Za-z0-9_])", html)]


def card(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}".*?</table>', html, re.S)
    return unescape(found.group(0)) if found else ""


def case_url(case) -> str:
    return f"/inbox/cases/{case.pk}/"


# --- the trainee's case page --------------------------------------------------------------


def test_the_officer_sees_every_internal_note_and_usernames(s):
    html = unescape(page(s.w.officer, case_url(s.case_a)))
    for text in (WORK_RETURN, SECRETARY_RETURN, URGE, REASSIGN, APPROVE):
        assert text in html, text
    # The 改派 names the person, never the account (issue 11: history shows no usernames).
    assert "第二党务干部" in html and "school_officer2" not in html
    assert "已升级至" not in html  # (the badge is on the task page)


def test_the_trainees_case_page_shows_her_stage_and_the_return_of_her_work(s):
    html = unescape(page(s.trainee, case_url(s.case_a)))
    assert re.search(r'id="case-state">单位审核<', html)
    assert WORK_RETURN in html
    assert "学期成果退回修改" in html
    # State changes stay visible, 退回 included, without the reviewer's reason.
    events = card(html, "events")
    assert "支部审核 → 培养中" in events
    assert "单位审核" in events


def test_the_trainees_case_page_has_no_internal_note(s):
    html = unescape(page(s.trainee, case_url(s.case_a)))
    for text in (SECRETARY_RETURN, URGE, REASSIGN, APPROVE):
        assert text not in html, text
    events = card(html, "events")
    for label in ("催办", "改派", "认领", "升级督办", "放回待认领"):
        assert f"<td>{label}</td>" not in events, label


def test_no_username_on_any_page_of_the_trainee(s):
    urls = [
        case_url(s.case_a),
        f"/inbox/cases/{s.case_a.pk}/audit/",
        f"/inbox/tasks/{s.unit_task.pk}/",
        f"/inbox/tasks/{s.own_work_task.pk}/",
        "/inbox/",
    ]
    # The scan does find usernames where they are (no page shows them any more, issue 11).
    assert usernames_in("<td>school_officer2</td>", s.usernames) == ["school_officer2"]
    for url in urls:
        assert usernames_in(page(s.trainee, url), s.usernames) == [], url


def test_the_trainee_sees_her_own_tasks_not_her_mentors_duties(s):
    officer_tasks = card(page(s.w.officer, case_url(s.case_b)), "open-tasks")
    assert "填写培养记录" in officer_tasks
    mine = card(page(s.trainee_b, case_url(s.case_b)), "open-tasks")
    assert "提交学期成果" in mine
    assert "填写培养记录" not in mine


def test_the_trainee_may_replay_her_own_case_with_the_same_rules(s):
    officer = unescape(page(s.w.officer, f"/inbox/cases/{s.case_a.pk}/audit/"))
    assert URGE in officer and REASSIGN in officer and 'id="trainee-note"' not in officer
    html = unescape(page(s.trainee, f"/inbox/cases/{s.case_a.pk}/audit/"))
    assert 'id="trainee-note"' in html
    assert WORK_RETURN in html
    for text in (SECRETARY_RETURN, URGE, REASSIGN, APPROVE):
        assert text not in html, text


# --- the trainee's task pages ---------------------------------------------------------------


def test_a_review_step_shows_its_opinions_and_escalation_to_officials_only(s):
    url = f"/inbox/tasks/{s.unit_task.pk}/"
    reviewer = unescape(page(s.w.reviewer, url))
    assert APPROVE in reviewer and 'id="escalated"' in reviewer
    trainee = unescape(page(s.trainee, url))
    assert APPROVE not in trainee and SECRETARY_RETURN not in trainee
    assert 'id="escalated"' not in trainee


def test_her_own_work_task_shows_why_it_came_back(s):
    html = unescape(page(s.trainee, f"/inbox/tasks/{s.own_work_task.pk}/"))
    assert WORK_RETURN in html


def test_a_task_owner_is_named_never_by_username(s):
    CaseTask.objects.filter(pk=s.record_task_b.pk).update(owner=s.nameless)
    url = f"/inbox/tasks/{s.record_task_b.pk}/"
    assert "nameless_officer 办理中" in page(s.w.officer, url)
    html = page(s.trainee_b, url)
    assert "nameless_officer" not in html
    assert "未登记姓名 办理中" in html


# --- political status ------------------------------------------------------------------------


def party_status(html: str) -> str:
    found = re.search(r'<span id="party-status">(.*?)</span>', html)
    return found.group(1) if found else ""


@pytest.mark.parametrize("who", ["officer", "secretary", "reviewer", "auditor", "city_admin"])
def test_officials_in_scope_see_political_status(s, who):
    html = page(getattr(s.w, who), case_url(s.case_b))
    assert party_status(html) == "预备党员"
    assert "登记入党" in html and ADMITTED_ON in html
    assert PARTY_EDIT in html


def test_the_teacher_sees_her_own_political_status(s):
    html = page(s.trainee_b, case_url(s.case_b))
    assert party_status(html) == "预备党员"
    assert ADMITTED_ON in html


def test_a_type1_contact_sees_the_candidates_status(s):
    assert party_status(page(s.mentor1, case_url(s.case_a))) == "群众"


def test_a_type2_mentor_does_not_see_political_status(s):
    officer = page(s.w.officer, case_url(s.case_b))
    assert "政治面貌：full → probationary" in unescape(officer)  # the edit, as it is stored
    html = unescape(page(s.mentor2, case_url(s.case_b)))
    assert party_status(html) == ""
    for text in ("预备党员", "正式党员", "probationary", "登记入党", ADMITTED_ON, PARTY_EDIT, "政治面貌"):
        assert text not in html, text
    task = unescape(page(s.mentor2, f"/inbox/tasks/{s.record_task_b.pk}/"))
    assert "预备党员" not in task and party_status(task) == ""


@pytest.mark.parametrize("who", ["outsider", "other_officer", "other_reviewer"])
def test_people_outside_see_no_case_and_no_status(s, who):
    html = page(getattr(s.w, who), case_url(s.case_b), status=404)
    assert "预备党员" not in html and "李党员" not in html


def test_a_trainee_of_another_case_sees_neither_case(s):
    html = page(s.trainee, case_url(s.case_b), status=404)
    assert "预备党员" not in html
    assert page(s.trainee_b, case_url(s.case_a), status=404)


def test_the_registration_list_shows_status_to_the_officer(s):
    html = page(s.w.officer, "/inbox/cases/new/")
    assert "孙预备（赫山一中第一党支部，预备党员）" in unescape(html)


def test_choice_lists_leave_status_out_unless_allowed(s):
    teacher = s.w.probationary
    shown = RegisterCaseForm(teachers=[teacher], party_status_visible=lambda t: True)
    assert "预备党员" in str(shown.fields["teacher"].widget.choices)
    for form in (
        RegisterCaseForm(teachers=[teacher]),
        RegisterCaseForm(teachers=[teacher], party_status_visible=visibility.party_status_visible(s.mentor2)),
        PairForm(candidates=[teacher], party_status_visible=visibility.party_status_visible(s.w.outsider)),
    ):
        field = form.fields.get("teacher") or form.fields["mentors"]
        assert "预备党员" not in str(getattr(field.widget, "choices", None) or field.choices)


def test_party_status_visible_follows_scope(s):
    w = s.w
    assert visibility.party_status_visible(w.officer)(w.candidate2)
    assert visibility.party_status_visible(w.auditor)(w.candidate2)
    assert visibility.party_status_visible(s.trainee_b)(w.candidate2)
    assert visibility.party_status_visible(s.mentor1)(w.candidate1)  # 类别1 培养联系人
    assert not visibility.party_status_visible(s.mentor2)(w.candidate2)  # 类别2 mentor
    assert not visibility.party_status_visible(w.other_officer)(w.candidate2)
    assert not visibility.party_status_visible(s.trainee)(w.candidate2)
    assert not visibility.party_status_visible(w.outsider)(w.candidate2)


def test_the_trainees_ledger_has_no_username_and_no_status_of_others(s):
    response = client_for(s.trainee_b).get(f"/inbox/cases/{s.case_b.pk}/ledger.pdf")
    assert response.status_code == 200
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(b"".join(response))).pages)
    assert "李党员" in text  # the extraction reads the document
    assert usernames_in(text, s.usernames) == []
    assert "正式党员" not in text and "预备党员" not in text


# --- the rule set itself -------------------------------------------------------------------


def test_officials_get_the_trail_untouched(s):
    events = list(selectors.case_events(s.case_a))
    for user in (s.w.officer, s.w.secretary, s.w.reviewer, s.w.auditor, s.w.city_admin):
        shown = selectors.case_events_for(user, s.case_a)
        assert [(e.pk, e.reason, e.changes, e.actor_name) for e in shown] == [
            (e.pk, e.reason, e.changes, e.actor_name) for e in events
        ]


def test_what_a_trainee_never_sees(s):
    hidden = {
        AuditAction.URGE,
        AuditAction.REASSIGN,
        AuditAction.CLAIM,
        AuditAction.UNCLAIM,
        AuditAction.ESCALATE,
        AuditAction.REMIND,
        AuditAction.OVERDUE,
    }
    assert not hidden & visibility.TRAINEE_ACTIONS
    all_actions = set(AuditEvent.objects.filter(case=s.case_a).values_list("action", flat=True))
    assert {AuditAction.URGE, AuditAction.REASSIGN, AuditAction.CLAIM} <= all_actions
    seen = {e.action for e in selectors.case_events_for(s.trainee, s.case_a)}
    assert not seen & hidden
    assert {AuditAction.WORK_RETURN, AuditAction.RETURN, AuditAction.APPROVE} <= seen
    for event in selectors.case_events_for(s.trainee, s.case_a):
        if event.action in (AuditAction.RETURN, AuditAction.APPROVE, AuditAction.SUBMIT):
            assert event.reason == "", event


def test_a_mentor_sees_reasons_but_names_not_usernames(s):
    shown = selectors.case_events_for(s.mentor1, s.case_a)
    assert any(e.reason == REASSIGN for e in shown)  # mentors work with the officials' returns
    owners = [v for e in shown for v in (e.changes or {}).get("owner", []) if v]
    assert owners and not set(owners) & set(s.usernames)
    assert "第二党务干部" in owners


def test_the_rules_never_change_the_stored_trail(s):
    before = list(AuditEvent.objects.filter(case=s.case_b).values_list("id", "reason", "changes", "actor_name"))
    selectors.case_events_for(s.mentor2, s.case_b)
    selectors.case_events_for(s.trainee_b, s.case_b)
    after = list(AuditEvent.objects.filter(case=s.case_b).values_list("id", "reason", "changes", "actor_name"))
    assert before == after


def test_scene_is_what_the_module_says(s):
    assert s.case_a.state == CaseState.UNIT_REVIEW
    assert s.case_b.state == CaseState.TRAINING

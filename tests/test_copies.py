"""抄送 and 评论 (issue 11): each through the task page and the API, as the right person, the
wrong people (403/404, nothing changed), with bad input (4xx, a Chinese message, nothing
changed, what was typed kept), with its audit event and its notification; a copy's reader
reads the case while the copy stands and not after; an internal comment stays with the
officials; a file that fails its structure check refuses the whole comment.

The scene is built once for the module (``tests.helpers.scene_once``); each test runs in a
savepoint that is rolled back.
"""

import datetime
import json
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tests.factories import make_org, make_user, make_world
from tests.flow_client import client_for
from tests.helpers import alert_text, module_media, new_case, one_open, refused, scene_once, snapshot
from tests.training import PDF, training_tasks
from workflows.flows import CaseFlow
from workflows.models import (
    Attachment,
    AuditAction,
    AuditEvent,
    Case,
    CaseCopy,
    CaseState,
    CaseTask,
    Notification,
    NotificationKind,
    OrgKind,
    Role,
    TaskComment,
)
from workflows.services import api_tokens, training
from workflows.services import cases as svc
from workflows.services import copies as copy_svc
from workflows.services.locking import locked_case

# --- the scene ------------------------------------------------------------------------------


def build_scene() -> SimpleNamespace:
    """赫山区: 冯支部 at 支部审核 (the secretary's step), 褚另案 in training, and 王骨干 (who has an
    account) in training with her record, work and 提交支部审核 tasks open; a second school of
    the county whose officer may be copied; ten more officials of the county for the limit."""
    w = make_world()
    s = SimpleNamespace(w=w)
    s.sibling_school = make_org("赫山区第二中学", OrgKind.SCHOOL, w.county)
    s.sibling = make_user("heshan2_officer", org=s.sibling_school, role=Role.OFFICER, full_name="赫山二中党务干部")
    s.many = [
        make_user(f"heshan_aud{i}", org=w.school, role=Role.AUDITOR, full_name=f"赫山一中审计{i}") for i in range(10)
    ]
    s.mentor = w.member_mentor.user  # 张正式, mentor of every case here

    s.branch = new_case(w, "冯支部", CaseState.BRANCH_REVIEW)
    s.branch_task = one_open(s.branch)
    s.other = new_case(w, "褚另案", CaseState.TRAINING)

    s.training = svc.case_register(actor=w.officer, teacher_id=w.candidate1.pk, kind="1")  # 王骨干
    svc.case_pair(actor=w.officer, task_id=one_open(s.training).pk, mentor_ids=[w.member_mentor.pk])
    svc.mentor_accept(actor=s.mentor, task_id=one_open(s.training).pk)
    Case.objects.filter(pk=s.training.pk).update(
        training_started_on=timezone.localdate() - datetime.timedelta(days=400)
    )
    with locked_case(s.training.pk) as locked:
        training.sync_obligations(locked)
    s.submit_task = one_open(s.training)  # 提交支部审核: a lifecycle step (the officer's)
    s.record_task = training_tasks(s.training, CaseFlow.record)[0]  # 张正式's
    s.work_task = training_tasks(s.training, CaseFlow.submit_work)[0]  # 王骨干's own
    s.trainee = w.candidate1.user

    people = {
        "officer": w.officer,
        "secretary": w.secretary,
        "reviewer": w.reviewer,
        "other_officer": w.other_officer,
        "auditor": w.auditor,
        "outsider": w.outsider,
        "mentor": s.mentor,
        "trainee": s.trainee,
        "sibling": s.sibling,
    }
    s.people = people
    s.tokens = {name: api_tokens.api_token_create(actor=u, name="测试").raw for name, u in people.items()}
    revoked = api_tokens.api_token_create(actor=w.secretary, name="已撤销")
    api_tokens.api_token_revoke(actor=w.secretary, token_id=revoked.token.pk)
    s.tokens["revoked"] = revoked.raw
    return s


_built = scene_once(build_scene)


@pytest.fixture
def scene(_built, db, settings):
    module_media(settings, _built)
    return _built


def post(user, url, data=None):
    return client_for(user).post(url, data or {})


def copy_url(task):
    return f"/inbox/tasks/{task.pk}/copy/"


def comment_url(task):
    return f"/inbox/tasks/{task.pk}/comment/"


def case_url(case):
    return f"/inbox/cases/{case.pk}/"


def copied(scene, *people, note=""):
    """冯支部's 支部审核 copied by the secretary to ``people``."""
    return copy_svc.case_copy(
        actor=scene.w.secretary, task_id=scene.branch_task.pk, recipient_ids=[u.pk for u in people], note=note
    )


def latest(action):
    return AuditEvent.objects.filter(action=action).order_by("-seq").first()


# --- 抄送: the right person ---------------------------------------------------------------------


def test_the_step_holder_copies_and_the_recipients_are_told(scene):
    w = scene.w
    seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    response = post(
        w.secretary, copy_url(scene.branch_task), {"recipients": [scene.sibling.pk, w.reviewer.pk], "note": "请知悉"}
    )
    assert response.status_code == 302, alert_text(response)
    copies = CaseCopy.objects.filter(task=scene.branch_task).order_by("recipient_id")
    assert {c.recipient_id for c in copies} == {scene.sibling.pk, w.reviewer.pk}
    assert all(c.copied_by_id == w.secretary.pk and c.note == "请知悉" and c.read_at is None for c in copies)
    (event,) = AuditEvent.objects.filter(action=AuditAction.COPY, seq__gt=seq)
    assert (event.actor_id, event.role, event.org_id, event.task_id_ref) == (
        w.secretary.pk,
        Role.BRANCH_SECRETARY,
        w.branch.pk,
        scene.branch_task.pk,
    )
    assert sorted(event.changes["recipients"]) == sorted(["赫山二中党务干部", "赫山审核人"])
    assert event.reason == "请知悉" and event.from_state == event.to_state == CaseState.BRANCH_REVIEW
    told = Notification.objects.filter(kind=NotificationKind.COPIED, task=scene.branch_task)
    assert {n.recipient_id for n in told} == {scene.sibling.pk, w.reviewer.pk}
    assert "请知悉" in told.first().message
    # 抄送 moves nothing.
    task = CaseTask.objects.get(pk=scene.branch_task.pk)
    assert (task.status, task.owner_id) == (scene.branch_task.status, scene.branch_task.owner_id)
    assert Case.objects.get(pk=scene.branch.pk).state == CaseState.BRANCH_REVIEW


def test_the_task_page_offers_the_chooser_of_eligible_people_only(scene):
    w = scene.w
    page = client_for(w.secretary).get(f"/inbox/tasks/{scene.branch_task.pk}/").content.decode()
    assert 'id="copy-form"' in page and 'id="comment-form"' in page
    chooser = page.split('id="copy-form"')[1].split("</form>")[0]
    for name in ("赫山二中党务干部", "赫山审核人", "学校党务干部", "市级管理员", "赫山审计"):
        assert name in chooser, name
    for name in ("桃江党务干部", "桃江审核人", "市一中党务干部", "张正式", "支部书记"):
        assert name not in chooser, name  # another unit; the case's mentor; the copier


def test_the_auditor_is_offered_neither_copy_nor_comment(scene):
    page = client_for(scene.w.auditor).get(f"/inbox/tasks/{scene.branch_task.pk}/").content.decode()
    assert 'id="copy-form"' not in page and 'id="comment-form"' not in page


# --- 抄送: the wrong people -----------------------------------------------------------------------

COPY_REFUSED = {
    "outsider": 404,
    "other_officer": 404,  # another county
    "auditor": 403,  # reads only
    "mentor": 403,  # sees the case, holds no step
    "officer": 403,  # the school's officer: not the secretary's step
    "trainee": 404,  # 冯支部 is not 王骨干's case
}


@pytest.mark.parametrize("who", COPY_REFUSED)
def test_the_wrong_people_cannot_copy(scene, who):
    before = snapshot()
    response = post(scene.people[who], copy_url(scene.branch_task), {"recipients": [scene.sibling.pk]})
    refused(response, COPY_REFUSED[who])
    assert snapshot() == before


def test_anonymous_cannot_copy(scene):
    before = snapshot()
    response = Client().post(copy_url(scene.branch_task), {"recipients": [scene.sibling.pk]})
    assert response.status_code == 302 and "/login" in response["Location"]
    assert snapshot() == before


def test_a_mentors_own_task_is_not_copied(scene):
    before = snapshot()
    response = post(scene.mentor, copy_url(scene.record_task), {"recipients": [scene.w.officer.pk]})
    refused(response, 403, "不能抄送")
    assert snapshot() == before


# --- 抄送: bad input ------------------------------------------------------------------------------


def _refused_keeping(response, before, message, typed=None, status=400):
    refused(response, status, message)
    if typed is not None:
        assert typed in response.content.decode()  # what was typed is still in the form
    assert snapshot() == before


def test_a_copy_needs_someone(scene):
    before = snapshot()
    response = post(scene.w.secretary, copy_url(scene.branch_task), {"note": "请知悉一下"})
    _refused_keeping(response, before, "请选择抄送对象", "请知悉一下")


@pytest.mark.parametrize("who", ["other_officer", "mentor", "trainee", "outsider", "secretary"])
def test_a_copy_goes_to_no_one_outside_the_chooser(scene, who):
    before = snapshot()
    response = post(scene.w.secretary, copy_url(scene.branch_task), {"recipients": [scene.people[who].pk]})
    _refused_keeping(response, before, "不在可抄送的名单中")


def test_a_copy_to_eleven_people_is_refused(scene):
    before = snapshot()
    ids = [u.pk for u in scene.many] + [scene.sibling.pk]
    response = post(scene.w.secretary, copy_url(scene.branch_task), {"recipients": ids})
    _refused_keeping(response, before, "一次最多抄送 10 人，您选择了 11 人")


def test_a_long_note_is_refused_with_its_length_and_kept(scene):
    before = snapshot()
    note = "知" * 501
    response = post(scene.w.secretary, copy_url(scene.branch_task), {"recipients": [scene.sibling.pk], "note": note})
    _refused_keeping(response, before, "抄送说明最多 500 字，现有 501 字", note)


def test_a_note_with_direction_controls_is_refused(scene):
    before = snapshot()
    response = post(
        scene.w.secretary, copy_url(scene.branch_task), {"recipients": [scene.sibling.pk], "note": "请\u202e知悉"}
    )
    refused(response, 400)
    assert snapshot() == before


def test_a_second_copy_to_the_same_person_is_refused(scene):
    copied(scene, scene.sibling)
    before = snapshot()
    response = post(scene.w.secretary, copy_url(scene.branch_task), {"recipients": [scene.sibling.pk]})
    _refused_keeping(response, before, "已抄送给赫山二中党务干部")


def test_the_service_refuses_what_the_form_would_not_offer(scene):
    """The rule lives in access.copies: a caller that skips the form is refused the same."""
    before = snapshot()
    with pytest.raises(Exception) as raised:
        copied(scene, scene.w.other_officer)
    assert "不能抄送给桃江党务干部" in raised.value.message
    assert snapshot() == before


# --- reading while copied -------------------------------------------------------------------------


def test_a_recipient_outside_the_chain_reads_the_case_only_while_copied(scene):
    sibling = scene.sibling
    client = client_for(sibling)
    assert client.get(case_url(scene.branch)).status_code == 404  # before the copy
    (copy,) = copied(scene, sibling)
    page = client.get(case_url(scene.branch))
    assert page.status_code == 200
    text = page.content.decode()
    assert "抄送给您的案例（只读）" in text and "冯支部" in text
    assert 'id="party-status"' not in text  # 政治面貌 stays with the case's own officials
    pk = scene.branch.pk
    for action in (f"/inbox/cases/{pk}/exit/", f"/inbox/cases/{pk}/pause/", f"/inbox/cases/{pk}/audit/", "ledger.pdf"):
        assert action not in text  # read only: no action, no trail, no ledger
    assert f"/inbox/cases/{pk}/exit/" in client_for(scene.w.officer).get(case_url(scene.branch)).content.decode()
    copy.refresh_from_db()
    assert copy.read_at is not None  # 首次查阅时间, no audit event for a read
    assert not AuditEvent.objects.filter(action__in=["copy_read"]).exists()
    # Only that case, and not its task pages.
    assert client.get(case_url(scene.other)).status_code == 404
    assert client.get(f"/inbox/tasks/{scene.branch_task.pk}/").status_code == 404
    # After 撤销: the same 404 as for any other case.
    copy_svc.copy_revoke(actor=scene.w.secretary, copy_id=copy.pk)
    response = client.get(case_url(scene.branch))
    assert response.status_code == 404 and "管辖范围" in alert_text(response)


def test_the_copy_notification_opens_the_case_for_a_reader_outside_the_chain(scene):
    copied(scene, scene.sibling)
    notification = Notification.objects.get(kind=NotificationKind.COPIED, recipient=scene.sibling)
    response = client_for(scene.sibling).post(f"/inbox/notifications/{notification.pk}/open/")
    assert response.status_code == 302 and response["Location"] == case_url(scene.branch)
    # Once revoked, the same notification leads back to the list, not to a 404.
    copy_svc.copy_revoke(actor=scene.w.secretary, copy_id=CaseCopy.objects.get(recipient=scene.sibling).pk)
    response = client_for(scene.sibling).post(f"/inbox/notifications/{notification.pk}/open/")
    assert response["Location"] == "/inbox/notifications/"


def test_a_copy_ends_when_the_case_closes(scene):
    copied(scene, scene.sibling)
    Case.objects.filter(pk=scene.branch.pk).update(state=CaseState.EXITED)
    assert client_for(scene.sibling).get(case_url(scene.branch)).status_code == 404


def test_a_recipient_in_the_chain_marks_the_copy_read_on_the_task_page(scene):
    (copy,) = copied(scene, scene.w.reviewer)
    assert client_for(scene.w.reviewer).get(f"/inbox/tasks/{scene.branch_task.pk}/").status_code == 200
    copy.refresh_from_db()
    assert copy.read_at is not None
    page = client_for(scene.w.secretary).get(f"/inbox/tasks/{scene.branch_task.pk}/").content.decode()
    assert "已查阅" in page and "撤销抄送" in page


# --- 撤销抄送 ---------------------------------------------------------------------------------------


def test_the_copier_revokes(scene):
    (copy,) = copied(scene, scene.sibling)
    seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    response = post(scene.w.secretary, f"/inbox/copies/{copy.pk}/revoke/")
    assert response.status_code == 302, alert_text(response)
    copy.refresh_from_db()
    assert copy.revoked_at is not None
    (event,) = AuditEvent.objects.filter(action=AuditAction.COPY_REVOKE, seq__gt=seq)
    assert event.actor_id == scene.w.secretary.pk and event.changes["recipients"] == ["赫山二中党务干部"]
    assert event.task_id_ref == scene.branch_task.pk


def test_a_supervisor_revokes_too(scene):
    (copy,) = copied(scene, scene.sibling)
    response = post(scene.w.reviewer, f"/inbox/copies/{copy.pk}/revoke/")
    assert response.status_code == 302, alert_text(response)
    assert latest(AuditAction.COPY_REVOKE).changes["note"] == "由上级撤销"


REVOKE_REFUSED = {"outsider": 404, "other_officer": 404, "sibling": 404, "auditor": 403, "mentor": 403}


@pytest.mark.parametrize("who", REVOKE_REFUSED)
def test_the_wrong_people_cannot_revoke(scene, who):
    (copy,) = copied(scene, scene.sibling)
    before = snapshot()
    refused(post(scene.people[who], f"/inbox/copies/{copy.pk}/revoke/"), REVOKE_REFUSED[who])
    assert snapshot() == before


def test_a_copy_revoked_twice_answers_409(scene):
    (copy,) = copied(scene, scene.sibling)
    copy_svc.copy_revoke(actor=scene.w.secretary, copy_id=copy.pk)
    before = snapshot()
    refused(post(scene.w.secretary, f"/inbox/copies/{copy.pk}/revoke/"), 409, "已经撤销")
    refused(post(scene.w.secretary, "/inbox/copies/999999/revoke/"), 404)
    assert snapshot() == before


# --- 评论: the right people -------------------------------------------------------------------------


def pdf(name="说明.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def test_an_official_comments_on_a_step_with_a_file_and_nothing_moves(scene):
    w = scene.w
    seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    task_before = CaseTask.objects.filter(pk=scene.branch_task.pk).values("status", "owner_id").get()
    response = post(w.officer, comment_url(scene.branch_task), {"text": "谈心记录已补齐", "files": [pdf()]})
    assert response.status_code == 302, alert_text(response)
    (comment,) = TaskComment.objects.filter(task=scene.branch_task)
    assert (comment.author_id, comment.role, comment.internal, comment.text) == (
        w.officer.pk,
        Role.OFFICER,
        True,
        "谈心记录已补齐",
    )
    (attachment,) = Attachment.objects.filter(comment=comment)
    assert attachment.case_id == scene.branch.pk and attachment.name == "说明.pdf"
    (event,) = AuditEvent.objects.filter(action=AuditAction.COMMENT, seq__gt=seq)
    assert event.changes["comment_text"] == "谈心记录已补齐" and event.changes["files"] == ["说明.pdf"]
    assert event.changes["internal"] == "仅干部可见"
    assert [e["table"] for e in event.evidence] == ["workflows_attachment"]
    assert event.evidence[0]["id"] == attachment.pk
    # The step's holders hear of it (its secretary), not the author.
    told = Notification.objects.filter(kind=NotificationKind.COMMENTED, task=scene.branch_task)
    assert [n.recipient_id for n in told] == [w.secretary.pk]
    # 评论 moves nothing.
    assert CaseTask.objects.filter(pk=scene.branch_task.pk).values("status", "owner_id").get() == task_before
    assert Case.objects.get(pk=scene.branch.pk).state == CaseState.BRANCH_REVIEW
    page = client_for(w.secretary).get(f"/inbox/tasks/{scene.branch_task.pk}/").content.decode()
    assert "谈心记录已补齐" in page and f"/inbox/attachments/{attachment.pk}/" in page
    assert client_for(w.secretary).get(f"/inbox/attachments/{attachment.pk}/").status_code == 200


def test_earlier_commenters_hear_of_the_next_comment(scene):
    w = scene.w
    copy_svc.task_comment(actor=w.reviewer, task_id=scene.branch_task.pk, text="请核对日期")
    copy_svc.task_comment(actor=w.officer, task_id=scene.branch_task.pk, text="已核对")
    told = Notification.objects.filter(kind=NotificationKind.COMMENTED, message__contains="已核对")
    assert {n.recipient_id for n in told} == {w.secretary.pk, w.reviewer.pk}


def test_a_mentor_and_the_trainee_talk_on_a_training_task(scene):
    w = scene.w
    trainee, mentor = scene.trainee, scene.mentor
    response = post(trainee, comment_url(scene.work_task), {"text": "典型案例初稿请老师指点"})
    assert response.status_code == 302, alert_text(response)
    comment = TaskComment.objects.get(task=scene.work_task)
    assert (comment.role, comment.internal) == ("trainee", False)
    assert latest(AuditAction.COMMENT).changes.get("internal") is None
    response = post(mentor, comment_url(scene.work_task), {"text": "第二部分再具体些"})
    assert response.status_code == 302, alert_text(response)
    # The trainee hears of the mentor's reply (an earlier commenter); the author does not.
    told = Notification.objects.filter(kind=NotificationKind.COMMENTED, message__contains="第二部分")
    assert trainee.pk in {n.recipient_id for n in told} and mentor.pk not in {n.recipient_id for n in told}
    page = client_for(trainee).get(f"/inbox/tasks/{scene.work_task.pk}/").content.decode()
    assert "第二部分再具体些" in page and "典型案例初稿请老师指点" in page
    # An official's comment on a training task is shared with its participants.
    copy_svc.task_comment(actor=w.officer, task_id=scene.work_task.pk, text="按时提交")
    assert TaskComment.objects.get(text="按时提交").internal is False
    page = client_for(trainee).get(f"/inbox/tasks/{scene.work_task.pk}/").content.decode()
    assert "按时提交" in page and "学校党务干部（党务干部）" in page
    assert "school_officer" not in page  # people by name, never by account


# --- 评论: who sees what ---------------------------------------------------------------------------


def test_the_trainee_and_mentor_do_not_see_an_internal_comment(scene):
    w = scene.w
    comment = copy_svc.task_comment(
        actor=w.officer, task_id=scene.submit_task.pk, text="政审材料待核实", files=[pdf("政审.pdf")]
    )
    assert comment.internal is True
    (attachment,) = comment.attachments.all()
    for who in (scene.trainee, scene.mentor):
        task_page = client_for(who).get(f"/inbox/tasks/{scene.submit_task.pk}/")
        assert task_page.status_code == 200
        assert "政审材料待核实" not in task_page.content.decode()
        case_page = client_for(who).get(case_url(scene.training)).content.decode()
        assert "政审材料待核实" not in case_page  # nor in the case's history
        assert client_for(who).get(f"/inbox/attachments/{attachment.pk}/").status_code == 404
    for who in (w.secretary, w.auditor):
        assert "政审材料待核实" in client_for(who).get(f"/inbox/tasks/{scene.submit_task.pk}/").content.decode()
        assert client_for(who).get(f"/inbox/attachments/{attachment.pk}/").status_code == 200
    # Nobody outside the officials is told of it.
    told = Notification.objects.filter(kind=NotificationKind.COMMENTED, task=scene.submit_task)
    assert not told.filter(recipient__in=[scene.trainee, scene.mentor]).exists()


def test_the_trainee_does_not_read_comments_on_the_mentors_record_duty(scene):
    copy_svc.task_comment(actor=scene.mentor, task_id=scene.record_task.pk, text="本期谈心安排在周五")
    assert TaskComment.objects.get(task=scene.record_task).internal is False
    page = client_for(scene.trainee).get(f"/inbox/tasks/{scene.record_task.pk}/").content.decode()
    assert "本期谈心安排在周五" not in page and 'id="comment-form"' not in page
    assert (
        "本期谈心安排在周五"
        in client_for(scene.w.officer).get(f"/inbox/tasks/{scene.record_task.pk}/").content.decode()
    )


# --- 评论: the wrong people -------------------------------------------------------------------------

COMMENT_REFUSED = {
    ("outsider", "branch"): 404,
    ("other_officer", "branch"): 404,
    ("sibling", "branch"): 404,
    ("auditor", "branch"): 403,
    ("mentor", "branch"): 403,  # a lifecycle step: officials only
    ("trainee", "submit"): 403,  # her case's lifecycle step
    ("trainee", "record"): 403,  # her mentor's record duty
    ("trainee", "branch"): 404,  # not her case
}


@pytest.mark.parametrize(("who", "where"), COMMENT_REFUSED)
def test_the_wrong_people_cannot_comment(scene, who, where):
    task = {"branch": scene.branch_task, "submit": scene.submit_task, "record": scene.record_task}[where]
    before = snapshot()
    response = post(scene.people[who], comment_url(task), {"text": "我来说两句"})
    text = refused(response, COMMENT_REFUSED[(who, where)])
    if who == "auditor":
        assert "审计身份只能查阅" in text
    assert snapshot() == before


def test_a_closed_case_takes_no_comment(scene):
    Case.objects.filter(pk=scene.branch.pk).update(state=CaseState.EXITED)
    before = snapshot()
    refused(post(scene.w.officer, comment_url(scene.branch_task), {"text": "补充"}), 400, "已结束")
    assert snapshot() == before


# --- 评论: bad input --------------------------------------------------------------------------------


def test_a_blank_comment_is_refused(scene):
    before = snapshot()
    _refused_keeping(post(scene.w.officer, comment_url(scene.branch_task), {"text": "   "}), before, "请填写评论内容")


def test_a_long_comment_is_refused_with_its_length_and_kept(scene):
    before = snapshot()
    text = "评" * 1001
    response = post(scene.w.officer, comment_url(scene.branch_task), {"text": text})
    _refused_keeping(response, before, "评论内容最多 1000 字，现有 1001 字", text)


def test_a_comment_with_direction_controls_is_refused(scene):
    before = snapshot()
    refused(post(scene.w.officer, comment_url(scene.branch_task), {"text": "同意\u202e不同意"}), 400)
    assert snapshot() == before


def test_six_files_are_refused(scene):
    before = snapshot()
    files = [pdf(f"附件{i}.pdf") for i in range(6)]
    response = post(scene.w.officer, comment_url(scene.branch_task), {"text": "材料六份", "files": files})
    _refused_keeping(response, before, "最多附 5 个文件", "材料六份")


def _stored_files(settings) -> set:
    root = settings.PRIVATE_MEDIA_ROOT
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def test_a_file_that_fails_its_structure_check_refuses_the_whole_comment(scene, settings):
    before, files_before = snapshot(), _stored_files(settings)
    broken = SimpleUploadedFile("坏.pdf", b"%PDF-1.4\nthis is not a pdf at all", content_type="application/pdf")
    response = post(scene.w.officer, comment_url(scene.branch_task), {"text": "附两份材料", "files": [pdf(), broken]})
    _refused_keeping(response, before, "“坏.pdf”的内容不是有效的 PDF", "附两份材料")
    assert _stored_files(settings) == files_before  # not even the good file's bytes were kept


# --- the API --------------------------------------------------------------------------------------


def api(scene, who, task, body):
    token = scene.tokens.get(who) if who else None
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return Client().post(f"/api/tasks/{task.pk}/act", data=json.dumps(body), content_type="application/json", **headers)


API_COPY = {None: 401, "revoked": 401, "outsider": 404, "other_officer": 404, "auditor": 403, "mentor": 403}


@pytest.mark.parametrize("who", API_COPY)
def test_api_copy_refused(scene, who):
    before = snapshot()
    response = api(scene, who, scene.branch_task, {"action": "copy", "recipients": [scene.sibling.pk]})
    assert response.status_code == API_COPY[who], response.content.decode()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["detail"])
    assert snapshot() == before


def test_api_copy_by_the_step_holder(scene):
    response = api(
        scene, "secretary", scene.branch_task, {"action": "copy", "recipients": [scene.sibling.pk], "note": "请知悉"}
    )
    assert response.status_code == 200, response.content.decode()
    assert response.json()["case_state"] == CaseState.BRANCH_REVIEW
    assert latest(AuditAction.COPY).actor_id == scene.w.secretary.pk
    assert CaseCopy.objects.filter(recipient=scene.sibling, task=scene.branch_task, revoked_at=None).exists()
    data = (
        Client()
        .get(f"/api/tasks/{scene.branch_task.pk}", HTTP_AUTHORIZATION=f"Bearer {scene.tokens['secretary']}")
        .json()
    )
    assert data["can_copy"] is True and data["can_comment"] is True


def test_api_copy_bad_input(scene):
    before = snapshot()
    response = api(scene, "secretary", scene.branch_task, {"action": "copy", "recipients": [scene.w.other_officer.pk]})
    assert response.status_code == 400 and "不在可抄送的名单中" in response.json()["detail"]
    response = api(scene, "secretary", scene.branch_task, {"action": "copy"})
    assert response.status_code == 400 and "请选择抄送对象" in response.json()["detail"]
    assert snapshot() == before


API_COMMENT = {None: 401, "revoked": 401, "outsider": 404, "other_officer": 404, "auditor": 403, "mentor": 403}


@pytest.mark.parametrize("who", API_COMMENT)
def test_api_comment_refused(scene, who):
    before = snapshot()
    response = api(scene, who, scene.branch_task, {"action": "comment", "text": "我来说两句"})
    assert response.status_code == API_COMMENT[who], response.content.decode()
    assert snapshot() == before


def test_api_comment_by_an_official_and_bad_input(scene):
    before = snapshot()
    response = api(scene, "officer", scene.branch_task, {"action": "comment", "text": " "})
    assert response.status_code == 400 and "请填写评论内容" in response.json()["detail"]
    assert snapshot() == before
    response = api(scene, "officer", scene.branch_task, {"action": "comment", "text": "已补充材料"})
    assert response.status_code == 200, response.content.decode()
    event = latest(AuditAction.COMMENT)
    assert event.actor_id == scene.w.officer.pk and event.changes["comment_text"] == "已补充材料"
    assert TaskComment.objects.get(task=scene.branch_task).internal is True

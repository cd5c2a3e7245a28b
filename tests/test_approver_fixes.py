"""What issue 11 saw on an approver's day, each fixed and kept fixed: long opinions refused with
their length and kept in the form, the pointer to 待认领, 改派 to a colleague, display names and
direction controls in history, one status label, and a GET on an action URL."""

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.flow_client import act, client_for, register, the_open_task
from tests.helpers import alert_text, snapshot
from tests.training import PDF, complete_training, submitter, training_tasks
from workflows.flows import CaseFlow
from workflows.models import AuditEvent
from workflows.services import training

LONG = "很" * 1001


def _to_branch_review(w):
    case = register(w.officer, w.candidate1, "1")
    act(w.officer, the_open_task(case), action="pair", mentors=[w.member_mentor.pk])
    act(w.member_mentor.user, the_open_task(case), action="accept")
    complete_training(case)
    act(w.officer, the_open_task(case), action="submit")
    return case


def _refused_keeping(response, before, message, typed):
    assert response.status_code == 400, response.status_code
    assert message in alert_text(response), alert_text(response)
    assert typed in response.content.decode()  # what was typed is still in the form
    assert snapshot() == before


# --- 1. never ignore is_valid() ------------------------------------------------------------------


def test_a_too_long_review_opinion_is_refused_with_its_length_and_kept(world):
    case = _to_branch_review(world)
    task = the_open_task(case)
    before = snapshot()
    response = client_for(world.secretary).post(f"/inbox/tasks/{task.pk}/act/", {"action": "approve", "reason": LONG})
    _refused_keeping(response, before, "审核意见最多 1000 字，现有 1001 字", LONG)
    assert not AuditEvent.objects.filter(case=case, action="approve").exists()


def test_a_too_long_return_reason_is_refused_with_its_length_and_kept(world):
    case = _to_branch_review(world)
    task = the_open_task(case)
    before = snapshot()
    response = client_for(world.secretary).post(f"/inbox/tasks/{task.pk}/act/", {"action": "return", "reason": LONG})
    _refused_keeping(response, before, "退回理由最多 1000 字，现有 1001 字", LONG)


def test_a_blank_return_reason_is_refused(world):
    case = _to_branch_review(world)
    task = the_open_task(case)
    before = snapshot()
    response = client_for(world.secretary).post(f"/inbox/tasks/{task.pk}/act/", {"action": "return", "reason": "  "})
    assert response.status_code == 400 and "请填写理由" in alert_text(response)
    assert snapshot() == before


def test_a_too_long_urge_note_is_refused_with_its_length_and_kept(world):
    case = _to_branch_review(world)
    task = the_open_task(case)
    before = snapshot()
    response = client_for(world.officer).post(f"/inbox/tasks/{task.pk}/urge/", {"reason": LONG})
    _refused_keeping(response, before, "催办说明最多 1000 字，现有 1001 字", LONG)


def _work_under_review(w):
    case = register(w.officer, w.candidate1, "1")
    act(w.officer, the_open_task(case), action="pair", mentors=[w.member_mentor.pk])
    act(w.member_mentor.user, the_open_task(case), action="accept")
    case_study = training_tasks(case, CaseFlow.submit_work)[0]
    training.work_submit(
        actor=submitter(case_study),
        task_id=case_study.pk,
        title="家校沟通",
        summary="第一稿的摘要",
        upload=SimpleUploadedFile("案例.pdf", PDF),
    )
    (review,) = training_tasks(case, CaseFlow.review_work)
    return case, case_study, review


def test_a_too_long_work_review_note_is_refused_and_kept(world, in_semester):
    _case, _study, review = _work_under_review(world)
    for action, label in (("work_accept", "审阅意见"), ("work_return", "退回理由")):
        before = snapshot()
        response = client_for(world.member_mentor.user).post(
            f"/inbox/tasks/{review.pk}/act/", {"action": action, "reason": LONG}
        )
        _refused_keeping(response, before, f"{label}最多 1000 字，现有 1001 字", LONG)


def test_a_returned_work_is_resubmitted_from_the_last_submission(world, in_semester):
    case, study, review = _work_under_review(world)
    training.work_review(actor=review.owner, task_id=review.pk, accept=False, note="再具体些")
    resubmit = next(t for t in training_tasks(case, CaseFlow.submit_work) if t.work_id == study.work_id)
    page = client_for(submitter(resubmit)).get(f"/inbox/tasks/{resubmit.pk}/").content.decode()
    assert 'value="家校沟通"' in page and "第一稿的摘要" in page


def test_a_refused_pairing_keeps_the_ticked_mentors(world):
    case = register(world.officer, world.candidate1, "1")
    task = the_open_task(case)
    before = snapshot()
    # Three mentors: the service refuses (1–2), the two boxes that were ticked stay ticked.
    response = client_for(world.officer).post(
        f"/inbox/tasks/{task.pk}/act/",
        {"action": "pair", "mentors": [world.member_mentor.pk, world.member_mentor2.pk, world.candidate2.pk]},
    )
    assert response.status_code == 400, alert_text(response)
    assert snapshot() == before
    body = response.content.decode()
    for mentor in (world.member_mentor, world.member_mentor2):
        tag = body.split(f'value="{mentor.pk}"')[1].split(">")[0]
        assert "checked" in tag, tag


def test_a_too_long_pause_reason_on_the_case_page_is_refused_and_kept(world):
    case = register(world.officer, world.candidate1, "1")
    before = snapshot()
    response = client_for(world.officer).post(f"/inbox/cases/{case.pk}/pause/", {"reason": LONG})
    _refused_keeping(response, before, "暂停理由最多 1000 字，现有 1001 字", LONG)

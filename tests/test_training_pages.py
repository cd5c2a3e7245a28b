"""What the pages of training work show: the record task, corrections with files, 催办, the gate."""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.flow_client import client_for
from tests.helpers import alert_text, new_case, snapshot
from tests.training import PDF, lifecycle_tasks, submitter, training_tasks
from workflows.flows import CaseFlow
from workflows.models import CaseState, TrainingRecord
from workflows.services import cases as svc
from workflows.services import records as record_svc
from workflows.services import training


def _in_training(w, name="页面测试", **teacher_kw):
    case = new_case(w, name, CaseState.PAIRED, **teacher_kw)
    (accept,) = lifecycle_tasks(case)
    svc.mentor_accept(actor=accept.owner, task_id=accept.pk)
    return case


def test_a_record_task_refuses_a_date_outside_its_period_and_keeps_the_input(world):
    case = _in_training(world)
    (task,) = training_tasks(case, CaseFlow.record)
    outside = task.duty.period_start - datetime.timedelta(days=1)
    before = snapshot()
    response = client_for(world.member_mentor.user).post(
        f"/inbox/tasks/{task.pk}/act/",
        {"action": "record", "date": outside.isoformat(), "kind": "talk", "content": "上月的一次谈话"},
    )
    assert response.status_code == 400
    assert "本期记录的日期应在" in alert_text(response)
    assert "上月的一次谈话" in response.content.decode()  # the typed text is still in the form
    assert snapshot() == before


def test_a_correction_keeps_the_first_versions_files_in_view(world):
    case = _in_training(world)
    mentor = world.member_mentor.user
    today = timezone.localdate()
    record = record_svc.record_write(
        actor=mentor,
        case_id=case.pk,
        date=today,
        kind="talk",
        content="谈心",
        files=[SimpleUploadedFile("谈话.pdf", PDF)],
    )
    record_svc.record_correct(
        actor=mentor, record_id=record.pk, date=today, kind="talk", content="谈心谈话（补充）", reason="补充内容"
    )
    page = client_for(world.officer).get(f"/inbox/cases/{case.pk}/").content.decode()
    assert "谈心谈话（补充）" in page and "谈话.pdf" in page
    assert TrainingRecord.objects.filter(case=case).count() == 2


def test_a_second_urge_today_is_not_offered_and_a_forced_one_stays_on_the_task(world):
    case = _in_training(world)
    (task,) = training_tasks(case, CaseFlow.record)
    officer = client_for(world.officer)
    assert officer.post(f"/inbox/tasks/{task.pk}/urge/", {"reason": "请补记录"}).status_code == 302
    page = officer.get(f"/inbox/tasks/{task.pk}/").content.decode()
    assert 'id="urged-today"' in page and 'id="urge-form"' not in page
    response = client_for(world.reviewer).post(f"/inbox/tasks/{task.pk}/urge/", {"reason": "再催"})
    assert response.status_code == 409
    assert "每天最多催办一次" in alert_text(response)
    assert 'id="task-title"' in response.content.decode()  # the task page, not a dead end


def test_a_work_task_shows_only_what_was_said_about_that_work(world, in_semester):
    case = _in_training(world)
    case_study, paper = training_tasks(case, CaseFlow.submit_work)
    training.work_submit(
        actor=submitter(case_study),
        task_id=case_study.pk,
        title="家校沟通",
        summary="摘要",
        upload=SimpleUploadedFile("案例.pdf", PDF),
    )
    (review,) = training_tasks(case, CaseFlow.review_work)
    training.work_review(actor=review.owner, task_id=review.pk, accept=False, note="案例过程写得太简单")
    resubmit = next(t for t in training_tasks(case, CaseFlow.submit_work) if t.work_id == case_study.work_id)
    user = submitter(resubmit)
    own = client_for(user).get(f"/inbox/tasks/{resubmit.pk}/").content.decode()
    assert "案例过程写得太简单" in own
    assert 'value="家校沟通"' in own  # the resubmission starts from what was sent
    other = client_for(user).get(f"/inbox/tasks/{paper.pk}/").content.decode()
    assert "案例过程写得太简单" not in other


def test_the_submit_button_waits_for_the_gate(world):
    case = _in_training(world)
    (submit,) = lifecycle_tasks(case)
    page = client_for(world.officer).get(f"/inbox/tasks/{submit.pk}/").content.decode()
    assert 'id="gate"' in page and "培养时间不足" in page
    assert "disabled" in page.split('value="submit"')[1].split("</form>")[0]


def test_the_mentors_day_is_for_mentors_and_trainees_and_shows_returns(world, in_semester):
    from workflows import selectors

    case = _in_training(world, user=True)  # the trainee has an account: her work comes back to her
    assert selectors.mentor_day(world.officer) == {}  # an officer's inbox is the list itself
    day = selectors.mentor_day(world.member_mentor.user)
    (row,) = day["trainees"]
    assert row["case"] == case and row["record_task"].flow_task == CaseFlow.record
    case_study = training_tasks(case, CaseFlow.submit_work)[0]
    training.work_submit(
        actor=submitter(case_study),
        task_id=case_study.pk,
        title="题",
        summary="要",
        upload=SimpleUploadedFile("a.pdf", PDF),
    )
    (review,) = training_tasks(case, CaseFlow.review_work)
    training.work_review(actor=review.owner, task_id=review.pk, accept=False, note="再具体些")
    resubmit = next(t for t in training_tasks(case, CaseFlow.submit_work) if t.work_id == case_study.work_id)
    assert resubmit.owner == case.teacher.user
    returned = selectors.mentor_day(resubmit.owner)["returned"]
    assert [t.pk for t in returned] == [resubmit.pk]

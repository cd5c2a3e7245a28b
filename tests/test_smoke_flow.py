from tests.training import complete_training, lifecycle_tasks
from workflows.flows import CaseFlow
from workflows.models import CaseState
from workflows.services import cases as svc


def open_tasks(case):
    return lifecycle_tasks(case)


def test_type1_runs(world):
    w = world
    case = svc.case_register(actor=w.officer, teacher_id=w.candidate1.pk, kind="1")
    (t,) = open_tasks(case)
    assert t.flow_task == CaseFlow.pair and t.org == w.school
    svc.case_pair(actor=w.officer, task_id=t.pk, mentor_ids=[w.member_mentor.pk, w.member_mentor2.pk])
    tasks = open_tasks(case)
    assert len(tasks) == 2 and {x.owner_id for x in tasks} == {w.member_mentor.user_id, w.member_mentor2.user_id}
    for x in tasks:
        svc.mentor_accept(actor=x.owner, task_id=x.pk)
    case.refresh_from_db()
    assert case.state == CaseState.TRAINING
    complete_training(case)
    (t,) = open_tasks(case)
    svc.case_submit(actor=w.officer, task_id=t.pk)
    (t,) = open_tasks(case)
    assert t.org == w.branch
    svc.case_approve(actor=w.secretary, task_id=t.pk)
    (t,) = open_tasks(case)
    assert t.org == w.county
    svc.case_approve(actor=w.reviewer, task_id=t.pk)
    (t,) = open_tasks(case)
    assert t.org == w.city
    svc.case_file(actor=w.city_admin, task_id=t.pk, year=2026)
    case.refresh_from_db()
    assert case.state == CaseState.COMPLETED
    assert case.annex2_row.birth_month == "1988.07"
    assert case.process.status == "DONE"

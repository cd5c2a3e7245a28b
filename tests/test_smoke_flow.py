from tests.training import complete_training, lifecycle_tasks
from workflows.flows import CaseFlow, training_nodes
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
    # A finished lifecycle step opens the next task itself (CaseStepActivation.create_next,
    # choosing as ``route`` does): the next task's previous is the step, and the only gateway
    # rows of ``route`` are those after the start and after the mentors' join.
    rows = list(case.tasks.exclude(flow_task__in=training_nodes()).order_by("id"))
    assert [r.flow_task for r in rows if r.flow_task_type == "SWITCH"] == [CaseFlow.route, CaseFlow.route]
    (start,) = [r for r in rows if r.flow_task == CaseFlow.start]
    (route_after_start, route_after_join) = [r for r in rows if r.flow_task == CaseFlow.route]
    assert list(route_after_start.previous.all()) == [start]
    (join,) = [r for r in rows if r.flow_task == CaseFlow.accept_join]
    assert list(route_after_join.previous.all()) == [join]

    def one(node):
        (row,) = [r for r in rows if r.flow_task == node]
        return row

    assert list(one(CaseFlow.pair).previous.all()) == [route_after_start]
    assert list(one(CaseFlow.submit).previous.all()) == [route_after_join]
    for step, following in [
        (CaseFlow.pair, CaseFlow.accept_split),
        (CaseFlow.submit, CaseFlow.branch_review),
        (CaseFlow.branch_review, CaseFlow.unit_review),
        (CaseFlow.unit_review, CaseFlow.city_filing),
        (CaseFlow.city_filing, CaseFlow.end),
    ]:
        assert list(one(following).previous.all()) == [one(step)], (step.name, following.name)
        assert one(following).token == one(step).token

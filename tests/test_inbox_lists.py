"""The inbox lists: what each role sees, the filters, overdue marking, claim and unclaim."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.flow_client import client_for, open_tasks
from workflows.models import AuditEvent, CaseTask
from workflows.services import cases as svc


def _registered(w, teacher, kind):
    return svc.case_register(actor=w.officer, teacher_id=teacher.pk, kind=kind)


def test_queue_filters_by_kind_stage_overdue_and_name(world):
    w = world
    c1 = _registered(w, w.candidate1, "1")
    c2 = _registered(w, w.candidate2, "2")
    CaseTask.objects.filter(pk=open_tasks(c2)[0].pk).update(due_at=timezone.now() - timedelta(days=3))
    officer = client_for(w.officer)

    def names(query):
        body = officer.get("/inbox/queue/" + query).content.decode()
        return {n for n in ("王骨干", "李党员") if n in body}

    assert names("") == {"王骨干", "李党员"}
    assert names("?kind=1") == {"王骨干"}
    assert names("?kind=2") == {"李党员"}
    assert names("?overdue=1") == {"李党员"}
    assert names("?q=王") == {"王骨干"}
    assert names("?stage=training") == set()
    assert names(f"?unit={w.county.pk}") == {"王骨干", "李党员"}
    assert names(f"?unit={w.other_county.pk}") == set()
    body = officer.get("/inbox/queue/").content.decode()
    assert "已逾期" in body
    assert c1.pk != c2.pk


def test_claim_moves_a_task_to_my_inbox_and_unclaim_back(world):
    w = world
    case = _registered(w, w.candidate1, "1")
    task = open_tasks(case)[0]
    officer = client_for(w.officer)
    assert officer.post(f"/inbox/tasks/{task.pk}/claim/").status_code == 302
    assert "王骨干" in officer.get("/inbox/").content.decode()
    assert "王骨干" not in officer.get("/inbox/queue/").content.decode()
    assert officer.post(f"/inbox/tasks/{task.pk}/unclaim/").status_code == 302
    assert "王骨干" in officer.get("/inbox/queue/").content.decode()
    assert list(AuditEvent.objects.filter(case=case).values_list("action", flat=True)) == [
        "register",
        "claim",
        "unclaim",
    ]


def test_inbox_query_count_does_not_grow_with_rows(world):
    w = world
    _registered(w, w.candidate1, "1")
    officer = client_for(w.officer)
    officer.get("/inbox/queue/")
    with CaptureQueriesContext(connection) as one:
        officer.get("/inbox/queue/")
    _registered(w, w.candidate2, "2")
    extra = w.candidate1.__class__.objects.create(
        name="新老师", sex="M", birth_date="1991-01-01", org=w.branch, party_status="masses"
    )
    _registered(w, extra, "1")
    with CaptureQueriesContext(connection) as three:
        officer.get("/inbox/queue/")
    assert len(three) == len(one)

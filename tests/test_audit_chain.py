"""Writing the hash chain: every event through ``audit_log`` joins one gapless chain.

The 16-writer test needs real concurrent connections: PostgreSQL only, with
``transactional_db`` (committed data, a TRUNCATE flush at teardown), as in
tests/test_concurrency_pg.py.
"""

import threading

import pytest
from django.db import connection, connections, transaction

from tests.factories import make_teacher, make_world
from tests.test_audit_verify import verify_command
from workflows import chain
from workflows.models import AuditAction, AuditChainHead, AuditEvent
from workflows.services import cases as svc
from workflows.services.audit import audit_log, audit_log_many


def test_events_form_one_linked_chain(world):
    w = world
    svc.case_register(actor=w.officer, teacher_id=w.candidate1.pk, kind="1")
    with transaction.atomic():
        first = audit_log(actor=w.officer, action=AuditAction.EDIT, case=None, changes={"a": (1, 2)})
        second = audit_log(actor=None, action=AuditAction.POLICY, case=None, reason="理由")
    third = audit_log(actor=None, action=AuditAction.POLICY, case=None)  # its own transaction
    assert (second.seq, third.seq) == (first.seq + 1, first.seq + 2)
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    assert first.changes == {"a": [1, 2]}
    prev, seqs = chain.GENESIS, []
    for seq, prev_hash, digest in AuditEvent.objects.order_by("seq").values_list("seq", "prev_hash", "hash"):
        assert prev_hash == prev
        prev = digest
        seqs.append(seq)
    assert seqs == list(range(1, len(seqs) + 1))
    assert AuditChainHead.objects.values_list("seq", "hash").get() == (third.seq, third.hash)
    assert chain.current_code() == f"A-{third.seq:06d}-{third.hash[:12]}"


@pytest.mark.parametrize(
    "fields",
    [
        {"actor_id": None, "org_id": None, "case_id": None, "task_id_ref": None, "changes": {}, "evidence": []},
        {
            "actor_id": 7,
            "org_id": 3,
            "case_id": 12,
            "task_id_ref": 99,
            "changes": {"z": [None, "新"], "a": {"b": 1.5, "A": True}, "内容": '引号"、换行\n、\u0001、😀'},
            "evidence": [{"table": "workflows_trainingrecord", "id": 4, "sha256": "ab" * 32}],
        },
    ],
)
def test_the_hand_written_canonical_form_is_sorted_key_json(fields):
    """``chain._digest`` writes the JSON out key by key for speed: it must equal the reference
    json.dumps(sort_keys=True, ensure_ascii=False, separators=(",", ":")) form, UTF-8."""
    import datetime
    import hashlib
    import json

    at = datetime.datetime(2026, 11, 16, 10, 0, 0, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    values = {
        "seq": 41,
        "at": at,
        "actor_name": '张三 "x"',
        "role": "officer",
        "action": "record",
        "from_state": "training",
        "to_state": "",
        "reason": "理由\t二",
        "prev_hash": "0" * 64,
        **fields,
    }
    reference = chain.canonical_event(**values)
    assert reference == json.dumps(
        json.loads(reference), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")
    assert json.loads(reference)["at"] == "2026-11-16T02:00:00.000005+00:00"
    assert chain.event_hash(**values) == hashlib.sha256(reference).hexdigest()


def test_a_batch_appends_as_consecutive_calls_would(world):
    """``audit_log_many`` (an approval's 认领 and 审核通过 under one take of the head's lock):
    consecutive seqs, each event chained to the one before, the head at the last, the same
    columns ``audit_log`` writes, and the verifier content."""
    w = world
    single = audit_log(actor=w.officer, action=AuditAction.EDIT, case=None, changes={"a": (1, 2)})
    with transaction.atomic():
        first, second = audit_log_many(
            [
                {"actor": w.officer, "action": AuditAction.EDIT, "case": None, "changes": {"a": (1, 2)}},
                {"actor": None, "action": AuditAction.POLICY, "case": None, "reason": "理由"},
            ]
        )
    assert (first.seq, second.seq) == (single.seq + 1, single.seq + 2)
    assert first.prev_hash == single.hash and second.prev_hash == first.hash
    assert first.at <= second.at
    columns = ("actor_id", "actor_name", "role", "org_id", "case_id", "action", "changes", "evidence")
    stored = AuditEvent.objects.filter(pk__in=[single.pk, first.pk]).order_by("seq").values_list(*columns)
    assert stored[0] == stored[1]
    assert AuditEvent.objects.get(pk=second.pk).actor_name == "系统"
    assert AuditChainHead.objects.values_list("seq", "hash").get() == (second.seq, second.hash)
    assert audit_log_many([]) == []
    assert verify_command()[0] == 0


def test_a_lost_head_row_is_rebuilt_from_the_newest_event(world):
    last = audit_log(actor=None, action=AuditAction.POLICY, case=None)
    AuditChainHead.objects.all().delete()
    event = audit_log(actor=None, action=AuditAction.POLICY, case=None)
    assert (event.seq, event.prev_hash) == (last.seq + 1, last.hash)


# --- 16 writers at once (PostgreSQL) ----------------------------------------------------

N_WRITERS = 16


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: real row locks between concurrent connections, and a TRUNCATE teardown flush",
)
def test_sixteen_writers_make_one_chain(transactional_db):
    w = make_world()
    teachers = [make_teacher(f"并发{i}", w.branch) for i in range(N_WRITERS)]

    barrier = threading.Barrier(N_WRITERS)
    errors = []

    def run(i):
        try:
            barrier.wait(timeout=30)
            # A service's own transaction, then two more events in one transaction of the thread's.
            svc.case_register(actor=w.officer, teacher_id=teachers[i].pk, kind="1")
            with transaction.atomic():
                for n in range(2):
                    audit_log(actor=w.officer, action=AuditAction.EDIT, case=None, changes={"writer": i, "n": n})
        except Exception as exc:  # noqa: BLE001 - recorded and asserted below
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(N_WRITERS)]
    before = AuditEvent.objects.count()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert AuditEvent.objects.count() == before + N_WRITERS * 3
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert verify_command()[0] == 0


def test_a_resubmitted_work_verifies_and_an_earlier_code_still_holds(world, in_semester):
    """A 学期成果 is rewritten in place by its resubmission: the newest submission event is the
    one its row must match, and a 核验码 printed before the resubmission still holds."""
    from tests.helpers import drive, open_human
    from tests.training import PDF, submitter, training_tasks
    from workflows.flows import CaseFlow
    from workflows.models import CaseState, SemesterWork
    from workflows.services import training
    from workflows.services.attachments import as_upload

    w = world
    case = svc.case_register(actor=w.officer, teacher_id=w.candidate1.pk, kind="1")
    drive(case, CaseState.PAIRED, officer=w.officer, mentors=[w.member_mentor])
    for task in open_human(case):
        svc.mentor_accept(actor=task.owner, task_id=task.pk)
    task = training_tasks(case, CaseFlow.submit_work)[0]
    training.work_submit(
        actor=submitter(task), task_id=task.pk, title="初稿", summary="摘要", upload=as_upload("初稿.pdf", PDF)
    )
    code = chain.current_code()
    (review,) = training_tasks(case, CaseFlow.review_work)
    training.work_review(actor=review.owner, task_id=review.pk, accept=False, note="请补充")
    again = next(t for t in training_tasks(case, CaseFlow.submit_work) if t.work_id == task.work_id)
    training.work_submit(
        actor=submitter(again), task_id=again.pk, title="修改稿", summary="摘要二", upload=as_upload("修改稿.pdf", PDF)
    )
    assert SemesterWork.objects.get(pk=task.work_id).title == "修改稿"
    code_now, report = verify_command()
    assert code_now == 0, report["problems"]
    assert chain.holds(code)[0]
    # Changing the row now breaks it against the newest submission.
    SemesterWork.objects.filter(pk=task.work_id).update(title="初稿")
    code_now, report = verify_command()
    assert code_now == 1 and report["problems"][0]["kind"] == "evidence"


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: real row locks between concurrent connections, and a TRUNCATE teardown flush",
)
def test_a_reminder_and_a_service_closing_its_task_do_not_deadlock(transactional_db):
    """A service audits (taking the head) and then writes a task that tick is about to remind:
    tick takes the head before the task row, so it waits instead of forming a lock cycle."""
    import time

    from django.utils import timezone

    from tests.helpers import new_case
    from tests.training import training_tasks
    from workflows.flows import CaseFlow
    from workflows.models import CaseState, CaseTask
    from workflows.services import reminders
    from workflows.services.locking import locked_case

    w = make_world()
    case = new_case(w, "并发提醒", CaseState.PAIRED)
    for task in CaseTask.objects.filter(case=case, flow_task_type="HUMAN", status__in=("NEW", "ASSIGNED")):
        svc.mentor_accept(actor=task.owner, task_id=task.pk)
    task = training_tasks(case, CaseFlow.record)[0]
    CaseTask.objects.filter(pk=task.pk).update(due_at=timezone.now() - timezone.timedelta(hours=1))
    has_head = threading.Event()
    errors = []

    def service():
        try:
            with locked_case(case.pk) as locked:
                audit_log(actor=w.officer, action=AuditAction.EDIT, case=locked, changes={"note": ["", "x"]})
                has_head.set()
                time.sleep(0.5)  # tick starts meanwhile
                CaseTask.objects.filter(pk=task.pk).update(due_at=timezone.now() - timezone.timedelta(hours=2))
        except Exception as exc:  # noqa: BLE001 - recorded and asserted below
            errors.append(repr(exc))
        finally:
            connections.close_all()

    def ticker():
        try:
            has_head.wait(timeout=30)
            reminders.tick()
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=service), threading.Thread(target=ticker)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert AuditEvent.objects.filter(case=case, action=AuditAction.OVERDUE, task_id_ref=task.pk).exists()
    assert verify_command()[0] == 0

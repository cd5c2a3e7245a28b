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
from workflows.services.audit import audit_log


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

"""``manage.py audit_verify``: an untouched trail verifies; any change to an event or to an
evidence row its events record is caught and named.

Runs on whichever database the suite uses. The scene (a case driven to 市级备案 with records, a
correction, semester work with files, opinions, its 附件2 row and a frozen annual report) is
built once per module inside a transaction; each test runs in a savepoint on top of it. A test
that tampers lifts a table's append-only trigger inside that savepoint (DDL is transactional on
both databases), so the rollback puts the trigger back and no other test sees the table without
it; ``triggers_off`` also restores it explicitly.
"""

import datetime
import io
import json
import re
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from tests.factories import make_world
from tests.helpers import module_media, new_case, scene_once
from tests.training import PDF
from workflows import chain, documents, figures, roster
from workflows.flows import AnnualReportFlow
from workflows.models import (
    Annex2Row,
    AnnualReport,
    Attachment,
    AuditAction,
    AuditChainHead,
    AuditCheckpoint,
    AuditEvent,
    CaseState,
    MentorOpinion,
    ReportTask,
    SemesterWork,
    TrainingRecord,
)
from workflows.services import records, reports
from workflows.services.attachments import as_upload, storage_root
from workflows.services.audit import audit_log, checkpoint_write

YEAR = 2026
TODAY = datetime.date(2026, 11, 16)


def _open_task(process, node):
    return ReportTask.objects.get(process=process, flow_task=node, status__in=("NEW", "ASSIGNED", "STARTED"))


def build_scene() -> SimpleNamespace:
    w = make_world()
    s = SimpleNamespace(w=w)
    case = new_case(w, "甲教师", CaseState.TRAINING, mentors=[w.member_mentor])
    mentor = w.member_mentor.user
    s.record = records.record_write(
        actor=mentor,
        case_id=case.pk,
        date=datetime.date(2026, 11, 16),
        kind="talk",
        content="谈心谈话：交流入党动机。",
        files=[as_upload("谈话记录.pdf", PDF)],
    )
    s.correction = records.record_correct(
        actor=mentor,
        record_id=s.record.pk,
        date=datetime.date(2026, 11, 16),
        kind="talk",
        content="谈心谈话：交流入党动机与学习计划。",
        reason="补充内容",
    )
    s.training_case = case
    s.case = new_case(w, "乙教师", CaseState.COMPLETED, mentors=[w.member_mentor2])
    rnd = reports.report_round_open(unit=w.county, year=YEAR)
    s.report = reports.report_submit(actor=w.reviewer, task_id=_open_task(rnd, AnnualReportFlow.prepare).pk)
    return s


_built = scene_once(build_scene)


@pytest.fixture
def scene(_built, db, settings):
    module_media(settings, _built)
    return _built


def verify_command(*args) -> tuple[int, dict]:
    out = io.StringIO()
    try:
        call_command("audit_verify", "--format", "json", *args, stdout=out)
        code = 0
    except SystemExit as exit:
        code = exit.code
    return code, json.loads(out.getvalue())


@contextmanager
def triggers_off(table: str):
    """Bypass the append-only trigger of ``table`` (what an insider with database rights does)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Fire the deferred foreign-key checks now: ALTER TABLE refuses pending trigger events.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
            try:
                yield cursor
            finally:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER ALL")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table])
            saved = cursor.fetchall()
            for name, _sql in saved:
                cursor.execute(f"DROP TRIGGER {name}")
            try:
                yield cursor
            finally:
                for _name, sql in saved:
                    cursor.execute(sql)


def tamper(model, pk, column, value):
    table = model._meta.db_table
    with triggers_off(table) as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, pk])


def recorded_by(table, pk) -> AuditEvent:
    events = [
        e
        for e in AuditEvent.objects.order_by("seq")
        if any(item["table"] == table and item["id"] == pk for item in e.evidence)
    ]
    assert events, f"no event records {table} {pk}"
    return events[-1]


def test_untouched_database_verifies(scene):
    code, report = verify_command()
    assert code == 0, report["problems"]
    assert report["ok"] and report["events"] == AuditEvent.objects.count()
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    head = AuditChainHead.objects.get()
    last = AuditEvent.objects.order_by("-seq").first()
    assert (head.seq, head.hash) == (last.seq, last.hash)
    assert report["evidence_rows"] >= 8


def test_each_event_links_to_the_previous_one(scene):
    prev = chain.GENESIS
    for event in AuditEvent.objects.order_by("seq"):
        assert event.prev_hash == prev
        prev = event.hash


def test_the_writing_events_carry_their_rows_hashes(scene):
    s = scene
    record_event = AuditEvent.objects.get(action=AuditAction.RECORD, case=s.training_case)
    tables = {(e["table"], e["id"]) for e in record_event.evidence}
    attachment = Attachment.objects.get(record=s.record)
    assert tables == {("workflows_trainingrecord", s.record.pk), ("workflows_attachment", attachment.pk)}
    assert recorded_by("workflows_trainingrecord", s.correction.pk).action == AuditAction.RECORD_CORRECT
    assert recorded_by("workflows_annex2row", s.case.annex2_row.pk).action == AuditAction.COMPLETE
    assert recorded_by("workflows_annualreport", s.report.pk).action == AuditAction.REPORT_SUBMIT
    opinion = MentorOpinion.objects.filter(case=s.case).first()
    assert recorded_by("workflows_mentoropinion", opinion.pk).action == AuditAction.OPINION
    work = SemesterWork.objects.filter(case=s.case, status="accepted").first()
    assert recorded_by("workflows_semesterwork", work.pk).action == AuditAction.WORK_SUBMIT


TAMPERS = [
    ("record", lambda s: (TrainingRecord, s.record.pk, "content", "改写过的记录")),
    ("correction", lambda s: (TrainingRecord, s.correction.pk, "date", "2026-11-01")),
    ("opinion", lambda s: (MentorOpinion, MentorOpinion.objects.filter(case=s.case).first().pk, "text", "不同意")),
    ("work", lambda s: (SemesterWork, SemesterWork.objects.filter(case=s.case).first().pk, "title", "换了题目")),
    ("attachment", lambda s: (Attachment, Attachment.objects.get(record=s.record).pk, "sha256", "0" * 64)),
    ("annex2", lambda s: (Annex2Row, s.case.annex2_row.pk, "name", "冒名顶替")),
    ("report", lambda s: (AnnualReport, s.report.pk, "count_1", 99)),
]


@pytest.mark.parametrize("name,target", TAMPERS, ids=[t[0] for t in TAMPERS])
def test_changing_an_evidence_row_is_caught(scene, name, target):
    model, pk, column, value = target(scene)
    event = recorded_by(model._meta.db_table, pk)
    tamper(model, pk, column, value)
    code, report = verify_command()
    assert code == 1
    (problem,) = report["problems"]
    assert problem["kind"] == "evidence"
    assert (problem["event_id"], problem["seq"], problem["case_id"]) == (event.pk, event.seq, event.case_id)
    assert str(pk) in problem["detail"] and model._meta.db_table in problem["detail"]


def test_a_replaced_attachment_file_is_caught(scene):
    attachment = Attachment.objects.get(record=scene.record)
    path = Path(storage_root()) / attachment.stored_name
    original = path.read_bytes()
    try:
        path.write_bytes(original + b"%% appended")
        code, report = verify_command()
        assert code == 1
        (problem,) = report["problems"]
        assert problem["kind"] == "evidence" and "SHA-256" in problem["detail"]
        assert verify_command("--no-files")[0] == 0
    finally:
        path.write_bytes(original)
    assert verify_command()[0] == 0


def test_a_deleted_evidence_row_is_caught(scene):
    attachment = Attachment.objects.get(record=scene.record)
    event = recorded_by("workflows_attachment", attachment.pk)
    with triggers_off("workflows_attachment") as cursor:
        cursor.execute("DELETE FROM workflows_attachment WHERE id = %s", [attachment.pk])
    code, report = verify_command()
    assert code == 1
    (problem,) = report["problems"]
    assert problem["event_id"] == event.pk and "删除" in problem["detail"]


@pytest.mark.parametrize(
    "column,value",
    [("reason", "伪造的理由"), ("actor_name", "别人"), ("changes", '{"owner": [null, "x"]}'), ("at", "2020-01-01")],
)
def test_changing_an_audit_event_is_caught(scene, column, value):
    event = AuditEvent.objects.filter(case=scene.training_case).order_by("seq")[1]
    tamper(AuditEvent, event.pk, column, value)
    code, report = verify_command()
    assert code == 1
    (problem,) = report["problems"]
    assert problem["kind"] == "event"
    assert (problem["event_id"], problem["seq"], problem["case_id"]) == (event.pk, event.seq, event.case_id)


def test_a_deleted_event_leaves_a_gap(scene):
    event = AuditEvent.objects.order_by("seq")[3]
    with triggers_off("workflows_auditevent") as cursor:
        cursor.execute("DELETE FROM workflows_auditevent WHERE id = %s", [event.pk])
    code, report = verify_command()
    assert code == 1
    kinds = {p["kind"] for p in report["problems"]}
    assert "sequence" in kinds and "link" in kinds
    gap = next(p for p in report["problems"] if p["kind"] == "sequence")
    assert f"缺少序号 {event.seq}" in gap["detail"]


def test_swapped_sequence_numbers_are_caught(scene):
    a, b = AuditEvent.objects.order_by("seq")[4:6]
    with triggers_off("workflows_auditevent") as cursor:
        cursor.execute("UPDATE workflows_auditevent SET seq = %s WHERE id = %s", [10**9, a.pk])
        cursor.execute("UPDATE workflows_auditevent SET seq = %s WHERE id = %s", [a.seq, b.pk])
        cursor.execute("UPDATE workflows_auditevent SET seq = %s WHERE id = %s", [b.seq, a.pk])
    code, report = verify_command()
    assert code == 1
    kinds = {p["kind"] for p in report["problems"]}
    assert {"order", "event"} <= kinds


def test_deleting_the_newest_events_is_caught_by_the_head(scene):
    newest = list(AuditEvent.objects.order_by("-seq")[:2])
    with triggers_off("workflows_auditevent") as cursor:
        cursor.execute("DELETE FROM workflows_auditevent WHERE id IN (%s, %s)", [e.pk for e in newest])
    code, report = verify_command()
    assert code == 1
    (problem,) = report["problems"]
    assert problem["kind"] == "head" and "截断" in problem["detail"]


def test_from_seq_checks_the_rest(scene):
    event = AuditEvent.objects.order_by("seq")[2]
    tamper(AuditEvent, event.pk, "reason", "改过")
    assert verify_command("--from", str(event.seq))[0] == 1
    code, report = verify_command("--from", str(event.seq + 1))
    assert code == 0, report["problems"]
    assert report["first_seq"] == event.seq + 1


def test_text_output_names_the_event(scene):
    event = AuditEvent.objects.order_by("seq")[2]
    tamper(AuditEvent, event.pk, "reason", "改过")
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit:
        call_command("audit_verify", stdout=out)
    assert exit.value.code == 1
    assert f"事件 {event.pk}，序号 {event.seq}" in out.getvalue()


def test_audit_log_outside_a_transaction_still_chains(scene):
    head = AuditChainHead.objects.get()
    event = audit_log(actor=None, action=AuditAction.POLICY, case=None, changes={"k": (1, 2)})
    assert event.seq == head.seq + 1 and event.prev_hash == head.hash
    assert event.changes == {"k": [1, 2]}
    assert verify_command()[0] == 0


# --- the system check -------------------------------------------------------------------


@pytest.mark.parametrize("table", ["workflows_auditevent", "workflows_trainingrecord", "workflows_auditcheckpoint"])
def test_the_system_check_fails_without_a_trigger(scene, table):
    call_command("check", stdout=io.StringIO())  # all present: no error
    with triggers_off(table):
        with pytest.raises(SystemCheckError) as error:
            call_command("check", stdout=io.StringIO(), stderr=io.StringIO())
        assert "workflows.E001" in str(error.value) and table in str(error.value)
        # audit_verify still runs (no system checks) and names the missing trigger.
        code, report = verify_command()
        assert code == 1
        assert {p["kind"] for p in report["problems"]} == {"trigger"}  # SQLite: two triggers a table
        assert all(table in p["detail"] for p in report["problems"])
    call_command("check", stdout=io.StringIO())


# --- signed checkpoints -------------------------------------------------------------------

KEY = "test-audit-signing-key"


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv("AUDIT_SIGNING_KEY", KEY)
    return KEY


def rehash_from(seq: int) -> None:
    """What an insider who knows the algorithm does after editing: recompute every hash from
    ``seq`` on and move the head, so the chain alone verifies again."""
    prev = AuditEvent.objects.filter(seq=seq - 1).values_list("hash", flat=True).first() or chain.GENESIS
    with triggers_off("workflows_auditevent") as cursor:
        for row in AuditEvent.objects.filter(seq__gte=seq).order_by("seq").values_list(*chain.EVENT_COLUMNS):
            values = dict(zip(chain.EVENT_COLUMNS, row, strict=True))
            pk = values.pop("id")
            values.pop("hash")
            values["prev_hash"] = prev
            prev = chain.event_hash(**values)
            cursor.execute(
                "UPDATE workflows_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
                [values["prev_hash"], prev, pk],
            )
    AuditChainHead.objects.update(hash=prev)


def test_tick_writes_one_checkpoint_when_the_head_moved(scene, key):
    out = io.StringIO()
    call_command("tick", stdout=out)
    head = AuditChainHead.objects.get()
    checkpoint = AuditCheckpoint.objects.get()
    assert (checkpoint.seq, checkpoint.head_hash) == (head.seq, head.hash)
    assert checkpoint.signature == chain.sign(KEY.encode(), head.seq, head.hash, checkpoint.at)
    assert f"A-{head.seq:06d}-{head.hash[:12]}" in out.getvalue()
    assert checkpoint_write() is None  # the head has not moved
    audit_log(actor=None, action=AuditAction.POLICY, case=None)
    assert checkpoint_write().seq == head.seq + 1
    code, report = verify_command()
    assert code == 0, report["problems"]
    assert report["checkpoints"] == 2


def test_no_key_no_checkpoint(scene, monkeypatch, tmp_path):
    monkeypatch.delenv("AUDIT_SIGNING_KEY", raising=False)
    monkeypatch.setenv("AUDIT_SIGNING_KEY_FILE", str(tmp_path / "absent"))
    assert checkpoint_write() is None
    (tmp_path / "audit_key").write_text("from-a-file\n")
    monkeypatch.setenv("AUDIT_SIGNING_KEY_FILE", str(tmp_path / "audit_key"))
    checkpoint = checkpoint_write()
    assert checkpoint.signature == chain.sign(b"from-a-file", checkpoint.seq, checkpoint.head_hash, checkpoint.at)


def test_an_insider_who_recomputes_every_hash_is_caught_by_the_checkpoint(scene, key):
    event = AuditEvent.objects.filter(case=scene.case, action=AuditAction.COMPLETE).get()
    checkpoint_write()
    audit_log(actor=None, action=AuditAction.POLICY, case=None)  # more events after the checkpoint
    tamper(AuditEvent, event.pk, "reason", "改写的备案理由")
    rehash_from(event.seq)
    # The chain alone now holds together ...
    result = chain.verify()
    assert [p.kind for p in result.problems] == ["checkpoint"]
    # ... but the signed checkpoint still names the old head.
    code, report = verify_command()
    assert code == 1
    (problem,) = report["problems"]
    assert problem["kind"] == "checkpoint" and "链被改写" in problem["detail"]


def test_a_forged_checkpoint_signature_is_caught(scene, key):
    checkpoint = checkpoint_write()
    with triggers_off("workflows_auditcheckpoint") as cursor:
        cursor.execute("UPDATE workflows_auditcheckpoint SET signature = %s WHERE id = %s", ["f" * 64, checkpoint.pk])
    code, report = verify_command()
    assert code == 1
    (problem,) = report["problems"]
    assert problem["kind"] == "checkpoint" and "签名无效" in problem["detail"]


def test_a_checkpoint_does_not_verify_under_another_key(scene, key, monkeypatch):
    checkpoint_write()
    monkeypatch.setenv("AUDIT_SIGNING_KEY", "another-key")
    code, report = verify_command()
    assert code == 1 and "签名无效" in report["problems"][0]["detail"]


def test_a_truncated_tail_with_a_rewound_head_is_caught_by_the_checkpoint(scene, key):
    checkpoint = checkpoint_write()
    newest = list(AuditEvent.objects.order_by("-seq")[:3])
    with triggers_off("workflows_auditevent") as cursor:
        cursor.execute("DELETE FROM workflows_auditevent WHERE seq > %s", [newest[-1].seq - 1])
    survivor = AuditEvent.objects.order_by("-seq").first()
    AuditChainHead.objects.update(seq=survivor.seq, hash=survivor.hash)  # the head made to agree
    code, report = verify_command()
    assert code == 1
    (problem,) = report["problems"]
    assert problem["kind"] == "checkpoint" and "截断" in problem["detail"] and problem["seq"] == checkpoint.seq


# --- 核验码: on every official PDF, and the 核验 page ------------------------------------


def pdf_text(content: bytes) -> str:
    return re.sub(r"\s", "", "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages))


def test_every_official_pdf_carries_the_code_of_the_head(scene):
    s = scene
    code = chain.current_code()
    head = AuditChainHead.objects.get()
    assert code == f"A-{head.seq:06d}-{head.hash[:12]}"
    cases = [s.case, s.training_case]
    documents_ = {
        "ledger": documents.ledger_pdf(s.training_case)[2],
        "annex2": documents.annex2_pdf(unit=s.w.county, year=YEAR, rows=[s.case.annex2_row])[2],
        "annex2_city": documents.annex2_city_pdf(year=YEAR, units=[(s.w.county, [s.case.annex2_row])])[2],
        "bulletin": figures.bulletin_pdf(s.w.reviewer, year=YEAR, half=2)[2],
        "roster": roster.roster_pdf(org=s.w.county, groups=roster.roster_groups(cases), dated=TODAY)[2],
    }
    for name, content in documents_.items():
        text = pdf_text(content)
        assert f"核验码{code}" in text, name
        assert chain.holds(re.search(r"A-\d{6}-[0-9a-f]{12}", text).group(0))[0], name


def test_a_later_event_does_not_invalidate_an_earlier_code(scene):
    code = chain.current_code()
    audit_log(actor=None, action=AuditAction.POLICY, case=None)
    assert chain.current_code() != code
    assert chain.holds(code)[0]


@pytest.mark.parametrize("who", ["outsider", "auditor", "member_mentor", "other_reviewer"])
def test_the_verify_page_accepts_a_fresh_code_for_any_signed_in_user(scene, who):
    w = scene.w
    user = getattr(w, who)
    user = getattr(user, "user", user)  # a mentor is a Teacher with an account
    client = Client()
    client.force_login(user)
    code = chain.current_code()
    page = client.get(reverse("inbox:verify"), {"code": code})
    assert page.status_code == 200
    text = page.content.decode()
    assert "核验通过" in text and code in text


def test_the_verify_page_rejects_a_forged_code(scene):
    client = Client()
    client.force_login(scene.w.outsider)
    head = AuditChainHead.objects.get()
    forged = f"A-{head.seq:06d}-{'0' * 12 if not head.hash.startswith('0' * 12) else '1' * 12}"
    page = client.get(reverse("inbox:verify"), {"code": forged})
    assert page.status_code == 200
    assert "未通过" in page.content.decode() and "伪造" in page.content.decode()
    beyond = f"A-{head.seq + 5:06d}-{head.hash[:12]}"
    page = client.get(reverse("inbox:verify"), {"code": beyond})
    assert "未通过" in page.content.decode() and "没有序号" in page.content.decode()


def test_the_verify_page_says_when_the_chain_below_the_code_was_rewritten(scene):
    client = Client()
    client.force_login(scene.w.outsider)
    code = chain.current_code()
    event = AuditEvent.objects.order_by("seq")[2]
    tamper(AuditEvent, event.pk, "reason", "改过")
    page = client.get(reverse("inbox:verify"), {"code": code})
    assert "未通过" in page.content.decode() and "核验通过" not in page.content.decode()


def verify_page_text(user, code) -> str:
    client = Client()
    client.force_login(user)
    page = client.get(reverse("inbox:verify"), {"code": code})
    assert page.status_code == 200
    return page.content.decode()


def test_the_verify_page_catches_a_tampered_event_after_the_code_before_the_next_checkpoint(scene, key):
    code = chain.current_code()
    seq = chain.parse_code(code)[0]
    later = [audit_log(actor=None, action=AuditAction.POLICY, case=None, reason=f"第{i}次") for i in range(3)]
    checkpoint = checkpoint_write()
    assert checkpoint.seq == seq + 3
    assert "核验通过" in verify_page_text(scene.w.outsider, code)
    tamper(AuditEvent, later[1].pk, "reason", "改过")
    text = verify_page_text(scene.w.outsider, code)
    assert "未通过" in text and "核验通过" not in text
    assert f"序号 1 至 {checkpoint.seq}" in text


def test_the_verify_page_catches_a_rehashed_segment_by_the_next_checkpoint(scene, key):
    code = chain.current_code()
    seq = chain.parse_code(code)[0]
    for _ in range(2):
        audit_log(actor=None, action=AuditAction.POLICY, case=None)
    checkpoint_write()
    audit_log(actor=None, action=AuditAction.POLICY, case=None)  # beyond the checkpoint
    tamper(AuditEvent, AuditEvent.objects.get(seq=seq + 1).pk, "reason", "改写后重算")
    rehash_from(seq + 1)  # the links and hashes agree again; the signed head hash does not
    assert AuditEvent.objects.get(seq=seq).hash.startswith(chain.parse_code(code)[1])
    ok, message = chain.holds(code)
    assert not ok and "签名检查点" in message


def test_the_verify_page_checks_from_the_preceding_checkpoint_and_leaves_the_rest_to_audit_verify(scene, key):
    early = AuditEvent.objects.order_by("seq")[2]
    anchor = checkpoint_write()
    audit_log(actor=None, action=AuditAction.POLICY, case=None, reason="检查点之后")
    code = chain.current_code()
    tamper(AuditEvent, early.pk, "reason", "检查点之前改过")
    # The page's segment runs from the preceding checkpoint: bounded, and it says so ...
    text = verify_page_text(scene.w.auditor, code)
    assert "核验通过" in text and f"序号 {anchor.seq} 的签名检查点锚定" in text and "audit_verify" in text
    # ... and the full recomputation names the event before it.
    exit_code, report = verify_command()
    assert exit_code == 1 and [p["seq"] for p in report["problems"]] == [early.seq]
    # A change inside the segment is the page's to catch.
    tamper(AuditEvent, AuditEvent.objects.get(seq=anchor.seq + 1).pk, "reason", "检查点之后改过")
    assert "未通过" in verify_page_text(scene.w.auditor, code)


def test_the_verify_page_keeps_a_malformed_code_and_says_what_is_wrong(scene):
    client = Client()
    client.force_login(scene.w.outsider)
    page = client.get(reverse("inbox:verify"), {"code": "A-12-xyz"})
    assert page.status_code == 400
    text = page.content.decode()
    assert "核验码格式不正确" in text and 'value="A-12-xyz"' in text


def test_the_verify_page_needs_a_login(scene):
    page = Client().get(reverse("inbox:verify"), {"code": chain.current_code()})
    assert page.status_code == 302 and "login" in page["Location"]

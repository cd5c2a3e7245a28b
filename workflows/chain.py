"""The hash chain over the audit trail and the evidence rows it records.

Every ``AuditEvent`` carries a gapless ``seq``, the previous event's hash and its own hash:
SHA-256 over a canonical serialisation (sorted-key JSON, UTF-8, no spaces) of an explicit list
of its fields and the previous hash. An event that writes an evidence row (培养记录 version,
培养人意见, 学期成果, attachment, 附件2 row, frozen annual report) lists that row's content hash in
``evidence``, so changing the row breaks verification too. ``AuditChainHead`` holds the newest
(seq, hash); ``AuditCheckpoint`` rows sign it with a key kept outside the database, and the
核验码 printed on official PDFs (``A-000123-1f3a9c0b2d4e``) is the head on paper.

``verify()`` recomputes everything (``manage.py audit_verify``).
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import hmac
import json
import os
import re
from dataclasses import asdict, dataclass, field
from json.encoder import c_make_encoder, py_encode_basestring
from pathlib import Path

GENESIS = "0" * 64

# The columns read for each event, in this order (values_list: no ORM instances).
EVENT_COLUMNS = (
    "id",
    "seq",
    "at",
    "actor_id",
    "actor_name",
    "role",
    "org_id",
    "case_id",
    "task_id_ref",
    "action",
    "from_state",
    "to_state",
    "reason",
    "changes",
    "evidence",
    "prev_hash",
    "hash",
)

# The fields of each evidence row that its hash covers (the content written with the event).
# 学期成果 rows are resubmitted after a 退回 and reviewed in place, so their hash covers what the
# submission wrote (title, summary, who and when), not the review status; and only the newest
# event naming a row is compared with it (an earlier submission was superseded by a later one).
EVIDENCE_FIELDS = {
    "workflows_trainingrecord": (
        "id",
        "case_id",
        "mentor_id",
        "date",
        "kind",
        "content",
        "version",
        "supersedes_id",
        "correction_reason",
        "signed_by_id",
        "signed_at",
    ),
    "workflows_mentoropinion": ("id", "case_id", "mentor_id", "text", "signed_by_id", "signed_at"),
    "workflows_semesterwork": (
        "id",
        "case_id",
        "semester_start",
        "semester_end",
        "item",
        "title",
        "summary",
        "submitted_at",
        "submitted_by_id",
    ),
    "workflows_attachment": (
        "id",
        "case_id",
        "record_id",
        "work_id",
        "name",
        "kind",
        "size",
        "sha256",
        "stored_name",
        "uploaded_by_id",
        "uploaded_at",
    ),
    "workflows_annex2row": ("id", "case_id", "unit_id", "name", "birth_month", "kind", "year", "note", "created_at"),
    "workflows_annualreport": (
        "id",
        "unit_id",
        "year",
        "version",
        "process_id",
        "rows",
        "count_1",
        "count_2",
        "dated",
        "reason",
        "submitted_by_id",
        "submitted_at",
    ),
}

# Evidence rows a later audited event may rewrite in place (see EVIDENCE_FIELDS).
REWRITTEN_IN_PLACE = frozenset({"workflows_semesterwork"})

EVIDENCE_LABELS = {
    "workflows_trainingrecord": "培养记录",
    "workflows_mentoropinion": "培养人意见",
    "workflows_semesterwork": "学期成果",
    "workflows_attachment": "附件",
    "workflows_annex2row": "附件2汇总行",
    "workflows_annualreport": "年度报表",
}


def _default(value):
    if isinstance(value, datetime.datetime):
        return utc_iso(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    raise TypeError(f"not serialisable in the audit chain: {type(value).__name__}")


def canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_default).encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def utc_iso(at: datetime.datetime) -> str:
    return at.astimezone(datetime.UTC).isoformat(timespec="microseconds")


try:  # the C version json.dumps(ensure_ascii=False) uses for strings
    from _json import encode_basestring
except ImportError:  # pragma: no cover - CPython always has it
    encode_basestring = py_encode_basestring

_encode = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_default).encode

if c_make_encoder is not None:  # the C encoder json.dumps itself uses, without its Python layers
    _c_encoder = c_make_encoder(None, _default, encode_basestring, None, ":", ",", True, False, True)

    def _encode_value(value, _c=_c_encoder, _join="".join) -> str:
        return _join(_c(value, 0))

else:  # pragma: no cover - CPython always has it
    _encode_value = _encode


_TEMPLATE = (
    '{"action":%s,"actor":%s,"actor_name":%s,"at":%s,"case":%s,"changes":%s,"evidence":%s,'
    '"from_state":%s,"org":%s,"prev_hash":%s,"reason":%s,"role":%s,"seq":%d,"task":%s,"to_state":%s}'
)


def _digest(
    seq,
    at_iso,
    actor_id,
    actor_name,
    role,
    org_id,
    case_id,
    task_id_ref,
    action,
    from_state,
    to_state,
    reason,
    changes,
    evidence,
    prev_hash,
    _value=_encode_value,
) -> str:
    """SHA-256 of ``json.dumps({...}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))``
    of the event's fields, UTF-8 (``changes`` and ``evidence`` as decoded values)."""
    return _digest_text(
        seq,
        at_iso,
        actor_id,
        actor_name,
        role,
        org_id,
        case_id,
        task_id_ref,
        action,
        from_state,
        to_state,
        reason,
        _value(changes) if changes or not isinstance(changes, dict) else "{}",
        _value(evidence) if evidence or not isinstance(evidence, list) else "[]",
        prev_hash,
    )


def _digest_text(
    seq,
    at_iso,
    actor_id,
    actor_name,
    role,
    org_id,
    case_id,
    task_id_ref,
    action,
    from_state,
    to_state,
    reason,
    changes_json,
    evidence_json,
    prev_hash,
    _str=encode_basestring,
    _sha=hashlib.sha256,
    _template=_TEMPLATE,
) -> str:
    """The digest with ``changes`` and ``evidence`` already in canonical JSON text. Written out
    key by key (the keys in sorted order, each value as json.dumps writes it: strings escaped,
    ids as integers or null): the verifier's hot loop, faster than json.dumps of the whole
    dict; tests/test_audit_chain.py checks the two agree."""
    return _sha(
        (
            _template
            % (
                _str(action),
                "null" if actor_id is None else f"{actor_id:d}",
                _str(actor_name),
                _str(at_iso),
                "null" if case_id is None else f"{case_id:d}",
                changes_json,
                evidence_json,
                _str(from_state),
                "null" if org_id is None else f"{org_id:d}",
                _str(prev_hash),
                _str(reason),
                _str(role),
                seq,
                "null" if task_id_ref is None else f"{task_id_ref:d}",
                _str(to_state),
            )
        ).encode()
    ).hexdigest()


def canonical_event(**fields) -> bytes:
    """The reference form ``_digest`` writes out by hand (for tests and readers of the code)."""
    return canonical(
        {
            "action": fields["action"],
            "actor": fields["actor_id"],
            "actor_name": fields["actor_name"],
            "at": utc_iso(fields["at"]),
            "case": fields["case_id"],
            "changes": fields["changes"],
            "evidence": fields["evidence"],
            "from_state": fields["from_state"],
            "org": fields["org_id"],
            "prev_hash": fields["prev_hash"],
            "reason": fields["reason"],
            "role": fields["role"],
            "seq": fields["seq"],
            "task": fields["task_id_ref"],
            "to_state": fields["to_state"],
        }
    )


def event_hash(
    *,
    seq,
    at,
    actor_id,
    actor_name,
    role,
    org_id,
    case_id,
    task_id_ref,
    action,
    from_state,
    to_state,
    reason,
    changes,
    evidence,
    prev_hash,
) -> str:
    """SHA-256 of the event's canonical form (the one definition: writer, migration, verifier):
    sorted-key JSON, UTF-8, no spaces, of these fields, the time in UTC ISO with microseconds."""
    return _digest(
        seq,
        utc_iso(at),
        actor_id,
        actor_name,
        role,
        org_id,
        case_id,
        task_id_ref,
        action,
        from_state,
        to_state,
        reason,
        changes,
        evidence,
        prev_hash,
    )


def _raw_batches(events, size: int = 10000):
    """The events' columns as the database driver returns them, batch by batch (no Django
    converters, no ORM instances: the verifier's hot loop), through a server-side cursor on
    PostgreSQL. The time comes back as text in UTC ("YYYY-MM-DD HH:MM:SS[.ffffff]": SQLite's
    stored text, PostgreSQL's to_char), ``changes`` and ``evidence`` as their JSON text (SQLite
    stores text; PostgreSQL casts jsonb to text): decoding them is the verifier's choice."""
    from django.db import connections
    from django.db.models import CharField, F, Func, TextField

    connection = connections[events.db]
    columns = list(EVENT_COLUMNS)
    if connection.vendor == "postgresql":
        at_template = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
        json_template = "(%(expressions)s)::text"
    else:  # an expression has no declared type, so the driver's datetime converter is skipped
        at_template = "CAST(%(expressions)s AS TEXT)"
        json_template = "CAST(%(expressions)s AS TEXT)"
    events = events.annotate(
        at_text=Func(F("at"), template=at_template, output_field=CharField()),
        changes_text=Func(F("changes"), template=json_template, output_field=TextField()),
        evidence_text=Func(F("evidence"), template=json_template, output_field=TextField()),
    )
    columns[2], columns[13], columns[14] = "at_text", "changes_text", "evidence_text"
    sql, params = events.order_by("seq").values_list(*columns).query.sql_with_params()
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while True:
            batch = cursor.fetchmany(size)
            if not batch:
                return
            yield batch


def evidence_values_hash(table: str, values) -> str:
    return sha256(canonical(dict(zip(EVIDENCE_FIELDS[table], values, strict=True))))


def evidence_hash(obj) -> str:
    """The content hash of one evidence row, read back from the database as the verifier reads it."""
    table = obj._meta.db_table
    values = type(obj)._base_manager.filter(pk=obj.pk).values_list(*EVIDENCE_FIELDS[table]).get()
    return evidence_values_hash(table, values)


def evidence_entry(obj) -> dict:
    return {"table": obj._meta.db_table, "id": obj.pk, "sha256": evidence_hash(obj)}


# --- the signing key and checkpoints ------------------------------------------------------


def key_file() -> Path:
    from django.conf import settings

    return Path(os.environ.get("AUDIT_SIGNING_KEY_FILE") or Path(settings.BASE_DIR) / "var" / "audit_key")


def signing_key() -> bytes | None:
    """The checkpoint key: env AUDIT_SIGNING_KEY, else the file var/audit_key; never the database."""
    key = os.environ.get("AUDIT_SIGNING_KEY", "").strip()
    if not key:
        path = key_file()
        key = path.read_text().strip() if path.is_file() else ""
    return key.encode() if key else None


def checkpoint_message(seq: int, head_hash: str, at: datetime.datetime) -> bytes:
    return f"shuangpei-audit-checkpoint|{seq}|{head_hash}|{utc_iso(at)}".encode()


def sign(key: bytes, seq: int, head_hash: str, at: datetime.datetime) -> str:
    return hmac.new(key, checkpoint_message(seq, head_hash, at), hashlib.sha256).hexdigest()


# --- 核验码 ---------------------------------------------------------------------------------

CODE_RE = re.compile(r"^\s*A-(\d{1,12})-([0-9a-fA-F]{12})\s*$")


def format_code(seq: int, head_hash: str) -> str:
    return f"A-{seq:06d}-{head_hash[:12]}"


def parse_code(code: str) -> tuple[int, str] | None:
    match = CODE_RE.match(code or "")
    return (int(match.group(1)), match.group(2).lower()) if match else None


def current_code() -> str:
    from .models import AuditChainHead

    head = AuditChainHead.objects.order_by("pk").values_list("seq", "hash").first()
    if head is None or not head[0]:
        return format_code(0, GENESIS)
    return format_code(*head)


# --- verification ---------------------------------------------------------------------------


@dataclass
class Problem:
    kind: str  # event | link | evidence | sequence | order | head | checkpoint | trigger
    detail: str
    event_id: int | None = None
    seq: int | None = None
    case_id: int | None = None


@dataclass
class Verification:
    events: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    last_hash: str | None = None
    checkpoints: int = 0
    evidence_rows: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "events": self.events,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "last_hash": self.last_hash,
            "checkpoints": self.checkpoints,
            "evidence_rows": self.evidence_rows,
            "problems": [asdict(p) for p in self.problems],
        }


def verify(
    from_seq: int = 1,
    *,
    up_to: int | None = None,
    check_files: bool = True,
    only_checkpoints_within: bool = False,
) -> Verification:
    """Recompute the chain from ``from_seq`` (to ``up_to``), the evidence it names, the head and
    the checkpoints (with ``only_checkpoints_within``: only those from ``from_seq`` to
    ``up_to``, for the 核验 page's segment). Streams tuples: no ORM instances."""
    from .models import AuditChainHead, AuditCheckpoint, AuditEvent

    result = Verification()
    problems = result.problems
    from_seq = max(1, int(from_seq))
    if from_seq > 1:
        before = AuditEvent.objects.filter(seq=from_seq - 1).values_list("hash", flat=True).first()
        if before is None:
            problems.append(Problem("sequence", f"起点之前的事件（序号 {from_seq - 1}）不存在", seq=from_seq - 1))
        prev = before
    else:
        prev = GENESIS

    watched = {}
    checkpoints = AuditCheckpoint.objects.order_by("seq", "id")
    if only_checkpoints_within:
        checkpoints = checkpoints.filter(seq__gte=from_seq)
        if up_to is not None:
            checkpoints = checkpoints.filter(seq__lte=up_to)
    for cp in checkpoints.values_list("id", "seq", "head_hash", "at", "signature"):
        watched.setdefault(cp[1], []).append(cp)
    result.checkpoints = sum(len(v) for v in watched.values())
    seen_at_seq: dict[int, str] = {}

    latest: dict[tuple[str, int], tuple] = {}
    expected = from_seq
    last_id = None
    events = AuditEvent.objects.filter(seq__gte=from_seq)
    if up_to is not None:
        events = events.filter(seq__lte=up_to)
    count = 0
    digest = _digest_text
    loads = json.loads
    encode = _encode_value
    # JSON text -> canonical JSON text, memoised by the exact stored text (a pure function of
    # it; the same small ``changes`` recur: owners, states). Bounded.
    canonical_json = {"{}": "{}", "[]": "[]"}
    for batch in _raw_batches(events):
        for (
            pk,
            seq,
            at,
            actor_id,
            actor_name,
            role,
            org_id,
            case_id,
            task_id_ref,
            action,
            from_state,
            to_state,
            reason,
            changes,
            evidence,
            prev_hash,
            stored,
        ) in batch:
            count += 1
            if seq != expected:
                problems.append(
                    Problem(
                        "sequence",
                        f"缺少序号 {expected}" + (f" 至 {seq - 1}" if seq - 1 > expected else ""),
                        pk,
                        seq,
                        case_id,
                    )
                )
                expected = seq
            if last_id is not None and pk < last_id:
                problems.append(
                    Problem("order", f"序号与写入顺序不符（事件 {pk} 排在事件 {last_id} 之后）", pk, seq, case_id)
                )
            if prev is not None and prev_hash != prev:
                problems.append(Problem("link", "前一事件摘要与链上前一事件不符", pk, seq, case_id))
            changes_json = canonical_json.get(changes)
            if changes_json is None:
                changes_json = encode(loads(changes))
                if len(canonical_json) < 100_000:
                    canonical_json[changes] = changes_json
            if evidence == "[]":
                evidence_json, evidence = "[]", None
            else:
                evidence = loads(evidence)
                evidence_json = encode(evidence)
            computed = digest(
                seq,
                f"{at[:10]}T{at[11:19]}{at[19:] or '.000000'}+00:00",
                actor_id,
                actor_name,
                role,
                org_id,
                case_id,
                task_id_ref,
                action,
                from_state,
                to_state,
                reason,
                changes_json,
                evidence_json,
                prev_hash,
            )
            if computed != stored:
                problems.append(Problem("event", "事件内容与其摘要不符（字段被改动）", pk, seq, case_id))
            if evidence and isinstance(evidence, list):
                for item in evidence:
                    latest[(item.get("table"), item.get("id"))] = (item.get("sha256"), pk, seq, case_id)
            if seq in watched:
                seen_at_seq[seq] = stored
            prev = stored
            expected = seq + 1
            last_id = pk
    result.events = count
    if count:
        result.first_seq, result.last_seq, result.last_hash = from_seq, expected - 1, prev

    if up_to is not None:
        # A row rewritten in place by a later, audited event (a 学期成果 resubmitted after 退回) is
        # compared only with the newest event naming it, which may lie beyond ``up_to``.
        latest = {key: entry for key, entry in latest.items() if key[0] not in REWRITTEN_IN_PLACE}
    _verify_evidence(latest, problems, check_files=check_files)
    result.evidence_rows = len(latest)

    # The head: the newest (seq, hash) the writers recorded; a shorter chain lost its tail.
    if up_to is None:
        head = AuditChainHead.objects.order_by("pk").values_list("seq", "hash").first()
        last_seq = expected - 1
        if head is None:
            if last_seq:
                problems.append(Problem("head", "链头记录缺失", seq=last_seq))
        elif head[0] > last_seq:
            problems.append(
                Problem("head", f"链尾被截断：链头记录为序号 {head[0]}，最后一个事件是序号 {last_seq}", seq=head[0])
            )
        elif head[0] < last_seq:
            problems.append(
                Problem(
                    "head", f"有事件未经审计接口写入：链头记录为序号 {head[0]}，最后一个事件是 {last_seq}", seq=head[0]
                )
            )
        elif head[0] and head[1] != prev:
            problems.append(Problem("head", "链头摘要与最后一个事件不符", seq=head[0]))

    _verify_checkpoints(watched, seen_at_seq, from_seq, expected - 1, up_to, problems)
    if up_to is None:
        from django.db import connection

        from .append_only import missing_triggers

        for name in missing_triggers(connection):
            problems.append(Problem("trigger", f"只追加表的触发器 {name} 缺失或已停用"))
    return result


def _verify_evidence(latest: dict, problems: list, *, check_files: bool) -> None:
    from django.apps import apps

    by_table: dict[str, dict[int, tuple]] = {}
    for (table, pk), entry in latest.items():
        by_table.setdefault(table, {})[pk] = entry
    models = {m._meta.db_table: m for m in apps.get_app_config("workflows").get_models()}
    for table, entries in by_table.items():
        label = EVIDENCE_LABELS.get(table, table)
        if table not in EVIDENCE_FIELDS or table not in models:
            for pk, (_sha, event_id, seq, case_id) in entries.items():
                problems.append(Problem("evidence", f"未知的证据表 {table}（编号 {pk}）", event_id, seq, case_id))
            continue
        columns = EVIDENCE_FIELDS[table]
        found = set()
        ids = list(entries)
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            qs = models[table]._base_manager.filter(pk__in=chunk).values_list(*columns)
            for values in qs.iterator(chunk_size=5000):
                pk = values[0]
                found.add(pk)
                sha, event_id, seq, case_id = entries[pk]
                if evidence_values_hash(table, values) != sha:
                    problems.append(
                        Problem("evidence", f"{label}（{table} 编号 {pk}）已被改动", event_id, seq, case_id)
                    )
                elif check_files and table == "workflows_attachment":
                    detail = _file_problem(values)
                    if detail:
                        problems.append(Problem("evidence", f"附件（编号 {pk}）的文件{detail}", event_id, seq, case_id))
        for pk in set(ids) - found:
            sha, event_id, seq, case_id = entries[pk]
            problems.append(Problem("evidence", f"{label}（{table} 编号 {pk}）已被删除", event_id, seq, case_id))


def _file_problem(values) -> str:
    from .services.attachments import storage_root

    row = dict(zip(EVIDENCE_FIELDS["workflows_attachment"], values, strict=True))
    path = storage_root() / row["stored_name"]
    if not path.is_file():
        return "已丢失"
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return "" if digest.hexdigest() == row["sha256"] else "内容与记录的 SHA-256 不符（文件被替换）"


def _verify_checkpoints(watched, seen_at_seq, from_seq, last_seq, up_to, problems) -> None:
    from .models import AuditEvent

    if not watched:
        return
    key = signing_key()
    if key is None:
        problems.append(Problem("checkpoint", "没有签名密钥（AUDIT_SIGNING_KEY 或 var/audit_key），无法核对检查点签名"))
    below = [s for s in watched if s < from_seq]
    if below:
        seen_at_seq.update(AuditEvent.objects.filter(seq__in=below).values_list("seq", "hash"))
    for seq, checkpoints in sorted(watched.items()):
        for cp_id, _seq, head_hash, at, signature in checkpoints:
            where = f"检查点 {cp_id}（序号 {seq}）"
            if key is not None and not hmac.compare_digest(sign(key, seq, head_hash, at), signature):
                problems.append(Problem("checkpoint", f"{where}签名无效", seq=seq))
            if up_to is not None and seq > up_to:
                continue
            if seq in seen_at_seq:
                if seen_at_seq[seq] != head_hash:
                    problems.append(
                        Problem("checkpoint", f"{where}记录的链头摘要与链上该事件不符（链被改写）", seq=seq)
                    )
            elif seq > last_seq:
                problems.append(
                    Problem("checkpoint", f"{where}超出链尾（最后一个事件是序号 {last_seq}）：链尾被截断", seq=seq)
                )
            else:
                problems.append(Problem("checkpoint", f"{where}所记录的事件不存在", seq=seq))


def holds(code: str) -> tuple[bool, str]:
    """Does the chain still hold the head a 核验码 names? (The 核验 page, any signed-in user.)

    Its seq exists, its hash starts with the code's, and the segment around it verifies: from
    the newest signed checkpoint at or before the code's seq (from seq 1 if there is none) to
    the first signed checkpoint at or after it (to the newest event if none follows yet):
    every event's fields against its hash, the code's event's included, the links, the
    evidence rows those events name, and the checkpoints' signatures and head hashes. The
    following checkpoint's signed hash commits, through the links just checked, to the code's
    event; the preceding one anchors the history before the segment, which is ``audit_verify``'s
    job to recompute in full. So the work per request is bounded by the checkpoint interval
    (``tick``), not by the length of the chain."""
    from django.utils.translation import gettext as _

    from .models import AuditCheckpoint, AuditEvent

    parsed = parse_code(code)
    if parsed is None:
        return False, _("核验码格式不正确，应为 A-序号-12位摘要，例如 A-000123-1f3a9c0b2d4e。")
    seq, short = parsed
    stored = AuditEvent.objects.filter(seq=seq).values_list("hash", flat=True).first() if seq else None
    if stored is None:
        return False, _("未通过：审计链中没有序号 %(seq)d 的事件，该核验码不是本系统出具的，或审计记录已被删除。") % {
            "seq": seq
        }
    if not stored.startswith(short):
        return False, _("未通过：序号 %(seq)d 的事件摘要与核验码不符，该核验码是伪造的，或审计记录已被改写。") % {
            "seq": seq
        }
    anchors = AuditCheckpoint.objects.values_list("seq", flat=True)
    start = anchors.filter(seq__lte=seq).order_by("-seq").first() or 1
    end = anchors.filter(seq__gte=seq).order_by("seq").first()
    if end is None:
        end = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    check = verify(start, up_to=end, check_files=False, only_checkpoints_within=True)
    span = {"seq": seq, "start": start, "end": end}
    if not check.ok:
        return False, _(
            "未通过：序号 %(start)d 至 %(end)d 的审计记录（含该核验码的事件 %(seq)d）"
            "有 %(n)d 处与摘要或签名检查点不符，请联系市级管理员核查。"
        ) % {**span, "n": len(check.problems)}
    if start == 1:
        return True, _(
            "核验通过：审计链仍包含该链头（序号 %(seq)d），序号 1 至 %(end)d 的记录与摘要及签名检查点相符。"
        ) % span
    return True, _(
        "核验通过：审计链仍包含该链头（序号 %(seq)d），序号 %(start)d 至 %(end)d 的记录与摘要及签名检查点相符；"
        "更早的记录由序号 %(start)d 的签名检查点锚定，全链重算由市级管理员运行 audit_verify 完成。"
    ) % span

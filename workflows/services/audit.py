"""Writing the audit trail. Called only from inside a service's transaction."""

import json

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.status import STATUS

from .. import chain
from ..kept import KeptQuery
from ..models import AuditChainHead, AuditCheckpoint, AuditEvent, Case, Organisation


def actor_display_name(user) -> str:
    teacher = getattr(user, "teacher", None) if user is not None else None
    if teacher is not None:
        return teacher.name
    if user is None:
        return "系统"
    return user.get_full_name() or user.get_username()


def audit_log(*, actor, action: str, case: Case | None, **details) -> AuditEvent:
    """Append one event: who, in which role and organisation, what changed and why.

    ``details``: the event's ``role``, ``org``, ``from_state``, ``to_state``, ``reason``,
    ``changes``, ``task`` and ``evidence`` (``_event_fields``). ``evidence``: the rows this event
    wrote (a 培养记录 version, an opinion, an attachment …); their content hashes go into the
    event, so changing such a row later breaks the chain. The event joins the hash chain
    (workflows/chain.py) under the chain head's row lock, taken here, as late as possible in the
    caller's transaction, and held until it commits.

    代理人: when the actor acts as someone's deputy (the task's owner is their principal, or
    they hold the event's ``role`` at ``org`` only through the arrangement), the event says so
    itself: ``actor_name`` "李四（代张三）" and ``changes["on_behalf_of"]``. Every service that
    acts on a task already passes the capacity it acted in, so none has to remember this.
    """
    return audit_log_many([{"actor": actor, "action": action, "case": case, **details}])[0]


def audit_log_many(events: list[dict]) -> list[AuditEvent]:
    """Append several events one after the other, as that many ``audit_log`` calls would (same
    fields, 代理人 included; consecutive ``seq``, each chained to the one before), under one
    take of the chain head's lock: one head read, one insert of all the events, one head update.
    ``audit_log`` is this with one event: the only writer of the trail.

    ``events``: ``audit_log``'s keyword arguments, one dict per event, in the chain's order
    (an approval's 认领 then its 审核通过).
    """
    rows = [_event_fields(**kwargs) for kwargs in events]
    if not rows:
        return []
    with transaction.atomic(savepoint=False):  # a no-op inside the caller's transaction
        head = _locked_head()
        seq, prev = head.seq, head.hash
        built = []
        for fields in rows:
            seq += 1
            at = timezone.now()
            digest = chain.event_hash(seq=seq, at=at, prev_hash=prev, **fields)
            built.append(AuditEvent(seq=seq, at=at, prev_hash=prev, hash=digest, **fields))
            prev = digest
        created = AuditEvent.objects.bulk_create(built)
        AuditChainHead.objects.filter(pk=head.pk).update(seq=seq, hash=prev)
    return created


def _event_fields(
    *,
    actor,
    action: str,
    case: Case | None,
    role: str = "",
    org: Organisation | None = None,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    changes: dict | None = None,
    task=None,
    evidence=(),
) -> dict:
    """An event's columns, but for its place in the chain (``seq``, ``at``, the hashes)."""
    principal = _on_behalf_of(actor, role, org, task)
    actor_name = actor_display_name(actor)
    if principal is not None:
        actor_name = _("%(deputy)s（代%(principal)s）") % {
            "deputy": actor_name,
            "principal": actor_display_name(principal),
        }
        changes = {**(changes or {}), "on_behalf_of": actor_display_name(principal)}
    return {
        "actor_id": getattr(actor, "pk", None),
        "actor_name": str(actor_name),
        "role": str(role or ""),
        "org_id": getattr(org, "pk", None),
        "case_id": getattr(case, "pk", None),
        "task_id_ref": getattr(task, "pk", None),
        "action": str(action),
        "from_state": str(from_state or ""),
        "to_state": str(to_state or ""),
        "reason": str(reason or ""),
        # What the database gives back (tuples become lists, keys strings): the verifier's view.
        "changes": json.loads(json.dumps(changes or {})),
        "evidence": [chain.evidence_entry(obj) for obj in evidence],
    }


def _on_behalf_of(actor, role, org, task):
    """The principal ``actor`` acts for in this event (access/deputies.py), or None."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    from ..access.deputies import acting_for_role, principal_owner

    if task is not None and getattr(task, "role", "") and hasattr(task, "owner_id"):
        principal = principal_owner(actor, task)
        if principal is not None:
            return principal
    return acting_for_role(actor, str(role or ""), org)


def lock_chain_head() -> AuditChainHead:
    """Take the chain head's lock now, for a writer that would otherwise lock rows of its own
    first and then wait for the head while holding them (the reminders in ``tick``)."""
    return _locked_head()


# Every write reads it: compiled once per connection (the mark: an id no head row has).
_HEAD = KeptQuery(lambda pk: AuditChainHead.objects.select_for_update().filter(pk=pk), -1)


def _locked_head() -> AuditChainHead:
    """The chain head, locked (select_for_update; SQLite's IMMEDIATE transactions already
    serialise writers). Created from the newest event if missing (a flushed test database)."""
    found = _HEAD.rows(1)
    head = found[0] if found else None
    if head is None:
        last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first() or (0, chain.GENESIS)
        AuditChainHead.objects.bulk_create([AuditChainHead(pk=1, seq=last[0], hash=last[1])], ignore_conflicts=True)
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


def set_owner(task, owner, *, case, by, action: str, role: str, org, reason: str = "", note: dict | None = None):
    """Give a task to ``owner`` (None: back to the queue) and trace who did it, in one place.

    Called inside a service's transaction (claim, unclaim, 改派, handing a returned step back).
    """
    before = task.owner.get_username() if task.owner_id else None
    task.owner = owner
    task.status = STATUS.ASSIGNED if owner is not None else STATUS.NEW
    task.assigned = timezone.now() if owner is not None else None
    task.save(update_fields=["owner", "status", "assigned"])
    audit_log(
        actor=by,
        action=action,
        case=case,
        role=role,
        org=org,
        task=task,
        from_state=case.state,
        to_state=case.state,
        reason=reason,
        changes={"owner": [before, owner.get_username() if owner else None], **(note or {})},
    )


def checkpoint_write(now=None) -> AuditCheckpoint | None:
    """A signed checkpoint of the chain head (``tick``), when the head moved since the last one.

    Returns None when nothing moved, or when no signing key is configured (env
    AUDIT_SIGNING_KEY or var/audit_key; scripts/setup_and_run.sh generates the file).
    """
    key = chain.signing_key()
    if key is None:
        return None
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
        if head is None or not head.seq:
            return None
        last = AuditCheckpoint.objects.order_by("-seq").values_list("seq", flat=True).first()
        if last is not None and last >= head.seq:
            return None
        at = now or timezone.now()
        return AuditCheckpoint.objects.create(
            seq=head.seq, head_hash=head.hash, at=at, signature=chain.sign(key, head.seq, head.hash, at)
        )

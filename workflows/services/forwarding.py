"""转交 and 加签: the approver hands a step to a colleague, or asks a colleague's opinion on it.

转交 (by the holder) differs from 改派 (``tasks.task_reassign``, by a supervisor above the step's
organisation): the step goes to another holder of its role at the same organisation, with the
holder's reason. 加签 opens a side task (``CaseFlow.countersign``) for one named official:

- 前加签 (before me): the colleague answers 同意 / 不同意 with an opinion; the step stays with its
  holder, who reads the opinion on the task page and then decides.
- 后加签 (after me): the holder approves (their opinion is the 加签's reason) and the colleague's
  同意 moves the case on as ``case_approve`` would; a 不同意 hands the step back to the holder.

Who may do which, and whom they may choose: ``workflows.access.forwarding``.
"""

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.status import STATUS
from viewflow.workflow.token import Token

from .. import access
from ..access.forwarding import (
    COUNTERSIGN_TEXT_MAX,
    FORWARD_REASON_MAX,
    Position,
    check_countersign_target,
    check_forward_target,
)
from ..errors import AlreadyHandled, GuardError
from ..flows import CaseFlow
from ..models import AuditAction, CaseTask, NotificationKind
from .audit import audit_log, set_owner
from .cases import _claim_if_queued, _finish, _lookup_task_case_id, pass_review
from .locking import locked_case
from .notify import notify
from .training import sync_obligations


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def _limited(text: str, limit: int, what: str, *, required: bool = True) -> str:
    """The forms refuse first; the API and commands meet the same rule here."""
    text = (text or "").strip()
    if required and not text:
        raise GuardError(_("请填写%(what)s。") % {"what": what})
    if len(text) > limit:
        raise GuardError(
            _("%(what)s最多 %(limit)d 字，现有 %(n)d 字。") % {"what": what, "limit": limit, "n": len(text)}
        )
    return text


def _user(user_id):
    try:
        return get_user_model().objects.filter(pk=int(user_id)).first()
    except (TypeError, ValueError):
        return None


def _position_label(position: str) -> str:
    return _("后加签") if position == Position.AFTER else _("前加签")


def _locked_task(actor, task_id: int):
    return locked_case(_lookup_task_case_id(actor, task_id))


def _step(task: CaseTask) -> str:
    return str(task.flow_task.task_title)


# --- 转交 ------------------------------------------------------------------------------------


def task_forward(*, actor, task_id: int, to_user_id: int, reason: str) -> CaseTask:
    """转交: the holder of a role step hands it to a colleague holding the same role there."""
    with _locked_task(actor, task_id) as case:
        task = CaseTask.objects.select_related("owner", "org").get(pk=task_id)
        access.check_forward(actor, task)
        target = _user(to_user_id)
        check_forward_target(actor, task, target)
        reason = _limited(reason, FORWARD_REASON_MAX, _("转交理由"))
        # An unclaimed step is taken and handed on in one event: the trail names who forwarded it.
        set_owner(
            task,
            target,
            case=case,
            by=actor,
            action=AuditAction.FORWARD,
            role=task.role,
            org=task.org,
            reason=reason,
        )
        notify(
            [target],
            kind=NotificationKind.FORWARDED,
            message=_("%(who)s 将%(trainee)s的“%(step)s”转交给您办理。理由：%(reason)s")
            % {"who": _name(actor), "trainee": case.teacher.name, "step": _step(task), "reason": reason},
            task=task,
            case=case,
        )
    return task


# --- 加签 ------------------------------------------------------------------------------------


def countersign_ask(*, actor, task_id: int, to_user_id: int, position: str, reason: str) -> CaseTask:
    """加签: the holder of a review step asks an official to review it before (前加签) or after
    (后加签) them. Returns the 加签 task, which is in the colleague's 我的待办."""
    with _locked_task(actor, task_id) as case:
        task = CaseTask.objects.select_related("owner", "org").get(pk=task_id)
        access.check_countersign_ask(actor, task, position)
        target = _user(to_user_id)
        check_countersign_target(actor, task, target)
        what = _("审核意见") if position == Position.AFTER else _("加签说明")
        reason = _limited(reason, COUNTERSIGN_TEXT_MAX, what)
        _claim_if_queued(actor, task, case)  # the step stays with the one who asked
        now = timezone.now()
        side = CaseTask.objects.create(
            process=case.process,
            flow_task=CaseFlow.countersign,
            flow_task_type="HUMAN",
            token=Token("start"),
            case=case,
            org=task.org,
            role="",
            stage=case.state,
            due_at=task.due_at,
            owner=target,
            status=STATUS.ASSIGNED,
            assigned=now,
            data={"parent": task.pk, "position": position, "asked_by": actor.pk},
        )
        audit_log(
            actor=actor,
            action=AuditAction.COUNTERSIGN_ASK,
            case=case,
            role=task.role,
            org=task.org,
            task=task,
            from_state=case.state,
            to_state=case.state,
            reason=reason,
            changes={
                "countersign_to": _name(target),
                "countersign_position": _position_label(position),
                "countersign_task": side.pk,
            },
        )
        if position == Position.AFTER:
            message = _(
                "%(who)s 已审核同意%(trainee)s的“%(step)s”，请您后加签审核：您同意后案例即报上一级。意见：%(reason)s"
            )
        else:
            message = _("%(who)s 请您对%(trainee)s的“%(step)s”加签审核，您的意见供其决定。说明：%(reason)s")
        notify(
            [target],
            kind=NotificationKind.COUNTERSIGN,
            message=message
            % {"who": _name(actor), "trainee": case.teacher.name, "step": _step(task), "reason": reason},
            task=side,
            case=case,
        )
    return side


def countersign_answer(*, actor, task_id: int, agree: bool, opinion: str = ""):
    """加签意见: the colleague asked answers 同意 or 不同意 (with an opinion, required for 不同意).

    前加签: the step stays with its holder, who now decides. 后加签: 同意 passes the case one level
    up on the holder's approval (the 审核通过 event names both); 不同意 hands the step back to the
    holder to decide again. Returns the case.
    """
    with _locked_task(actor, task_id) as case:
        side = CaseTask.objects.select_related("owner", "org").get(pk=task_id)
        assignment = access.check_countersign_answer(actor, side)
        opinion = _limited(opinion, COUNTERSIGN_TEXT_MAX, _("审核意见"), required=False)
        if not agree and not opinion:
            raise GuardError(_("不同意时请写明审核意见，告诉对方哪里需要再考虑。"))
        parent = CaseTask.objects.select_related("owner", "org").get(pk=side.data["parent"])
        asker = _user(side.data.get("asked_by"))
        position = side.data.get("position", Position.BEFORE)
        side.status = STATUS.DONE
        side.finished = timezone.now()
        side.data = {**side.data, "agree": bool(agree), "opinion": opinion}
        side.save(update_fields=["status", "finished", "data"])
        audit_log(
            actor=actor,
            action=AuditAction.COUNTERSIGN,
            case=case,
            role=assignment.role,
            org=assignment.org,
            task=side,
            from_state=case.state,
            to_state=case.state,
            reason=opinion,
            changes={
                "agree": bool(agree),
                "countersign_position": _position_label(position),
                "asked_by": _name(asker) if asker else None,
            },
        )
        values = {"who": _name(actor), "trainee": case.teacher.name, "step": _step(parent), "opinion": opinion or "—"}
        if position == Position.AFTER and agree:
            _pass_after(actor, assignment, case, parent, asker, opinion)
            message = _("%(who)s 同意了您对%(trainee)s“%(step)s”的后加签，案例已报上一级。意见：%(opinion)s")
        elif position == Position.AFTER:
            message = _(
                "%(who)s 不同意您对%(trainee)s“%(step)s”的后加签，任务已回到您的待办，请重新决定。意见：%(opinion)s"
            )
        elif agree:
            message = _("%(who)s 对%(trainee)s“%(step)s”的加签意见：同意。请您继续办理。意见：%(opinion)s")
        else:
            message = _("%(who)s 对%(trainee)s“%(step)s”的加签意见：不同意。请您继续办理。意见：%(opinion)s")
        notify(
            [asker, parent.owner], kind=NotificationKind.COUNTERSIGN, message=message % values, task=parent, case=case
        )
    return case


def _pass_after(actor, assignment, case, parent, asker, opinion) -> None:
    """后加签's 同意: the case moves on exactly as ``case_approve`` would, the event naming both."""
    if parent.flow_task not in (CaseFlow.branch_review, CaseFlow.unit_review) or parent.stage != case.state:
        raise AlreadyHandled(_("加签所属的审核任务已不在办理中，请返回待办列表刷新。"))
    activation = _claim_if_queued(actor, parent, case)  # put back in the queue meanwhile: taken now
    before = case.state
    pass_review(case)
    case.save()
    audit_log(
        actor=actor,
        action=AuditAction.APPROVE,
        case=case,
        role=assignment.role,
        org=assignment.org,
        task=parent,
        from_state=before,
        to_state=case.state,
        reason=opinion,
        changes={"after": _name(asker) if asker else None},
    )
    _finish(activation)
    sync_obligations(case)

"""Services for a case's life: each performs one step of the 双培 programme.

Every service: takes the flow lock (the outermost transaction), re-reads what it
changes, checks its guards (raising a ``GuardError`` with a Chinese message and
changing nothing), performs the FSM transition, writes the audit event, and moves
the viewflow tasks on, all in one transaction.
"""

from collections.abc import Sequence
from contextlib import contextmanager

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.status import STATUS

from .. import access
from ..errors import GuardError, NotInScope, NotPermitted
from ..flows import OPEN_TASK_STATUSES, CaseFlow, cancel_side_tasks, off_lifecycle_nodes, reroute
from ..models import (
    Annex2Row,
    AuditAction,
    Case,
    CaseKind,
    CaseMentor,
    CaseState,
    CaseTask,
    MentorStatus,
    NotificationKind,
    PartyStatus,
    Role,
    Teacher,
)
from ..models.cases import ACTIVE_STATES, CLOSED_STATES, ONE_STEP_BACK
from ..routing import nearest_org_with_role
from ..selectors import (
    cases_for_user,
    task_scope_checked,
    teachers_for_user,
    user_holds,
    user_holds_over,
    users_holding,
)
from .audit import audit_log, audit_log_many, set_owner
from .locking import locked_case, locked_case_task
from .notify import notify
from .training import check_gate, sync_obligations

MAX_MENTORS = 2
CASE_MANAGERS = access.tasks.CASE_MANAGERS


def _require_reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise GuardError(_("请填写%(what)s的理由后再提交。") % {"what": what})
    return reason


# 暂停/恢复/退出/更换培养人: views call it before any form.
case_check_manager = access.check_case_manager
_manager_assignment = access.check_case_manager


# --- registration ------------------------------------------------------------------


def case_register(*, actor, teacher_id: int, kind: str, note: str = "") -> Case:
    """登记造册: a party-affairs officer registers a teacher as a 双培 candidate."""
    if kind not in CaseKind.values:
        raise GuardError(_("请选择“双培”类别：1 骨干教师培养成共产党员，或 2 党员教师培养成教学骨干。"))
    teacher = teachers_for_user(actor, roles=[Role.OFFICER]).select_related("org").filter(pk=teacher_id).first()
    if teacher is None:
        raise NotInScope(_("未找到该教师，或该教师不在您作为党务干部的管辖范围内，不能登记。"))
    assignment = user_holds_over(actor, [Role.OFFICER], teacher.org)
    if kind == CaseKind.CULTIVATE_MEMBER and teacher.is_party_member:
        raise GuardError(
            _("%(name)s 已是%(status)s，不能登记为类别1（骨干教师培养成共产党员）。如需培养成教学骨干，请选择类别2。")
            % {"name": teacher.name, "status": teacher.get_party_status_display()}
        )
    if kind == CaseKind.CULTIVATE_BACKBONE and not teacher.is_party_member:
        raise GuardError(
            _("%(name)s 的政治面貌是%(status)s，不是党员，不能登记为类别2（党员教师培养成教学骨干）。")
            % {"name": teacher.name, "status": teacher.get_party_status_display()}
        )
    with transaction.atomic():
        if Case.objects.filter(teacher=teacher, kind=kind).exclude(state__in=CLOSED_STATES).exists():
            raise GuardError(
                _("%(name)s 已有一个未结束的类别%(kind)s培养案例，不能重复登记。请在原案例中继续办理。")
                % {"name": teacher.name, "kind": kind}
            )
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    teacher=teacher,
                    kind=kind,
                    org=teacher.org,
                    unit_id=teacher.org.unit_id,
                    scope_path=teacher.org.path,
                    registered_by=actor,
                    note=note.strip(),
                )
        except IntegrityError:
            raise GuardError(
                _("%(name)s 已有一个未结束的类别%(kind)s培养案例，不能重复登记。")
                % {"name": teacher.name, "kind": kind}
            ) from None
        audit_log(
            actor=actor,
            action=AuditAction.REGISTER,
            case=case,
            role=Role.OFFICER,
            org=assignment.org,
            to_state=case.state,
            changes={"teacher": teacher.name, "kind": kind, "note": case.note},
        )
        CaseFlow.start.run(case=case)
    return case


# --- acting on a task ----------------------------------------------------------------


# Views and the API call it before validating a form; services again under the lock.
task_check_actor = access.check_act


@contextmanager
def _open_task(actor, task_id: int):
    """Lock the task's case and re-read the task under the lock (one statement,
    ``locked_case_task``); refuse if someone else already handled it. Yields (case, task)."""
    case_id, process_pk = _lookup_task(actor, task_id)
    with locked_case_task(case_id, process_pk, task_id) as task:
        task_check_actor(actor, task)  # task.case: the row just locked, with its teacher (回避)
        access.check_countersign_clear(task)  # 加签: the step waits for the colleague's opinion
        yield task.case, task


def _lookup_task(actor, task_id: int) -> tuple[int, int]:
    """(case id, process id) of a human task in ``actor``'s scope; 404 otherwise. Free when the
    view has just read the task through ``selectors.task_for_user`` for the same user."""
    row = task_scope_checked(actor, task_id)
    if row is not None:
        return row
    row = CaseTask.objects.filter(pk=task_id, flow_task_type="HUMAN").values_list("case_id", "process_id").first()
    if row is None or not cases_for_user(actor).filter(pk=row[0]).exists():
        raise NotInScope(_("未找到该任务，或它不在您的管辖范围内。"))
    return row


def _lookup_task_case_id(actor, task_id: int) -> int:
    return _lookup_task(actor, task_id)[0]


def _expect_node(task: CaseTask, *nodes) -> None:
    if task.flow_task not in nodes:
        raise GuardError(_("此操作不适用于“%(title)s”任务。") % {"title": task.flow_task.task_title})


def _actor_role(task: CaseTask) -> str:
    return task.role or "mentor"


def _claim_if_queued(actor, task: CaseTask, case: Case, *, finishing=False):
    """Acting on a queued task claims it first, so the trail shows who took it.

    ``finishing``: the caller completes the task in this transaction (``_finish`` saves it) and
    writes the 认领 event itself, later (``_claim_event``); the claim then writes nothing now."""
    activation = task.flow_task.activation_class(task)
    activation.process.case = case
    if task.status == STATUS.NEW:
        task.assigned = timezone.now()
        if finishing:
            task.owner, task.status = actor, STATUS.ASSIGNED  # viewflow's ``assign``, less its save
        else:
            _log_claim(actor, task, case, case.state)
            activation.assign(actor)
    return activation


def _claim_event(actor, task: CaseTask, case: Case, state: str) -> dict:
    """The 认领 event of acting on a queued task (``audit_log``'s arguments)."""
    return {
        "actor": actor,
        "action": AuditAction.CLAIM,
        "case": case,
        "role": _actor_role(task),
        "org": task.org,
        "task": task,
        "from_state": state,
        "to_state": state,
        "changes": {"owner": [None, actor.get_username()], "auto": True},
    }


def _log_claim(actor, task: CaseTask, case: Case, state: str) -> None:
    audit_log(**_claim_event(actor, task, case, state))


def _finish(activation, *, countersigns_checked=False) -> None:
    """Complete the viewflow task and open the next one for the case's new state.

    ``countersigns_checked``: the task came through ``_open_task``, whose 加签 guard found none
    open under this same lock, so there is none to cancel."""
    activation.start(None)
    activation.execute()
    if isinstance(activation.task, CaseTask) and not countersigns_checked:  # report rounds have no 加签
        cancel_side_tasks(activation.task)  # a 加签 left open on a finished step is moot


def _lifecycle_tasks(case: Case):
    """The case's lifecycle steps (结对 … 市级备案), without its training work."""
    return CaseTask.objects.filter(case=case, flow_task_type="HUMAN").exclude(flow_task__in=off_lifecycle_nodes())


def _last_handler(case: Case, flow_task, role: str, org):
    """Whoever finished ``flow_task`` of the case last, if they still hold ``role`` at ``org``."""
    previous = (
        CaseTask.objects.filter(case=case, flow_task=flow_task, status=STATUS.DONE, owner__isnull=False)
        .select_related("owner")
        .order_by("-finished", "-id")
        .first()
    )
    if previous is None or not role or not user_holds(previous.owner, role, org):
        return None
    return previous.owner


def _hand_back(actor, case: Case) -> None:
    """退回/撤回: the reopened step goes straight to whoever handled it last time, if they still can."""
    reopened = _lifecycle_tasks(case).filter(status=STATUS.NEW).select_related("org")
    for task in reopened:
        previous_owner = _last_handler(case, task.flow_task, task.role, task.org)
        if previous_owner is None:
            continue
        # The engine hands it back, not the person who returned it (their row is the 退回 above).
        set_owner(
            task,
            previous_owner,
            case=case,
            by=None,
            action=AuditAction.REASSIGN,
            role="system",
            org=task.org,
            note={"hand_back": True},
        )


def _transition(
    actor,
    task_id: int,
    nodes,
    *,
    action: str,
    reason: str = "",
    perform,
    changes=None,
    hand_back=False,
    evidence=(),
    review=False,
):
    """``review``: a review step (支部审核, 单位审核), whose ``perform`` only moves the FSM from
    one review state to the next. Its 认领 and its own event are then written after the next task
    is opened (same order, same transaction): audit_log takes the chain head's lock, which every
    writer of every case waits for until this transaction commits, so taken last it is held for
    as short as can be. And it has no training work to sync: 提交 closed it
    (``sync_obligations``), nothing opens any outside 培养中, and the daily sync (``tick``) reads
    only cases in 培养中."""
    with _open_task(actor, task_id) as (case, task):
        _expect_node(task, *nodes)
        claimed = task.status == STATUS.NEW
        activation = _claim_if_queued(actor, task, case, finishing=review)
        before = case.state
        result = perform(case, task)
        extra = result if isinstance(result, dict) else {}
        case.save()
        event = {
            "actor": actor,
            "action": action,
            "case": case,
            "role": _actor_role(task),
            "org": task.org,
            "task": task,
            "from_state": before,
            "to_state": case.state,
            "reason": reason,
            "changes": {**(changes or {}), **extra},
            "evidence": evidence,  # rows ``perform`` wrote (a list it appends to)
        }
        if review:
            _finish(activation, countersigns_checked=True)
            # 认领 and the step's own event, in that order, under one take of the head's lock.
            audit_log_many([_claim_event(actor, task, case, before), event] if claimed else [event])
        else:
            audit_log(**event)
            _finish(activation, countersigns_checked=True)
        if hand_back:
            _hand_back(actor, case)
        if not review:
            sync_obligations(case)
    return case


def _validate_mentors(actor, case: Case, mentor_ids: Sequence[int]) -> list[Teacher]:
    ids = list(dict.fromkeys(int(i) for i in mentor_ids if str(i).strip()))
    kept = case.mentors.filter(status=MentorStatus.ACCEPTED).count()
    if not ids:
        raise GuardError(_("请至少指定一名培养人。"))
    if len(ids) + kept > MAX_MENTORS:
        raise GuardError(
            _("每名培养对象最多指定 %(max)d 名培养人（已结对 %(kept)d 名），请减少人选。")
            % {"max": MAX_MENTORS, "kept": kept}
        )
    teachers = {t.pk: t for t in teachers_for_user(actor, roles=CASE_MANAGERS).filter(pk__in=ids)}
    missing = [i for i in ids if i not in teachers]
    if missing:
        raise GuardError(_("所选培养人不存在或不在您的管辖范围内，请重新选择。"))
    chosen = [teachers[i] for i in ids]
    for mentor in chosen:
        if mentor.pk == case.teacher_id:
            raise GuardError(_("培养人不能是培养对象本人（%(name)s），请另选他人。") % {"name": mentor.name})
        if case.kind == CaseKind.CULTIVATE_MEMBER and mentor.party_status != PartyStatus.FULL:
            raise GuardError(
                _("类别1的培养联系人须为正式党员，%(name)s 是%(status)s，请另选一名正式党员。")
                % {"name": mentor.name, "status": mentor.get_party_status_display()}
            )
        if case.kind == CaseKind.CULTIVATE_BACKBONE and not mentor.is_backbone:
            raise GuardError(
                _("类别2的培养人须为骨干教师，%(name)s 未登记为骨干教师，请另选或先在教师资料中标记。")
                % {"name": mentor.name}
            )
        if mentor.user_id is None:
            raise GuardError(_("%(name)s 还没有系统账号，无法接收结对任务。请先为其开通账号。") % {"name": mentor.name})
        if case.mentors.filter(teacher=mentor, status__in=[MentorStatus.PENDING, MentorStatus.ACCEPTED]).exists():
            raise GuardError(_("%(name)s 已是该案例的培养人。") % {"name": mentor.name})
    return chosen


def case_pair(*, actor, task_id: int, mentor_ids: Sequence[int]) -> Case:
    """结对: the officer names 1–2 mentors; each gets an acceptance task."""

    def perform(case, task):
        mentors = _validate_mentors(actor, case, mentor_ids)
        for mentor in mentors:
            CaseMentor.objects.create(case=case, teacher=mentor)
        case.pair()
        return {"mentors": [m.name for m in mentors]}

    return _transition(actor, task_id, [CaseFlow.pair], action=AuditAction.PAIR, perform=perform)


def mentor_accept(*, actor, task_id: int) -> Case:
    """A mentor accepts the pairing; the last acceptance starts the training."""

    def perform(case, task):
        mentor = CaseMentor.objects.select_for_update().get(pk=task.data["mentor_id"])
        mentor.status = MentorStatus.ACCEPTED
        mentor.responded_at = timezone.now()
        mentor.save()
        if not case.mentors.filter(status=MentorStatus.PENDING).exists():
            case.start_training()
        return {"mentor": mentor.teacher.name}

    return _transition(actor, task_id, [CaseFlow.accept], action=AuditAction.ACCEPT, perform=perform)


def mentor_decline(*, actor, task_id: int, reason: str) -> Case:
    """A mentor declines; the case goes back to 登记造册 for the officer to re-pair."""
    reason = _require_reason(reason, _("谢绝结对"))

    def perform(case, task):
        mentor = CaseMentor.objects.select_for_update().get(pk=task.data["mentor_id"])
        mentor.status = MentorStatus.DECLINED
        mentor.responded_at = timezone.now()
        mentor.ended_reason = reason
        mentor.save()
        # Other mentors still waiting are released: the officer pairs again from scratch.
        released = list(case.mentors.filter(status=MentorStatus.PENDING).values_list("teacher__name", flat=True))
        case.mentors.filter(status=MentorStatus.PENDING).update(
            status=MentorStatus.LEFT, ended_reason=_("另一位培养人谢绝，结对重新安排")
        )
        now = timezone.now()
        CaseTask.objects.filter(process__case=case, flow_task=CaseFlow.accept, status__in=OPEN_TASK_STATUSES).exclude(
            pk=task.pk
        ).update(status=STATUS.CANCELED, finished=now)
        case.pairing_declined()
        return {"mentor": mentor.teacher.name, "released": released}

    return _transition(actor, task_id, [CaseFlow.accept], action=AuditAction.DECLINE, reason=reason, perform=perform)


def case_submit(*, actor, task_id: int) -> Case:
    """The officer submits a trained candidate to the party branch for review."""

    def perform(case, task):
        sync_obligations(case)
        check_gate(case)
        case.submit()

    return _transition(actor, task_id, [CaseFlow.submit], action=AuditAction.SUBMIT, perform=perform)


def pass_review(case: Case) -> None:
    """The FSM step of 审核通过: 支部审核 → 单位审核, 单位审核 → 市级备案 (also 后加签's 同意)."""
    if case.state == CaseState.BRANCH_REVIEW:
        case.branch_approve()
    else:
        case.unit_approve()


def case_approve(*, actor, task_id: int, reason: str = "", changes: dict | None = None) -> Case:
    """支部审核 / 单位审核 passes the case one level up (``changes``: noted on the audit event,
    e.g. ``{"bulk": True}`` for 批量审批)."""

    def perform(case, task):
        pass_review(case)

    return _transition(
        actor,
        task_id,
        [CaseFlow.branch_review, CaseFlow.unit_review],
        action=AuditAction.APPROVE,
        reason=(reason or "").strip(),
        perform=perform,
        changes=changes,
        review=True,
    )


def birth_month(teacher: Teacher) -> str:
    """附件2 prints 出生年月 as YYYY.MM."""
    return f"{teacher.birth_date.year:04d}.{teacher.birth_date.month:02d}"


def case_file(*, actor, task_id: int, year: int | None = None, note: str = "") -> Case:
    """市级备案: the city files the completion; the case's 附件2 row is written now."""
    evidence = []

    def perform(case, task):
        now = timezone.now()
        completed_year = int(year) if year else timezone.localtime(now).year
        if not 2000 <= completed_year <= 2100:
            raise GuardError(_("完成年度“%(year)s”无效，请填写四位年份，例如 2026。") % {"year": year})
        case.file()
        case.completed_at = now
        row = Annex2Row.objects.create(
            case=case,
            unit=case.unit,
            name=case.teacher.name,
            birth_month=birth_month(case.teacher),
            kind=case.kind,
            year=completed_year,
            note=(note or case.note).strip(),
        )
        evidence.append(row)
        return {
            "annex2": {
                "unit": case.unit.name,
                "name": row.name,
                "birth_month": row.birth_month,
                "kind": row.kind,
                "year": row.year,
                "note": row.note,
            }
        }

    return _transition(
        actor, task_id, [CaseFlow.city_filing], action=AuditAction.COMPLETE, perform=perform, evidence=evidence
    )


MAX_REASON = 1000


def _limited_reason(reason: str, what: str) -> str:
    """A required reason of at most ``MAX_REASON`` 字 (the forms say so first; the API and
    commands meet the same rule here)."""
    reason = _require_reason(reason, what)
    if len(reason) > MAX_REASON:
        raise GuardError(
            _("%(what)s理由最多 %(limit)d 字，现有 %(n)d 字。") % {"what": what, "limit": MAX_REASON, "n": len(reason)}
        )
    return reason


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def _step_of(state: str):
    """The lifecycle step a case in ``state`` waits on (the task ``route`` opens for it)."""
    return {
        CaseState.TRAINING: CaseFlow.submit,
        CaseState.BRANCH_REVIEW: CaseFlow.branch_review,
        CaseState.UNIT_REVIEW: CaseFlow.unit_review,
        CaseState.CITY_FILING: CaseFlow.city_filing,
    }[state]


def _landing(case: Case, state: str) -> list:
    """Who the reopened step of ``state`` goes to: its last handler if they still hold the role
    (``_hand_back`` gives it to them), otherwise everyone who may claim it."""
    step = _step_of(state)
    org = nearest_org_with_role(case.org, step.role)
    handler = _last_handler(case, step, step.role, org)
    return [handler] if handler is not None else list(users_holding(step.role, org))


def case_return(*, actor, task_id: int, reason: str, to_state: str | None = None) -> Case:
    """退回: a reviewer sends the case back, with a reason, to an earlier step they choose
    (``RETURN_TARGETS``; one step back when none is chosen). The reopened step lands with whoever
    handled it last, who is told who returned it and why."""
    reason = _limited_reason(reason, _("退回"))
    with _open_task(actor, task_id) as (case, task):
        target = access.check_return_target(actor, task, to_state)
        activation = _claim_if_queued(actor, task, case)
        before = case.state
        recipients = _landing(case, target)
        case.return_to(target)
        case.save()
        audit_log(
            actor=actor,
            action=AuditAction.RETURN,
            case=case,
            role=_actor_role(task),
            org=task.org,
            task=task,
            from_state=before,
            to_state=case.state,
            reason=reason,
            changes={"to_stage": target, "recipients": [_name(u) for u in recipients]},
        )
        _finish(activation, countersigns_checked=True)
        _hand_back(actor, case)
        sync_obligations(case)
        reopened = _lifecycle_tasks(case).filter(status__in=OPEN_TASK_STATUSES).order_by("-id").first()
        notify(
            recipients,
            kind=NotificationKind.RETURNED,
            message=_("%(who)s 将%(trainee)s的案例从“%(from)s”退回到“%(to)s”，请您办理。理由：%(reason)s")
            % {
                "who": _name(actor),
                "trainee": case.teacher.name,
                "from": CaseState(before).label,
                "to": case.get_state_display(),
                "reason": reason,
            },
            task=reopened,
            case=case,
        )
    return case


def _told_of_rejection(case: Case) -> list:
    """The officer(s) who registered and submitted the case, and its mentors."""
    submitted = (
        CaseTask.objects.filter(case=case, flow_task=CaseFlow.submit, status=STATUS.DONE, owner__isnull=False)
        .select_related("owner")
        .order_by("-finished", "-id")
        .first()
    )
    mentors = [
        m.teacher.user
        for m in case.mentors.filter(status=MentorStatus.ACCEPTED).select_related("teacher__user")
        if m.teacher.user_id
    ]
    people = [case.registered_by, submitted.owner if submitted else None, *mentors]
    return [u for u in dict.fromkeys(people) if u is not None and u.is_active]


def case_reject(*, actor, task_id: int, reason: str) -> Case:
    """不予通过: at 支部审核 or 单位审核 the reviewer ends the case with a reason. Its open tasks
    (training work too) are cancelled, its process ends, and the officers and mentors are told."""
    reason = _limited_reason(reason, _("不予通过"))
    with _open_task(actor, task_id) as (case, task):
        access.check_reject(actor, task)
        activation = _claim_if_queued(actor, task, case)
        before = case.state
        recipients = _told_of_rejection(case)
        case.reject()
        case.save()
        # Whatever else is open on the case (training work, a 加签 or 抄送 waiting) is moot now;
        # closed before the step finishes, so that ``end`` finds nothing open and ends the process.
        others = list(CaseTask.objects.filter(case=case, status__in=OPEN_TASK_STATUSES).exclude(pk=task.pk))
        now = timezone.now()
        for other in others:
            other.status, other.finished = STATUS.CANCELED, now
            other.save(update_fields=["status", "finished"])
        cancelled = [str(getattr(o.flow_task, "task_title", o.flow_task.name)) for o in others]
        audit_log(
            actor=actor,
            action=AuditAction.REJECT,
            case=case,
            role=_actor_role(task),
            org=task.org,
            task=task,
            from_state=before,
            to_state=case.state,
            reason=reason,
            changes={
                "recipients": [_name(u) for u in recipients],
                **({"cancelled": cancelled} if cancelled else {}),
            },
        )
        _finish(activation, countersigns_checked=True)  # ``route`` sends a closed case to ``end``
        sync_obligations(case)  # nothing of training stays open on a closed case
        notify(
            recipients,
            kind=NotificationKind.REJECTED,
            message=_("%(who)s 在“%(stage)s”对%(trainee)s的案例作出“不予通过”，案例已结束。理由：%(reason)s")
            % {"who": _name(actor), "stage": CaseState(before).label, "trainee": case.teacher.name, "reason": reason},
            case=case,
        )
    return case


# --- out-of-band actions on a case ---------------------------------------------------


def _visible_case_id(actor, case_id: int) -> int:
    if not cases_for_user(actor).filter(pk=case_id).exists():
        raise NotInScope(_("未找到该培养案例，或它不在您的管辖范围内。"))
    return case_id


def case_withdraw(*, actor, case_id: int, reason: str = "") -> Case:
    """撤回: the submitter takes back a submission nobody has started on yet."""
    with locked_case(_visible_case_id(actor, case_id)) as case:
        if case.state not in ONE_STEP_BACK:
            raise GuardError(_("案例当前处于“%(state)s”，没有可撤回的提交。") % {"state": case.get_state_display()})
        pending = _lifecycle_tasks(case).filter(status__in=OPEN_TASK_STATUSES).select_related("owner").first()
        submitted = (
            _lifecycle_tasks(case).filter(status=STATUS.DONE).select_related("org").order_by("-finished", "-id").first()
        )
        if submitted is None or submitted.owner_id != actor.pk:
            raise NotPermitted(_("只有提交人本人可以撤回这份提交。"))
        if pending is not None and pending.owner_id:
            raise GuardError(
                _("%(who)s 已认领并开始办理，不能撤回。如需更正，请联系对方退回。")
                % {"who": pending.owner.get_full_name() or pending.owner.get_username()}
            )
        before = case.state
        case.step_back()
        case.save()
        audit_log(
            actor=actor,
            action=AuditAction.WITHDRAW,
            case=case,
            role=submitted.role or "mentor",
            org=submitted.org,
            task=pending,
            from_state=before,
            to_state=case.state,
            reason=(reason or "").strip(),
        )
        sync_obligations(case)
        reroute(case)
        _hand_back(actor, case)
    return case


def _managed(actor, case_id: int, *, action: str, reason: str, transition, changes=None) -> Case:
    with locked_case(_visible_case_id(actor, case_id)) as case:
        assignment = _manager_assignment(actor, case)
        before = case.state
        transition(case)
        case.save()
        audit_log(
            actor=actor,
            action=action,
            case=case,
            role=assignment.role,
            org=assignment.org,
            from_state=before,
            to_state=case.state,
            reason=reason,
            changes=changes,
        )
        sync_obligations(case)
        reroute(case)
    return case


def _guard_state(case: Case, allowed, message: str) -> None:
    if case.state not in allowed:
        raise GuardError(message % {"state": case.get_state_display()})


def case_pause(*, actor, case_id: int, reason: str) -> Case:
    """暂停: e.g. long leave. Open tasks are withdrawn from inboxes until 恢复."""
    reason = _require_reason(reason, _("暂停"))

    def transition(case):
        _guard_state(case, ACTIVE_STATES, _("案例当前处于“%(state)s”，不能暂停。"))
        case.pause()

    return _managed(actor, case_id, action=AuditAction.PAUSE, reason=reason, transition=transition)


def case_resume(*, actor, case_id: int, reason: str = "") -> Case:
    """恢复: the case continues at the stage it was paused in."""

    def transition(case):
        _guard_state(case, (CaseState.PAUSED,), _("案例当前处于“%(state)s”，不是暂停状态，无需恢复。"))
        case.resume()

    return _managed(actor, case_id, action=AuditAction.RESUME, reason=(reason or "").strip(), transition=transition)


def case_exit(*, actor, case_id: int, reason: str) -> Case:
    """退出: the case ends (teacher left, declined, transferred out of scope)."""
    reason = _require_reason(reason, _("退出"))

    def transition(case):
        _guard_state(case, (*ACTIVE_STATES, CaseState.PAUSED), _("案例已经“%(state)s”，不能再退出。"))
        case.exit()

    return _managed(actor, case_id, action=AuditAction.EXIT, reason=reason, transition=transition)


def case_repair(*, actor, case_id: int, leaving_mentor_id: int, new_mentor_ids: Sequence[int], reason: str) -> Case:
    """重新结对: a mentor leaves during training; new mentors must accept before training goes on."""
    reason = _require_reason(reason, _("更换培养人"))
    with locked_case(_visible_case_id(actor, case_id)) as case:
        assignment = _manager_assignment(actor, case)
        if case.state != CaseState.TRAINING:
            raise GuardError(
                _("只有“培养中”的案例可以更换培养人，当前为“%(state)s”。") % {"state": case.get_state_display()}
            )
        leaving = (
            case.mentors.filter(pk=leaving_mentor_id, status=MentorStatus.ACCEPTED).select_related("teacher").first()
        )
        if leaving is None:
            raise GuardError(_("所选培养人不是该案例当前的培养人，请刷新后重试。"))
        leaving.status = MentorStatus.LEFT
        leaving.ended_reason = reason
        leaving.save()
        new_mentors = _validate_mentors(actor, case, new_mentor_ids) if new_mentor_ids else []
        if not new_mentors and not case.mentors.filter(status=MentorStatus.ACCEPTED).exists():
            raise GuardError(
                _("%(name)s 离任后该案例将没有培养人，请同时指定新的培养人。") % {"name": leaving.teacher.name}
            )
        for mentor in new_mentors:
            CaseMentor.objects.create(case=case, teacher=mentor)
        before = case.state
        if new_mentors:
            case.repair()
        case.save()
        audit_log(
            actor=actor,
            action=AuditAction.REPAIR,
            case=case,
            role=assignment.role,
            org=assignment.org,
            from_state=before,
            to_state=case.state,
            reason=reason,
            changes={"left": leaving.teacher.name, "mentors": [m.name for m in new_mentors]},
        )
        sync_obligations(case)
        if new_mentors:
            reroute(case)
    return case

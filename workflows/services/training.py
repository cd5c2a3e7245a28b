"""Training work while a case is 培养中: record tasks, semester work, 培养人意见 and the gate.

``sync_obligations`` is the one place that opens and cancels training tasks. It is
idempotent and runs under the case's lock: on every lifecycle transition, and daily from
``manage.py tick`` (which is how the next month's record task or the next semester's
work appears). While the case is not 培养中 (paused, under review, re-pairing, closed) it
cancels the open training tasks; the duties and works themselves stay, and their tasks
reopen when training resumes.
"""

import datetime
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.status import STATUS
from viewflow.workflow.token import Token

from ..errors import GuardError, NotPermitted
from ..flows import OPEN_TASK_STATUSES, CaseFlow, training_nodes
from ..models import (
    AuditAction,
    Case,
    CaseMentor,
    CaseState,
    CaseTask,
    MentorOpinion,
    MentorStatus,
    ProgrammePolicy,
    RecordDuty,
    Role,
    SemesterWork,
    UnitPolicy,
    WorkItem,
    WorkStatus,
)
from ..periods import add_months, end_of_day, record_period, semester_of
from ..routing import nearest_org_with_role
from ..workdays import add_workdays
from .attachments import check_upload, staged_files
from .audit import audit_log, set_owner
from .locking import locked_case


def _today() -> datetime.date:
    return timezone.localdate()


def accepted_mentors(case: Case) -> list[CaseMentor]:
    """The case's current mentors, first-paired first (the first one reviews the semester work)."""
    return list(
        case.mentors.filter(status=MentorStatus.ACCEPTED).select_related("teacher__user").order_by("assigned_at", "id")
    )


# --- the training clock --------------------------------------------------------------


def earliest_submission(case: Case, policy: ProgrammePolicy | None = None) -> datetime.date | None:
    """The first day the minimum training period (set by the city) has passed, pauses excluded."""
    if case.training_started_on is None:
        return None
    months = (policy or ProgrammePolicy.current()).min_months(case.kind)
    paused = case.paused_days
    if case.state == CaseState.PAUSED and case.paused_at:
        paused += max(0, (_today() - timezone.localdate(case.paused_at)).days)
    return add_months(case.training_started_on, months) + timedelta(days=paused)


def gate_missing(case: Case, today: datetime.date | None = None) -> list[str]:
    """What stands between a 培养中 case and 支部审核, each item in words. Empty: the gate is open."""
    return gate_items(
        kind=case.kind,
        months=ProgrammePolicy.current().min_months(case.kind),
        training_started_on=case.training_started_on,
        ready_on=earliest_submission(case),
        today=today or _today(),
        open_works=[
            (work.semester_label, work.get_item_display(), work.get_status_display())
            for work in case.works.exclude(status=WorkStatus.ACCEPTED).order_by("semester_start", "item")
        ],
        mentors_without_opinion=[m.teacher.name for m in accepted_mentors(case) if not m.opinions.exists()],
    )


def gate_items(
    *,
    kind: str,
    months: int,
    training_started_on: datetime.date | None,
    ready_on: datetime.date | None,
    today: datetime.date,
    open_works: list[tuple[str, str, str]],
    mentors_without_opinion: list[str],
) -> list[str]:
    """The gate's checklist from its facts, whether today's rows or a case rebuilt as of a
    moment (``workflows.as_of``): one wording of the rule for both."""
    missing = []
    if ready_on is None:
        missing.append(_("尚未开始培养（培养人未全部接受结对）。"))
    elif today < ready_on:
        missing.append(
            _(
                "培养时间不足：类别%(kind)s最短培养期为 %(months)d 个月，自 %(start)s 开始培养"
                "（暂停 %(paused)d 天不计），最早可于 %(ready)s 提交。"
            )
            % {
                "kind": kind,
                "months": months,
                "start": training_started_on,
                "paused": (ready_on - add_months(training_started_on, months)).days,
                "ready": ready_on,
            }
        )
    for semester, item, status in open_works:
        missing.append(
            _("%(semester)s的%(item)s未通过培养人审阅（当前：%(status)s）。")
            % {"semester": semester, "item": item, "status": status}
        )
    for name in mentors_without_opinion:
        missing.append(_("培养人 %(name)s 尚未填写培养人意见。") % {"name": name})
    return missing


def check_gate(case: Case) -> None:
    """Raise, listing everything missing, unless the case may enter 支部审核."""
    missing = gate_missing(case)
    if missing:
        raise GuardError(_("还不能提交支部审核，尚缺：%(items)s") % {"items": "".join(f"\n· {m}" for m in missing)})


# --- opening and closing training tasks -------------------------------------------


def _open_training_tasks(case: Case) -> list[CaseTask]:
    return list(
        CaseTask.objects.filter(case=case, flow_task__in=training_nodes(), status__in=OPEN_TASK_STATUSES).order_by("id")
    )


def _new_task(case: Case, node, *, due_at, owner=None, role="", org=None, **links) -> CaseTask:
    now = timezone.now()
    task = CaseTask(
        process=case.process,
        flow_task=node,
        flow_task_type="HUMAN",
        token=Token("start"),
        case=case,
        org=org or case.org,
        role=role,
        stage=case.state,
        due_at=due_at,
        owner=owner,
        status=STATUS.ASSIGNED if owner else STATUS.NEW,
        assigned=now if owner else None,
        **links,
    )
    task.save()
    return task


def _close(task: CaseTask, status=STATUS.DONE) -> None:
    task.status = status
    task.finished = timezone.now()
    task.save(update_fields=["status", "finished"])


def _submit_work_task(case: Case, work: SemesterWork, today) -> CaseTask:
    """The trainee submits their own work; a trainee without an account is helped by the school's officer."""
    due = end_of_day(work.semester_end)
    if work.status == WorkStatus.RETURNED:
        due = max(due, end_of_day(add_workdays(today, settings.SHUANGPEI_DUE_DAYS["resubmit_work"])))
    trainee_user = case.teacher.user
    if trainee_user is not None:
        return _new_task(case, CaseFlow.submit_work, due_at=due, owner=trainee_user, work=work)
    return _new_task(
        case,
        CaseFlow.submit_work,
        due_at=due,
        role=Role.OFFICER,
        org=nearest_org_with_role(case.org, Role.OFFICER),
        work=work,
    )


def sync_obligations(case: Case, *, today: datetime.date | None = None, actor=None) -> dict:
    """Open the training tasks the case owes today and cancel those it no longer owes.

    Must run inside ``locked_case``. Returns (and audits, when anything changed) the titles
    of the tasks opened and cancelled.
    """
    today = today or _today()
    opened: list[CaseTask] = []
    cancelled: list[CaseTask] = []
    open_tasks = _open_training_tasks(case)

    if case.state != CaseState.TRAINING:
        for task in open_tasks:
            _close(task, STATUS.CANCELED)
        cancelled = open_tasks
    else:
        mentors = accepted_mentors(case)
        mentor_ids = {m.pk for m in mentors}
        # The day 提交支部审核 opens follows the training clock (CaseTask.opens_on, the inbox's 未到办理时间).
        CaseTask.objects.filter(case=case, status__in=OPEN_TASK_STATUSES).sync_opens_on()
        for task in open_tasks:
            if task.mentor_id and task.mentor_id not in mentor_ids:
                _close(task, STATUS.CANCELED)
                cancelled.append(task)
        still_open = [t for t in open_tasks if t not in cancelled]

        # 培养记录: one duty per mentor for the period of the unit's cadence containing today;
        # every unwritten duty of a current mentor has an open task (an earlier period's
        # comes back, still overdue, when training resumes after a pause or a return).
        policy = UnitPolicy.for_unit(case.unit_id)
        period = record_period(today, policy.record_every_months)
        for mentor in mentors:
            RecordDuty.objects.get_or_create(
                mentor=mentor, period_start=period.start, defaults={"case": case, "period_end": period.end}
            )
        unwritten = RecordDuty.objects.filter(
            case=case, mentor__in=mentors, record__isnull=True, period_start__lte=today
        )
        for duty in unwritten.select_related("mentor__teacher__user").order_by("period_start", "id"):
            if not any(t.duty_id == duty.pk for t in still_open):
                mentor = duty.mentor
                due = end_of_day(duty.period_end)
                opened.append(
                    _new_task(case, CaseFlow.record, due_at=due, owner=mentor.teacher.user, duty=duty, mentor=mentor)
                )

        # 学期成果: a 典型案例 and a 论文 for the semester containing today.
        semester = semester_of(today)
        if semester is not None:
            for item in WorkItem:
                SemesterWork.objects.get_or_create(
                    case=case,
                    semester_start=semester.start,
                    item=item,
                    defaults={"semester_end": semester.end},
                )
        reviewer = mentors[0] if mentors else None
        for work in case.works.exclude(status=WorkStatus.ACCEPTED).order_by("semester_start", "item"):
            node = CaseFlow.review_work if work.status == WorkStatus.SUBMITTED else CaseFlow.submit_work
            current = [t for t in still_open if t.work_id == work.pk]
            if any(t.flow_task == node for t in current):
                continue
            for task in current:
                _close(task, STATUS.CANCELED)
                cancelled.append(task)
            if node == CaseFlow.submit_work:
                opened.append(_submit_work_task(case, work, today))
            elif reviewer is not None:
                due = end_of_day(add_workdays(today, settings.SHUANGPEI_DUE_DAYS["review_work"]))
                opened.append(
                    _new_task(
                        case, CaseFlow.review_work, due_at=due, owner=reviewer.teacher.user, work=work, mentor=reviewer
                    )
                )

        # 培养人意见: asked of each mentor once the minimum training period has passed.
        ready_on = earliest_submission(case)
        if ready_on is not None and today >= ready_on:
            due = end_of_day(add_workdays(today, settings.SHUANGPEI_DUE_DAYS["opinion"]))
            for mentor in mentors:
                if mentor.opinions.exists():
                    continue
                if any(t.flow_task == CaseFlow.opinion and t.mentor_id == mentor.pk for t in still_open):
                    continue
                opened.append(_new_task(case, CaseFlow.opinion, due_at=due, owner=mentor.teacher.user, mentor=mentor))

    Case.objects.filter(pk=case.pk).update(obligations_synced_on=today)
    case.obligations_synced_on = today
    result = {"tasks": [t.title for t in opened], "cancelled": [t.title for t in cancelled]}
    if opened or cancelled:
        audit_log(
            actor=actor,
            action=AuditAction.ISSUE,
            case=case,
            role="system" if actor is None else "",
            org=case.org,
            from_state=case.state,
            to_state=case.state,
            changes={k: v for k, v in result.items() if v},
        )
    return result


# --- acting on training work -------------------------------------------------------


def _training_task(actor, task_id: int, case: Case, node) -> CaseTask:
    from .cases import _expect_node, task_check_actor

    task = CaseTask.objects.select_related("owner", "org", "work", "duty", "mentor__teacher").get(pk=task_id)
    task_check_actor(actor, task)
    _expect_node(task, node)
    if case.state != CaseState.TRAINING:
        raise GuardError(_("案例当前处于“%(state)s”，不能办理培养任务。") % {"state": case.get_state_display()})
    if task.status == STATUS.NEW:  # an officer acting for a trainee takes the queued task
        set_owner(
            task,
            actor,
            case=case,
            by=actor,
            action=AuditAction.CLAIM,
            role=task.role,
            org=task.org,
            note={"auto": True},
        )
    return task


def _task_case_id(actor, task_id: int) -> int:
    from .cases import _lookup_task_case_id

    return _lookup_task_case_id(actor, task_id)


def fulfil_duty(case: Case, record, *, task_id: int | None = None) -> CaseTask | None:
    """A record answers the duty of the task it was written from, or else the open duty of its period."""
    duties = RecordDuty.objects.filter(case=case, mentor=record.mentor, record__isnull=True)
    if task_id is not None:
        task = CaseTask.objects.filter(pk=task_id, case=case, flow_task=CaseFlow.record).first()
        duty = duties.filter(pk=task.duty_id).first() if task else None
    else:
        duty = duties.filter(period_start__lte=record.date, period_end__gte=record.date).first()
    if duty is None:
        return None
    duty.record = record
    duty.fulfilled_at = timezone.now()
    duty.save(update_fields=["record", "fulfilled_at"])
    done = None
    for task in CaseTask.objects.filter(duty=duty, status__in=OPEN_TASK_STATUSES):
        _close(task)
        done = task
    return done


def work_submit(*, actor, task_id: int, title: str, summary: str, upload) -> SemesterWork:
    """The trainee (or the officer for them) submits a semester's 典型案例 or 论文 with its file."""
    title, summary = (title or "").strip(), (summary or "").strip()
    if not title:
        raise GuardError(_("请填写题目。"))
    if not summary:
        raise GuardError(_("请填写摘要（几句话说明主要内容）。"))
    if upload is None:
        raise GuardError(_("请上传成果文件（PDF、Word、Excel、JPG 或 PNG）。"))
    kind = check_upload(upload)
    with staged_files() as staged, locked_case(_task_case_id(actor, task_id)) as case:
        task = _training_task(actor, task_id, case, CaseFlow.submit_work)
        work = SemesterWork.objects.select_for_update().get(pk=task.work_id)
        if work.status not in (WorkStatus.PENDING, WorkStatus.RETURNED):
            raise GuardError(_("这项成果已经提交过了（%(status)s）。") % {"status": work.get_status_display()})
        attachment = staged.store(upload, kind, case=case, actor=actor, work=work)
        work.status = WorkStatus.SUBMITTED
        work.title, work.summary = title, summary
        work.submitted_at, work.submitted_by = timezone.now(), actor
        work.save()
        _close(task)
        audit_log(
            actor=actor,
            action=AuditAction.WORK_SUBMIT,
            case=case,
            role=task.role or "trainee",
            org=task.org,
            task=task,
            from_state=case.state,
            to_state=case.state,
            changes={"work": str(work), "title": title, "summary": summary, "file": attachment.name},
            evidence=[work, attachment],
        )
        sync_obligations(case)
    return work


def work_review(*, actor, task_id: int, accept: bool, note: str = "") -> SemesterWork:
    """The mentor accepts the work, or returns it with a reason for the trainee to revise."""
    note = (note or "").strip()
    if not accept and not note:
        raise GuardError(_("退回修改时请写明理由，告诉培养对象需要改什么。"))
    with locked_case(_task_case_id(actor, task_id)) as case:
        task = _training_task(actor, task_id, case, CaseFlow.review_work)
        work = SemesterWork.objects.select_for_update().get(pk=task.work_id)
        work.status = WorkStatus.ACCEPTED if accept else WorkStatus.RETURNED
        work.reviewed_at, work.reviewed_by, work.review_note = timezone.now(), actor, note
        work.save()
        _close(task)
        audit_log(
            actor=actor,
            action=AuditAction.WORK_ACCEPT if accept else AuditAction.WORK_RETURN,
            case=case,
            role="mentor",
            org=case.org,
            task=task,
            from_state=case.state,
            to_state=case.state,
            reason=note,
            changes={"work": str(work), "title": work.title},
        )
        sync_obligations(case)
    return work


def _mentor_of(actor, case: Case) -> CaseMentor:
    mentor = case.mentors.filter(teacher__user=actor, status=MentorStatus.ACCEPTED).select_related("teacher").first()
    if mentor is None:
        raise NotPermitted(_("只有该培养对象已结对的培养人可以填写培养人意见。"))
    return mentor


def check_can_opine(*, actor, case: Case) -> CaseMentor:
    """培养人意见 concludes the training: asked for, and accepted, once the minimum period has passed."""
    mentor = _mentor_of(actor, case)
    if case.state != CaseState.TRAINING:
        raise GuardError(_("案例当前处于“%(state)s”，不能填写培养人意见。") % {"state": case.get_state_display()})
    ready_on = earliest_submission(case)
    if ready_on is None or _today() < ready_on:
        raise GuardError(
            _("培养人意见是对整个培养期的结论，最短培养期满（%(ready)s）后才能填写。") % {"ready": ready_on or "—"}
        )
    return mentor


def opinion_write(*, actor, case_id: int, text: str) -> MentorOpinion:
    """培养人意见: signed by the mentor; writing again supersedes the earlier one (both are kept)."""
    from .cases import _visible_case_id

    text = (text or "").strip()
    with locked_case(_visible_case_id(actor, case_id)) as case:
        mentor = check_can_opine(actor=actor, case=case)
        if not text:
            raise GuardError(_("请填写培养人意见。"))
        opinion = MentorOpinion.objects.create(case=case, mentor=mentor, text=text, signed_by=actor)
        done = CaseTask.objects.filter(
            case=case, flow_task=CaseFlow.opinion, mentor=mentor, status__in=OPEN_TASK_STATUSES
        ).first()
        if done is not None:
            _close(done)
        audit_log(
            actor=actor,
            action=AuditAction.OPINION,
            case=case,
            role="mentor",
            org=case.org,
            task=done,
            from_state=case.state,
            to_state=case.state,
            changes={"mentor": mentor.teacher.name, "text": text},
            evidence=[opinion],
        )
    return opinion

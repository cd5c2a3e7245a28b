"""培养记录: mentors write and sign records; a signed record is corrected only by a new version."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from ..errors import AlreadyHandled, GuardError, NotInScope, NotPermitted
from ..flows import OPEN_TASK_STATUSES, CaseFlow
from ..models import KINDS_FOR_CASE, AuditAction, Case, CaseMentor, CaseState, CaseTask, MentorStatus, TrainingRecord
from .attachments import check_upload, staged_files
from .audit import audit_log
from .cases import _visible_case_id
from .locking import locked_case
from .training import fulfil_duty

# Records are written while the trainee is being trained, and may still be completed
# while the case is under review (the reviewers read them).
RECORDING_STATES = (CaseState.TRAINING, CaseState.BRANCH_REVIEW, CaseState.UNIT_REVIEW)


def _mentor_of(actor, case: Case) -> CaseMentor:
    mentor = (
        CaseMentor.objects.filter(case=case, teacher__user=actor, status=MentorStatus.ACCEPTED)
        .select_related("teacher")
        .first()
    )
    if mentor is None:
        raise NotPermitted(_("只有该培养对象已结对的培养人可以填写和更正培养记录。"))
    return mentor


def _clean(case: Case, *, date: datetime.date, kind: str, content: str) -> str:
    if kind not in KINDS_FOR_CASE[case.kind]:
        raise GuardError(
            _("“%(kind)s”不是类别%(case_kind)s的培养形式，请从列表中选择。") % {"kind": kind, "case_kind": case.kind}
        )
    today = timezone.localdate()
    if date > today:
        raise GuardError(_("记录日期 %(date)s 晚于今天，请填写活动实际发生的日期。") % {"date": date})
    registered = timezone.localtime(case.registered_at).date()
    if date < registered:
        raise GuardError(
            _("记录日期 %(date)s 早于培养建档时间 %(registered)s，请核对日期。")
            % {"date": date, "registered": registered}
        )
    content = (content or "").strip()
    if not content:
        raise GuardError(_("请填写培养内容及成效。"))
    return content


def check_can_record(*, actor, case: Case) -> None:
    """Raise unless ``actor`` may write records for ``case`` now (views call it before a form)."""
    _mentor_of(actor, case)
    if case.state not in RECORDING_STATES:
        raise GuardError(_("案例当前处于“%(state)s”，不能填写培养记录。") % {"state": case.get_state_display()})


def check_can_correct(*, actor, record: TrainingRecord) -> None:
    if record.mentor.teacher.user_id != actor.pk:
        raise NotPermitted(_("只有签名的培养人本人可以更正这条记录。"))


def record_write(
    *,
    actor,
    case_id: int,
    date: datetime.date,
    kind: str,
    content: str,
    files=(),
    task_id: int | None = None,
) -> TrainingRecord:
    """A mentor writes and signs one 培养记录 for a trainee, with optional attachments.

    Written from a record task, it answers that task's period; written at any other time,
    it answers the open period its date falls in, if there is one.
    """
    kinds = [check_upload(f) for f in files]
    with staged_files() as staged, locked_case(_visible_case_id(actor, case_id)) as case:
        mentor = _mentor_of(actor, case)
        if case.state not in RECORDING_STATES:
            raise GuardError(_("案例当前处于“%(state)s”，不能填写培养记录。") % {"state": case.get_state_display()})
        if task_id is not None:
            task = (
                CaseTask.objects.filter(pk=task_id, case=case, flow_task=CaseFlow.record).select_related("duty").first()
            )
            if task is None or task.status not in OPEN_TASK_STATUSES:
                raise AlreadyHandled(_("这项培养记录任务已经完成或已撤销，无需重复填写。请返回待办列表刷新。"))
            if task.owner_id != actor.pk:
                raise NotPermitted(_("这项培养记录任务是指定给另一位培养人的。"))
            duty = task.duty
            if not duty.period_start <= date <= duty.period_end:
                raise GuardError(
                    _("本期记录的日期应在 %(start)s 至 %(end)s 之间；其他日期的活动请在案例页“写培养记录”中填写。")
                    % {"start": duty.period_start, "end": duty.period_end}
                )
        content = _clean(case, date=date, kind=kind, content=content)
        record = TrainingRecord.objects.create(
            case=case, mentor=mentor, date=date, kind=kind, content=content, signed_by=actor
        )
        stored = [staged.store(f, k, case=case, actor=actor, record=record) for f, k in zip(files, kinds, strict=True)]
        answered = fulfil_duty(case, record, task_id=task_id)
        extra = {"files": [a.name for a in stored]} if stored else {}
        if answered is not None:
            extra["task"] = answered.title
        audit_log(
            actor=actor,
            action=AuditAction.RECORD,
            case=case,
            role="mentor",
            org=case.org,
            from_state=case.state,
            to_state=case.state,
            task=answered,
            evidence=[record, *stored],
            changes={
                "record": record.pk,
                "date": str(date),
                "kind": record.get_kind_display(),
                "content": content,
                **extra,
            },
        )
    return record


def record_correct(
    *, actor, record_id: int, date: datetime.date, kind: str, content: str, reason: str
) -> TrainingRecord:
    """更正: a new signed version replaces the current one; the old one stays in the history."""
    reason = (reason or "").strip()
    if not reason:
        raise GuardError(_("请填写更正理由。"))
    record = TrainingRecord.objects.filter(pk=record_id).first()
    if record is None:
        raise NotInScope(_("未找到该培养记录，或它不在您的管辖范围内。"))
    with locked_case(_visible_case_id(actor, record.case_id)) as case:
        record = TrainingRecord.objects.select_related("mentor__teacher").get(pk=record_id)
        check_can_correct(actor=actor, record=record)
        if hasattr(record, "superseded_by"):
            raise GuardError(_("这条记录已被更正过，请更正它的最新版本。"))
        content = _clean(case, date=date, kind=kind, content=content)
        new = TrainingRecord.objects.create(
            case=case,
            mentor=record.mentor,
            date=date,
            kind=kind,
            content=content,
            version=record.version + 1,
            supersedes=record,
            correction_reason=reason,
            signed_by=actor,
        )
        changes = {"record": [record.pk, new.pk], "version": [record.version, new.version]}
        for field, old, value in (
            ("date", str(record.date), str(date)),
            ("kind", record.kind, kind),
            ("content", record.content, content),
        ):
            if old != value:
                changes[field] = [old, value]
        audit_log(
            actor=actor,
            action=AuditAction.RECORD_CORRECT,
            case=case,
            role="mentor",
            org=case.org,
            from_state=case.state,
            to_state=case.state,
            reason=reason,
            changes=changes,
            evidence=[new],
        )
    return new

"""抄送 and 评论 on a task (issue 11): neither moves the case or the task.

Who may is ``workflows.access.copies``; each service re-reads under the case lock, asks it,
writes, notifies and logs its audit event in the one transaction.
"""

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import access
from ..errors import GuardError, NotInScope
from ..models import AuditAction, CaseCopy, CaseTask, NotificationKind, TaskComment
from ..selectors import cases_for_user, open_copies
from .attachments import check_upload, staged_files
from .audit import actor_display_name, audit_log
from .cases import _lookup_task_case_id
from .locking import locked_case
from .notify import notify
from .reminders import task_recipients

MAX_NOTE = 500
MAX_COMMENT = 1000
MAX_FILES = 5


def _task(task_id: int) -> CaseTask:
    return CaseTask.objects.select_related("case__teacher", "case__org", "org", "owner", "duty", "work").get(pk=task_id)


def _label(task: CaseTask) -> str:
    return f"「{task.title}」（{task.case.teacher.name}）"


def case_copy(*, actor, task_id: int, recipient_ids, note: str = "") -> list[CaseCopy]:
    """抄送: the approver lets colleagues know about a step, and read its case while the copy
    stands (``access.copies``: who may copy, and to whom)."""
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise GuardError(_("抄送说明最多 %(max)d 字，现有 %(n)d 字。") % {"max": MAX_NOTE, "n": len(note)})
    ids = list(dict.fromkeys(int(pk) for pk in recipient_ids))
    with locked_case(_lookup_task_case_id(actor, task_id)) as case:
        task = _task(task_id)
        access.check_copy(actor, task)
        people = list(get_user_model().objects.filter(pk__in=ids).select_related("teacher"))
        if len(people) != len(ids):
            raise GuardError(_("所选的抄送对象已不存在，请刷新页面后重新选择。"))
        access.check_copy_to(actor, task, people)
        copies = CaseCopy.objects.bulk_create(
            [CaseCopy(case=case, task=task, recipient=u, copied_by=actor, note=note) for u in people]
        )
        message = _("%(who)s 将%(task)s抄送给您，您可在抄送期间查阅该案例（只读）。%(note)s") % {
            "who": actor_display_name(actor),
            "task": _label(task),
            "note": note,
        }
        notify(people, kind=NotificationKind.COPIED, message=message, task=task, case=case)
        audit_log(
            actor=actor,
            action=AuditAction.COPY,
            case=case,
            role=task.role,
            org=task.org,
            task=task,
            from_state=case.state,
            to_state=case.state,
            reason=note,
            changes={"task": task.title, "recipients": [actor_display_name(u) for u in people]},
        )
    return copies


def copy_revoke(*, actor, copy_id: int) -> CaseCopy:
    """撤销抄送: the copier (or a supervisor) ends a copy; the recipient reads the case no more."""
    row = CaseCopy.objects.filter(pk=copy_id).values_list("case_id", flat=True).first()
    if row is None or not cases_for_user(actor).filter(pk=row).exists():
        raise NotInScope(_("未找到该抄送，或它不在您的管辖范围内。"))
    with locked_case(row) as case:
        copy = CaseCopy.objects.select_related("task__org", "task__case__teacher", "recipient__teacher", "case").get(
            pk=copy_id
        )
        access.check_copy_revoke(actor, copy)
        copy.revoked_at = timezone.now()
        copy.save(update_fields=["revoked_at"])
        supervisor = copy.copied_by_id != actor.pk
        audit_log(
            actor=actor,
            action=AuditAction.COPY_REVOKE,
            case=case,
            role=copy.task.role,
            org=copy.task.org,
            task=copy.task,
            from_state=case.state,
            to_state=case.state,
            changes={
                "task": copy.task.title,
                "recipients": [actor_display_name(copy.recipient)],
                **({"note": _("由上级撤销")} if supervisor else {}),
            },
        )
    return copy


def copies_mark_read(*, user, case) -> int:
    """The recipient opened the case (or one of its tasks): their standing copies are read.

    Not an audited action: it changes nothing of the case (like a notification read); the
    time stays on the copy (首次查阅时间) for the copier to see.
    """
    return open_copies().filter(case=case, recipient=user, read_at__isnull=True).update(read_at=timezone.now())


def _comment_recipients(task: CaseTask, *, author, internal: bool) -> list:
    """Who hears of a comment: the task's holder and the others who commented on it; for an
    internal comment, only the case's officials among them."""
    from .. import visibility

    earlier = TaskComment.objects.filter(task=task).exclude(author=author).values_list("author_id", flat=True)
    people = [*task_recipients(task), *get_user_model().objects.filter(pk__in=set(earlier)).order_by("id")]
    people = [u for u in dict.fromkeys(people) if u.pk != author.pk]
    if internal:
        people = [u for u in people if visibility.case_view(u, task.case).is_official]
    return people


def task_comment(*, actor, task_id: int, text: str, files=()) -> TaskComment:
    """评论: a remark on a task, with up to ``MAX_FILES`` attachments; the case and the task stay
    where they are. An official's comment on a lifecycle step is internal (officials only)."""
    text = (text or "").strip()
    if not text:
        raise GuardError(_("请填写评论内容。"))
    if len(text) > MAX_COMMENT:
        raise GuardError(_("评论内容最多 %(max)d 字，现有 %(n)d 字。") % {"max": MAX_COMMENT, "n": len(text)})
    files = list(files)
    if len(files) > MAX_FILES:
        raise GuardError(
            _("一条评论最多附 %(max)d 个文件，您选择了 %(n)d 个，请减少后重新提交。")
            % {"max": MAX_FILES, "n": len(files)}
        )
    kinds = [check_upload(f) for f in files]  # every file checked before anything is written
    with staged_files() as staged, locked_case(_lookup_task_case_id(actor, task_id)) as case:
        task = _task(task_id)
        role, org = access.check_comment(actor, task)
        internal = access.comment_is_internal(role, task)
        comment = TaskComment.objects.create(
            case=case,
            task=task,
            author=actor,
            author_name=actor_display_name(actor),
            role=role,
            text=text,
            internal=internal,
        )
        stored = [
            staged.store(f, k, case=case, actor=actor, comment=comment) for f, k in zip(files, kinds, strict=True)
        ]
        message = _("%(who)s 评论了%(task)s：%(text)s") % {
            "who": actor_display_name(actor),
            "task": _label(task),
            "text": text,
        }
        notify(
            _comment_recipients(task, author=actor, internal=internal),
            kind=NotificationKind.COMMENTED,
            message=message,
            task=task,
            case=case,
        )
        audit_log(
            actor=actor,
            action=AuditAction.COMMENT,
            case=case,
            role=role,
            org=org,
            task=task,
            from_state=case.state,
            to_state=case.state,
            evidence=stored,
            changes={
                "task": task.title,
                "comment": comment.pk,
                "comment_text": text,
                # Read by ``visibility.events_for``: an internal comment's event is for officials.
                **({"internal": str(_("仅干部可见"))} if internal else {}),
                **({"files": [a.name for a in stored]} if stored else {}),
            },
        )
    return comment

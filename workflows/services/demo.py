"""示范岗 and 示范课 (seed 000 §三(三)–(四); 长沙: 申报备案 412 个 → 授牌认定 298 个).

The school's 党务干部 declares a 党员示范岗 / 示范班 / 责任区 for a party-member teacher (申报备案);
the unit's 审核人 or the city certifies it or not (授牌认定), and may revoke it later. The school
also schedules 示范课, 党员教师观摩课 and 校外名家授课, and records each once it is held (or
cancels it). Who may do each is ``workflows.access.demo``; each write here is one transaction
with its audit event (no case: ``case=None``, the actor's role and organisation).
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..access import demo as rules
from ..errors import GuardError, NotInScope
from ..models import (
    AuditAction,
    DemoLesson,
    DemoPost,
    DemoPostKind,
    DemoPostState,
    LessonKind,
    LessonState,
    NotificationKind,
    Organisation,
    Role,
    Teacher,
)
from ..routing import nearest_org_with_role
from ..selectors import users_holding
from ..text import checked_text as _text
from .audit import audit_log
from .notify import notify

TITLE_MAX = 100
COMMITMENT_MAX = 1000
SUBJECT_MAX = 50
NOTE_MAX = 500
LESSON_TITLE_MAX = 200
PLACE_MAX = 100
GUEST_MAX = 50
RECORD_MAX = 2000
MAX_ATTENDEES = 5000


def _locked_post(post_id: int) -> DemoPost:
    post = DemoPost.objects.select_for_update().select_related("school", "holder__org").filter(pk=post_id).first()
    if post is None:
        raise NotInScope(_("未找到该示范岗，或它不在您的管辖范围内。"))
    return post


def _locked_lesson(lesson_id: int) -> DemoLesson:
    # of=("self",): the teacher is nullable (a 名家授课 has a guest instead), and PostgreSQL does not
    # lock the nullable side of an outer join.
    lesson = (
        DemoLesson.objects.select_for_update(of=("self",))
        .select_related("school", "teacher")
        .filter(pk=lesson_id)
        .first()
    )
    if lesson is None:
        raise NotInScope(_("未找到该示范课，或它不在您的管辖范围内。"))
    return lesson


# --- 党员示范岗: 申报备案 → 授牌认定 -----------------------------------------------------------


def demo_post_declare(*, actor, teacher_id: int, kind: str, subject: str, title: str, commitment: str = "") -> DemoPost:
    """申报备案: the school's 党务干部 declares a post for one of its party-member teachers."""
    title = _text(_("示范岗名称"), title, TITLE_MAX, required_message=_("请填写示范岗名称（如“初二语文党员示范岗”）。"))
    commitment = _text(_("承诺与服务标准"), commitment, COMMITMENT_MAX)
    subject = _text(_("学科"), subject, SUBJECT_MAX)
    with transaction.atomic():
        # The teacher's row: two declarations for the same person wait for each other here, so
        # "one open post per holder and kind" holds.
        teacher = Teacher.objects.select_for_update().select_related("org").filter(pk=teacher_id).first()
        school, capacity = rules.check_declare(actor, teacher, kind)
        subject = subject or teacher.subject
        if not subject:
            raise GuardError(_("%(name)s 没有登记任教学科，请填写示范岗所属学科。") % {"name": teacher.name})
        rules.check_one_open(teacher, kind)
        post = DemoPost.objects.create(
            school=school,
            kind=kind,
            subject=subject,
            holder=teacher,
            title=title,
            commitment=commitment,
            declared_by=actor,
        )
        audit_log(
            actor=actor,
            action=AuditAction.DEMO_DECLARE,
            case=None,
            role=capacity.role,
            org=capacity.org,
            changes={
                "demo_post": post.pk,
                "school": school.name,
                "teacher": teacher.name,
                "kind": str(DemoPostKind(kind).label),
                "subject": subject,
                "title": title,
                "commitment": commitment,
                "state": ["", str(DemoPostState.DECLARED.label)],
            },
        )
        # The unit's 审核人 certify (or the city, where the school has no unit reviewer).
        unit = nearest_org_with_role(school, Role.REVIEWER)
        notify(
            list(users_holding(Role.REVIEWER, unit)) if unit is not None else [],
            kind=NotificationKind.DEMO,
            message=_("%(school)s申报了“%(title)s”（%(name)s），请授牌认定。")
            % {"school": school.name, "title": title, "name": teacher.name},
        )
    return post


def demo_post_decide(*, actor, post_id: int, certify: bool, note: str = "") -> DemoPost:
    """授牌认定, or 不予认定 with the reason, by the unit's 审核人 or the city."""
    note = _text(
        _("认定意见"),
        note,
        NOTE_MAX,
        required_message="" if certify else _("不予认定时请填写理由，学校会看到它并据此改进或另行申报。"),
    )
    with transaction.atomic():
        post = _locked_post(post_id)
        capacity = rules.check_decide(actor, post)
        old = post.get_state_display()
        post.state = DemoPostState.CERTIFIED if certify else DemoPostState.REJECTED
        post.decided_by = actor
        post.decided_at = timezone.now()
        post.decision_note = note
        post.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        audit_log(
            actor=actor,
            action=AuditAction.DEMO_DECIDE,
            case=None,
            role=capacity.role,
            org=capacity.org,
            reason=note,
            changes={
                "demo_post": post.pk,
                "school": post.school.name,
                "teacher": post.holder.name,
                "subject": post.subject,
                "title": post.title,
                "state": [str(old), str(post.get_state_display())],
            },
        )
        verdict = _("已授牌认定") if certify else _("未予认定：%(note)s") % {"note": note}
        notify(
            [post.declared_by, post.holder.user],
            kind=NotificationKind.DEMO,
            message=_("“%(title)s”（%(name)s）%(verdict)s")
            % {"title": post.title, "name": post.holder.name, "verdict": verdict},
        )
    return post


def demo_post_revoke(*, actor, post_id: int, reason: str) -> DemoPost:
    """撤销 (摘牌) a certified post, with the reason, by those who certify."""
    reason = _text(_("撤销理由"), reason, NOTE_MAX, required_message=_("请填写撤销理由（如教师调离、未履行承诺）。"))
    with transaction.atomic():
        post = _locked_post(post_id)
        capacity = rules.check_revoke(actor, post)
        old = post.get_state_display()
        post.state = DemoPostState.REVOKED
        post.decided_by = actor
        post.decided_at = timezone.now()
        post.decision_note = reason
        post.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        audit_log(
            actor=actor,
            action=AuditAction.DEMO_DECIDE,
            case=None,
            role=capacity.role,
            org=capacity.org,
            reason=reason,
            changes={
                "demo_post": post.pk,
                "school": post.school.name,
                "teacher": post.holder.name,
                "subject": post.subject,
                "title": post.title,
                "state": [str(old), str(post.get_state_display())],
            },
        )
    return post


# --- 示范课 / 观摩课 / 名家授课 -------------------------------------------------------------


def demo_lesson_schedule(
    *,
    actor,
    school_id: int,
    kind: str,
    teacher_id: int | None,
    guest_name: str = "",
    subject: str = "",
    title: str,
    scheduled_for: datetime.datetime,
    place: str,
) -> DemoLesson:
    """安排 a 示范课 (校内骨干教师), 党员教师观摩课 or 校外名家授课 (名家、名师来校授课)."""
    title = _text(_("课题"), title, LESSON_TITLE_MAX, required_message=_("请填写课题。"))
    place = _text(_("地点"), place, PLACE_MAX, required_message=_("请填写上课地点。"))
    guest_name = _text(_("校外授课人"), guest_name, GUEST_MAX)
    subject = _text(_("学科"), subject, SUBJECT_MAX)
    if scheduled_for is None or scheduled_for <= timezone.now():
        raise GuardError(
            _("上课时间须在现在之后（现在是 %(now)s）；已经上过的课请先安排再记录，不能补排过去的时间。")
            % {"now": timezone.localtime().strftime("%Y-%m-%d %H:%M")}
        )
    school = Organisation.objects.filter(pk=school_id).first()
    if school is None:
        raise NotInScope(_("未找到该学校，或它不在您的管辖范围内。"))
    capacity = rules.check_school_officer(actor, school, what=_("安排示范课"))
    teacher = Teacher.objects.select_related("org").filter(pk=teacher_id).first() if teacher_id else None
    if teacher_id and teacher is None:
        raise NotInScope(_("未找到该教师，或该教师不在%(school)s。") % {"school": school.name})
    rules.check_lesson_teacher(school, kind, teacher, guest_name)
    subject = subject or (teacher.subject if teacher else "")
    if not subject:
        raise GuardError(_("请填写这节课的学科。"))
    with transaction.atomic():
        lesson = DemoLesson.objects.create(
            school=school,
            kind=kind,
            subject=subject,
            teacher=teacher,
            guest_name=guest_name,
            title=title,
            scheduled_for=scheduled_for,
            place=place,
            scheduled_by=actor,
        )
        audit_log(
            actor=actor,
            action=AuditAction.LESSON_SCHEDULE,
            case=None,
            role=capacity.role,
            org=capacity.org,
            changes={
                "lesson": lesson.pk,
                "school": school.name,
                "kind": str(LessonKind(kind).label),
                "teacher": teacher.name if teacher else "",
                "guest_name": guest_name,
                "subject": subject,
                "title": title,
                "scheduled_for": timezone.localtime(scheduled_for).strftime("%Y-%m-%d %H:%M"),
                "place": place,
            },
        )
    return lesson


def demo_lesson_record(*, actor, lesson_id: int, attendees: int, record: str) -> DemoLesson:
    """记录 a lesson that has been held: how many listened, and what it was like."""
    record = _text(
        _("开课记录"), record, RECORD_MAX, required_message=_("请填写开课记录（授课内容、评课意见、成效）。")
    )
    if attendees is None or not 1 <= attendees <= MAX_ATTENDEES:
        raise GuardError(_("听课人数须在 1 至 %(max)d 之间，请核对。") % {"max": MAX_ATTENDEES})
    with transaction.atomic():
        lesson = _locked_lesson(lesson_id)
        capacity = rules.check_lesson_officer(actor, lesson)
        if lesson.scheduled_for > timezone.now():
            raise GuardError(
                _("这节课安排在 %(at)s，还没有开课，开课后再记录；如不再开课，请取消。")
                % {"at": timezone.localtime(lesson.scheduled_for).strftime("%Y-%m-%d %H:%M")}
            )
        lesson.state = LessonState.HELD
        lesson.attendees = attendees
        lesson.record = record
        lesson.recorded_by = actor
        lesson.recorded_at = timezone.now()
        lesson.save(update_fields=["state", "attendees", "record", "recorded_by", "recorded_at"])
        audit_log(
            actor=actor,
            action=AuditAction.LESSON_RECORD,
            case=None,
            role=capacity.role,
            org=capacity.org,
            changes={
                "lesson": lesson.pk,
                "school": lesson.school.name,
                "title": lesson.title,
                "state": [str(LessonState.SCHEDULED.label), str(LessonState.HELD.label)],
                "attendees": attendees,
                "lesson_record": record,
            },
        )
    return lesson


def demo_lesson_cancel(*, actor, lesson_id: int, reason: str) -> DemoLesson:
    """取消 a scheduled lesson, with the reason (kept as its record)."""
    reason = _text(_("取消原因"), reason, NOTE_MAX, required_message=_("请填写取消原因。"))
    with transaction.atomic():
        lesson = _locked_lesson(lesson_id)
        capacity = rules.check_lesson_officer(actor, lesson)
        lesson.state = LessonState.CANCELLED
        lesson.record = reason
        lesson.recorded_by = actor
        lesson.recorded_at = timezone.now()
        lesson.save(update_fields=["state", "record", "recorded_by", "recorded_at"])
        audit_log(
            actor=actor,
            action=AuditAction.LESSON_RECORD,
            case=None,
            role=capacity.role,
            org=capacity.org,
            reason=reason,
            changes={
                "lesson": lesson.pk,
                "school": lesson.school.name,
                "title": lesson.title,
                "state": [str(LessonState.SCHEDULED.label), str(LessonState.CANCELLED.label)],
            },
        )
    return lesson

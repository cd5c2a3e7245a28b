"""Who sees what of a case: the audit trail, people's names, and political status.

The rules are written out, with the reasons, in ``docs/visibility.md``. In short:

- Officials whose subtree holds the case (党务干部, 支部书记, 审核人, 市级管理员, 审计) see the case
  exactly as before: every event, every reason, usernames included.
- The trainee (培养对象) sees, on their own case, its stage changes, their own tasks, their own
  actions and what was returned to them and why (a 退回修改 of their semester work, with the
  mentor's reason); never the officials' internal follow-up (认领, 改派, 催办, 督办, reminders)
  nor a reviewer's opinion on somebody else's step (a 支部书记's 审核意见 to the 党务干部).
- Nobody but an official is ever shown a username: people appear by their display name.
- Political status (政治面貌, and what reveals it: 入党 admissions, 「评定时为党员」) is sensitive
  personal information (PIPL art. 28). It is shown to the officials in scope, to the teacher
  themself, and to a 类别1 培养联系人 (whose job is the candidate's party development); not to a
  类别2 mentor, not to anyone else.

Everything here only takes away from what the scope selectors already let a user open; it never
widens scope. Reads only: nothing here writes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from .models import AuditAction, AuditEvent, Case, CaseKind, CaseMentor, MentorStatus, Teacher
from .models.audit import TRAIL_ACCESS_ACTIONS
from .models.people import Role

# Who is a case's "official": anyone holding one of these roles at the case's organisation or
# above. The same roles may read political status of the teachers in their subtree.
OFFICIAL_ROLES = (Role.OFFICER, Role.BRANCH_SECRETARY, Role.REVIEWER, Role.CITY_ADMIN, Role.AUDITOR)
PARTY_STATUS_ROLES = OFFICIAL_ROLES

# Mentors who are still on the case (the same statuses ``selectors.cases_for_user`` admits).
ACTIVE_MENTOR = (MentorStatus.PENDING, MentorStatus.ACCEPTED)


class Standing:
    """How a viewer stands to one case."""

    OFFICIAL = "official"  # holds a role over the case's organisation
    TRAINEE = "trainee"  # the case is about them
    MENTOR = "mentor"  # an active 培养人 of the case, holding no role over it
    COPY = "copy"  # holds a standing 抄送 of the case and nothing above: reads it, less than an official
    NONE = "none"  # none of these (scope selectors answer 404 before it comes to this)


# --- the audit trail as a trainee sees it -----------------------------------------------------

# Events a trainee sees on their own case. Anything not listed (认领, 放回, 改派, 催办, 到期提醒,
# 逾期, 升级督办, exports, settings, reports … and any action added later) stays hidden until
# someone decides otherwise here: the default is "not shown".
TRAINEE_ACTIONS = frozenset(
    {
        AuditAction.REGISTER,
        AuditAction.PAIR,
        AuditAction.ACCEPT,
        AuditAction.DECLINE,
        AuditAction.REPAIR,
        AuditAction.SUBMIT,
        AuditAction.APPROVE,
        AuditAction.FILE,
        AuditAction.COMPLETE,
        AuditAction.RETURN,
        AuditAction.WITHDRAW,
        AuditAction.EXIT,
        AuditAction.PAUSE,
        AuditAction.RESUME,
        AuditAction.EDIT,
        AuditAction.RECORD,
        AuditAction.RECORD_CORRECT,
        AuditAction.ISSUE,
        AuditAction.WORK_SUBMIT,
        AuditAction.WORK_ACCEPT,
        AuditAction.WORK_RETURN,
        AuditAction.OPINION,
        AuditAction.APPRAISAL,
        AuditAction.ADMISSION,
    }
)

# Of those, the ones whose reason the trainee reads too: what was said about their own work and
# their own training (退回修改 and its reason, why training was paused, ended or re-paired, why
# their record or personal data was corrected). The reasons of the review steps (提交审核, 审核通过,
# 退回上一步, 撤回, 备案) and of a mentor's 谢绝 are one official's note to another: the trainee
# sees that the stage changed, not what was written.
TRAINEE_REASONS = frozenset(
    {
        AuditAction.WORK_ACCEPT,
        AuditAction.WORK_RETURN,
        AuditAction.PAUSE,
        AuditAction.RESUME,
        AuditAction.EXIT,
        AuditAction.REPAIR,
        AuditAction.RECORD_CORRECT,
        AuditAction.EDIT,
        AuditAction.OPINION,
    }
)

# Keys of ``AuditEvent.changes`` that carry or reveal political status.
PARTY_STATUS_KEYS = ("party_status", "party_member", "admitted_on")
# Events that exist only because of political status (the 入党 admission).
PARTY_STATUS_ACTIONS = frozenset({AuditAction.ADMISSION})
# Keys whose values are usernames (``services.audit.set_owner``).
USERNAME_KEYS = ("owner",)
# Keys whose values are display names that fall back to a username for a user with no name.
NAME_LIST_KEYS = ("recipients",)

UNNAMED = _("未登记姓名")


@dataclass(frozen=True)
class CaseView:
    """One viewer's standing towards one case, and what follows from it."""

    standing: str
    user_id: int | None
    party_status: bool

    @property
    def is_official(self) -> bool:
        return self.standing == Standing.OFFICIAL

    @property
    def is_trainee(self) -> bool:
        return self.standing == Standing.TRAINEE

    @property
    def sees_usernames(self) -> bool:
        return self.is_official

    @property
    def sees_escalation(self) -> bool:
        """升级督办 and 催办 are the officials' follow-up; a trainee is not shown them."""
        return not self.is_trainee


def _scope_paths(user) -> list[str]:
    from .selectors import user_assignments

    return [a.org.path for a in user_assignments(user) if a.role in OFFICIAL_ROLES]


def case_view(user, case: Case) -> CaseView:
    """How ``user`` stands to ``case``. Cached on the user object for the request.

    The trainee's standing wins over any role they hold: on their own case they are the one
    being reviewed, and the reviewers' notes about them are not theirs to read.
    """
    if user is None or not user.is_authenticated:
        return CaseView(Standing.NONE, None, False)
    cache = user.__dict__.setdefault("_shuangpei_case_views", {})
    if case.pk in cache:
        return cache[case.pk]
    if case.teacher.user_id == user.pk:
        view = CaseView(Standing.TRAINEE, user.pk, True)
    elif any(case.scope_path.startswith(path) for path in _scope_paths(user)):
        view = CaseView(Standing.OFFICIAL, user.pk, True)
    elif CaseMentor.objects.filter(case=case, teacher__user=user, status__in=ACTIVE_MENTOR).exists():
        # A 类别1 培养联系人 takes part in the candidate's party development (谈心谈话 about 入党动机,
        # the branch meeting that admits them): knowing 积极分子 / 发展对象 is part of that job. A
        # 类别2 mentor coaches a party member's teaching; their political status is not needed.
        view = CaseView(Standing.MENTOR, user.pk, case.kind == CaseKind.CULTIVATE_MEMBER)
    elif _copied(user, case):
        # 抄送 to an official of the same unit outside the case's chain: they read the case, but
        # not its 政治面貌 (they are not its officials), nor usernames, nor internal comments.
        view = CaseView(Standing.COPY, user.pk, False)
    else:
        view = CaseView(Standing.NONE, user.pk, False)
    cache[case.pk] = view
    return view


def _copied(user, case: Case) -> bool:
    from .selectors import open_copies

    return open_copies().filter(case=case, recipient=user).exists()


def may_see_party_status(user, case: Case) -> bool:
    """Whether the case pages may show the trainee's 政治面貌 to ``user``."""
    return case_view(user, case).party_status


def party_status_visible(user) -> Callable[[Teacher], bool]:
    """A test for lists of teachers (choice lists, rosters): may ``user`` see this one's 政治面貌?

    The teacher's organisation must be loaded (``select_related("org")``); a fixed number of
    queries, whatever the number of teachers.
    """
    if user is None or not user.is_authenticated:
        return lambda teacher: False
    paths = _scope_paths(user)
    mentored = set(
        CaseMentor.objects.filter(
            teacher__user=user, status__in=ACTIVE_MENTOR, case__kind=CaseKind.CULTIVATE_MEMBER
        ).values_list("case__teacher_id", flat=True)
    )

    def visible(teacher: Teacher) -> bool:
        return (
            teacher.user_id == user.pk
            or teacher.pk in mentored
            or any(teacher.org.path.startswith(path) for path in paths)
        )

    return visible


# --- names ------------------------------------------------------------------------------------


def display_name(user) -> str:
    """A person as a trainee or mentor may see them: their name, never their username."""
    if user is None:
        return str(_("系统"))
    teacher = getattr(user, "teacher", None)
    if teacher is not None:
        return teacher.name
    return user.get_full_name() or str(UNNAMED)


def person_name(user, view: CaseView) -> str:
    """Who a task's owner is, as ``view``'s viewer may read it (officials also by username)."""
    if user is None:
        return ""
    if view.sees_usernames:
        return user.get_full_name() or user.get_username()
    return display_name(user)


def _names_for_usernames(values: Iterable[str]) -> dict[str, str]:
    """Username → display name, for the usernames among ``values`` (one query)."""
    wanted = {v for v in values if isinstance(v, str) and v}
    if not wanted:
        return {}
    users = get_user_model().objects.filter(username__in=wanted).select_related("teacher")
    return {u.get_username(): display_name(u) for u in users}


# --- events -----------------------------------------------------------------------------------


def _trainee_sees(event: AuditEvent, view: CaseView) -> bool:
    return event.actor_id == view.user_id or event.action in TRAINEE_ACTIONS


def _trainee_reads_reason(event: AuditEvent, view: CaseView) -> bool:
    return event.actor_id == view.user_id or event.action in TRAINEE_REASONS


def _reveals_party_status(event: AuditEvent) -> bool:
    return event.action in PARTY_STATUS_ACTIONS


# Officials consulting each other (加签 and its answer): for the case's officials only, as an
# internal 评论 is; a mentor or trainee sees the step's own decision, not who was asked what.
OFFICIALS_ONLY_ACTIONS = (AuditAction.COUNTERSIGN_ASK, AuditAction.COUNTERSIGN, AuditAction.CONTEST_SCORE)


def _internal(event: AuditEvent) -> bool:
    """An officials-only event: an internal 评论 (its ``changes`` say so), a 加签, a judge's score."""
    return event.action in OFFICIALS_ONLY_ACTIONS or bool((event.changes or {}).get("internal"))


def events_for(user, case: Case, events: Iterable[AuditEvent]) -> list[AuditEvent]:
    """The case's events as ``user`` may see them, in the order given.

    Officials get the events untouched (the exports and the verifier read them so). Anyone else
    gets copies (never saved: the table is append-only) with what they may not see left out:
    whole events, reasons, the keys of ``changes`` that reveal political status, and usernames
    turned into display names. Pages show every viewer's history through ``named`` below.
    """
    events = list(events)
    view = case_view(user, case)
    if view.is_official:
        return events
    if view.standing == Standing.NONE:
        return []
    kept = []
    for event in events:
        if event.action in TRAIL_ACCESS_ACTIONS:
            continue  # who read the trail is the officials' (and the city's 查阅记录) to know
        if view.is_trainee and not _trainee_sees(event, view):
            continue
        if not view.party_status and _reveals_party_status(event):
            continue
        if _internal(event):
            continue  # an official's internal 评论 is for the case's officials only
        kept.append(event)
    usernames = [e.actor_name for e in kept]
    for event in kept:
        for key in USERNAME_KEYS:
            value = (event.changes or {}).get(key)
            if isinstance(value, list):
                usernames.extend(value)
        for key in NAME_LIST_KEYS:
            value = (event.changes or {}).get(key)
            if isinstance(value, list):
                usernames.extend(value)
    names = _names_for_usernames(usernames)
    shown = []
    for event in kept:
        visible = copy.copy(event)
        changes = dict(event.changes or {})
        if not view.party_status and any(key in changes for key in PARTY_STATUS_KEYS):
            for key in PARTY_STATUS_KEYS:
                changes.pop(key, None)
            # Whatever was written about a change of 政治面貌 may say what it changed to.
            visible.reason = ""
            if event.action == AuditAction.EDIT and set(changes) <= {"teacher"}:
                continue  # an edit of nothing but the political status: nothing left to show
        for key in USERNAME_KEYS + NAME_LIST_KEYS:
            value = changes.get(key)
            if isinstance(value, list):
                changes[key] = [names.get(v, v) if v else v for v in value]
        visible.changes = changes
        if event.actor_name in names and event.actor_id is not None:
            visible.actor_name = names[event.actor_name]
        if view.is_trainee and not _trainee_reads_reason(event, view):
            visible.reason = ""
        shown.append(visible)
    return shown


def named(events: Iterable[AuditEvent]) -> list[AuditEvent]:
    """Copies of ``events`` naming people, never accounts: the actor and the usernames in
    ``changes`` (承办人 school_officer → 学校党务干部) become display names. For pages; the
    exports keep the stored values."""
    events = list(events)
    wanted = [e.actor_name for e in events if e.actor_id is not None]
    for event in events:
        for key in USERNAME_KEYS + NAME_LIST_KEYS:
            value = (event.changes or {}).get(key)
            if isinstance(value, list):
                wanted.extend(value)
    names = _names_for_usernames(wanted)
    shown = []
    for event in events:
        visible = copy.copy(event)
        changes = dict(event.changes or {})
        for key in USERNAME_KEYS + NAME_LIST_KEYS:
            value = changes.get(key)
            if isinstance(value, list):
                changes[key] = [names.get(v, v) if v else v for v in value]
        visible.changes = changes
        if event.actor_id is not None and event.actor_name in names:
            visible.actor_name = names[event.actor_name]
        shown.append(visible)
    return shown


def event_for(user, case: Case, event: AuditEvent | None) -> AuditEvent | None:
    """One event as ``user`` may see it, or None if they may not see it at all."""
    if event is None:
        return None
    shown = events_for(user, case, [event])
    return shown[0] if shown else None


def opinions_for(user, case: Case, events: Iterable[AuditEvent]) -> list[AuditEvent]:
    """Of the events that carry a reason, those whose reason ``user`` may read."""
    return [e for e in events_for(user, case, events) if e.reason]


# --- tasks ------------------------------------------------------------------------------------


def open_tasks_for(user, case: Case, tasks: Iterable) -> list:
    """The case's open tasks ``user`` is shown on the case page.

    A trainee sees their own tasks, the lifecycle step the case stands at (where it is, and at
    which organisation) and the review of their own semester work; not the mentors' record
    duties nor anyone else's deadlines.
    """
    from .flows import CaseFlow, off_lifecycle_nodes

    tasks = list(tasks)
    view = case_view(user, case)
    if not view.is_trainee:
        return tasks
    beside = off_lifecycle_nodes()  # training work and 加签: not the step the case stands at
    return [
        t for t in tasks if t.owner_id == user.pk or t.flow_task not in beside or t.flow_task == CaseFlow.review_work
    ]


# --- 评论 -------------------------------------------------------------------------------------


def takes_part(view: CaseView, task) -> bool:
    """Whether a trainee or mentor takes part in a training task: a mentor in every training
    task of the case; the trainee in their own tasks and the review of their semester work
    (what ``open_tasks_for`` shows them), not in the mentors' record duties or opinions."""
    from .flows import CaseFlow, training_nodes

    if task.flow_task not in training_nodes():
        return False
    if view.standing == Standing.MENTOR:
        return True
    if view.is_trainee:
        return task.owner_id == view.user_id or task.flow_task in (CaseFlow.submit_work, CaseFlow.review_work)
    return False


def comment_visible(user, comment) -> bool:
    """A 评论 as ``user`` may read it: officials of the case read every comment; a trainee or
    mentor reads the shared (not internal) ones of the training tasks they take part in."""
    view = case_view(user, comment.case)
    if view.is_official:
        return True
    return not comment.internal and takes_part(view, comment.task)


def comments_for(user, task, comments: Iterable) -> list:
    """The task's comments ``user`` may read, in the order given."""
    return [c for c in comments if comment_visible(user, c)]

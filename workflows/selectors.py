"""Every read a view, report or command needs, scoped to the user's subtree first."""

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from viewflow.workflow.status import STATUS

from .errors import NotInScope
from .models import (
    Annex2Row,
    AuditEvent,
    Case,
    CaseKind,
    CaseMentor,
    CaseTask,
    MentorStatus,
    Organisation,
    Role,
    RoleAssignment,
    Teacher,
    TrainingRecord,
)
from .models.people import ACTING_ROLES

ACTIVE_MENTOR = (MentorStatus.PENDING, MentorStatus.ACCEPTED)


def user_assignments(user) -> list[RoleAssignment]:
    """The user's role assignments, cached on the user object for the request."""
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_shuangpei_roles", None)
    if cached is None:
        cached = list(RoleAssignment.objects.filter(user=user).select_related("org"))
        user._shuangpei_roles = cached
    return cached


def user_scope_paths(user, roles=None) -> list[str]:
    return [a.org.path for a in user_assignments(user) if roles is None or a.role in roles]


def _path_q(field: str, paths: list[str]) -> Q:
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{field}__startswith": path})
    return q


def user_holds(user, role: str, org: Organisation) -> bool:
    """Whether the user holds ``role`` exactly at ``org`` (the routing organisation)."""
    return any(a.role == role and a.org_id == org.pk for a in user_assignments(user))


def user_holds_over(user, roles, org: Organisation, *, strict: bool = False) -> RoleAssignment | None:
    """A role in ``roles`` held at ``org`` or one of its ancestors (strict: ancestors only)."""
    for a in user_assignments(user):
        if a.role in roles and org.path.startswith(a.org.path):
            if strict and a.org_id == org.pk:
                continue
            return a
    return None


def is_auditor_only(user) -> bool:
    assignments = user_assignments(user)
    return bool(assignments) and all(a.role == Role.AUDITOR for a in assignments)


# --- cases and teachers ------------------------------------------------------------


def cases_for_user(user) -> QuerySet[Case]:
    """Cases in the user's subtree, plus those they mentor or are the trainee of."""
    if not user.is_authenticated:
        return Case.objects.none()
    mentoring = CaseMentor.objects.filter(case=OuterRef("pk"), teacher__user=user, status__in=ACTIVE_MENTOR)
    q = _path_q("scope_path", user_scope_paths(user)) | Q(teacher__user=user) | Q(Exists(mentoring))
    return Case.objects.filter(q)


def case_for_user(user, case_id) -> Case:
    case = cases_for_user(user).select_related("teacher", "org", "unit", "registered_by").filter(pk=case_id).first()
    if case is None:
        raise NotInScope("未找到该培养案例，或它不在您的管辖范围内。")
    return case


def teachers_for_user(user, roles=ACTING_ROLES) -> QuerySet[Teacher]:
    return Teacher.objects.filter(_path_q("org__path", user_scope_paths(user, roles)))


def mentors_of_case(case: Case) -> QuerySet[CaseMentor]:
    return case.mentors.select_related("teacher").order_by("id")


def case_events(case: Case) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(case=case).select_related("org").order_by("at", "id")


def case_opinions(case: Case, limit: int = 5) -> list[AuditEvent]:
    """The latest events that carry a reason (审核意见, 退回理由, 撤回说明…), newest first."""
    return list(case_events(case).exclude(reason="").order_by("-at", "-id")[:limit])


def current_records(case: Case):
    """The ledger's rows as they stand: each record's latest version, in date order."""
    return (
        TrainingRecord.objects.filter(case=case, superseded_by__isnull=True)
        .select_related("mentor__teacher", "supersedes")
        .order_by("date", "id")
    )


def record_for_user(user, record_id) -> TrainingRecord:
    record = TrainingRecord.objects.select_related("case", "mentor__teacher").filter(pk=record_id).first()
    if record is None or not cases_for_user(user).filter(pk=record.case_id).exists():
        raise NotInScope("未找到该培养记录，或它不在您的管辖范围内。")
    return record


def record_history(record: TrainingRecord) -> list[TrainingRecord]:
    """Every version of a record, oldest first."""
    chain = [record]
    while chain[0].supersedes_id:
        chain.insert(0, TrainingRecord.objects.get(pk=chain[0].supersedes_id))
    return chain


def last_return(case: Case) -> AuditEvent | None:
    """The 退回 or 撤回 that brought the case to its current stage, if that is how it got here."""
    for event in case_events(case).order_by("-at", "-id")[:50]:
        if event.from_state != event.to_state:
            return event if event.action in ("return", "withdraw") else None
    return None


# --- tasks -------------------------------------------------------------------------

TASK_RELATED = ("case__teacher", "case__unit", "org", "owner")


def _task_base() -> QuerySet[CaseTask]:
    return CaseTask.objects.filter(flow_task_type="HUMAN").select_related(*TASK_RELATED)


def inbox_for_user(user) -> QuerySet[CaseTask]:
    """我的待办: open tasks assigned to the user."""
    return _task_base().filter(owner=user, status__in=[STATUS.ASSIGNED, STATUS.STARTED])


def queue_for_user(user) -> QuerySet[CaseTask]:
    """待认领: unclaimed tasks of the organisations where the user holds the step's role."""
    q = Q(pk__in=[])
    by_role: dict[str, list[int]] = {}
    for a in user_assignments(user):
        if a.role in ACTING_ROLES:
            by_role.setdefault(a.role, []).append(a.org_id)
    for role, org_ids in by_role.items():
        q |= Q(role=role, org_id__in=org_ids)
    return _task_base().filter(q, status=STATUS.NEW)


def archive_for_user(user) -> QuerySet[CaseTask]:
    return _task_base().filter(owner=user, finished__isnull=False, status=STATUS.DONE)


def tasks_in_scope(user) -> QuerySet[CaseTask]:
    """Every human task of a case the user can see (for the case page, auditors, supervisors)."""
    return _task_base().filter(case__in=cases_for_user(user))


def task_for_user(user, task_id) -> CaseTask:
    task = tasks_in_scope(user).filter(pk=task_id).first()
    if task is None:
        raise NotInScope("未找到该任务，或它不在您的管辖范围内。")
    return task


class ClampingPaginator(Paginator):
    """A page number past the end (an old bookmark, items moved on) shows the last page."""

    def validate_number(self, number):
        try:
            return super().validate_number(number)
        except EmptyPage:
            return max(self.num_pages, 1)
        except PageNotAnInteger:
            return 1


class TaskPaginator(ClampingPaginator):
    """Sort and cut the page on the task table alone, then join only the page's rows.

    Joining thousands of queued tasks to their case, teacher and unit before the
    ORDER BY … LIMIT is what made a busy queue slow (bench/inbox.py, docs/performance.md).
    """

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        ids = list(self.object_list.values_list("pk", flat=True)[bottom : bottom + self.per_page])
        rows = CaseTask.objects.select_related(*TASK_RELATED).in_bulk(ids)
        return self._get_page([rows[i] for i in ids if i in rows], number, self)


def filter_tasks(qs: QuerySet[CaseTask], *, kind="", unit="", stage="", overdue="", q="") -> QuerySet[CaseTask]:
    if kind:
        qs = qs.filter(case__kind=kind)
    if unit:
        qs = qs.filter(case__unit_id=unit)
    if stage:
        qs = qs.filter(stage=stage)
    if overdue == "1":
        qs = qs.filter(due_at__lt=timezone.now(), finished__isnull=True)
    if q:
        qs = qs.filter(case__teacher__name__contains=q.strip())
    return qs


def units_for_user(user) -> QuerySet[Organisation]:
    """The first-level units inside the user's subtree, for filters and the 附件2 page.

    A school officer sees no unit: the unit's table lists other schools' teachers.
    """
    q = _path_q("path", user_scope_paths(user))
    return Organisation.objects.filter(q, kind__in=["county", "direct"]).order_by("sort_order", "id")


def filter_units_for_user(user) -> QuerySet[Organisation]:
    """Units to offer in the inbox's unit filter: those in scope and those the user works in."""
    own = {a.org.unit_id for a in user_assignments(user) if a.org.unit_id}
    return Organisation.objects.filter(
        _path_q("path", user_scope_paths(user)) | Q(pk__in=own), kind__in=["county", "direct"]
    ).order_by("sort_order", "id")


def users_holding(role: str, org: Organisation):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(role_assignments__role=role, role_assignments__org=org).order_by("username")


# --- 附件2 ---------------------------------------------------------------------------


def annex2_rows(*, unit: Organisation, year: int) -> list[Annex2Row]:
    """The unit's rows for a year as 附件2 orders them: 类别 1 first, then 2."""
    return list(Annex2Row.objects.filter(unit=unit, year=year).order_by("kind", "created_at", "id"))


def annex2_years(unit: Organisation) -> list[int]:
    return list(Annex2Row.objects.filter(unit=unit).values_list("year", flat=True).distinct().order_by("-year"))


def kind_label(kind: str) -> str:
    return CaseKind(kind).label

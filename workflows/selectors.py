"""Every read a view, report or command needs, scoped to the user's subtree first."""

import datetime

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.functional import cached_property
from viewflow.workflow.status import STATUS

from .errors import NotInScope, NotPermitted
from .kept import Kept, KeptQuery, rows_by_ids
from .models import (
    Annex2Row,
    ApiToken,
    Attachment,
    AuditEvent,
    Case,
    CaseKind,
    CaseMentor,
    CaseTask,
    MentorOpinion,
    MentorStatus,
    Notification,
    Organisation,
    Role,
    RoleAssignment,
    SemesterWork,
    Teacher,
    TrainingRecord,
)
from .models.audit import TRAIL_ACCESS_ACTIONS
from .models.cases import CLOSED_STATES
from .models.people import ACTING_ROLES
from .periods import end_of_day

ACTIVE_MENTOR = (MentorStatus.PENDING, MentorStatus.ACCEPTED)


def user_assignments(user) -> list[RoleAssignment]:
    """The user's role assignments in force today, cached on the user object for the request.

    Every "may this user …" and every scope goes through here, so an ended (or not yet
    begun) assignment grants nothing anywhere (``RoleAssignment.objects.active``).

    代理人 (issue 11): during an arrangement in force today the deputy also holds the
    principal's own acting roles inside the arrangement's organisation, each marked
    ``acting_for`` (the principal) and ``deputy_arrangement``, so scope, 待认领, 督办 and "may
    act" follow; ``own_assignments`` leaves them out. Only the principal's own roles are lent:
    a deputy's deputy inherits nothing. One query for a user who deputises for nobody.
    """
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_shuangpei_roles", None)
    if cached is None:
        rows = _role_rows(user)
        own = [a for a in rows if a.user_id == user.pk]
        lent = [a for a in rows if a.user_id != user.pk]
        cached = own + (_lent_assignments(user, own, lent) if lent else [])
        user._shuangpei_roles = cached
    return cached


def _role_rows(user) -> list[RoleAssignment]:
    """The assignments in force today of the user and of those they deputise for, each with its
    organisation: one query, whose SQL is built once per user and day and kept (building it
    cost more than running it, on every page), the rows made into instances here."""
    from .models import Deputy

    ra_fields = [f.attname for f in RoleAssignment._meta.concrete_fields]
    org_fields = [f.attname for f in Organisation._meta.concrete_fields]

    today = timezone.localdate()  # the key's day is the day the SQL is built for

    def build():
        principals = Deputy.objects.filter(active_deputy_q(today), deputy_id=user.pk).values("principal_id")
        query = (
            RoleAssignment.objects.active(today)
            .filter(Q(user_id=user.pk) | Q(user_id__in=principals, role__in=ACTING_ROLES))
            .values(*ra_fields, *(f"org__{name}" for name in org_fields))
        )
        assert list(query.query.values_select) == ra_fields + [f"org__{name}" for name in org_fields]
        # The rows are made into instances without the ORM's converters: only for fields whose
        # values the drivers return as Python already (a DateTimeField or JSONField would not be).
        types = {f.get_internal_type() for m in (RoleAssignment, Organisation) for f in m._meta.concrete_fields}
        assert types <= _RAW_SAFE_FIELDS, types - _RAW_SAFE_FIELDS
        return _sql_of(query)

    alias, sql, params = compiled = _compiled(("roles", user.pk, today), build)
    n = len(ra_fields)
    assignments = []
    for row in _run(compiled):
        assignment = RoleAssignment.from_db(alias, ra_fields, row[:n])
        assignment.org = Organisation.from_db(alias, org_fields, row[n:])
        assignments.append(assignment)
    return assignments


_RAW_SAFE_FIELDS = {
    "AutoField",
    "BigAutoField",
    "ForeignKey",
    "CharField",
    "TextField",
    "DateField",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "BigIntegerField",
}


def own_teacher_id(user) -> int | None:
    """The id of the user's own teacher record (None: they have none), kept on the user object
    as its roles are (``user_assignments``): a user object lives for one request. The request's
    user comes with it (workflows/auth_backend.py)."""
    if not user.is_authenticated:
        return None
    cached = getattr(user, "_shuangpei_teacher_id", False)
    if cached is False:
        teacher = getattr(user, "teacher", None)
        cached = user._shuangpei_teacher_id = teacher.pk if teacher is not None else None
    return cached


def _lent_assignments(user, own, lent) -> list[RoleAssignment]:
    """Of the principals' roles, those inside their arrangement's organisation that the deputy
    does not hold themself, marked with whom they are held for."""
    from .models import Deputy

    held = {(a.role, a.org_id) for a in own}
    arrangements = list(Deputy.objects.filter(active_deputy_q(), deputy_id=user.pk).select_related("principal", "org"))
    borrowed = []
    for assignment in sorted(lent, key=lambda a: (a.org.path, a.role, a.pk)):
        if (assignment.role, assignment.org_id) in held:
            continue
        for arrangement in arrangements:
            if arrangement.principal_id == assignment.user_id and assignment.org.path.startswith(arrangement.org.path):
                assignment.acting_for = arrangement.principal
                assignment.deputy_arrangement = arrangement
                borrowed.append(assignment)
                held.add((assignment.role, assignment.org_id))
                break
    return borrowed


def own_assignments(user) -> list[RoleAssignment]:
    """The roles the user holds themself today, without any borrowed as a 代理人: what they may
    hand on (nobody sub-delegates what they only hold for someone else)."""
    return [a for a in user_assignments(user) if getattr(a, "acting_for", None) is None]


def deputised_assignments(user) -> list[RoleAssignment]:
    """The roles ``user`` holds today only as someone's 代理人."""
    return [a for a in user_assignments(user) if getattr(a, "acting_for", None) is not None]


def active_deputy_q(on: datetime.date | None = None, prefix: str = "") -> Q:
    """THE definition of a 代理 arrangement in force on ``on`` (today by default): begun, its
    last day (inclusive) not passed, neither ended early nor lapsed."""
    on = on or timezone.localdate()
    return Q(
        **{
            f"{prefix}start_date__lte": on,
            f"{prefix}end_date__gte": on,
            f"{prefix}ended_at__isnull": True,
            f"{prefix}lapsed_at__isnull": True,
        }
    )


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
    """The case's trail, oldest first: everything done to it, not who read it (TRAIL_ACCESS_ACTIONS)."""
    return (
        AuditEvent.objects.filter(case=case)
        .exclude(action__in=TRAIL_ACCESS_ACTIONS)
        .select_related("org")
        .order_by("at", "id")
    )


def case_opinions(case: Case, limit: int = 5) -> list[AuditEvent]:
    """The latest events that carry a reason (审核意见, 退回理由, 撤回说明…), newest first."""
    return list(case_events(case).exclude(reason="").order_by("-at", "-id")[:limit])


# What a viewer may see of the trail (workflows/visibility.py, docs/visibility.md): officials
# get the events above untouched; a trainee or mentor gets them filtered.


def case_events_for(user, case: Case) -> list[AuditEvent]:
    """The case's events, oldest first, as ``user`` may see them."""
    from .visibility import events_for

    return events_for(user, case, case_events(case))


def case_opinions_for(user, case: Case, limit: int = 5) -> list[AuditEvent]:
    """``case_opinions`` as ``user`` may read them: only reasons the viewer may see, newest first."""
    from .visibility import opinions_for

    latest = case_events(case).exclude(reason="").order_by("-at", "-id")[:50]
    return opinions_for(user, case, latest)[:limit]


def work_opinions_for(user, work: SemesterWork) -> list[AuditEvent]:
    """``work_opinions`` as ``user`` may read them."""
    from .visibility import opinions_for

    return opinions_for(user, work.case, work_opinions(work))


def last_return_for(user, case: Case) -> AuditEvent | None:
    """``last_return`` as ``user`` may see it (for a trainee, without a reviewer's reason)."""
    from .visibility import event_for

    return event_for(user, case, last_return(case))


def current_records(case: Case) -> list[TrainingRecord]:
    """The ledger's rows as they stand: each record's latest version, in date order.

    Each carries ``files``: the attachments of every version of it, so a correction that only
    fixes the text keeps the files uploaded with the first version in view.
    """
    records = {r.pk: r for r in TrainingRecord.objects.filter(case=case).select_related("mentor__teacher")}
    files: dict[int, list] = {}
    for attachment in Attachment.objects.filter(record__case=case).order_by("id"):
        files.setdefault(attachment.record_id, []).append(attachment)
    current = []
    for record in records.values():
        if any(r.supersedes_id == record.pk for r in records.values()):
            continue
        record.files, version = [], record
        while version is not None:
            record.files[:0] = files.get(version.pk, [])
            version = records.get(version.supersedes_id)
        current.append(record)
    return sorted(current, key=lambda r: (r.date, r.pk))


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


def case_works(case: Case) -> list[SemesterWork]:
    """The trainee's semester work, oldest semester first, with every file ever uploaded for it."""
    return list(case.works.prefetch_related("attachments").order_by("semester_start", "item"))


def current_opinions(case: Case) -> list[MentorOpinion]:
    """Each mentor's latest 培养人意见."""
    latest: dict[int, MentorOpinion] = {}
    for opinion in case.opinions.select_related("mentor__teacher").order_by("signed_at", "id"):
        latest[opinion.mentor_id] = opinion
    return list(latest.values())


def work_opinions(work: SemesterWork) -> list[AuditEvent]:
    """The reviews of one semester work (退回 reasons, 审阅意见), newest first."""
    return list(
        AuditEvent.objects.filter(case_id=work.case_id, changes__work=str(work))
        .exclude(reason="")
        .select_related("org")
        .order_by("-at", "-id")[:5]
    )


def urged_today(task: CaseTask):
    """Today's 催办 of the task, if someone already pressed it (once a day per task)."""
    from .models import TaskReminder

    key = f"urged:{timezone.localdate().isoformat()}"
    return TaskReminder.objects.filter(task=task, key=key).select_related("sent_by").first()


def attachment_for_user(user, attachment_id) -> Attachment:
    """A file, only if its case is in the user's scope; anyone else gets a 404, never the bytes.

    A 评论's file goes only to those who may read the comment (``visibility.comment_visible``);
    a reader by 抄送 gets the case's record and work files, as the case page shows them.
    """
    from .visibility import comment_visible

    attachment = (
        Attachment.objects.select_related("comment__case__teacher", "comment__task").filter(pk=attachment_id).first()
    )
    if attachment is None:
        raise NotInScope("未找到该附件，或它不在您的管辖范围内。")
    in_scope = cases_for_user(user).filter(pk=attachment.case_id).exists()
    if attachment.comment_id is not None:
        allowed = in_scope and comment_visible(user, attachment.comment)
    else:
        allowed = in_scope or open_copies().filter(case_id=attachment.case_id, recipient=user).exists()
    if not allowed:
        raise NotInScope("未找到该附件，或它不在您的管辖范围内。")
    return attachment


# --- 抄送 and 评论 ---------------------------------------------------------------------


def open_copies() -> QuerySet:
    """The 抄送 that stand: not revoked, of a case not closed (a copy ends when its case closes)."""
    from .models import CaseCopy

    return CaseCopy.objects.filter(revoked_at__isnull=True).exclude(case__state__in=CLOSED_STATES)


def copied_case_for_user(user, case_id) -> Case:
    """A case ``user`` reads only because it is copied to them (read only, see visibility.Standing.COPY)."""
    if not user.is_authenticated or not open_copies().filter(case_id=case_id, recipient=user).exists():
        raise NotInScope("未找到该培养案例，或它不在您的管辖范围内。")
    return Case.objects.select_related("teacher", "org", "unit", "registered_by").get(pk=case_id)


def task_copies(task: CaseTask) -> list:
    """Every 抄送 of the task, standing or ended, oldest first."""
    return list(task.copies.select_related("recipient__teacher", "copied_by__teacher", "case").order_by("id"))


def task_comments_for(user, task: CaseTask) -> list:
    """The task's 评论 ``user`` may read, oldest first, each with its files."""
    from .visibility import comments_for

    comments = (
        task.comments.select_related("case__teacher", "task", "author__teacher")
        .prefetch_related("attachments")
        .order_by("id")
    )
    return comments_for(user, task, comments)


def last_return(case: Case) -> AuditEvent | None:
    """The 退回 or 撤回 that brought the case to its current stage, if that is how it got here."""
    for event in case_events(case).order_by("-at", "-id")[:50]:
        if event.from_state != event.to_state:
            return event if event.action in ("return", "withdraw") else None
    return None


# --- tasks -------------------------------------------------------------------------

TASK_RELATED = ("case__teacher", "case__unit", "org", "owner", "duty", "work")


def _task_base() -> QuerySet[CaseTask]:
    return CaseTask.objects.filter(flow_task_type="HUMAN").select_related(*TASK_RELATED)


def _open_mine_q(user) -> Q:
    q = Q(owner=user)
    if user.is_authenticated:
        for a in user_assignments(user):
            if getattr(a, "acting_for", None) is not None:
                q |= Q(owner_id=a.acting_for.pk, role=a.role, org_id=a.org_id)
    return q & Q(status__in=[STATUS.ASSIGNED, STATUS.STARTED])


def _queue_groups(user) -> list[Q]:
    """待认领's parts, one per role the user holds: (that role, at these organisations)."""
    by_role: dict[str, list[int]] = {}
    for a in user_assignments(user):
        if a.role in ACTING_ROLES:
            by_role.setdefault(a.role, []).append(a.org_id)
    return [Q(role=role, org_id__in=org_ids) for role, org_ids in by_role.items()]


def _queue_q(user, groups: list[Q] | None = None) -> Q:
    q = Q(pk__in=[])
    for group in _queue_groups(user) if groups is None else groups:
        q |= group
    q &= Q(status=STATUS.NEW)
    teacher_id = own_teacher_id(user)
    if teacher_id is not None:
        # 回避: the steps of one's own case are not offered (workflows/access/tasks.check_not_own_case).
        # A user with no teacher record has no case, and their lists no such condition.
        q &= ~Q(case_id__in=Case.objects.filter(teacher_id=teacher_id).values("pk"))
    return q


def inbox_for_user(user) -> QuerySet[CaseTask]:
    """我的待办: open tasks assigned to the user, and, for a 代理人, the role steps the principal
    holds in the roles the deputy acts for (``deputised_assignments``)."""
    return _task_base().filter(_open_mine_q(user))


def queue_for_user(user) -> QuerySet[CaseTask]:
    """待认领: unclaimed tasks of the organisations where the user holds the step's role."""
    return _task_base().filter(_queue_q(user))


def not_yet_due_ids(tasks: QuerySet[CaseTask], today: datetime.date | None = None) -> dict[int, datetime.date | None]:
    """Of ``tasks``, the 提交支部审核 steps whose minimum training period has not passed, with the
    first day they can be done (None: training not started).

    The gate (``services.training.gate_missing``) has one condition nobody can hurry: time. Missing
    works or opinions are chased by the officer, so those steps stay in the queue; a step that
    waits for the calendar is 未到办理时间 and kept out of the default list. The day is carried on
    the task row (``CaseTask.opens_on``), so this is one query on the task table.
    """
    return {pk: ready_on_of(day) for pk, day in tasks.waiting(today).values_list("pk", "opens_on")}


def ready_on_of(opens_on: datetime.date | None) -> datetime.date | None:
    """A task's ``opens_on`` as a day to show: None while training has not begun."""
    from .models.tasks import NOT_BEFORE_UNKNOWN

    return None if opens_on == NOT_BEFORE_UNKNOWN else opens_on


def is_waiting(task: CaseTask, today: datetime.date | None = None) -> bool:
    return bool(task.opens_on and task.opens_on > (today or timezone.localdate()))


def actionable_queue_for_user(user) -> QuerySet[CaseTask]:
    """待认领 as the list shows it by default: without the steps 未到办理时间."""
    return queue_for_user(user).ready()


def not_yet_due_queue_for_user(user) -> QuerySet[CaseTask]:
    return queue_for_user(user).waiting()


def queue_parts(user, *, waiting: bool = False, today: datetime.date | None = None) -> list[QuerySet[CaseTask]]:
    """待认领 (``actionable_queue_for_user``, or with ``waiting`` ``not_yet_due_queue_for_user``)
    as one queryset per role the user holds; their union is the whole list.

    ``ListQuery`` counts and pages them as a UNION ALL.
    """
    parts = [_task_base().filter(_queue_q(user, [group])) for group in _queue_groups(user)]
    return [part.waiting(today) if waiting else part.ready(today) for part in parts]


class ListQuery:
    """我的待办 (``"inbox"``) or 待认领 (``"queue"``, ``"waiting"``: 未到办理时间) with the list's
    filters, counted and cut into pages of ids on the task table alone (``TaskPaginator``).

    待认领 is read as a UNION ALL of ``queue_parts``: one index-only scan of ``task_queue_new``
    per role, where the OR of the roles was a bitmap scan reading every queued row's heap page.
    The SQL is built once per user, roles, day, filters and page, and kept (``_compiled``):
    building it cost more than running it. A list filtered on 逾期 compares with the clock: its
    SQL is built with a mark in the clock's place, and the moment put in at each run.
    """

    def __init__(self, user, source: str, filters: dict | None = None):
        self.user = user
        self.source = source
        self.filters = {name: value for name, value in (filters or {}).items() if value}
        self.today = timezone.localdate()  # the key's day is the day the SQL is built for

    def _parts(self) -> list[QuerySet[CaseTask]]:
        if self.source == "inbox":
            parts = [inbox_for_user(self.user)]
        else:
            parts = queue_parts(self.user, waiting=self.source == "waiting", today=self.today)
        return [filter_tasks(part, now=_CLOCK_MARK, **self.filters).order_by() for part in parts]

    def _key(self, *what) -> tuple:
        filters = tuple(sorted(self.filters.items()))
        return ("list", self.source, *what, self.user.pk, self.today, _scope_key(self.user), filters)

    def _union(self, *fields: str):
        first, *rest = [part.values_list(*fields) for part in self._parts()]
        return first.union(*rest, all=True) if rest else first

    def _empty(self) -> bool:
        return self.source != "inbox" and not _queue_groups(self.user)

    def count(self) -> int:
        if self._empty():
            return 0

        def build():
            alias, sql, params = _sql_of(self._union("id"))
            return alias, f"SELECT COUNT(*) FROM ({sql}) sp_list", params

        return _run(_compiled(self._key("count"), build))[0][0]

    def ids(self, offset: int, n: int) -> list[int]:
        if self._empty():
            return []

        def page():
            parts = [part.values_list("id", "due_at") for part in self._parts()]
            first, *rest = parts
            if rest and connections[first.db].features.supports_slicing_ordering_in_compound:
                # Each part's first offset + n in the list's order (an ordered index scan that
                # stops there), then the page of their merge: PostgreSQL otherwise sorts every
                # queued row of every part to find the first 25.
                first, *rest = [part.order_by("due_at", "id")[: offset + n] for part in parts]
            union = first.union(*rest, all=True) if rest else first
            return _sql_of(union.order_by("due_at", "id")[offset : offset + n])

        return [row[0] for row in _run(_compiled(self._key("ids", offset, n), page))]


def menu_counts(user) -> dict[str, int]:
    """The menu's five counts (我的待办, 待认领 and its 未到办理时间, 督办, 未读通知, 报送) and whether the
    user mentors or is trained, in one query: each a COUNT subquery over its own index (issue 13).
    A page asks once (``inbox.views.common.request_counts``) and shares the answer."""
    today = timezone.localdate()
    # The query is a function of the user, their roles (held and lent) and the day: built by the
    # ORM once for that key and kept as SQL, since building eight subqueries cost more than
    # running them (bench/inbox.py, docs/performance.md).
    key = ("menu", user.pk, today, _scope_key(user))
    alias, sql, params = _compiled(key, lambda: _sql_of(_menu_count_query(user, today)))
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone() or (0,) * len(MENU_COUNT_KEYS)
    # A subquery that cannot match anything (a user with no roles) comes back as NULL.
    return {key: n or 0 for key, n in zip(MENU_COUNT_KEYS, row, strict=True)}


MENU_COUNT_KEYS = ("inbox", "queue", "queue_waiting", "escalated", "unread", "report", "mentoring", "own_cases")
# SQL the ORM built for a key that determines it, kept per process (oldest out first). A key
# names everything the SQL depends on: the user, their roles held and lent, the day, the filters.
_SQL = Kept(3000)


def _scope_key(user) -> tuple:
    """What a user's list and menu SQL depends on beyond the day and the filters: their teacher
    record (回避) and the roles they hold and are lent."""
    roles = tuple(
        (a.pk, a.role, a.org_id, getattr(getattr(a, "acting_for", None), "pk", None)) for a in user_assignments(user)
    )
    return (own_teacher_id(user), roles)


def _compiled(key: tuple, build) -> tuple[str, str, tuple]:
    """(database alias, SQL, params) that ``build()`` returns, built once per ``key``."""
    return _SQL.get(key, build)


def _sql_of(queryset) -> tuple[str, str, tuple]:
    sql, params = queryset.query.get_compiler(queryset.db).as_sql()
    return queryset.db, sql, tuple(params)


# Stands for "now" in SQL that is kept (ListQuery): a moment no task is due at, replaced by the
# clock's reading, adapted for the database as Django adapts a datetime parameter, at each run.
_CLOCK_MARK = datetime.datetime(1970, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.UTC)


def _run(compiled) -> list[tuple]:
    alias, sql, params = compiled
    ops = connections[alias].ops
    mark = ops.adapt_datetimefield_value(_CLOCK_MARK)
    if mark in params:
        now = ops.adapt_datetimefield_value(timezone.now())
        params = tuple(now if param == mark else param for param in params)
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _menu_count_query(user, today: datetime.date):
    from django.contrib.auth import get_user_model
    from django.db.models import ExpressionWrapper, F, Func, IntegerField, Subquery, Value

    from .services.reports import report_tasks_for_user

    def count(qs):
        return Subquery(qs.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")[:1])

    def summed(parts):
        total = Value(0)
        for part in parts:
            total = total + part
        return ExpressionWrapper(total, output_field=IntegerField())

    groups = _queue_groups(user)
    tasks = CaseTask.objects.filter(flow_task_type="HUMAN")
    query = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .values_list(
            count(tasks.filter(_open_mine_q(user))),
            # 待认领 counted role by role and added up: each part is an index-only scan of
            # task_queue_new, where their OR was a bitmap scan of every queued row's page.
            summed(count(tasks.filter(_queue_q(user, [g])).ready(today)) for g in groups),
            summed(count(tasks.filter(_queue_q(user, [g])).waiting(today)) for g in groups),
            count(_escalated(user).order_by()),
            count(Notification.objects.filter(recipient=user, read_at__isnull=True)),
            count(report_tasks_for_user(user).select_related(None)),
            # Whether the front page has a 导师 day to show (mentor_day), without asking twice.
            count(mentorships_of(user)),
            count(Case.objects.filter(teacher__user_id=user.pk).exclude(state__in=CLOSED_STATES)),
        )
    )
    return query


def archive_for_user(user) -> QuerySet[CaseTask]:
    return _task_base().filter(owner=user, finished__isnull=False, status=STATUS.DONE)


def tasks_in_scope(user) -> QuerySet[CaseTask]:
    """Every human task of a case the user can see (for the case page, auditors, supervisors)."""
    return _task_base().filter(case__in=cases_for_user(user))


def _escalated(user) -> QuerySet[CaseTask]:
    org_ids = [a.org_id for a in user_assignments(user) if a.role in ACTING_ROLES]
    return CaseTask.objects.filter(
        flow_task_type="HUMAN", escalated_to_id__in=org_ids, status__in=[STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED]
    )


def escalated_for_user(user) -> QuerySet[CaseTask]:
    """督办: open tasks escalated to an organisation where the user holds an acting role."""
    return _escalated(user).select_related(*TASK_RELATED)


def deputies_for_user(user):
    """代理人 arrangements ``user`` may see, newest first: theirs as principal or deputy, those they
    set, and those at an organisation strictly below one where they hold an acting role."""
    from .models import Deputy

    if not user.is_authenticated:
        return Deputy.objects.none()
    q = Q(principal=user) | Q(deputy=user) | Q(created_by=user)
    for a in own_assignments(user):
        if a.role in ACTING_ROLES:
            q |= Q(org__path__startswith=a.org.path) & ~Q(org__path=a.org.path)
    return (
        Deputy.objects.filter(q)
        .select_related("principal", "deputy", "org", "created_by", "ended_by")
        .order_by("-start_date", "-id")
    )


def notifications_for_user(user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).select_related("task", "case__teacher").order_by("-id")


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def _case_in_scope(user, case: Case) -> bool:
    """``cases_for_user``'s rule for one case already read (with its teacher): its path inside
    one of the user's subtrees, or the user its trainee, or one of its current mentors."""
    if not user.is_authenticated:
        return False
    if any(case.scope_path.startswith(path) for path in user_scope_paths(user)):
        return True
    if case.teacher.user_id == user.pk:
        return True
    return CaseMentor.objects.filter(case=case, teacher__user=user, status__in=ACTIVE_MENTOR).exists()


# The task page's and the approval's read of one task (eight tables), compiled once per connection.
_TASK_BY_KEY = KeptQuery(lambda task_id: _task_base().filter(pk=task_id), -1)


def task_for_user(user, task_id) -> CaseTask:
    """The human task ``task_id`` with what its page shows, if its case is in the user's scope.

    Read by its key and checked on its one case (``_case_in_scope``, the rule of
    ``cases_for_user``) rather than filtered through the scope subquery, whose planning alone
    cost 16 ms an approval (bench/throughput.py). The check is remembered for the request
    (``task_scope_checked``), so the service the view calls next does not repeat it.
    """
    from .flows import side_nodes

    found = _TASK_BY_KEY.rows(int(task_id))
    task = found[0] if found else None
    if task is not None and not _case_in_scope(user, task.case):
        task = None
    # A trainee never opens a 加签 on their own case: officials consulting each other
    # (visibility.open_tasks_for keeps it off the case page too).
    if task is not None and task.flow_task in side_nodes() and task.owner_id != user.pk:
        if task.case.teacher.user_id == user.pk:
            task = None
    if task is None:
        raise NotInScope("未找到该任务，或它不在您的管辖范围内。")
    if not hasattr(user, "_shuangpei_tasks_in_scope"):
        user._shuangpei_tasks_in_scope = {}
    user._shuangpei_tasks_in_scope[task.pk] = (task.case_id, task.process_id)
    return task


def task_scope_checked(user, task_id) -> tuple[int, int] | None:
    """(case id, process id) of a task ``task_for_user`` has already let ``user`` see in this
    request (the user object lives for one request, like ``user_assignments``' cache); None if
    it has not, and the caller checks the scope itself."""
    return getattr(user, "_shuangpei_tasks_in_scope", {}).get(int(task_id))


def head_ids(tasks: QuerySet[CaseTask], n: int, *, offset: int = 0) -> list[int]:
    """The ids of the first ``n`` of ``tasks`` (from ``offset``), from the task table alone."""
    return list(tasks.values_list("pk", flat=True)[offset : offset + n])


# What a list row shows beyond the task row itself (the trainee's name and 类别 are on it): the
# step's holder. The trainee (for 回避) comes as one column of the same query, and the
# unit and organisation from one read of their few distinct rows: instantiating a case, a
# teacher and two organisations for each of 25 rows was most of the rows' cost (bench/inbox.py).
# A training task's period or semester (duty, work) is read apart, only when the page has one.
LIST_RELATED = ("owner",)


def _list_rows_query(*ids):
    from django.db.models import F

    return (
        CaseTask.objects.select_related(*LIST_RELATED)
        .annotate(trainee_teacher_id=F("case__teacher_id"))
        .filter(pk__in=ids)
        .order_by()
    )


def _orgs_query(*ids):
    return Organisation.objects.filter(pk__in=ids).order_by()


def rows_for_ids(*id_lists: list[int]) -> list[list[CaseTask]]:
    """The rows of each list of ids, in its order, with what a list shows: one query for the
    rows, one for their organisations (and one more if a row is a training task).

    Each row carries ``trainee_teacher_id`` (the case's trainee, read by
    ``access.tasks.check_not_own_case`` instead of loading the case and its teacher)."""
    from django.db.models import prefetch_related_objects

    wanted = list(dict.fromkeys(int(i) for ids in id_lists for i in ids))
    # Compiled once per connection and number of ids (compiling was ~10% of a list page's CPU).
    rows = {task.pk: task for task in rows_by_ids(_list_rows_query, wanted)}
    org_ids = list({org_id for task in rows.values() for org_id in (task.org_id, task.unit_id) if org_id})
    orgs = {org.pk: org for org in rows_by_ids(_orgs_query, org_ids)}
    for task in rows.values():
        # One instance per organisation for the page; rows of the same step's holders share it.
        if task.org_id:
            task.org = orgs[task.org_id]
        if task.unit_id:
            task.unit = orgs[task.unit_id]
    training = [t for t in rows.values() if t.duty_id or t.work_id]
    if training:
        prefetch_related_objects(training, "duty", "work")
    return [[rows[i] for i in ids if i in rows] for ids in id_lists]


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

    # Ids of another list shown on the same page (the front page's head of 待认领), whose rows
    # are read in the same query as the page's own: ``also_rows`` after ``page``.
    also_ids: list[int] = []
    also_rows: list[CaseTask] = []
    # The list as a ``ListQuery`` (filtered as the list is): counted and cut by it instead.
    list_query: "ListQuery | None" = None

    @cached_property
    def count(self):
        if self.list_query is not None:
            return self.list_query.count()
        return super().count

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if not self.count:
            ids = []
        elif self.list_query is not None:
            ids = self.list_query.ids(bottom, self.per_page)
        else:
            ids = head_ids(self.object_list, self.per_page, offset=bottom)
        rows, self.also_rows = rows_for_ids(ids, self.also_ids)
        return self._get_page(rows, number, self)


def filter_tasks(
    qs: QuerySet[CaseTask], *, kind="", unit="", stage="", overdue="", q="", now=None
) -> QuerySet[CaseTask]:
    """``now``: the clock 逾期 compares with (default: this moment)."""
    # 类别, 单位 and the name are carried on the task row (issue 13): no join to the case.
    if kind:
        qs = qs.filter(case_kind=kind)
    if unit:
        qs = qs.filter(unit_id=unit)
    if stage:
        qs = qs.filter(stage=stage)
    if overdue == "1":
        qs = qs.filter(due_at__lt=now or timezone.now(), finished__isnull=True)
    if q:
        qs = qs.filter(trainee_name__contains=q.strip())
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

    holders = RoleAssignment.objects.active().filter(role=role, org=org).values("user_id")
    return get_user_model().objects.filter(pk__in=holders).order_by("username")


# --- 附件2 ---------------------------------------------------------------------------


def annex2_rows(*, unit: Organisation, year: int) -> list[Annex2Row]:
    """The unit's rows for a year as 附件2 orders them: 类别 1 first, then 2."""
    return list(Annex2Row.objects.filter(unit=unit, year=year).order_by("kind", "created_at", "id"))


def annex2_years(unit: Organisation) -> list[int]:
    return list(Annex2Row.objects.filter(unit=unit).values_list("year", flat=True).distinct().order_by("-year"))


def kind_label(kind: str) -> str:
    return CaseKind(kind).label


# --- 完成情况 --------------------------------------------------------------------------

# Cases whose semester work and records are still being tracked (培养中 up to 市级备案, and paused ones).
COMPLETENESS_STATES = ("training", "branch_review", "unit_review", "city_filing", "paused")


class CompletenessCell:
    """One cell of the matrix: the words shown, and whether they mark something missing."""

    __slots__ = ("text", "missing")

    def __init__(self, text: str, missing: bool = False):
        self.text = str(text)  # never a lazy label: openpyxl writes only plain strings
        self.missing = missing

    def __repr__(self) -> str:
        return f"CompletenessCell({self.text!r}, missing={self.missing})"


class CompletenessRow:
    """One trainee's case: who, where, which stage, then three cells per semester."""

    __slots__ = ("case_id", "name", "kind", "org_name", "state", "cells")

    def __init__(self, *, case_id: int, name: str, kind: str, org_name: str, state: str, cells: list):
        self.case_id = case_id
        self.name = name
        self.kind = kind
        self.org_name = org_name
        self.state = state
        self.cells = cells

    @property
    def facts(self) -> list[str]:
        return [self.name, self.kind, self.org_name, self.state]

    @property
    def missing(self) -> bool:
        return any(cell.missing for cell in self.cells)


def _check_can_read_completeness(user) -> None:
    """Anyone holding a role (auditors included) may read; mentors and trainees alone may not."""
    from django.utils.translation import gettext as _

    from .errors import NotPermitted

    if not user_assignments(user):
        raise NotPermitted(_("完成情况仅向党务干部、支部书记、审核人、市级管理员和审计人员开放，您没有查看权限。"))


def completeness_orgs(user) -> list[Organisation]:
    """Units and schools inside the user's subtree, each unit followed by its schools, for the filter."""
    from .models import OrgKind

    _check_can_read_completeness(user)
    kinds = [OrgKind.COUNTY, OrgKind.DIRECT, OrgKind.SCHOOL]
    return list(
        Organisation.objects.filter(_path_q("path", user_scope_paths(user)), kind__in=kinds)
        .select_related("unit")
        .order_by("unit__sort_order", "unit_id", "path")
    )


def completeness_rows(user, *, org: Organisation | None = None, kind: str = "") -> tuple[list, list]:
    """The 完成情况 matrix: the semesters (their start dates, oldest first) and one row per case.

    Each row has, per semester, 典型案例, 论文 and 培养记录. A work counts once accepted; the
    record cell counts the current versions dated in the semester, and the periods due in the
    semester (period end inside it) that ended before today with no record. A fixed number of
    queries, whatever the number of cases.
    """
    from django.db.models import Prefetch
    from django.utils.translation import gettext as _

    from .models import RecordDuty, SemesterWork, WorkItem, WorkStatus
    from .models.organisations import SCHOOL_LEVEL_KINDS
    from .periods import semester_end, semester_of

    _check_can_read_completeness(user)
    if org is not None and not any(org.path.startswith(path) for path in user_scope_paths(user)):
        raise NotInScope(_("未找到该组织，或它不在您的管辖范围内。"))
    today = timezone.localdate()
    cases = cases_for_user(user).filter(state__in=COMPLETENESS_STATES)
    if org is not None:
        cases = cases.filter(scope_path__startswith=org.path)
    if kind:
        cases = cases.filter(kind=kind)
    cases = list(
        cases.select_related("teacher", "org")
        .prefetch_related(
            Prefetch("works", queryset=SemesterWork.objects.only("id", "case_id", "semester_start", "item", "status")),
            Prefetch(
                "records",
                queryset=TrainingRecord.objects.filter(superseded_by__isnull=True).only("id", "case_id", "date"),
                to_attr="current_versions",
            ),
            Prefetch(
                "record_duties",
                queryset=RecordDuty.objects.filter(record__isnull=True, period_end__lt=today).only(
                    "id", "case_id", "period_end"
                ),
                to_attr="overdue_duties",
            ),
        )
        .order_by("unit__sort_order", "unit_id", "scope_path", "teacher__name", "kind", "id")
    )

    semesters = sorted({work.semester_start for case in cases for work in case.works.all()})
    ancestor_ids = {pk for case in cases for pk in case.org.ancestor_ids}
    ancestors = Organisation.objects.in_bulk(ancestor_ids)
    status_labels = {value: str(label) for value, label in WorkStatus.choices}

    def school_name(case) -> str:
        for pk in case.org.ancestor_ids:
            found = ancestors.get(pk)
            if found is not None and found.kind in SCHOOL_LEVEL_KINDS:
                return found.name
        return case.org.name

    def work_cell(work) -> CompletenessCell:
        if work is None:
            return CompletenessCell("—")  # not owed: the case was not in training that semester
        if work.status == WorkStatus.ACCEPTED:
            return CompletenessCell(status_labels[work.status])
        return CompletenessCell(_("未完成（%(status)s）") % {"status": status_labels[work.status]}, missing=True)

    rows = []
    for case in cases:
        works = {(w.semester_start, w.item): w for w in case.works.all()}
        owed: dict = {}
        for duty in case.overdue_duties:
            semester = semester_of(duty.period_end)
            if semester is not None:
                owed[semester.start] = owed.get(semester.start, 0) + 1
        cells = []
        for start in semesters:
            end = semester_end(start)
            cells.append(work_cell(works.get((start, WorkItem.CASE_STUDY))))
            cells.append(work_cell(works.get((start, WorkItem.PAPER))))
            written = sum(start <= r.date <= end for r in case.current_versions)
            text = _("%(n)d 条") % {"n": written}
            if owed.get(start):
                text = _("%(text)s，缺 %(m)d 期") % {"text": text, "m": owed[start]}
            cells.append(CompletenessCell(text, missing=bool(owed.get(start))))
        state = case.get_state_display()
        if case.state == "paused" and case.paused_from:
            previous = case.get_paused_from_display()
            state = _("%(state)s（暂停前：%(previous)s）") % {"state": state, "previous": previous}
        rows.append(
            CompletenessRow(
                case_id=case.pk,
                name=case.teacher.name,
                kind=case.kind,
                org_name=school_name(case),
                state=state,
                cells=cells,
            )
        )
    return semesters, rows


# --- the mentor's day ------------------------------------------------------------------


def mentorships_of(user) -> QuerySet[CaseMentor]:
    """The open cases ``user`` mentors (accepted pairings)."""
    return CaseMentor.objects.filter(teacher__user_id=user.pk, status=MentorStatus.ACCEPTED).exclude(
        case__state__in=CLOSED_STATES
    )


def mentor_day(user, counts: dict | None = None) -> dict:
    """What a mentor (or trainee) needs first thing: trainees, what is due soon, what came back.

    Only for users who mentor or are being trained; every part is a bounded query, however
    many tasks the user's inbox holds.
    """
    from .flows import CaseFlow

    today = timezone.localdate()
    week_end = today + datetime.timedelta(days=7)
    counts = counts or menu_counts(user)
    if not counts["mentoring"] and not counts["own_cases"]:
        return {}
    mentorships = list(
        mentorships_of(user).select_related("case__teacher", "case__org").order_by("case__teacher__name")[:50]
    )
    inbox = inbox_for_user(user)
    record_tasks = {
        t.case_id: t
        for t in inbox.filter(flow_task=CaseFlow.record, case_id__in=[m.case_id for m in mentorships]).order_by(
            "-due_at"
        )
    }
    case_ids = [m.case_id for m in mentorships]
    # Each trainee's records and this semester's works, two queries for them all (not three a trainee).
    records = {
        row["case_id"]: row
        for row in TrainingRecord.objects.filter(case_id__in=case_ids, superseded_by__isnull=True)
        .values("case_id")
        .annotate(last=Max("date"), n=Count("id"))
    }
    works: dict[int, list] = {}
    for work in SemesterWork.objects.filter(case_id__in=case_ids, semester_end__gte=today).order_by("item"):
        works.setdefault(work.case_id, []).append(work)
    trainees = []
    for mentorship in mentorships:
        case = mentorship.case
        trainees.append(
            {
                "case": case,
                "last_record": records.get(case.pk, {}).get("last"),
                "record_count": records.get(case.pk, {}).get("n", 0),
                "works": works.get(case.pk, []),
                "record_task": record_tasks.get(case.pk),
                "can_record": case.state in ("training", "branch_review", "unit_review"),
            }
        )
    due_week = list(inbox.filter(due_at__lte=end_of_day(week_end)).order_by("due_at", "id")[:20])
    handed_back = AuditEvent.objects.filter(task_id_ref=OuterRef("pk"), action="reassign", changes__hand_back=True)
    returned = list(
        inbox.filter(Q(work__status="returned") | Exists(handed_back))
        .select_related("work")
        .order_by("due_at", "id")[:20]
    )
    if not trainees and not returned and not due_week:
        return {}
    return {"mentor_day": True, "trainees": trainees, "due_week": due_week, "returned": returned, "week_end": week_end}


# --- 附件2, the city's consolidated table ------------------------------------------------


def city_annex2(year: int) -> list[tuple[Organisation, list[Annex2Row]]]:
    """Every county bureau and direct unit in 附件1 order, each with its rows for the year as
    附件2 orders them (类别 1 first); units with no row are listed too. Two queries in all."""
    from .models.organisations import UNIT_KINDS

    units = list(Organisation.objects.filter(kind__in=UNIT_KINDS).order_by("sort_order", "id"))
    by_unit: dict[int, list[Annex2Row]] = {unit.pk: [] for unit in units}
    rows = Annex2Row.objects.filter(year=year, unit__kind__in=UNIT_KINDS)
    for row in rows.order_by("unit_id", "kind", "created_at", "id"):
        by_unit.setdefault(row.unit_id, []).append(row)
    return [(unit, by_unit[unit.pk]) for unit in units]


# --- 登记造册名册 (the roster) -------------------------------------------------------------

# A role held at one of these shows the roster of every unit and school below it; a branch
# secretary's branch is not a register of its own (the school keeps it).
ROSTER_HOLDER_KINDS = ("city", "county", "direct", "school")
ROSTER_ORG_KINDS = ("county", "direct", "school")


def _roster_paths(user) -> list[str]:
    return [a.org.path for a in user_assignments(user) if a.org.kind in ROSTER_HOLDER_KINDS]


def can_read_roster(user) -> bool:
    """Officers, reviewers, the city and auditors of a school or above; never a mentor or trainee as such."""
    return bool(_roster_paths(user))


def roster_orgs(user) -> list[Organisation]:
    """The units and schools whose 登记造册名册 ``user`` may read, each unit followed by its schools."""
    from django.utils.translation import gettext as _

    paths = _roster_paths(user)
    orgs = []
    if paths:
        orgs = list(
            Organisation.objects.filter(_path_q("path", paths), kind__in=ROSTER_ORG_KINDS)
            .select_related("unit")
            .order_by("unit__sort_order", "unit_id", "path")
        )
    if not orgs:
        raise NotInScope(
            _("登记造册名册仅向学校、区县教育局、直属单位和市委教育工委的工作人员开放；未找到您可查看的单位或学校。")
        )
    return orgs


def roster_cases(user, *, org: Organisation, include_closed: bool = False) -> list[Case]:
    """The register of ``org`` (a unit or school in the user's roster scope): every case that is
    registered and not yet ended (with ``include_closed`` also the completed and exited ones),
    类别 1 first, then by school and date of registration. Each case carries ``roster_mentors``
    (its mentors, declined ones left out) and its latest change of stage (``last_change_*``).
    Four queries, whatever the number of cases."""
    from django.db.models import F, OuterRef, Prefetch, Subquery
    from django.utils.translation import gettext as _

    if org.kind not in ROSTER_ORG_KINDS or not any(org.path.startswith(p) for p in _roster_paths(user)):
        raise NotInScope(_("未找到该单位或学校，或它不在您的管辖范围内。"))
    cases = Case.objects.filter(scope_path__startswith=org.path)
    if not include_closed:
        cases = cases.exclude(state__in=CLOSED_STATES)
    changes = (
        AuditEvent.objects.filter(case=OuterRef("pk"))
        .exclude(to_state="")
        .exclude(to_state=F("from_state"))
        .order_by("-at", "-id")
    )
    mentors = CaseMentor.objects.exclude(status=MentorStatus.DECLINED).select_related("teacher").order_by("id")
    return list(
        cases.select_related("teacher", "org__parent", "unit")
        .prefetch_related(Prefetch("mentors", queryset=mentors, to_attr="roster_mentors"))
        .annotate(
            last_change_at=Subquery(changes.values("at")[:1]),
            last_change_from=Subquery(changes.values("from_state")[:1]),
            last_change_to=Subquery(changes.values("to_state")[:1]),
        )
        .order_by("kind", "scope_path", "registered_at", "id")
    )


# --- 人员管理 (issue 9): teachers, accounts and role holders of the user's subtree -------------


def people_teachers(user, *, q: str = "") -> QuerySet[Teacher]:
    """Teachers in the subtree of any role the user holds (an auditor lists them too), with search
    by 姓名 or 教师编号."""
    teachers = Teacher.objects.filter(_path_q("org__path", user_scope_paths(user))).select_related("org", "user")
    q = (q or "").strip()
    if q:
        teachers = teachers.filter(Q(name__contains=q) | Q(staff_no__contains=q))
    return teachers.order_by("org__path", "name", "id")


def people_teacher(user, teacher_id) -> Teacher:
    try:
        teacher_id = int(teacher_id)
    except (TypeError, ValueError):
        teacher_id = 0
    teacher = people_teachers(user).filter(pk=teacher_id).first()
    if teacher is None:
        raise NotInScope("未找到该教师，或该教师不在您的管辖范围内。")
    return teacher


def people_orgs(user, roles, kinds) -> list[Organisation]:
    """Organisations of ``kinds`` in the subtree where the user holds one of ``roles`` (for a form's choices)."""
    return list(
        Organisation.objects.filter(_path_q("path", user_scope_paths(user, roles)), kind__in=kinds).order_by("path")
    )


def people_assignments(user) -> QuerySet[RoleAssignment]:
    """Every role held in the user's subtree, ended ones included (they are the history)."""
    return (
        RoleAssignment.objects.filter(_path_q("org__path", user_scope_paths(user)))
        .select_related("org", "user", "user__teacher")
        .order_by("org__path", "role", "user__username")
    )


def people_import_roots(user) -> list[Organisation]:
    """Where the user may import people: the county or direct unit where they are 党务干部 or 审核人,
    and for the city's 市级管理员 the city and every unit."""
    from .models import OrgKind
    from .models.organisations import UNIT_KINDS

    roots: dict[int, Organisation] = {}
    for a in user_assignments(user):
        if a.role in (Role.OFFICER, Role.REVIEWER) and a.org.kind in UNIT_KINDS:
            roots[a.org.pk] = a.org
        elif a.role == Role.CITY_ADMIN and a.org.kind == OrgKind.CITY:
            roots[a.org.pk] = a.org
            for unit in Organisation.objects.filter(path__startswith=a.org.path, kind__in=UNIT_KINDS):
                roots[unit.pk] = unit
    return sorted(roots.values(), key=lambda o: (o.kind != OrgKind.CITY, o.sort_order, o.pk))


# --- 审计检索 (issue 10): the auditor's workspace --------------------------------------------


def audit_scope_paths(user) -> list[str]:
    """The subtrees whose trail ``user`` may search: where they hold an official role.

    The same roles that make someone a case's "official" (``visibility.OFFICIAL_ROLES``); a mentor
    or a trainee reads their own case's trail on its page, never the search.
    """
    from .visibility import OFFICIAL_ROLES

    return user_scope_paths(user, roles=OFFICIAL_ROLES)


def check_can_search_audit(user) -> None:
    if not audit_scope_paths(user):
        raise NotInScope(
            "只有在本级或上级组织担任职务的工作人员（含审计）可以检索审计记录；您本人的案例请在案例页面查看审计轨迹。"
        )


def _holds_at_city(user, roles=None) -> bool:
    from .models import OrgKind

    return any(a.org.kind == OrgKind.CITY and (roles is None or a.role in roles) for a in user_assignments(user))


def audit_events_in_scope(user) -> QuerySet[AuditEvent]:
    """Events ``user`` may find in the search, newest first.

    A case's events follow the case (its organisation's path, as the case pages do). An event
    with no case (人员导入, 解除锁定, 培养规则, 报表 …) is found by whoever's subtree holds the
    organisation it was recorded at; one recorded at no organisation only by the city's
    officials. Left out: the reads of the trail (the city's 查阅记录 page lists them), and the
    events of the user's own case, which they read on its trail page as a trainee
    (``visibility.events_for``), not as an official.
    """
    from .visibility import OFFICIAL_ROLES

    paths = audit_scope_paths(user)
    if not paths:
        return AuditEvent.objects.none()
    scope = _path_q("case__scope_path", paths) | (Q(case__isnull=True) & _path_q("org__path", paths))
    if _holds_at_city(user, OFFICIAL_ROLES):
        scope |= Q(case__isnull=True, org__isnull=True)
    events = AuditEvent.objects.filter(scope).exclude(action__in=TRAIL_ACCESS_ACTIONS)
    own = list(Case.objects.filter(teacher__user=user).values_list("pk", flat=True))
    if own:  # rare (an official who is also a trainee); no join for everyone else
        events = events.exclude(case_id__in=own)
    return events.order_by("-at", "-id")


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def filter_audit_events(
    qs: QuerySet[AuditEvent], *, unit=None, school=None, actor="", action="", stage="", date_from=None, date_to=None
) -> QuerySet[AuditEvent]:
    """The search's filters. ``unit`` / ``school`` are organisations (from the user's choices);
    ``stage`` matches an event that left or entered that stage; dates are local and inclusive."""
    if unit is not None:
        qs = qs.filter(Q(case__unit=unit) | Q(case__isnull=True, org__path__startswith=unit.path))
    if school is not None:
        qs = qs.filter(
            Q(case__scope_path__startswith=school.path) | Q(case__isnull=True, org__path__startswith=school.path)
        )
    if actor and actor.strip():
        qs = qs.filter(actor_name__contains=actor.strip())
    if action:
        qs = qs.filter(action=action)
    if stage:
        qs = qs.filter(Q(from_state=stage) | Q(to_state=stage))
    if date_from:
        qs = qs.filter(at__gte=_local_midnight(date_from))
    if date_to:
        qs = qs.filter(at__lt=_local_midnight(date_to + datetime.timedelta(days=1)))
    return qs


def audit_filter_orgs(user, kinds) -> QuerySet[Organisation]:
    """Organisations of ``kinds`` inside the user's search scope, for the unit and school filters."""
    return Organisation.objects.filter(_path_q("path", audit_scope_paths(user)), kind__in=kinds).order_by(
        "path", "sort_order", "id"
    )


def visible_search_events(user, events) -> list[AuditEvent]:
    """A page of search results as ``user`` may see them (``visibility.events_for``, per case).

    The search already leaves out the user's own case, so for an official this keeps every
    event as it is; it is here so that a rule added to visibility.py applies to the search too.
    """
    from .visibility import events_for

    shown = []
    for event in events:
        if event.case_id is None:
            shown.append(event)
        else:
            shown.extend(events_for(user, event.case, [event]))
    return shown


def can_read_trail_access(user) -> bool:
    """The 查阅记录 page (who read which trail) is the city's: anyone holding a role there."""
    return _holds_at_city(user)


def trail_access_events(user) -> QuerySet[AuditEvent]:
    """Every read of the trail (查阅, 导出, 检索), newest first, for the city."""
    if not can_read_trail_access(user):
        check_can_search_audit(user)  # no official role at all: 404, as for any page not theirs
        raise NotPermitted("审计轨迹的查阅记录仅供市委教育工委的工作人员查看。")
    return (
        AuditEvent.objects.filter(action__in=TRAIL_ACCESS_ACTIONS)
        .select_related("org", "case__teacher")
        .order_by("-at", "-id")
    )


class TrailStep:
    """One step of the trail stepper: the event and the case's stage right after it."""

    def __init__(self, number: int, event: AuditEvent, state_after: str):
        self.number = number
        self.event = event
        self.state_after = state_after

    @property
    def state_after_label(self) -> str:
        from .models import CaseState

        return CaseState(self.state_after).label if self.state_after in CaseState.values else self.state_after


def trail_steps(events) -> list[TrailStep]:
    """The events in order, each with the stage the case stood in after it.

    An event that moved the case says so (``to_state``); one that did not (a record, a claim)
    leaves the case where the previous event left it.
    """
    steps, state = [], ""
    for number, event in enumerate(events, 1):
        state = event.to_state or state
        steps.append(TrailStep(number, event, state))
    return steps


# --- API tokens ----------------------------------------------------------------------


def user_api_tokens(user) -> QuerySet[ApiToken]:
    """The user's own API tokens (nobody else's: not even a manager lists another's tokens)."""
    if not user.is_authenticated:
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=user).order_by("-created", "-id")

"""The case as it stood at any moment, rebuilt from the audit trail (DOMAIN §9).

Today's rows are mutable (a case's state, a mentor's status, a task's owner, a semester work's
review), so filtering them by date would show today's values with yesterday's dates: a mentor
who has since left would still show as 已结对, a corrected record as its newest text. Instead:

- the stage (and 暂停前阶段) is replayed from the events' ``from_state`` → ``to_state``;
- the mentors from the 指定培养人 / 接受 / 谢绝 / 重新结对 events' ``changes`` (the CaseMentor
  rows only say which row a name stands for: rows are created in the same order as the
  event lists them; an 接受 or 谢绝 names its mentor by its task);
- the open tasks from the task rows' ``created`` / ``finished`` (set once) and their holder from
  the 认领 / 放回 / 改派 events' ``owner`` [before, after];
- the 培养记录 versions from the 培养记录 / 更正 events (the rows themselves are append-only);
- the semester works from their tasks' ``created`` and the 提交 / 通过 / 退回 events;
- 培养人意见 from the append-only opinion rows signed by then;
- the training clock (开始培养, days paused) and the city's minimum periods (修改培养规则 events)
  as they were, so the 支部审核 checklist says what ``training.gate_missing`` said then.

Reads only: nothing here writes. Scope and visibility are the caller's (the case page's
selector and ``workflows.visibility``).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import GuardError
from .flows import training_nodes
from .models import (
    AuditAction,
    AuditEvent,
    Case,
    CaseMentor,
    CaseState,
    CaseTask,
    MentorOpinion,
    MentorStatus,
    Organisation,
    ProgrammePolicy,
    RecordKind,
    SemesterWork,
    TrainingRecord,
    WorkItem,
    WorkStatus,
)
from .models.audit import TRAIL_ACCESS_ACTIONS
from .periods import add_months, semester_label
from .services.training import gate_items

OWNER_ACTIONS = (AuditAction.CLAIM, AuditAction.UNCLAIM, AuditAction.REASSIGN)
WORK_STATUS_AFTER = {
    AuditAction.WORK_SUBMIT: WorkStatus.SUBMITTED,
    AuditAction.WORK_ACCEPT: WorkStatus.ACCEPTED,
    AuditAction.WORK_RETURN: WorkStatus.RETURNED,
}


@dataclass
class MentorAt:
    id: int
    name: str
    status: str
    assigned_at: datetime.datetime
    teacher_user_id: int | None = None

    @property
    def status_label(self) -> str:
        return str(MentorStatus(self.status).label)


@dataclass
class TaskAt:
    id: int
    title: str
    flow_task: object
    org_name: str
    role: str
    due_at: datetime.datetime | None
    owner: object | None  # the User holding it then, or None (queued: 待认领)
    overdue: bool

    @property
    def owner_id(self) -> int | None:  # for visibility.open_tasks_for
        return self.owner.pk if self.owner is not None else None

    @property
    def owner_username(self) -> str | None:
        return self.owner.get_username() if self.owner is not None else None

    @property
    def is_training(self) -> bool:
        return self.flow_task in training_nodes()


@dataclass
class RecordAt:
    id: int
    date: datetime.date
    kind: str
    kind_label: str
    content: str
    mentor_name: str
    version: int
    signed_at: datetime.datetime
    superseded_by: int | None = None  # the version that replaced it by then


@dataclass
class WorkAt:
    id: int
    semester_start: datetime.date
    item: str
    status: str = WorkStatus.PENDING
    title: str = ""
    reviewed_at: datetime.datetime | None = None
    review_note: str = ""

    @property
    def semester_label(self) -> str:
        return semester_label(self.semester_start)

    @property
    def item_label(self) -> str:
        return str(WorkItem(self.item).label)

    @property
    def status_label(self) -> str:
        return str(WorkStatus(self.status).label)


@dataclass
class OpinionAt:
    id: int
    mentor_id: int
    mentor_name: str
    text: str
    signed_at: datetime.datetime


@dataclass
class CaseView:
    """One case as it stood at ``at``."""

    case: Case
    at: datetime.datetime
    state: str = ""
    paused_from: str = ""
    mentors: list[MentorAt] = field(default_factory=list)
    open_tasks: list[TaskAt] = field(default_factory=list)
    records: list[RecordAt] = field(default_factory=list)  # current versions, in date order
    superseded: list[RecordAt] = field(default_factory=list)  # versions corrected by then
    works: list[WorkAt] = field(default_factory=list)
    opinions: list[OpinionAt] = field(default_factory=list)  # each mentor's latest
    gate: list[str] | None = None  # the 支部审核 checklist, while 培养中
    training_started_on: datetime.date | None = None
    events: list[AuditEvent] = field(default_factory=list)  # the trail up to ``at``

    @property
    def state_label(self) -> str:
        return str(CaseState(self.state).label) if self.state in CaseState.values else ""

    @property
    def paused_from_label(self) -> str:
        return str(CaseState(self.paused_from).label) if self.paused_from in CaseState.values else ""

    @property
    def existed(self) -> bool:
        return bool(self.state)

    def facts(self) -> dict:
        """What the case page shows, as plain data (the command's JSON, the tests' comparison)."""
        return {
            "case": self.case.pk,
            "at": self.at.isoformat(),
            "state": self.state,
            "state_label": self.state_label,
            "paused_from": self.paused_from,
            "mentors": [{"name": m.name, "status": m.status} for m in self.mentors],
            "open_tasks": [{"id": t.id, "title": t.title, "owner": t.owner_username} for t in self.open_tasks],
            "records": [
                {
                    "id": r.id,
                    "date": r.date.isoformat(),
                    "kind": r.kind,
                    "content": r.content,
                    "mentor": r.mentor_name,
                    "version": r.version,
                }
                for r in self.records
            ],
            "superseded": [
                {"id": r.id, "version": r.version, "superseded_by": r.superseded_by} for r in self.superseded
            ],
            "works": [
                {"semester": w.semester_label, "item": w.item, "status": w.status, "title": w.title} for w in self.works
            ],
            "opinions": [{"mentor": o.mentor_name, "text": o.text} for o in self.opinions],
            "gate": self.gate,
            "last_event": self.events[-1].pk if self.events else None,
        }


def parse_moment(text: str) -> datetime.datetime:
    """「2026-11-01」 (the end of that day, local time) or an ISO datetime.

    A datetime without an offset is taken as local time (Asia/Shanghai), as a person in the
    bureau means it. In a URL, an offset's ``+`` arrives as a space; it is put back.
    """
    raw = (text or "").strip()
    value = re.sub(r"(\d{2}:\d{2}(:\d{2}(\.\d+)?)?) (\d{2}(:?\d{2})?)$", r"\1+\4", raw)
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = datetime.date.fromisoformat(value)
            return timezone.make_aware(datetime.datetime.combine(day, datetime.time.max))
        if "T" not in value and " " not in value:
            raise ValueError(value)
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise GuardError(
            _("时间“%(value)s”无法识别，请填写 2026-11-01 或 2026-11-01T10:00+08:00 格式。") % {"value": raw}
        ) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def moment_label(at: datetime.datetime) -> str:
    """「2026-11-01 23:59:59」 in local time."""
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S")


def _local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


def _min_months_at(kind: str, at: datetime.datetime) -> int:
    """The city's minimum period for ``kind`` as it was set at ``at`` (from the 修改培养规则 events)."""
    key = f"min_months_{kind}"
    changes = AuditEvent.objects.filter(case__isnull=True, action=AuditAction.POLICY, changes__has_key=key)
    settings = list(changes.order_by("at", "id").values_list("at", "changes"))
    before = [c for when, c in settings if when <= at]
    if before:
        return int(before[-1][key][1])
    if settings:
        return int(settings[0][1][key][0])
    return ProgrammePolicy.current().min_months(kind)


def case_trail(case: Case) -> list[AuditEvent]:
    """The case's events in order (``selectors.case_events``: what was done to it, not who read
    it), each with its organisation (the few distinct ones fetched once)."""
    events = list(AuditEvent.objects.filter(case=case).exclude(action__in=TRAIL_ACCESS_ACTIONS).order_by("at", "id"))
    orgs = Organisation.objects.in_bulk({e.org_id for e in events if e.org_id})
    for event in events:
        if event.org_id:
            event.org = orgs.get(event.org_id)
    return events


def case_as_of(case: Case, at: datetime.datetime, *, events: list[AuditEvent] | None = None) -> CaseView:
    """Rebuild ``case`` as it stood at ``at`` (aware datetime) from its trail."""
    if events is None:
        events = case_trail(case)
    before = [e for e in events if e.at <= at]
    view = CaseView(case=case, at=at, events=before)
    # Every task's links (light), and full rows only for the tasks open at ``at``.
    links = {
        pk: (work_id, data, created, finished)
        for pk, work_id, data, created, finished in CaseTask.objects.filter(
            case=case, flow_task_type="HUMAN"
        ).values_list("pk", "work_id", "data", "created", "finished")
    }
    open_ids = [
        pk for pk, (_w, _d, created, finished) in links.items() if created <= at and not (finished and finished <= at)
    ]
    open_rows = (
        CaseTask.objects.filter(pk__in=open_ids)
        .select_related("org", "owner", "duty", "work")
        .order_by("created", "id")
        if open_ids
        else []
    )

    # --- the stage and the training clock --------------------------------------------------
    paused_at = None
    paused_days = 0
    for event in before:
        if not event.to_state or event.to_state == event.from_state:
            continue
        if event.to_state == CaseState.TRAINING and view.training_started_on is None:
            view.training_started_on = _local_date(event.at)
        if event.to_state == CaseState.PAUSED:
            view.paused_from, paused_at = event.from_state, event.at
        elif event.from_state == CaseState.PAUSED:
            if view.training_started_on and paused_at:
                since = max(_local_date(paused_at), view.training_started_on)
                paused_days += max(0, (_local_date(event.at) - since).days)
            view.paused_from, paused_at = "", None
        view.state = event.to_state

    # --- mentors ------------------------------------------------------------------------------
    rows = list(CaseMentor.objects.filter(case=case).select_related("teacher").order_by("assigned_at", "id"))
    unused = iter(rows)
    mentors: dict[int, MentorAt] = {}

    def named(names, status):
        found = [m for m in mentors.values() if m.status == status and m.name in names]
        return found

    def task_mentor(event) -> MentorAt | None:
        link = links.get(event.task_id_ref)
        mentor_id = (link[1] or {}).get("mentor_id") if link is not None else None
        if mentor_id in mentors:
            return mentors[mentor_id]
        pending = named([event.changes.get("mentor")], MentorStatus.PENDING)
        return pending[0] if pending else None

    for event in before:
        changes = event.changes or {}
        if event.action in (AuditAction.PAIR, AuditAction.REPAIR):
            if event.action == AuditAction.REPAIR:
                for mentor in named([changes.get("left")], MentorStatus.ACCEPTED)[:1]:
                    mentor.status = MentorStatus.LEFT
            for name in changes.get("mentors") or []:
                row = next(unused, None)
                if row is not None:
                    mentors[row.pk] = MentorAt(row.pk, name, MentorStatus.PENDING, row.assigned_at, row.teacher.user_id)
        elif event.action == AuditAction.ACCEPT:
            mentor = task_mentor(event)
            if mentor is not None:
                mentor.status = MentorStatus.ACCEPTED
        elif event.action == AuditAction.DECLINE:
            mentor = task_mentor(event)
            if mentor is not None:
                mentor.status = MentorStatus.DECLINED
            for released in named(changes.get("released") or [], MentorStatus.PENDING):
                released.status = MentorStatus.LEFT
    view.mentors = sorted(mentors.values(), key=lambda m: m.id)  # the case page lists them by id

    # --- open tasks and who held them -------------------------------------------------------
    owner_changes: dict[int, list[AuditEvent]] = {}
    for event in events:
        if event.action in OWNER_ACTIONS and event.task_id_ref and "owner" in (event.changes or {}):
            owner_changes.setdefault(event.task_id_ref, []).append(event)
    holders: dict[int, str | None] = {}
    tasks = {t.pk: t for t in open_rows}
    for task in open_rows:
        changes = owner_changes.get(task.pk, [])
        done = [e for e in changes if e.at <= at]
        if done:
            holders[task.pk] = done[-1].changes["owner"][1]
        elif changes:
            holders[task.pk] = changes[0].changes["owner"][0]
        else:
            holders[task.pk] = task.owner.get_username() if task.owner_id else None
    users = {
        u.get_username(): u
        for u in get_user_model()
        .objects.filter(username__in={h for h in holders.values() if h})
        .select_related("teacher")
    }
    for pk, holder in holders.items():
        task = tasks[pk]
        view.open_tasks.append(
            TaskAt(
                id=pk,
                title=task.title,
                flow_task=task.flow_task,
                org_name=task.org.name if task.org_id else "",
                role=task.role,
                due_at=task.due_at,
                owner=users.get(holder) if holder else None,
                overdue=bool(task.due_at and task.due_at < at),
            )
        )

    # --- 培养记录 in their versions then ---------------------------------------------------------
    written: list[int] = []
    replaced: dict[int, int] = {}
    for event in before:
        record = (event.changes or {}).get("record")
        if event.action == AuditAction.RECORD and record is not None:
            written.append(int(record))
        elif event.action == AuditAction.RECORD_CORRECT and isinstance(record, list):
            written.append(int(record[1]))
            replaced[int(record[0])] = int(record[1])
    versions = TrainingRecord.objects.filter(case=case, pk__in=written).values_list(
        "pk", "date", "kind", "content", "mentor__teacher__name", "version", "signed_at"
    )
    kinds = dict(RecordKind.choices)
    for pk, date, kind, content, mentor_name, version, signed_at in versions:
        shown = RecordAt(pk, date, kind, str(kinds.get(kind, kind)), content, mentor_name, version, signed_at)
        shown.superseded_by = replaced.get(pk)
        (view.superseded if shown.superseded_by else view.records).append(shown)
    view.records.sort(key=lambda r: (r.date, r.id))

    # --- semester works ---------------------------------------------------------------------------
    works: dict[int, WorkAt] = {}
    issued = {w for w, _d, created, _f in links.values() if w and created <= at}
    if issued:
        for pk, start, item in SemesterWork.objects.filter(pk__in=issued).values_list("pk", "semester_start", "item"):
            works[pk] = WorkAt(pk, start, item)
    for event in before:
        status = WORK_STATUS_AFTER.get(event.action)
        link = links.get(event.task_id_ref)
        if status is None or link is None or link[0] not in works:
            continue
        work = works[link[0]]
        work.status = status
        if status == WorkStatus.SUBMITTED:
            work.title = (event.changes or {}).get("title", work.title)
        else:
            work.reviewed_at, work.review_note = event.at, event.reason
    view.works = sorted(works.values(), key=lambda w: (w.semester_start, w.item))

    # --- 培养人意见 -----------------------------------------------------------------------------
    # Each mentor's latest, in the order ``selectors.current_opinions`` lists them.
    latest: dict[int, OpinionAt] = {}
    signed = MentorOpinion.objects.filter(case=case, signed_at__lte=at).select_related("mentor__teacher")
    for opinion in signed.order_by("signed_at", "id"):
        latest[opinion.mentor_id] = OpinionAt(
            opinion.pk, opinion.mentor_id, opinion.mentor.teacher.name, opinion.text, opinion.signed_at
        )
    view.opinions = list(latest.values())

    # --- the 支部审核 gate, as it would have answered then -------------------------------------
    if view.state == CaseState.TRAINING:
        months = _min_months_at(case.kind, at)
        today = _local_date(at)
        ready_on = None
        if view.training_started_on is not None:
            ready_on = add_months(view.training_started_on, months) + datetime.timedelta(days=paused_days)
        accepted = sorted(
            (m for m in view.mentors if m.status == MentorStatus.ACCEPTED), key=lambda m: (m.assigned_at, m.id)
        )
        view.gate = gate_items(
            kind=case.kind,
            months=months,
            training_started_on=view.training_started_on,
            ready_on=ready_on,
            today=today,
            open_works=[
                (w.semester_label, w.item_label, w.status_label) for w in view.works if w.status != WorkStatus.ACCEPTED
            ],
            mentors_without_opinion=[m.name for m in accepted if m.id not in latest],
        )
    return view


def case_diff(case: Case, d1: datetime.datetime, d2: datetime.datetime) -> dict:
    """What changed between ``d1`` and ``d2`` (d1 < d2), with the events in between."""
    events = case_trail(case)
    a, b = case_as_of(case, d1, events=events), case_as_of(case, d2, events=events)
    mentors_a = {m.id: m for m in a.mentors}
    a_tasks = {t.id: t for t in a.open_tasks}
    b_tasks = {t.id: t for t in b.open_tasks}
    a_records = {r.id for r in a.records} | {r.id for r in a.superseded}
    works_a = {w.id: w for w in a.works}
    opinions_a = {o.id for o in a.opinions}
    return {
        "from": a,
        "to": b,
        "state": (a.state_label, b.state_label) if a.state != b.state else None,
        "mentors": [
            (m.name, mentors_a[m.id].status_label if m.id in mentors_a else "", m.status_label)
            for m in b.mentors
            if m.id not in mentors_a or mentors_a[m.id].status != m.status
        ],
        "tasks_opened": [t for t in b.open_tasks if t.id not in a_tasks],
        "tasks_closed": [t for t in a.open_tasks if t.id not in b_tasks],
        "tasks_reassigned": [
            (t, a_tasks[t.id].owner, t.owner)
            for t in b.open_tasks
            if t.id in a_tasks and a_tasks[t.id].owner_id != t.owner_id
        ],
        "records_added": [r for r in b.records if r.id not in a_records and r.version == 1],
        "records_corrected": [r for r in b.records if r.id not in a_records and r.version > 1],
        "works": [
            (w, works_a[w.id].status_label if w.id in works_a else "", w.status_label)
            for w in b.works
            if w.id not in works_a or works_a[w.id].status != w.status
        ],
        "opinions": [o for o in b.opinions if o.id not in opinions_a],
        "events": [e for e in events if d1 < e.at <= d2],
    }


def diff_facts(diff: dict) -> dict:
    """``case_diff`` as plain data (the command's JSON)."""
    return {
        "from": diff["from"].at.isoformat(),
        "to": diff["to"].at.isoformat(),
        "state": list(diff["state"]) if diff["state"] else None,
        "mentors": [list(m) for m in diff["mentors"]],
        "tasks_opened": [t.title for t in diff["tasks_opened"]],
        "tasks_closed": [t.title for t in diff["tasks_closed"]],
        "records_added": [r.id for r in diff["records_added"]],
        "records_corrected": [r.id for r in diff["records_corrected"]],
        "works": [[w.semester_label, w.item_label, old, new] for w, old, new in diff["works"]],
        "opinions": [o.mentor_name for o in diff["opinions"]],
        "events": [e.pk for e in diff["events"]],
    }

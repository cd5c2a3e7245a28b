"""Training work while a case is 培养中: record tasks on the unit's cadence, semester work,
pausing, the 支部审核 gate, and who may act on each task.

Time is pinned by the ``clock`` fixture (it patches ``django.utils.timezone.now``, so
``timezone.localdate()``, ``auto_now`` fields and the services all see the same day) and every
``sync_obligations`` call also passes ``today=`` explicitly.
"""

import datetime
from types import SimpleNamespace
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from viewflow.workflow.status import STATUS

from tests.factories import make_teacher
from tests.helpers import snapshot
from tests.training import PDF, lifecycle_tasks, submitter, training_tasks
from workflows.errors import AlreadyHandled, GuardError, NotInScope, NotPermitted
from workflows.flows import CaseFlow
from workflows.models import (
    AuditAction,
    AuditEvent,
    Case,
    CaseState,
    CaseTask,
    MentorOpinion,
    ProgrammePolicy,
    RecordDuty,
    Role,
    SemesterWork,
    TrainingRecord,
    UnitPolicy,
    WorkItem,
    WorkStatus,
)
from workflows.services import cases as svc
from workflows.services import training
from workflows.services.attachments import as_upload
from workflows.services.locking import locked_case
from workflows.services.records import record_write
from workflows.workdays import add_workdays

D = datetime.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
AUTUMN_2026, SPRING_2027, AUTUMN_2027 = D(2026, 9, 1), D(2027, 2, 1), D(2027, 9, 1)


def end_of(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(23, 59, 59), tzinfo=SHANGHAI)


# --- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture
def clock():
    """``timezone.now()`` is 10:00 local on ``clock.day``; ``clock.set(day)`` moves it."""
    state = SimpleNamespace(now=None)

    def set_day(day: datetime.date):
        state.day = day
        state.now = datetime.datetime.combine(day, datetime.time(10), tzinfo=SHANGHAI)

    state.set = set_day
    set_day(D(2026, 11, 10))
    with mock.patch("django.utils.timezone.now", lambda: state.now):
        yield state


@pytest.fixture
def w(world, clock):
    return world


def start_training(w, clock, day, *, mentors=None, teacher=None) -> Case:
    """登记造册, 结对 and 接受结对 on ``day``, through the services: the case is 培养中 from ``day``."""
    clock.set(day)
    teacher = teacher or w.candidate1
    case = svc.case_register(actor=w.officer, teacher_id=teacher.pk, kind="1")
    (pair,) = lifecycle_tasks(case)
    svc.case_pair(actor=w.officer, task_id=pair.pk, mentor_ids=[m.pk for m in mentors or [w.member_mentor]])
    for task in lifecycle_tasks(case):
        svc.mentor_accept(actor=task.owner, task_id=task.pk)
    case.refresh_from_db()
    assert case.state == CaseState.TRAINING and case.training_started_on == day
    return case


def sync(case, clock, day) -> dict:
    """What ``manage.py tick`` does for one case on ``day``."""
    clock.set(day)
    with locked_case(case.pk) as locked:
        return training.sync_obligations(locked, today=day)


def issue_events(case) -> int:
    return AuditEvent.objects.filter(case=case, action=AuditAction.ISSUE).count()


def record_task(case, period_start):
    (task,) = [t for t in training_tasks(case, CaseFlow.record) if t.duty.period_start == period_start]
    return task


def work(case, semester_start, item) -> SemesterWork:
    return SemesterWork.objects.get(case=case, semester_start=semester_start, item=item)


def semesters(case) -> list[tuple[datetime.date, str]]:
    return list(SemesterWork.objects.filter(case=case).values_list("semester_start", "item"))


def open_task_for(work_, node) -> CaseTask:
    (task,) = [t for t in training_tasks(work_.case, node) if t.work_id == work_.pk]
    return task


def submit(work_, title="题目") -> SemesterWork:
    task = open_task_for(work_, CaseFlow.submit_work)
    return training.work_submit(
        actor=submitter(task), task_id=task.pk, title=title, summary="摘要", upload=as_upload("成果.pdf", PDF)
    )


def accept(work_) -> SemesterWork:
    if work_.status != WorkStatus.SUBMITTED:
        work_ = submit(work_)
    task = open_task_for(work_, CaseFlow.review_work)
    return training.work_review(actor=task.owner, task_id=task.pk, accept=True)


def training_state() -> dict:
    """What a refused training action must leave as it was, beside ``snapshot()``."""
    return {
        "lifecycle": snapshot(),
        "works": sorted(SemesterWork.objects.values_list("id", "status", "title", "review_note")),
        "duties": sorted(RecordDuty.objects.values_list("id", "record_id")),
        "records": TrainingRecord.objects.count(),
        "opinions": MentorOpinion.objects.count(),
    }


def refused(call, error_class, *fragments) -> GuardError:
    before = training_state()
    with pytest.raises(GuardError) as caught:
        call()
    assert type(caught.value) is error_class, (type(caught.value), caught.value.message)
    assert (
        caught.value.status == {GuardError: 400, NotPermitted: 403, NotInScope: 404, AlreadyHandled: 409}[error_class]
    )
    for fragment in fragments:
        assert fragment in caught.value.message, (fragment, caught.value.message)
    assert training_state() == before, "a refused action must change nothing"
    return caught.value


# --- 培养记录 on the unit's cadence ------------------------------------------------------------


def test_monthly_record_tasks_across_the_year_boundary(w, clock):
    """One record task per month per mentor, due the month's last second; idempotent; the
    previous month's task stays open (overdue) until written."""
    case = start_training(w, clock, D(2026, 11, 20))
    mentor = case.mentors.get()
    november = record_task(case, D(2026, 11, 1))
    assert (november.owner, november.mentor) == (w.member_mentor.user, mentor)

    result = sync(case, clock, D(2026, 12, 15))
    assert result == {"tasks": ["填写培养记录（2026年12月）"], "cancelled": []}
    december = record_task(case, D(2026, 12, 1))
    assert december.due_at == end_of(D(2026, 12, 31))
    assert december.owner == w.member_mentor.user and december.status == STATUS.ASSIGNED
    assert (december.duty.period_end, december.duty.record) == (D(2026, 12, 31), None)

    # The same day again: nothing new, and no second 'issue' event.
    events, tasks = issue_events(case), CaseTask.objects.count()
    assert sync(case, clock, D(2026, 12, 15)) == {"tasks": [], "cancelled": []}
    assert sync(case, clock, D(2026, 12, 31)) == {"tasks": [], "cancelled": []}
    assert (issue_events(case), CaseTask.objects.count()) == (events, tasks)
    assert RecordDuty.objects.filter(case=case).count() == 2

    # January opens its own task; December's, unwritten, stays open and is now overdue.
    result = sync(case, clock, D(2027, 1, 3))
    assert result["tasks"] == ["填写培养记录（2027年1月）"]
    january = record_task(case, D(2027, 1, 1))
    assert january.due_at == end_of(D(2027, 1, 31))
    december.refresh_from_db()
    assert december.status == STATUS.ASSIGNED and december.is_overdue
    assert issue_events(case) == events + 1

    # December's task takes a December activity only: a January date belongs to January.
    with pytest.raises(GuardError) as caught:
        record_write(
            actor=w.member_mentor.user,
            case_id=case.pk,
            date=D(2027, 1, 2),
            kind="talk",
            content="谈入党动机。",
            task_id=december.pk,
        )
    assert caught.value.status == 400 and "2026-12-01 至 2026-12-31" in caught.value.message
    december.refresh_from_db()
    assert december.status == STATUS.ASSIGNED and december.duty.record is None

    # Written late (on 3 January) from December's task, about a December talk: December's duty.
    record = record_write(
        actor=w.member_mentor.user,
        case_id=case.pk,
        date=D(2026, 12, 28),
        kind="talk",
        content="谈入党动机。",
        task_id=december.pk,
    )
    december.refresh_from_db()
    assert december.status == STATUS.DONE
    assert december.duty.record == record and december.duty.fulfilled_at is not None
    january.refresh_from_db()
    assert january.status == STATUS.ASSIGNED and january.duty.record is None
    assert AuditEvent.objects.get(case=case, action=AuditAction.RECORD).changes["task"] == december.title
    # A written period is not asked for again.
    assert sync(case, clock, D(2027, 1, 4)) == {"tasks": [], "cancelled": []}


def test_a_record_written_without_a_task_answers_its_dates_period(w, clock):
    """A record written from the case page (no task) answers the duty of the period its date is in."""
    case = start_training(w, clock, D(2026, 12, 2))
    december = record_task(case, D(2026, 12, 1))
    clock.set(D(2026, 12, 20))
    record = record_write(
        actor=w.member_mentor.user, case_id=case.pk, date=D(2026, 12, 18), kind="talk", content="谈心"
    )
    december.refresh_from_db()
    assert december.status == STATUS.DONE and december.duty.record == record
    # The period is answered: syncing again in it asks for nothing.
    assert sync(case, clock, D(2026, 12, 21)) == {"tasks": [], "cancelled": []}
    assert training_tasks(case, CaseFlow.record) == []


def test_each_mentor_owes_their_own_record(w, clock):
    """Two mentors: two record tasks; one mentor writing leaves the other's open."""
    case = start_training(w, clock, D(2026, 12, 2), mentors=[w.member_mentor, w.member_mentor2])
    tasks = training_tasks(case, CaseFlow.record)
    assert sorted(t.owner.pk for t in tasks) == sorted([w.member_mentor.user.pk, w.member_mentor2.user.pk])
    first = next(t for t in tasks if t.owner == w.member_mentor.user)
    record_write(
        actor=w.member_mentor.user, case_id=case.pk, date=D(2026, 12, 2), kind="talk", content="谈心", task_id=first.pk
    )
    (still_open,) = training_tasks(case, CaseFlow.record)
    assert still_open.owner == w.member_mentor2.user and still_open.duty.record is None


def test_a_quarterly_unit_gets_one_record_task_per_quarter(w, clock):
    """A unit on record_every_months=3 is asked once a quarter, due the quarter's last day."""
    UnitPolicy.objects.create(unit=w.county, record_every_months=3)  # the 附件1 unit: the county bureau
    case = start_training(w, clock, D(2026, 10, 5))
    assert case.unit_id == w.county.pk
    q4 = record_task(case, D(2026, 10, 1))
    assert q4.due_at == end_of(D(2026, 12, 31)) and q4.title == "填写培养记录（2026年10–12月）"

    def records_opened(day):
        return [title for title in sync(case, clock, day)["tasks"] if title.startswith("填写培养记录")]

    for day in (D(2026, 11, 1), D(2026, 12, 1), D(2026, 12, 31)):
        assert records_opened(day) == [], day
    assert records_opened(D(2027, 1, 1)) == ["填写培养记录（2027年1–3月）"]
    for day in (D(2027, 2, 1), D(2027, 3, 31)):
        assert records_opened(day) == [], day
    assert records_opened(D(2027, 4, 1)) == ["填写培养记录（2027年4–6月）"]

    assert list(RecordDuty.objects.filter(case=case).values_list("period_start", "period_end")) == [
        (D(2026, 10, 1), D(2026, 12, 31)),
        (D(2027, 1, 1), D(2027, 3, 31)),
        (D(2027, 4, 1), D(2027, 6, 30)),
    ]
    assert len(training_tasks(case, CaseFlow.record)) == 3


# --- 学期成果 -------------------------------------------------------------------------------


def test_semester_work_across_the_semester_boundary(w, clock):
    """Starting mid-semester owes that semester's 典型案例 and 论文; the next semester adds its
    own; August adds none."""
    case = start_training(w, clock, D(2026, 11, 10))
    assert semesters(case) == [(AUTUMN_2026, WorkItem.CASE_STUDY), (AUTUMN_2026, WorkItem.PAPER)]
    tasks = training_tasks(case, CaseFlow.submit_work)
    assert sorted(t.title for t in tasks) == sorted(
        ["提交学期成果：2026年秋季学期典型案例", "提交学期成果：2026年秋季学期教育教学论文"]
    )
    for task in tasks:
        assert task.due_at == end_of(D(2027, 1, 31))
        assert task.work.semester_end == D(2027, 1, 31) and task.work.status == WorkStatus.PENDING

    assert [t for t in sync(case, clock, D(2027, 1, 31))["tasks"] if "学期成果" in t] == []
    result = sync(case, clock, D(2027, 2, 2))
    assert sorted(t for t in result["tasks"] if "学期成果" in t) == sorted(
        ["提交学期成果：2027年春季学期典型案例", "提交学期成果：2027年春季学期教育教学论文"]
    )
    spring = training_tasks(case, CaseFlow.submit_work)[2:]
    assert [t.due_at for t in spring] == [end_of(D(2027, 7, 31))] * 2
    # Autumn's work is still owed, its tasks still open (and overdue).
    assert len(training_tasks(case, CaseFlow.submit_work)) == 4

    for day in (D(2027, 8, 1), D(2027, 8, 31)):
        assert [t for t in sync(case, clock, day)["tasks"] if "学期成果" in t] == [], day
    assert SemesterWork.objects.filter(case=case).count() == 4

    sync(case, clock, D(2027, 9, 1))
    assert semesters(case)[-2:] == [(AUTUMN_2027, WorkItem.CASE_STUDY), (AUTUMN_2027, WorkItem.PAPER)]


def test_a_trainee_without_an_account_is_helped_by_the_school_officer(w, clock):
    """The submit task is queued for the school's 党务干部, who claims it by submitting."""
    no_account = make_teacher("无账号", w.branch, is_backbone=True)
    case = start_training(w, clock, D(2026, 11, 10), teacher=no_account)
    tasks = training_tasks(case, CaseFlow.submit_work)
    assert [(t.owner, t.role, t.org, t.status) for t in tasks] == [(None, Role.OFFICER, w.school, STATUS.NEW)] * 2

    paper = work(case, AUTUMN_2026, WorkItem.PAPER)
    submit(paper)
    paper.refresh_from_db()
    assert paper.status == WorkStatus.SUBMITTED and paper.submitted_by == w.officer
    assert AuditEvent.objects.filter(case=case, action=AuditAction.CLAIM, actor=w.officer).exists()


def test_a_trainee_with_an_account_submits_their_own_work(w, clock):
    """The submit task goes straight to the trainee's own inbox."""
    own = make_teacher("有账号", w.branch, is_backbone=True, user=True)
    case = start_training(w, clock, D(2026, 11, 10), teacher=own)
    tasks = training_tasks(case, CaseFlow.submit_work)
    assert [(t.owner, t.role, t.status) for t in tasks] == [(own.user, "", STATUS.ASSIGNED)] * 2


# --- 暂停 and 恢复 -------------------------------------------------------------------------------


def test_pause_and_resume(w, clock):
    """Pausing withdraws the training tasks and stops the clock; a semester spent wholly
    paused is not owed; resuming reopens the current period's tasks; the paused days push
    the earliest submission back."""
    case = start_training(w, clock, D(2026, 11, 10))
    sync(case, clock, D(2027, 1, 3))
    assert len(training_tasks(case)) == 4  # Nov and Jan records, autumn case study and paper
    assert training.earliest_submission(case) == D(2027, 11, 10)

    clock.set(D(2027, 1, 10))
    svc.case_pause(actor=w.officer, case_id=case.pk, reason="长期病假")
    case.refresh_from_db()
    assert case.state == CaseState.PAUSED and timezone.localdate(case.paused_at) == D(2027, 1, 10)
    assert training_tasks(case) == []
    cancelled = CaseTask.objects.filter(case=case, flow_task__in=training.training_nodes(), status=STATUS.CANCELED)
    assert cancelled.count() == 4
    # While paused the clock stands still: 60 days paused by 11 March.
    clock.set(D(2027, 3, 11))
    assert training.earliest_submission(case) == D(2027, 11, 10) + datetime.timedelta(days=60)

    duties, works, events = RecordDuty.objects.count(), SemesterWork.objects.count(), issue_events(case)
    for day in (D(2027, 2, 2), D(2027, 5, 15), D(2027, 7, 31)):
        assert sync(case, clock, day) == {"tasks": [], "cancelled": []}, day
    assert (RecordDuty.objects.count(), SemesterWork.objects.count(), issue_events(case)) == (duties, works, events)
    assert training_tasks(case) == []

    clock.set(D(2027, 9, 5))
    svc.case_resume(actor=w.officer, case_id=case.pk)
    case.refresh_from_db()
    assert case.state == CaseState.TRAINING and case.paused_at is None
    assert case.paused_days == (D(2027, 9, 5) - D(2027, 1, 10)).days == 238
    # No 2027 spring work: that semester passed entirely during the pause.
    assert semesters(case) == [
        (AUTUMN_2026, WorkItem.CASE_STUDY),
        (AUTUMN_2026, WorkItem.PAPER),
        (AUTUMN_2027, WorkItem.CASE_STUDY),
        (AUTUMN_2027, WorkItem.PAPER),
    ]
    # No record was asked for the months spent paused; the current period's task and every
    # unaccepted work's submit task reopen.
    assert not RecordDuty.objects.filter(case=case, period_start__range=(D(2027, 2, 1), D(2027, 8, 31))).exists()
    assert D(2027, 9, 1) in [t.duty.period_start for t in training_tasks(case, CaseFlow.record)]
    assert sorted((t.work.semester_start, t.work.item) for t in training_tasks(case, CaseFlow.submit_work)) == sorted(
        semesters(case)
    )
    assert lifecycle_tasks(case)[0].flow_task == CaseFlow.submit

    assert training.earliest_submission(case) == D(2027, 11, 10) + datetime.timedelta(days=238) == D(2028, 7, 5)
    clock.set(D(2028, 7, 4))
    (submit_case,) = lifecycle_tasks(case)
    refused(
        lambda: svc.case_submit(actor=w.officer, task_id=submit_case.pk),
        GuardError,
        "培养时间不足",
        "暂停 238 天不计",
        "最早可于 2028-07-05 提交",
    )
    assert not any("培养时间不足" in m for m in training.gate_missing(case, today=D(2028, 7, 5)))


def test_a_paused_case_refuses_training_work(w, clock):
    """The withdrawn tasks cannot be acted on, and no opinion is taken while paused."""
    case = start_training(w, clock, D(2026, 11, 10))
    paper = work(case, AUTUMN_2026, WorkItem.PAPER)
    task = open_task_for(paper, CaseFlow.submit_work)
    svc.case_pause(actor=w.officer, case_id=case.pk, reason="长期病假")
    refused(
        lambda: training.work_submit(
            actor=submitter(task), task_id=task.pk, title="题目", summary="摘要", upload=as_upload("a.pdf", PDF)
        ),
        AlreadyHandled,
        "已被处理",
    )
    refused(
        lambda: training.opinion_write(actor=w.member_mentor.user, case_id=case.pk, text="同意"), GuardError, "暂停"
    )


def test_a_short_pause_does_not_drop_an_overdue_record_task(w, clock):
    """Paused for a day in January: December's unwritten record task should come back on 恢复."""
    case = start_training(w, clock, D(2026, 12, 2))
    sync(case, clock, D(2027, 1, 3))
    assert [t.duty.period_start for t in training_tasks(case, CaseFlow.record)] == [D(2026, 12, 1), D(2027, 1, 1)]

    clock.set(D(2027, 1, 10))
    svc.case_pause(actor=w.officer, case_id=case.pk, reason="短期病假")
    clock.set(D(2027, 1, 11))
    svc.case_resume(actor=w.officer, case_id=case.pk)

    assert RecordDuty.objects.get(case=case, period_start=D(2026, 12, 1)).record is None
    assert [t.duty.period_start for t in training_tasks(case, CaseFlow.record)] == [D(2026, 12, 1), D(2027, 1, 1)]


# --- the 支部审核 gate -------------------------------------------------------------------------


def case_past_minimum(w, clock, *, mentors=None) -> Case:
    """A type-1 case trained from 2026-11-10 (so ready on 2027-11-10), ticked through three
    semesters; on 2027-11-15 its works are all still owed and no opinion is written."""
    case = start_training(w, clock, D(2026, 11, 10), mentors=mentors)
    sync(case, clock, D(2027, 3, 1))
    sync(case, clock, D(2027, 11, 15))
    assert len(semesters(case)) == 6
    return case


def test_the_gate_names_the_missing_semester_paper_and_changes_nothing(w, clock):
    """Only the 2026秋 paper is missing: 支部审核 is refused naming it; once accepted, the case goes on."""
    case = case_past_minimum(w, clock)
    for owed in SemesterWork.objects.filter(case=case):
        if (owed.semester_start, owed.item) != (AUTUMN_2026, WorkItem.PAPER):
            accept(owed)
    training.opinion_write(actor=w.member_mentor.user, case_id=case.pk, text="同意提交支部审核。")
    case.refresh_from_db()
    assert training.gate_missing(case) == ["2026年秋季学期的教育教学论文未通过培养人审阅（当前：待提交）。"]

    (submit_task,) = lifecycle_tasks(case)
    error = refused(
        lambda: svc.case_submit(actor=w.officer, task_id=submit_task.pk), GuardError, "2026年秋季学期的教育教学论文"
    )
    assert error.message.startswith("还不能提交支部审核")
    for absent in ("典型案例", "2027年", "培养时间不足", "尚未填写"):
        assert absent not in error.message, absent
    case.refresh_from_db()
    assert case.state == CaseState.TRAINING and lifecycle_tasks(case) == [submit_task]

    paper = accept(work(case, AUTUMN_2026, WorkItem.PAPER))
    assert paper.status == WorkStatus.ACCEPTED
    case.refresh_from_db()
    assert training.gate_missing(case) == []
    svc.case_submit(actor=w.officer, task_id=submit_task.pk)
    case.refresh_from_db()
    assert case.state == CaseState.BRANCH_REVIEW
    assert [t.flow_task for t in lifecycle_tasks(case)] == [CaseFlow.branch_review]
    assert training_tasks(case) == []  # the open record tasks are withdrawn during review
    event = AuditEvent.objects.get(case=case, action=AuditAction.SUBMIT)
    assert (event.actor, event.from_state, event.to_state) == (w.officer, CaseState.TRAINING, CaseState.BRANCH_REVIEW)


def test_the_gate_names_the_earliest_date_while_the_minimum_period_runs(w, clock):
    """Before 12 months have passed the refusal names the first day the case may be submitted."""
    case = start_training(w, clock, D(2026, 11, 10))
    sync(case, clock, D(2027, 11, 9))
    assert training_tasks(case, CaseFlow.opinion) == []  # not asked before the period has passed

    (submit_task,) = lifecycle_tasks(case)
    refused(
        lambda: svc.case_submit(actor=w.officer, task_id=submit_task.pk),
        GuardError,
        "培养时间不足：类别1最短培养期为 12 个月，自 2026-11-10 开始培养（暂停 0 天不计），最早可于 2027-11-10 提交。",
    )
    case.refresh_from_db()
    assert any("培养时间不足" in m for m in training.gate_missing(case, today=D(2027, 11, 9)))
    assert not any("培养时间不足" in m for m in training.gate_missing(case, today=D(2027, 11, 10)))

    sync(case, clock, D(2027, 11, 10))
    (opinion,) = training_tasks(case, CaseFlow.opinion)
    # 30 working days (workflows/workdays.py; tests/test_workdays.py checks the counting).
    assert opinion.owner == w.member_mentor.user and opinion.due_at == end_of(add_workdays(D(2027, 11, 10), 30))
    assert opinion.due_at > end_of(D(2027, 12, 10))  # more than 30 calendar days


def test_the_gate_names_the_mentor_without_an_opinion(w, clock):
    """Of two mentors, the one who has not written 培养人意见 is named, the other is not."""
    case = case_past_minimum(w, clock, mentors=[w.member_mentor, w.member_mentor2])
    assert sorted(t.owner.pk for t in training_tasks(case, CaseFlow.opinion)) == sorted(
        [w.member_mentor.user.pk, w.member_mentor2.user.pk]
    )
    for owed in SemesterWork.objects.filter(case=case):
        accept(owed)
    training.opinion_write(actor=w.member_mentor.user, case_id=case.pk, text="同意提交支部审核。")
    (still_asked,) = training_tasks(case, CaseFlow.opinion)
    assert still_asked.owner == w.member_mentor2.user
    case.refresh_from_db()
    assert training.gate_missing(case) == ["培养人 陈正式 尚未填写培养人意见。"]

    (submit_task,) = lifecycle_tasks(case)
    error = refused(lambda: svc.case_submit(actor=w.officer, task_id=submit_task.pk), GuardError, "陈正式")
    assert "张正式" not in error.message

    training.opinion_write(actor=w.member_mentor2.user, case_id=case.pk, text="同意。")
    assert training_tasks(case, CaseFlow.opinion) == []
    svc.case_submit(actor=w.officer, task_id=submit_task.pk)
    case.refresh_from_db()
    assert case.state == CaseState.BRANCH_REVIEW


def test_the_minimum_period_comes_from_the_programme_policy(w, clock):
    """类别1 defaults to 12 months; the city's policy row changes it; month ends are clamped."""
    case = start_training(w, clock, D(2026, 8, 31))
    assert training.earliest_submission(case) == D(2027, 8, 31)
    ProgrammePolicy.objects.create(pk=1, min_months_1=6, min_months_2=3)
    assert training.earliest_submission(case) == D(2027, 2, 28)


# --- reviewing semester work ------------------------------------------------------------------


def test_returning_work_needs_a_reason_and_reopens_submission(w, clock):
    """退回修改 needs a reason and gives the trainee a new submit task; 通过 closes the review."""
    trainee = make_teacher("有账号", w.branch, is_backbone=True, user=True)
    case = start_training(w, clock, D(2026, 11, 10), teacher=trainee)
    clock.set(D(2027, 1, 25))
    paper = submit(work(case, AUTUMN_2026, WorkItem.PAPER))
    review = open_task_for(paper, CaseFlow.review_work)
    assert review.owner == w.member_mentor.user and review.due_at == end_of(add_workdays(D(2027, 1, 25), 14))
    assert paper.current_file is not None and paper.submitted_by == trainee.user

    for blank in ("", "   "):
        refused(
            lambda note=blank: training.work_review(
                actor=w.member_mentor.user, task_id=review.pk, accept=False, note=note
            ),
            GuardError,
            "退回修改时请写明理由",
        )

    training.work_review(actor=w.member_mentor.user, task_id=review.pk, accept=False, note="请补充教学反思。")
    paper.refresh_from_db()
    assert (paper.status, paper.review_note, paper.reviewed_by) == (
        WorkStatus.RETURNED,
        "请补充教学反思。",
        w.member_mentor.user,
    )
    review.refresh_from_db()
    assert review.status == STATUS.DONE
    resubmit = open_task_for(paper, CaseFlow.submit_work)
    # The semester ends on 31 Jan, but a returned work gets at least 14 working days from the return.
    assert resubmit.due_at == end_of(add_workdays(D(2027, 1, 25), 14)) and resubmit.owner == trainee.user
    assert resubmit.due_at > end_of(D(2027, 2, 8))
    assert AuditEvent.objects.get(case=case, action=AuditAction.WORK_RETURN).reason == "请补充教学反思。"

    clock.set(D(2027, 2, 3))
    paper = submit(paper, title="修改稿")
    review = open_task_for(paper, CaseFlow.review_work)
    paper = training.work_review(actor=w.member_mentor.user, task_id=review.pk, accept=True)
    assert paper.status == WorkStatus.ACCEPTED and paper.title == "修改稿"
    review.refresh_from_db()
    assert review.status == STATUS.DONE and review.finished is not None
    assert not CaseTask.objects.filter(work=paper, status__in=[STATUS.NEW, STATUS.ASSIGNED]).exists()
    assert not any("论文" in t for t in sync(case, clock, D(2027, 2, 4))["tasks"])


def test_a_submitted_work_cannot_be_submitted_again(w, clock):
    """The submit task is closed once used: a second submission is 409."""
    case = start_training(w, clock, D(2026, 11, 10))
    case_study = work(case, AUTUMN_2026, WorkItem.CASE_STUDY)
    task = open_task_for(case_study, CaseFlow.submit_work)
    submit(case_study)
    refused(
        lambda: training.work_submit(
            actor=submitter(task), task_id=task.pk, title="又一稿", summary="摘要", upload=as_upload("b.pdf", PDF)
        ),
        AlreadyHandled,
        "已被处理",
    )


# --- the wrong person -------------------------------------------------------------------------


def test_only_the_assigned_mentor_reviews_and_writes(w, clock):
    """Another mentor of the case, the officer, the trainee and outsiders are refused, and
    nothing changes; then the right mentor succeeds."""
    trainee = make_teacher("有账号", w.branch, is_backbone=True, user=True).user
    case = start_training(
        w, clock, D(2026, 12, 2), mentors=[w.member_mentor, w.member_mentor2], teacher=trainee.teacher
    )
    paper = submit(work(case, AUTUMN_2026, WorkItem.PAPER))
    review = open_task_for(paper, CaseFlow.review_work)
    assert review.owner == w.member_mentor.user  # the first-paired mentor reviews

    for actor, error, says in [
        (w.member_mentor2.user, NotPermitted, "本人办理"),
        (w.officer, NotPermitted, "本人办理"),
        (trainee, NotPermitted, "本人办理"),
        (w.outsider, NotInScope, "未找到该任务"),
        (w.other_officer, NotInScope, "未找到该任务"),
    ]:
        refused(lambda a=actor: training.work_review(actor=a, task_id=review.pk, accept=True), error, says)
        refused(lambda a=actor: training.work_review(actor=a, task_id=review.pk, accept=False, note="重写"), error)

    mine = next(t for t in training_tasks(case, CaseFlow.record) if t.owner == w.member_mentor.user)

    def write(actor, task_id=mine.pk):
        return lambda: record_write(
            actor=actor, case_id=case.pk, date=D(2026, 12, 2), kind="talk", content="代写", task_id=task_id
        )

    refused(write(w.member_mentor2.user), NotPermitted, "指定给另一位培养人")
    refused(write(w.officer), NotPermitted, "已结对的培养人")
    refused(write(trainee), NotPermitted, "已结对的培养人")
    refused(write(w.outsider), NotInScope, "未找到该培养案例")
    refused(write(w.backbone_mentor.user), NotInScope, "未找到该培养案例")

    for actor, error in [
        (w.officer, NotPermitted),
        (trainee, NotPermitted),
        (w.outsider, NotInScope),
        (w.other_officer, NotInScope),
        (w.backbone_mentor.user, NotInScope),
    ]:
        refused(lambda a=actor: training.opinion_write(actor=a, case_id=case.pk, text="同意"), error)

    submit_task = open_task_for(work(case, AUTUMN_2026, WorkItem.CASE_STUDY), CaseFlow.submit_work)
    for actor, error in [(w.member_mentor.user, NotPermitted), (w.outsider, NotInScope)]:
        refused(
            lambda a=actor: training.work_submit(
                actor=a, task_id=submit_task.pk, title="代交", summary="摘要", upload=as_upload("c.pdf", PDF)
            ),
            error,
        )

    # The right people still can.
    assert training.work_review(actor=w.member_mentor.user, task_id=review.pk, accept=True).status == (
        WorkStatus.ACCEPTED
    )
    record = write(w.member_mentor.user)()
    mine.refresh_from_db()
    assert mine.status == STATUS.DONE and mine.duty.record == record

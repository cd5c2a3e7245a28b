"""The viewflow Flow of a 双培 case: which organisation does which step.

The case's FSM state (``Case.state``) is the single source of truth for where the case
stands. Every finished step returns to ``route``, which opens the task for the state the
case is now in (a lifecycle step evaluates ``route`` itself, without writing the gateway's
row: ``CaseStepActivation.create_next``). Out-of-band actions (撤回, 暂停/恢复, 退出,
re-pairing) cancel the open tasks and call :func:`reroute`, so the inbox always mirrors the
FSM.
"""

from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.activation import Activation
from viewflow.workflow.base import Flow
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.lock import select_for_update_lock
from viewflow.workflow.nodes.split import SplitActivation
from viewflow.workflow.nodes.view import ViewActivation
from viewflow.workflow.status import STATUS
from viewflow.workflow.token import Token

from .models import (
    CaseMentor,
    CaseProcess,
    CaseState,
    CaseTask,
    MentorStatus,
    PlanState,
    ReportKind,
    ReportProcess,
    ReportState,
    ReportTask,
    Role,
    RoleAssignment,
    UnitPlan,
)
from .models.cases import CLOSED_STATES
from .periods import end_of_day
from .routing import nearest_org_with_role
from .workdays import due_in_workdays

OPEN_TASK_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
# Due keys counted in calendar days: the training period itself (the others are working days).
CALENDAR_DUE_KEYS = ("submit",)


class CaseStepActivation(ViewActivation):
    """A human step whose task carries its routing organisation and due date."""

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        process = prev_activation.process
        case = process.case
        task = flow_task.flow_class.task_class(
            process=process,
            flow_task=flow_task,
            token=token,
            case=case,
            stage=case.state,
        )
        task.data = data or {}
        flow_task.route(task, case)
        if task.owner_id:
            task.status = STATUS.ASSIGNED
            task.assigned = timezone.now()
        task.save()
        task.previous.add(prev_activation.task)
        return cls(task)

    @Activation.status.super()
    def create_next(self):
        """A finished lifecycle step opens the task its case's state now calls for itself,
        choosing as ``route`` does (``route_target``): the gateway's own task row, its link and
        its savepoint are not written, and the new task's ``previous`` is this step. The graph
        keeps its edges through ``route`` (``start``, ``accept_join`` and ``reroute`` still go
        through it). 接受结对 goes on to its join as before."""
        if self.flow_task._next is not CaseFlow.route:
            yield from super().create_next.original()
            return
        yield route_target(self)._create(self, self.task.token)


class CaseStep(flow.View):
    """A step done by whoever holds ``role`` at the nearest organisation up the tree."""

    activation_class = CaseStepActivation

    def __init__(self, role: str | None, due_key: str, title: str, **kwargs):
        super().__init__(view=None, **kwargs)
        self.role = role
        self.due_key = due_key
        self.task_title = title

    def due_days(self, case) -> int:
        key = self.due_key if self.due_key in settings.SHUANGPEI_DUE_DAYS else f"{self.due_key}_{case.kind}"
        return settings.SHUANGPEI_DUE_DAYS[key]

    def due_at(self, case):
        """Working days (workflows/workdays.py), except the training period before 提交支部审核,
        which is a span of the calendar."""
        days = self.due_days(case)
        if self.due_key in CALENDAR_DUE_KEYS:
            return timezone.now() + timedelta(days=days)
        return due_in_workdays(days)

    def route(self, task, case):
        task.role = self.role
        task.org = nearest_org_with_role(case.org, self.role)
        task.due_at = self.due_at(case)


class MentorAcceptStep(CaseStep):
    """One acceptance task per mentor, assigned straight to the mentor's account."""

    def route(self, task, case):
        mentor = CaseMentor.objects.select_related("teacher").get(pk=task.data["mentor_id"])
        task.role = ""
        task.org = case.org
        task.owner_id = mentor.teacher.user_id
        task.due_at = self.due_at(case)


class MentorSplitActivation(SplitActivation):
    @Activation.status.super()
    def activate(self):
        pending = CaseMentor.objects.filter(case=self.process.case, status=MentorStatus.PENDING)
        for node, _cond, _data in self.flow_task._branches:
            for mentor_id in pending.values_list("pk", flat=True):
                self.next_tasks.append((node, {"mentor_id": mentor_id}))


class MentorSplit(flow.Split):
    """Open one acceptance task per pending mentor, in parallel."""

    activation_class = MentorSplitActivation


class TrainingStep(flow.View):
    """Training work (培养记录, 学期成果, 培养人意见): tasks opened by
    ``services.training.sync_obligations`` on the unit's calendar, not by ``route``.

    They have no next node: finishing one never moves the case. The case's lifecycle
    steps above stay the only way the FSM advances.
    """

    def __init__(self, title: str, **kwargs):
        super().__init__(view=None, **kwargs)
        self.task_title = title


class SideStep(flow.View):
    """A task beside a lifecycle step (加签): opened by ``services.forwarding`` for one named
    person, linked to its step through ``task.data["parent"]``. No next node: answering it never
    moves the case by itself, and ``reroute`` cancels it with the step it belongs to.
    """

    def __init__(self, title: str, **kwargs):
        super().__init__(view=None, **kwargs)
        self.task_title = title


def _in_state(state):
    return lambda activation: activation.process.case.state == state


class CaseFlow(Flow):
    process_class = CaseProcess
    task_class = CaseTask
    lock_impl = select_for_update_lock
    process_title = _("双培培养流程")

    start = flow.StartHandle(this.start_case).Next(this.route)

    route = (
        flow.Switch()
        .Case(this.pair, _in_state(CaseState.REGISTERED))
        .Case(this.accept_split, _in_state(CaseState.PAIRED))
        .Case(this.submit, _in_state(CaseState.TRAINING))
        .Case(this.branch_review, _in_state(CaseState.BRANCH_REVIEW))
        .Case(this.unit_review, _in_state(CaseState.UNIT_REVIEW))
        .Case(this.city_filing, _in_state(CaseState.CITY_FILING))
        .Case(this.end, lambda a: a.process.case.state in CLOSED_STATES)
    )

    pair = CaseStep(Role.OFFICER, "pair", _("指定培养人")).Next(this.route)
    accept_split = MentorSplit().Next(this.accept)
    accept = MentorAcceptStep(None, "accept", _("接受结对")).Next(this.accept_join)
    accept_join = flow.Join().Next(this.route)
    submit = CaseStep(Role.OFFICER, "submit", _("培养期满，提交支部审核")).Next(this.route)
    branch_review = CaseStep(Role.BRANCH_SECRETARY, "branch_review", _("支部审核")).Next(this.route)
    unit_review = CaseStep(Role.REVIEWER, "unit_review", _("单位审核")).Next(this.route)
    city_filing = CaseStep(Role.CITY_ADMIN, "city_filing", _("市级备案")).Next(this.route)

    end = flow.End()

    record = TrainingStep(_("填写培养记录"))
    submit_work = TrainingStep(_("提交学期成果"))
    review_work = TrainingStep(_("审阅学期成果"))
    opinion = TrainingStep(_("填写培养人意见"))

    countersign = SideStep(_("加签审核"))

    def start_case(self, activation, case):
        activation.process.case = case


def route_target(activation):
    """The node ``CaseFlow.route`` opens after ``activation`` (its process carries the case), as
    viewflow's Switch chooses it: the first case whose condition holds, else a default."""
    chosen = None
    for node, cond in CaseFlow.route._branches:
        if cond is None:
            chosen = node
        elif cond(activation):
            return node
    if chosen is None:
        raise FlowRuntimeError(f"No next task available for {CaseFlow.route.name}")
    return chosen


def training_nodes():
    """The nodes of training work, which live beside the lifecycle steps."""
    return [CaseFlow.record, CaseFlow.submit_work, CaseFlow.review_work, CaseFlow.opinion]


def side_nodes():
    """Tasks beside a lifecycle step (加签): cancelled with it, never the step the case stands at."""
    return [CaseFlow.countersign]


def off_lifecycle_nodes():
    """Everything that is not a lifecycle step (结对 … 市级备案): training work and side tasks."""
    return training_nodes() + side_nodes()


def cancel_side_tasks(parent, now=None) -> list:
    """Cancel the open 加签 tasks of ``parent`` (its step was finished); returns them.

    Must run inside the case's lock.
    """
    now = now or timezone.now()
    side = list(
        CaseTask.objects.filter(case_id=parent.case_id, flow_task__in=side_nodes(), status__in=OPEN_TASK_STATUSES)
        .filter(data__parent=parent.pk)
        .select_related("owner")
    )
    for task in side:
        task.status = STATUS.CANCELED
        task.finished = now
        task.save(update_fields=["status", "finished"])
    return side


def reroute(case, previous_task=None) -> None:
    """Cancel the case's open tasks and open the one its FSM state now calls for.

    Must run inside ``CaseFlow.lock(process_pk)``.
    """
    process = case.process
    now = timezone.now()
    open_tasks = list(
        CaseTask.objects.filter(process=process)
        .exclude(status__in=[STATUS.DONE, STATUS.CANCELED, STATUS.REVIVED])
        .exclude(flow_task__in=training_nodes())
    )
    for task in open_tasks:
        task.status = STATUS.CANCELED
        task.finished = now
        task.save(update_fields=["status", "finished"])
    if case.state == CaseState.PAUSED:
        return
    # Side tasks (加签) are cancelled above with the rest; the route starts from a lifecycle step.
    open_steps = [t for t in open_tasks if t.flow_task not in side_nodes()]
    anchor = previous_task or (
        open_steps[-1]
        if open_steps
        else process.casetask_set.exclude(flow_task__in=off_lifecycle_nodes()).order_by("-id").first()
    )
    anchor_activation = anchor.flow_task.activation_class(anchor)
    anchor_activation.process = process
    process.case = case
    activation = CaseFlow.route._create(anchor_activation, Token("start"))
    anchor_activation._activate_next({activation})


# --- documents a unit sends to the city ------------------------------------------------


class ReportStepActivation(ViewActivation):
    """A step of a unit's report round: routed to the unit (prepare) or the city (review)."""

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        process = prev_activation.process
        task = flow_task.flow_class.task_class(process=process, flow_task=flow_task, token=token)
        task.data = data or {}
        flow_task.route(task, process)
        if task.owner_id:
            task.status = STATUS.ASSIGNED
            task.assigned = timezone.now()
        task.save()
        task.previous.add(prev_activation.task)
        return cls(task)


class ReportStep(flow.View):
    activation_class = ReportStepActivation

    def __init__(self, role: str, title: str, due, **kwargs):
        super().__init__(view=None, **kwargs)
        self.role = role
        self.task_title = title
        self.due = due

    def route(self, task, process):
        task.role = self.role
        task.org = nearest_org_with_role(process.unit, self.role)
        task.due_at = self.due(process)
        if self.role == Role.REVIEWER:
            # A returned round goes back to whoever prepared it before, if they still hold the role.
            before = (
                ReportTask.objects.filter(process=process, flow_task=task.flow_task, owner__isnull=False)
                .order_by("-id")
                .first()
            )
            still_holds = (
                before is not None
                and RoleAssignment.objects.active().filter(user=before.owner, role=self.role, org=task.org).exists()
            )
            if still_holds:
                task.owner = before.owner
        else:
            task.report = process.reports.order_by("-version").first()


def annex2_due(process):
    """附件2 reaches the city by 10 September of its year (DOMAIN §6)."""
    month, day = settings.ANNEX2_DUE
    return end_of_day(date(process.year, month, day))


def _days_from_now(days):
    """``days`` working days from now (workflows/workdays.py)."""
    return lambda process: due_in_workdays(days)


def _report_accepted(activation) -> bool:
    latest = activation.process.reports.order_by("-version").first()
    return latest is not None and latest.state == ReportState.ACCEPTED


def _plan_approved(activation) -> bool:
    process = activation.process
    return UnitPlan.objects.filter(plan=process.plan, unit=process.unit, state=PlanState.APPROVED).exists()


class AnnualReportFlow(Flow):
    """附件2 for a year: the unit's 审核人 compiles and submits, the city accepts or returns."""

    process_class = ReportProcess
    task_class = ReportTask
    lock_impl = select_for_update_lock
    process_title = _("年度汇总表报送")

    start = flow.StartHandle(this.start_round).Next(this.prepare)
    prepare = ReportStep(Role.REVIEWER, _("编制并报送年度附件2"), annex2_due).Next(this.review)
    review = ReportStep(Role.CITY_ADMIN, _("审核单位年度附件2"), _days_from_now(10)).Next(this.decide)
    decide = flow.If(_report_accepted).Then(this.end).Else(this.prepare)
    end = flow.End()

    def start_round(self, activation, *, unit, year, reason=""):
        activation.process.kind = ReportKind.ANNEX2
        activation.process.unit = unit
        activation.process.year = year
        activation.process.reason = reason
        return activation.process


class PlanFlow(Flow):
    """附件1 year breakdown: the unit's 审核人 submits it, the city adjusts and approves or returns."""

    process_class = ReportProcess
    task_class = ReportTask
    lock_impl = select_for_update_lock
    process_title = _("三年计划年度分解")

    start = flow.StartHandle(this.start_round).Next(this.prepare)
    prepare = ReportStep(Role.REVIEWER, _("报送三年计划年度分解"), _days_from_now(30)).Next(this.review)
    review = ReportStep(Role.CITY_ADMIN, _("调整审批年度分解"), _days_from_now(10)).Next(this.decide)
    decide = flow.If(_plan_approved).Then(this.end).Else(this.prepare)
    end = flow.End()

    def start_round(self, activation, *, unit_plan):
        activation.process.kind = ReportKind.PLAN
        activation.process.unit = unit_plan.unit
        activation.process.plan = unit_plan.plan
        return activation.process

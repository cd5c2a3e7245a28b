"""The unit's documents to the city: the annual 附件2 (a frozen snapshot) and the 附件1 breakdown.

Each round is a viewflow process (``AnnualReportFlow`` / ``PlanFlow``) whose tasks sit in the
unit's and the city's inboxes. Every service takes the flow's row lock first, acts on one
task, writes its audit event and commits, or refuses with a Chinese message and changes nothing.
"""

import re
from contextlib import contextmanager
from types import SimpleNamespace

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.status import STATUS

from .. import plan_check
from ..deadlines import annex2_due, annex2_standing
from ..errors import AlreadyHandled, GuardError, NotInScope, NotPermitted
from ..flows import AnnualReportFlow, PlanFlow
from ..models import (
    AnnualReport,
    AuditAction,
    CaseKind,
    Organisation,
    OrgKind,
    PlanState,
    Quota,
    ReportKind,
    ReportProcess,
    ReportState,
    ReportTask,
    Role,
    UnitPlan,
)
from ..selectors import annex2_rows, units_for_user, user_assignments, user_holds
from .audit import audit_log
from .cases import _finish

OPEN = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
FLOWS = {ReportKind.ANNEX2: AnnualReportFlow, ReportKind.PLAN: PlanFlow}


def snapshot_rows(unit: Organisation, year: int) -> list[dict]:
    """The unit's 附件2 rows as they stand now, numbered as printed: the table to freeze."""
    return [
        {"no": n, "name": r.name, "birth_month": r.birth_month, "kind": r.kind, "year": r.year, "note": r.note}
        for n, r in enumerate(annex2_rows(unit=unit, year=year), 1)
    ]


def report_rows(report: AnnualReport) -> list[SimpleNamespace]:
    """A frozen report's rows in the shape the document renderers take."""
    return [SimpleNamespace(**row) for row in report.rows]


def _units() -> list[Organisation]:
    return list(Organisation.objects.filter(kind__in=[OrgKind.COUNTY, OrgKind.DIRECT]).order_by("sort_order", "id"))


@contextmanager
def _locked_task(actor, task_id: int):
    """The flow's lock on the task's process, then the task row: the outermost transaction."""
    task = ReportTask.objects.select_related("process").filter(pk=task_id).first()
    if task is None or not task.role or not can_see_task(actor, task):
        raise NotInScope(_("未找到该报表任务，或它不在您的管辖范围内。"))
    flow_class = FLOWS[task.process.kind]
    try:
        with flow_class.lock(task.process_id):
            yield (
                ReportTask.objects.select_for_update(of=("self",))
                .select_related("process", "process__unit", "org")
                .get(pk=task_id)
            )
    except FlowLockFailed:
        raise AlreadyHandled(_("该报表正在被他人处理，请稍后刷新页面再试。")) from None


def can_see_task(user, task: ReportTask) -> bool:
    """Role holders of the unit's subtree or above, and of the task's organisation, see a round's
    tasks; a former owner who no longer holds such a role does not."""
    unit_path = task.process.unit.path if task.process.unit_id else ""
    return any(
        unit_path.startswith(a.org.path) or (task.org_id and a.org_id == task.org_id) for a in user_assignments(user)
    )


def report_check_actor(actor, task: ReportTask) -> None:
    """Whether ``actor`` may act on the report task now: the step's role, and the task still open.
    Views ask it before validating a form (a wrong person hears 403/409 first); ``_act_on``
    asks again under the lock."""
    if not user_holds(actor, task.role, task.org):
        raise NotPermitted(
            _("该任务须由%(org)s的%(role)s办理，您没有该身份。") % {"org": task.org.name, "role": Role(task.role).label}
        )
    if task.status not in OPEN:
        raise AlreadyHandled(_("该报表任务已由他人办理完毕，请刷新页面查看最新状态。"))


def _act_on(actor, task: ReportTask, node):
    """Check the actor holds the step's role, the task is open and is the expected step;
    claim it if queued, or take it over from an owner who no longer holds the role."""
    report_check_actor(actor, task)
    if task.flow_task != node:
        raise GuardError(_("该任务不是这一步骤，请从待办列表重新打开。"))
    if task.owner_id and task.owner_id != actor.pk:
        if user_holds(task.owner, task.role, task.org):
            raise AlreadyHandled(
                _("该任务已由%(who)s认领办理，请刷新页面。")
                % {"who": task.owner.get_full_name() or task.owner.username}
            )
        # The owner left the role (transfer, rotation): the current holder takes the task over.
        before = task.owner.get_username()
        task.owner = actor
        task.assigned = timezone.now()
        task.save(update_fields=["owner", "assigned"])
        audit_log(
            actor=actor,
            action=AuditAction.REASSIGN,
            case=None,
            role=task.role,
            org=task.org,
            task=task,
            reason=_("原承办人已不再担任该角色，由现任%(role)s接办。") % {"role": Role(task.role).label},
            changes={"owner": [before, actor.get_username()]},
        )
    activation = task.flow_task.activation_class(task)
    if task.status == STATUS.NEW:
        task.assigned = timezone.now()
        activation.assign(actor)
    return activation


def _reason(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise GuardError(_("请填写%(what)s。") % {"what": what})
    return text


# --- 附件2: the annual report ------------------------------------------------------------


def report_round_open(*, unit: Organisation, year: int, actor=None, reason: str = "") -> ReportProcess | None:
    """Open the unit's round for ``year`` unless one is open; returns the new process or None."""
    with transaction.atomic():
        Organisation.objects.select_for_update().filter(pk=unit.pk).first()
        if ReportProcess.objects.filter(kind=ReportKind.ANNEX2, unit=unit, year=year, finished__isnull=True).exists():
            return None
        process = AnnualReportFlow.start.run(unit=unit, year=year, reason=reason)
        audit_log(
            actor=actor,
            action=AuditAction.REPORT_OPEN,
            case=None,
            role=Role.REVIEWER if actor else "system",
            org=unit,
            reason=reason,
            changes={"report": "annex2", "year": year, "process": process.pk},
        )
    return process


def annex2_rounds_sync(today=None) -> int:
    """Each county and direct unit has a round for this year's 附件2 from 1 January (``tick``)."""
    year = (today or timezone.localdate()).year
    started = set(ReportProcess.objects.filter(kind=ReportKind.ANNEX2, year=year).values_list("unit_id", flat=True))
    opened = 0
    for unit in _units():
        if unit.pk not in started:
            try:
                opened += report_round_open(unit=unit, year=year) is not None
            except GuardError:
                # No 审核人 anywhere above the unit yet: the round opens once one is named.
                continue
    return opened


def report_submit(*, actor, task_id: int, reason: str = "") -> AnnualReport:
    """报送: freeze the unit's table as it stands into a new version and send it to the city."""
    with _locked_task(actor, task_id) as task:
        activation = _act_on(actor, task, AnnualReportFlow.prepare)
        process = task.process
        previous = process_versions(process.unit, process.year)
        version = (previous[0].version + 1) if previous else 1
        returned = previous and previous[0].state == ReportState.RETURNED
        if version > 1:
            reason = _reason(
                reason if returned else (reason or process.reason),
                _("更正说明（本版与上一版相比改了什么、为什么）")
                if not returned
                else _("修改说明（针对退回意见做了哪些修改）"),
            )
        rows = snapshot_rows(process.unit, process.year)
        now = timezone.now()
        report = AnnualReport.objects.create(
            unit=process.unit,
            year=process.year,
            version=version,
            process=process,
            rows=rows,
            count_1=sum(r["kind"] == CaseKind.CULTIVATE_MEMBER for r in rows),
            count_2=sum(r["kind"] == CaseKind.CULTIVATE_BACKBONE for r in rows),
            dated=timezone.localdate(now),
            reason=(reason or "").strip(),
            submitted_by=actor,
            submitted_at=now,
        )
        audit_log(
            actor=actor,
            action=AuditAction.REPORT_SUBMIT,
            case=None,
            role=Role.REVIEWER,
            org=task.org,
            task=task,
            reason=report.reason,
            changes={
                "report": report.pk,
                "unit": process.unit.name,
                "year": process.year,
                "version": version,
                "rows": len(rows),
                "count_1": report.count_1,
                "count_2": report.count_2,
            },
            evidence=[report],
        )
        _finish(activation)
    return report


def _review(actor, task_id: int, *, accept: bool, note: str) -> AnnualReport:
    with _locked_task(actor, task_id) as task:
        activation = _act_on(actor, task, AnnualReportFlow.review)
        report = AnnualReport.objects.select_for_update().get(pk=task.report_id)
        if report.state != ReportState.SUBMITTED:
            raise AlreadyHandled(_("该版本已审核，请刷新页面。"))
        superseded = []
        if accept:
            for older in AnnualReport.objects.select_for_update().filter(
                unit=report.unit, year=report.year, state=ReportState.ACCEPTED
            ):
                older.supersede()
                older.save(update_fields=["state"])
                superseded.append(older.version)
            report.accept()
        else:
            report.return_()
        report.reviewed_by = actor
        report.reviewed_at = timezone.now()
        report.review_note = note
        report.save(update_fields=["state", "reviewed_by", "reviewed_at", "review_note"])
        audit_log(
            actor=actor,
            action=AuditAction.REPORT_ACCEPT if accept else AuditAction.REPORT_RETURN,
            case=None,
            role=Role.CITY_ADMIN,
            org=task.org,
            task=task,
            from_state=ReportState.SUBMITTED,
            to_state=report.state,
            reason=note,
            changes={
                "report": report.pk,
                "unit": report.unit.name,
                "year": report.year,
                "version": report.version,
                **({"superseded_versions": superseded} if superseded else {}),
            },
        )
        _finish(activation)
    return report


def report_accept(*, actor, task_id: int, note: str = "") -> AnnualReport:
    """接收: the city accepts the submitted version; an earlier accepted version is superseded."""
    return _review(actor, task_id, accept=True, note=(note or "").strip())


def report_return(*, actor, task_id: int, reason: str) -> AnnualReport:
    """退回: the city sends the version back with a reason; the unit's 审核人 gets a new task."""
    return _review(actor, task_id, accept=False, note=_reason(reason, _("退回理由")))


def report_check_corrector(actor, unit_id: int) -> Organisation:
    """更正 is the unit's 审核人's: the unit, or the 404/403 that says why not (views ask first)."""
    unit = units_for_user(actor).filter(pk=unit_id).first()
    if unit is None:
        raise NotInScope(_("未找到该单位，或它不在您的管辖范围内。"))
    if not user_holds(actor, Role.REVIEWER, unit):
        raise NotPermitted(_("只有本单位的审核人可以更正已报送的附件2。"))
    return unit


def report_correct(*, actor, unit_id: int, year: int, reason: str) -> ReportProcess:
    """更正: after acceptance, the unit's 审核人 opens a new round; its version needs a reason."""
    unit = report_check_corrector(actor, unit_id)
    reason = _reason(reason, _("更正理由"))
    latest = next(iter(process_versions(unit, year)), None)
    if latest is None or latest.state != ReportState.ACCEPTED:
        raise GuardError(_("只有市级已接收的附件2才需要更正；尚未报送或审核中的，请在待办中直接办理。"))
    process = report_round_open(unit=unit, year=year, actor=actor, reason=reason)
    if process is None:
        raise AlreadyHandled(_("该单位该年度已有一轮报送在办理中，请在待办中继续办理。"))
    return process


def process_versions(unit: Organisation, year: int) -> list[AnnualReport]:
    """Every submitted version of the unit's 附件2 for the year, newest first."""
    return list(AnnualReport.objects.filter(unit=unit, year=year).order_by("-version"))


# --- 附件1: the year breakdown ----------------------------------------------------------


def plan_round_open(unit_plan: UnitPlan) -> ReportProcess | None:
    """Open the unit's 年度分解 task (called by the 附件1 import, in its transaction)."""
    if ReportProcess.objects.filter(
        kind=ReportKind.PLAN, plan=unit_plan.plan, unit=unit_plan.unit, finished__isnull=True
    ).exists():
        return None
    try:
        process = PlanFlow.start.run(unit_plan=unit_plan)
    except GuardError:
        # No 审核人 above the unit yet: ``plan_rounds_sync`` (tick) opens it once one is named.
        return None
    audit_log(
        actor=None,
        action=AuditAction.REPORT_OPEN,
        case=None,
        role="system",
        org=unit_plan.unit,
        changes={"report": "plan", "plan": unit_plan.plan_id, "process": process.pk},
    )
    return process


def plan_rounds_sync() -> int:
    """Open the breakdown round of every draft unit plan that has none (a 审核人 named later)."""
    running = set(
        ReportProcess.objects.filter(kind=ReportKind.PLAN, finished__isnull=True).values_list("plan_id", "unit_id")
    )
    opened = 0
    for unit_plan in UnitPlan.objects.filter(state=PlanState.DRAFT).select_related("plan", "unit"):
        if (unit_plan.plan_id, unit_plan.unit_id) not in running:
            with transaction.atomic():
                opened += plan_round_open(unit_plan) is not None
    return opened


def _numbers(unit_plan: UnitPlan, data, field: str) -> dict[tuple[int, str], int]:
    """Read ``{year}_{kind}`` inputs as non-negative whole numbers, naming each bad one."""
    values, errors = {}, []
    for row in unit_plan.years.all():
        raw = str(data.get(f"{row.year}_{row.kind}", "")).strip()
        label = _("%(year)s年类别%(kind)s") % {"year": row.year, "kind": row.kind}
        if not re.fullmatch(r"[0-9]{1,5}", raw):
            errors.append(_("%(label)s：“%(raw)s”不是 0 到 99999 之间的整数。") % {"label": label, "raw": raw})
        else:
            values[(row.year, row.kind)] = int(raw)
    if errors:
        raise GuardError(_("以下数字有误，请改正后重新提交：") + "\n" + "\n".join(errors))
    return values


def _unit_plan(task: ReportTask) -> UnitPlan:
    return UnitPlan.objects.select_for_update().get(plan=task.process.plan, unit=task.process.unit)


def plan_submit(*, actor, task_id: int, data) -> UnitPlan:
    """The unit's 审核人 breaks the three-year quota down by year; each 类别 must add up to it."""
    with _locked_task(actor, task_id) as task:
        activation = _act_on(actor, task, PlanFlow.prepare)
        unit_plan = _unit_plan(task)
        values = _numbers(unit_plan, data, "proposed")
        totals = dict(Quota.objects.filter(plan=unit_plan.plan, unit=unit_plan.unit).values_list("kind", "total"))
        problems = []
        for kind in (CaseKind.CULTIVATE_MEMBER, CaseKind.CULTIVATE_BACKBONE):
            planned = sum(v for (_y, k), v in values.items() if k == kind)
            if planned != totals.get(kind, 0):
                problems.append(
                    _("类别%(kind)s各年合计 %(sum)s，与三年计划数 %(total)s 不符。")
                    % {"kind": kind, "sum": planned, "total": totals.get(kind, 0)}
                )
        if problems:
            raise GuardError("\n".join(problems) + "\n" + _("请调整各年度数字，使其合计等于三年计划数。"))
        changes = {}
        for row in unit_plan.years.all():
            new = values[(row.year, row.kind)]
            if row.proposed != new:
                changes[f"{row.year}_{row.kind}"] = [row.proposed, new]
                row.proposed = new
                row.save(update_fields=["proposed"])
        unit_plan.submit()
        unit_plan.submitted_at = timezone.now()
        unit_plan.save(update_fields=["state", "submitted_at"])
        audit_log(
            actor=actor,
            action=AuditAction.PLAN_SUBMIT,
            case=None,
            role=Role.REVIEWER,
            org=task.org,
            task=task,
            from_state=PlanState.DRAFT,
            to_state=PlanState.SUBMITTED,
            changes={"plan": unit_plan.plan_id, "unit": unit_plan.unit.name, "proposed": changes},
        )
        _finish(activation)
    return unit_plan


def plan_approve(*, actor, task_id: int, data, note: str = "") -> UnitPlan:
    """The city adjusts any year's number (the 注 of 附件1) and approves the breakdown."""
    with _locked_task(actor, task_id) as task:
        activation = _act_on(actor, task, PlanFlow.review)
        unit_plan = _unit_plan(task)
        values = _numbers(unit_plan, data, "approved")
        changes = {}
        for row in unit_plan.years.all():
            new = values[(row.year, row.kind)]
            if new != row.proposed:
                changes[f"{row.year}_{row.kind}"] = [row.proposed, new]
            row.approved = new
            row.save(update_fields=["approved"])
        note = (note or "").strip()
        if changes and not note:
            raise GuardError(_("调整了单位上报的数字，请在“审批意见”中说明调整理由。"))
        unit_plan.approve()
        unit_plan.approved_at = timezone.now()
        unit_plan.save(update_fields=["state", "approved_at"])
        audit_log(
            actor=actor,
            action=AuditAction.PLAN_APPROVE,
            case=None,
            role=Role.CITY_ADMIN,
            org=task.org,
            task=task,
            from_state=PlanState.SUBMITTED,
            to_state=PlanState.APPROVED,
            reason=note,
            changes={
                "plan": unit_plan.plan_id,
                "unit": unit_plan.unit.name,
                "adjusted": changes,
                # The city-wide sums with this breakdown approved (附件1 注: 每年 150 / 240).
                "city_check": [check.message for check in plan_check.city_check(unit_plan.plan)],
            },
        )
        _finish(activation)
    return unit_plan


def plan_return(*, actor, task_id: int, reason: str) -> UnitPlan:
    with _locked_task(actor, task_id) as task:
        activation = _act_on(actor, task, PlanFlow.review)
        reason = _reason(reason, _("退回理由"))
        unit_plan = _unit_plan(task)
        unit_plan.return_()
        unit_plan.save(update_fields=["state"])
        audit_log(
            actor=actor,
            action=AuditAction.PLAN_RETURN,
            case=None,
            role=Role.CITY_ADMIN,
            org=task.org,
            task=task,
            from_state=PlanState.SUBMITTED,
            to_state=PlanState.DRAFT,
            reason=reason,
            changes={"plan": unit_plan.plan_id, "unit": unit_plan.unit.name},
        )
        _finish(activation)
    return unit_plan


def plan_table(process: ReportProcess) -> tuple[UnitPlan | None, list[dict]]:
    """The unit's breakdown for a plan round: per 类别, its three-year quota and the year cells."""
    unit_plan = UnitPlan.objects.filter(plan=process.plan, unit=process.unit).first()
    if unit_plan is None:
        return None, []
    quotas = dict(Quota.objects.filter(plan=unit_plan.plan, unit=unit_plan.unit).values_list("kind", "total"))
    years = list(unit_plan.years.order_by("kind", "year"))
    table = []
    for kind in (CaseKind.CULTIVATE_MEMBER, CaseKind.CULTIVATE_BACKBONE):
        cells = [y for y in years if y.kind == kind]
        table.append(
            {
                "kind": kind,
                "total": quotas.get(kind, 0),
                "cells": cells,
                "proposed_sum": sum(c.proposed for c in cells),
                "approved_sum": sum(c.approved or 0 for c in cells),
            }
        )
    return unit_plan, table


# --- reading ---------------------------------------------------------------------------


def can_see_unit(user, unit: Organisation) -> bool:
    return any(unit.path.startswith(a.org.path) for a in user_assignments(user))


def report_tasks_for_user(user):
    """Open report tasks the user can do now: queued at an organisation where they hold the
    step's role, or already theirs there."""
    from django.db.models import Exists, OuterRef, Q

    from ..models import RoleAssignment

    owner_still_holds = Exists(
        RoleAssignment.objects.active().filter(user=OuterRef("owner"), org=OuterRef("org"), role=OuterRef("role"))
    )
    mine = Q(pk__in=[])
    for a in user_assignments(user):
        mine |= Q(org_id=a.org_id, role=a.role) & (
            Q(status=STATUS.NEW) | Q(owner=user, status__in=OPEN) | (Q(status__in=OPEN) & ~owner_still_holds)
        )
    return (
        ReportTask.objects.filter(mine)
        .select_related("process", "process__unit", "process__plan", "org", "report")
        .order_by("due_at", "id")
    )


def report_task_for_user(user, task_id: int) -> ReportTask:
    task = (
        ReportTask.objects.select_related("process", "process__unit", "process__plan", "org", "owner")
        .filter(pk=task_id)
        .first()
    )
    if task is None or not task.role or not can_see_task(user, task):
        raise NotInScope(_("未找到该报表任务，或它不在您的管辖范围内。"))
    return task


def report_for_user(user, report_id: int) -> AnnualReport:
    report = AnnualReport.objects.select_related("unit", "submitted_by", "reviewed_by").filter(pk=report_id).first()
    if report is None or not can_see_unit(user, report.unit):
        raise NotInScope(_("未找到该报送版本，或它不在您的管辖范围内。"))
    return report


def annex2_status(user, year: int) -> list[dict]:
    """Per unit in the user's scope: the newest version, the open task and the days to 10 September."""
    units = list(units_for_user(user))
    versions: dict[int, list] = {unit.pk: [] for unit in units}
    for report in AnnualReport.objects.filter(unit__in=units, year=year).order_by("unit_id", "version"):
        versions[report.unit_id].append(report)
    open_tasks = {
        t.process.unit_id: t
        for t in ReportTask.objects.filter(
            process__kind=ReportKind.ANNEX2, process__year=year, process__unit__in=units, status__in=OPEN
        ).select_related("process", "owner", "org")
    }
    due = annex2_due(year)
    today = timezone.localdate()
    rows = []
    for unit in units:
        report = versions[unit.pk][-1] if versions[unit.pk] else None
        standing = annex2_standing(versions[unit.pk], due=due, today=today)
        rows.append(
            {
                "unit": unit,
                "report": report,
                "task": open_tasks.get(unit.pk),
                "due": due,
                "days_left": (due - today).days,
                # 逾期未报 and 逾期报送, as the dashboard says them (workflows/deadlines.py).
                "overdue": standing.overdue,
                "late": standing.late,
                "accepted": report is not None and report.state == ReportState.ACCEPTED,
            }
        )
    return rows

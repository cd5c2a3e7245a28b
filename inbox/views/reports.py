"""年度报表: the unit's 附件2 and 附件1 breakdown rounds, their tasks and frozen versions."""

import re
from contextlib import contextmanager

from django.contrib.auth.decorators import login_required
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from forms.cases import first_error
from forms.reports import (
    PlanApproveForm,
    PlanReturnForm,
    PlanSubmitForm,
    ReportAcceptForm,
    ReportCorrectForm,
    ReportReturnForm,
    ReportSubmitForm,
)
from workflows.errors import GuardError, NotInScope
from workflows.flows import AnnualReportFlow, PlanFlow
from workflows.models import AnnualReport, ReportKind
from workflows.selectors import user_holds
from workflows.services import reports as svc

from .common import done, file_response, guarded, post_only


def _year(request) -> int:
    raw = request.GET.get("year") or request.POST.get("year") or str(timezone.localdate().year)
    if not re.fullmatch(r"20[0-9]{2}", raw):
        raise GuardError(_("年度须为 2000—2099 之间的四位数字，例如 2026。"))
    return int(raw)


def _reports_context(request, year: int) -> dict:
    rows = svc.annex2_status(request.user, year)
    this_year = timezone.localdate().year
    return {
        "year": year,
        "years": list(range(this_year, this_year - 4, -1)),
        "rows": rows,
        "tasks": svc.report_tasks_for_user(request.user),
        "late_count": sum(r["overdue"] for r in rows),
        "can_correct": {
            r["unit"].pk for r in rows if r["accepted"] and user_holds(request.user, "reviewer", r["unit"])
        },
    }


@login_required
@guarded
def reports_page(request):
    return TemplateResponse(request, "inbox/reports.html", _reports_context(request, _year(request)))


def _plan_cells(table, form, is_prepare: bool) -> None:
    """Each year cell's value in the form: as typed after a refusal, else the number on file."""
    typed = form.data if form is not None and form.is_bound else {}
    for row in table:
        for cell in row["cells"]:
            name = f"{cell.year}_{cell.kind}"
            on_file = cell.proposed if is_prepare or cell.approved is None else cell.approved
            cell.value = typed.get(name, on_file)


def _task_context(request, task, **forms) -> dict:
    process = task.process
    context = {
        "task": task,
        "process": process,
        "can_act": task.is_open and user_holds(request.user, task.role, task.org),
    }
    if process.kind == ReportKind.ANNEX2:
        versions = svc.process_versions(process.unit, process.year)
        context.update(
            versions=versions,
            is_prepare=task.flow_task == AnnualReportFlow.prepare,
            live_rows=svc.snapshot_rows(process.unit, process.year),
            needs_reason=bool(versions),
            # The city's last word, shown only while that version is the newest.
            last_returned=versions[0] if versions and versions[0].state == "returned" else None,
            submit_form=forms.get("submit_form") or ReportSubmitForm(initial={"reason": process.reason}),
            accept_form=forms.get("accept_form") or ReportAcceptForm(),
            return_form=forms.get("return_form") or ReportReturnForm(),
        )
        if task.report_id:
            context["report"] = task.report
            previous = next((v for v in versions if v.version < task.report.version and v.state != "returned"), None)
            context["diff"] = _diff(previous, task.report) if previous else None
    else:
        unit_plan, table = svc.plan_table(process)
        is_prepare = task.flow_task == PlanFlow.prepare
        _plan_cells(table, forms.get("plan_form"), is_prepare)
        context.update(
            is_prepare=is_prepare,
            unit_plan=unit_plan,
            plan_table=table,
            years=process.plan.years if process.plan_id else [],
            plan_form=forms.get("plan_form") or PlanApproveForm(),
            plan_return_form=forms.get("plan_return_form") or PlanReturnForm(),
            # Before the city decides: the city-wide sums per year with this breakdown as shown.
            city_check=_city_check(request.user, process, table) if not is_prepare and process.plan_id else [],
        )
    return context


def _city_check(user, process, table) -> list:
    """The city-wide check (workflows/plan_check.py) for a city reader, counting this unit by the
    numbers in the form (as typed after a refusal): the sums the approval would give."""
    from workflows import plan_check
    from workflows.services.quotas import visible_unit_ids

    if visible_unit_ids(user) is not None:
        return []  # a unit's people see their own numbers, not the city's sums
    typed = {}
    for row in table:
        for cell in row["cells"]:
            value = str(cell.value).strip()
            if re.fullmatch(r"[0-9]{1,5}", value):
                typed[(cell.year, cell.kind)] = int(value)
    return plan_check.city_check(process.plan, overrides={process.unit_id: typed})


@login_required
@guarded
def report_task_page(request, task_id: int):
    task = svc.report_task_for_user(request.user, task_id)
    return TemplateResponse(request, "inbox/report_task.html", _task_context(request, task))


def _diff(before: AnnualReport, after: AnnualReport) -> dict:
    """Rows added and removed between two versions, by name and birth month."""

    def key(row):
        return (row["name"], row["birth_month"], row["kind"])

    old, new = {key(r) for r in before.rows}, {key(r) for r in after.rows}
    return {"version": before.version, "added": sorted(new - old), "removed": sorted(old - new)}


class _Refused(Exception):
    """A refusal answered with the page again: the message, a 4xx and what was typed."""

    def __init__(self, response):
        self.response = response


def _task_refusal(request, task_id: int, message: str, status: int = 400, **forms):
    task = svc.report_task_for_user(request.user, task_id)
    context = _task_context(request, task, **forms)
    context["error"] = message
    return TemplateResponse(request, "inbox/report_task.html", context, status=status)


def _valid(request, task_id: int, key: str, form):
    """The form's data, or the task page again with its first error and the form as typed."""
    if not form.is_valid():
        raise _Refused(_task_refusal(request, task_id, first_error(form), **{key: form}))
    return form.cleaned_data


@contextmanager
def _keeping(request, task_id: int, key: str, form):
    """A service's refusal (not a 404: that page says nothing more) keeps what was typed."""
    try:
        yield
    except GuardError as error:
        if error.status == 404:
            raise
        raise _Refused(_task_refusal(request, task_id, error.message, status=error.status, **{key: form})) from error


def _plan_cells_of(task):
    _unit_plan, table = svc.plan_table(task.process)
    return [cell for row in table for cell in row["cells"]]


@login_required
@guarded
@post_only
def report_task_act(request, task_id: int):
    user = request.user
    task = svc.report_task_for_user(user, task_id)
    # A wrong person hears 403/409 before anything about the input.
    svc.report_check_actor(user, task)
    action = request.POST.get("action", "")
    back = reverse("inbox:reports")
    try:
        if task.process.kind == ReportKind.ANNEX2:
            if action == "submit":
                form = ReportSubmitForm(request.POST)
                data = _valid(request, task.pk, "submit_form", form)
                with _keeping(request, task.pk, "submit_form", form):
                    report = svc.report_submit(actor=user, task_id=task.pk, reason=data["reason"])
                return done(request, _("已报送第 %(v)s 版，等待市级审核。") % {"v": report.version}, back)
            if action == "accept":
                form = ReportAcceptForm(request.POST)
                data = _valid(request, task.pk, "accept_form", form)
                with _keeping(request, task.pk, "accept_form", form):
                    report = svc.report_accept(actor=user, task_id=task.pk, note=data["note"])
                return done(
                    request, _("已接收%(unit)s第 %(v)s 版。") % {"unit": report.unit.name, "v": report.version}, back
                )
            if action == "return":
                form = ReportReturnForm(request.POST)
                data = _valid(request, task.pk, "return_form", form)
                with _keeping(request, task.pk, "return_form", form):
                    report = svc.report_return(actor=user, task_id=task.pk, reason=data["reason"])
                return done(request, _("已退回%(unit)s，等待单位修改后重新报送。") % {"unit": report.unit.name}, back)
        else:
            if action in ("plan_submit", "plan_approve"):
                form_class = PlanSubmitForm if action == "plan_submit" else PlanApproveForm
                form = form_class(request.POST, cells=_plan_cells_of(task))
                _valid(request, task.pk, "plan_form", form)
                with _keeping(request, task.pk, "plan_form", form):
                    if action == "plan_submit":
                        svc.plan_submit(actor=user, task_id=task.pk, data=form.numbers())
                    else:
                        svc.plan_approve(
                            actor=user, task_id=task.pk, data=form.numbers(), note=form.cleaned_data["note"]
                        )
                message = _("年度分解已报送，等待市级调整审批。") if action == "plan_submit" else _("年度分解已审批。")
                return done(request, message, back)
            if action == "plan_return":
                form = PlanReturnForm(request.POST)
                data = _valid(request, task.pk, "plan_return_form", form)
                with _keeping(request, task.pk, "plan_return_form", form):
                    svc.plan_return(actor=user, task_id=task.pk, reason=data["reason"])
                return done(request, _("年度分解已退回单位。"), back)
    except _Refused as refused:
        return refused.response
    raise GuardError(_("无法识别的操作，请从页面上的按钮提交。"))


def _reports_refusal(request, message: str, form, status: int = 400):
    """The 年度报表 page again, the 更正 form of that unit open with what was typed."""
    year = form.cleaned_data.get("year") if hasattr(form, "cleaned_data") else None
    context = _reports_context(request, year or timezone.localdate().year)
    context.update(error=message, correct_form=form, correct_unit=form.cleaned_data.get("unit"))
    return TemplateResponse(request, "inbox/reports.html", context, status=status)


@login_required
@guarded
@post_only
def report_correct(request):
    form = ReportCorrectForm(request.POST)
    valid = form.is_valid()
    if "unit" in form.errors:
        raise NotInScope(_("未找到该单位，或它不在您的管辖范围内。"))
    # Who may correct is answered before what was typed.
    unit = svc.report_check_corrector(request.user, form.cleaned_data["unit"])
    if not valid:
        return _reports_refusal(request, first_error(form), form)
    try:
        process = svc.report_correct(
            actor=request.user, unit_id=unit.pk, year=form.cleaned_data["year"], reason=form.cleaned_data["reason"]
        )
    except GuardError as error:
        if error.status == 404:
            raise
        return _reports_refusal(request, error.message, form, status=error.status)
    task = process.reporttask_set.order_by("-id").first()
    return done(request, _("已开启更正，请核对后重新报送。"), reverse("inbox:report_task", args=[task.pk]))


@login_required
@guarded
def report_detail(request, report_id: int):
    report = svc.report_for_user(request.user, report_id)
    versions = svc.process_versions(report.unit, report.year)
    return TemplateResponse(request, "inbox/report_detail.html", {"report": report, "versions": versions})


@login_required
@guarded
def report_download(request, report_id: int, fmt: str):
    from workflows import documents

    report = svc.report_for_user(request.user, report_id)
    rows = svc.report_rows(report)
    if fmt == "pdf":
        filename, mimetype, content = documents.annex2_pdf(
            unit=report.unit, year=report.year, rows=rows, dated=report.dated
        )
    elif fmt == "xlsx":
        filename, mimetype, content = documents.annex2_xlsx(
            unit=report.unit, year=report.year, rows=rows, dated=report.dated
        )
    else:
        raise NotInScope(_("只提供 PDF 和 XLSX 两种格式。"))
    stem, _dot, ext = filename.rpartition(".")
    filename = f"{stem}_第{report.version}版.{ext}"
    return file_response(filename, mimetype, content)

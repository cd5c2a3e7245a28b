"""年度报表: the unit's 附件2 and 附件1 breakdown rounds, their tasks and frozen versions."""

import re

from django.contrib.auth.decorators import login_required
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

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


@login_required
@guarded
def reports_page(request):
    year = _year(request)
    rows = svc.annex2_status(request.user, year)
    this_year = timezone.localdate().year
    return TemplateResponse(
        request,
        "inbox/reports.html",
        {
            "year": year,
            "years": list(range(this_year, this_year - 4, -1)),
            "rows": rows,
            "tasks": svc.report_tasks_for_user(request.user),
            "late_count": sum(r["overdue"] for r in rows),
            "can_correct": {
                r["unit"].pk for r in rows if r["accepted"] and user_holds(request.user, "reviewer", r["unit"])
            },
        },
    )


@login_required
@guarded
def report_task_page(request, task_id: int):
    task = svc.report_task_for_user(request.user, task_id)
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
        )
        if task.report_id:
            context["report"] = task.report
            previous = next((v for v in versions if v.version < task.report.version and v.state != "returned"), None)
            context["diff"] = _diff(previous, task.report) if previous else None
    else:
        unit_plan, table = svc.plan_table(process)
        context.update(
            is_prepare=task.flow_task == PlanFlow.prepare,
            unit_plan=unit_plan,
            plan_table=table,
            years=process.plan.years if process.plan_id else [],
        )
    return TemplateResponse(request, "inbox/report_task.html", context)


def _diff(before: AnnualReport, after: AnnualReport) -> dict:
    """Rows added and removed between two versions, by name and birth month."""

    def key(row):
        return (row["name"], row["birth_month"], row["kind"])

    old, new = {key(r) for r in before.rows}, {key(r) for r in after.rows}
    return {"version": before.version, "added": sorted(new - old), "removed": sorted(old - new)}


@login_required
@guarded
@post_only
def report_task_act(request, task_id: int):
    task = svc.report_task_for_user(request.user, task_id)
    action = request.POST.get("action", "")
    back = reverse("inbox:reports")
    if task.process.kind == ReportKind.ANNEX2:
        if action == "submit":
            report = svc.report_submit(actor=request.user, task_id=task.pk, reason=request.POST.get("reason", ""))
            return done(request, _("已报送第 %(v)s 版，等待市级审核。") % {"v": report.version}, back)
        if action == "accept":
            report = svc.report_accept(actor=request.user, task_id=task.pk, note=request.POST.get("note", ""))
            return done(
                request, _("已接收%(unit)s第 %(v)s 版。") % {"unit": report.unit.name, "v": report.version}, back
            )
        if action == "return":
            report = svc.report_return(actor=request.user, task_id=task.pk, reason=request.POST.get("reason", ""))
            return done(request, _("已退回%(unit)s，等待单位修改后重新报送。") % {"unit": report.unit.name}, back)
    else:
        if action == "plan_submit":
            svc.plan_submit(actor=request.user, task_id=task.pk, data=request.POST)
            return done(request, _("年度分解已报送，等待市级调整审批。"), back)
        if action == "plan_approve":
            svc.plan_approve(actor=request.user, task_id=task.pk, data=request.POST, note=request.POST.get("note", ""))
            return done(request, _("年度分解已审批。"), back)
        if action == "plan_return":
            svc.plan_return(actor=request.user, task_id=task.pk, reason=request.POST.get("reason", ""))
            return done(request, _("年度分解已退回单位。"), back)
    raise GuardError(_("无法识别的操作，请从页面上的按钮提交。"))


@login_required
@guarded
@post_only
def report_correct(request):
    unit_id = request.POST.get("unit", "")
    if not re.fullmatch(r"[0-9]{1,9}", unit_id):
        raise NotInScope(_("未找到该单位，或它不在您的管辖范围内。"))
    process = svc.report_correct(
        actor=request.user, unit_id=int(unit_id), year=_year(request), reason=request.POST.get("reason", "")
    )
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

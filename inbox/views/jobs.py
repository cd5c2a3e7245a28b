"""批量导出: ask for a long export, watch its progress bar, download the ZIP when it is ready."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from workflows.errors import NotInScope
from workflows.jobs import stored_path
from workflows.models import ExportKind, JobStatus
from workflows.services import exports

from .common import guarded, post_only


@login_required
@guarded
def exports_page(request):
    user = request.user
    return TemplateResponse(
        request,
        "inbox/jobs.html",
        {
            "jobs": exports.jobs_for_user(user)[:50],
            "ledger_units": exports.ledger_units(user),
            "can_city": exports.can_export_city(user),
            "years": exports.export_years(),
            "this_year": timezone.localdate().year,
            "kinds": ExportKind,
        },
    )


@login_required
@post_only
@guarded
def export_new(request):
    job = exports.request_export(
        actor=request.user,
        kind=request.POST.get("kind", ""),
        unit_id=request.POST.get("unit") or None,
        year=request.POST.get("year") or None,
    )
    return redirect("inbox:export_job", job_id=job.pk)


@login_required
@guarded
def export_job(request, job_id: int):
    job = exports.job_for_user(request.user, job_id)
    return TemplateResponse(
        request,
        "inbox/job_detail.html",
        {"job": job, "active": job.status in (JobStatus.QUEUED, JobStatus.RUNNING)},
    )


@login_required
@guarded
def export_download(request, job_id: int):
    job = exports.job_for_user(request.user, job_id)
    path = stored_path(job) if job.stored_name else None
    if job.status != JobStatus.DONE or path is None or not path.is_file():
        raise NotInScope(_("该导出文件尚未生成或已被清理，请重新申请导出。"))
    return FileResponse(path.open("rb"), as_attachment=True, filename=job.file_name, content_type="application/zip")

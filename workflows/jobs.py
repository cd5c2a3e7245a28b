"""Background exports, run by ``manage.py db_worker`` (django-tasks with the database backend).

``run_export`` builds one ``ExportJob``'s ZIP: every 附件3 台账 of a unit, or the city's
consolidated 附件2 (PDF and XLSX). The worker runs a task outside any transaction, so each
progress step below is its own short UPDATE that commits at once: the progress page, in
another process, sees ``done`` grow while the job runs.

Several workers on several machines may share the queue: django-tasks-db locks its own row
(``SELECT … FOR UPDATE SKIP LOCKED``) so one enqueued run goes to one worker. Should a job
still run twice (enqueued again by hand, a worker killed after finishing the file), the run
is idempotent: a finished job with its file is skipped, and any other run rewrites the same
stored file atomically (a temporary file renamed over it). ``EXPORTS_ROOT`` must then be a
directory all workers and the web server share.
"""

import logging
import os
import re
import secrets
import tempfile
import zipfile
from pathlib import Path

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from . import documents, selectors
from .errors import GuardError
from .models import Case, ExportJob, ExportKind, JobStatus

logger = logging.getLogger(__name__)

# Characters Windows (where the bureau opens the ZIP) does not allow in a file name.
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def new_stored_name() -> str:
    """A random name for the file on disk: never guessable, never the user's file name."""
    return f"{secrets.token_hex(16)}.zip"


def stored_path(job: ExportJob) -> Path:
    return Path(settings.EXPORTS_ROOT) / job.stored_name


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name).strip() or "_"


def _progress(job: ExportJob, *, done: int, total: int | None = None) -> None:
    """One short UPDATE per step (autocommitted in the worker), so the page sees it mid-run."""
    fields = {"done": done} if total is None else {"done": done, "total": total}
    ExportJob.objects.filter(pk=job.pk).update(**fields)
    job.done = done
    if total is not None:
        job.total = total


def _start(job_id: int) -> ExportJob | None:
    """Mark the job running (progress from zero), unless it is already done with its file."""
    job = ExportJob.objects.select_related("unit").filter(pk=job_id).first()
    if job is None:
        logger.warning("export job %s does not exist; nothing to do", job_id)
        return None
    if job.status == JobStatus.DONE and job.stored_name and stored_path(job).exists():
        logger.info("export job %s is already done; skipping", job_id)
        return None
    # Only the first run picks the stored name; a second run overwrites the same file.
    ExportJob.objects.filter(pk=job.pk, stored_name="").update(stored_name=new_stored_name())
    ExportJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, done=0, error="", finished_at=None)
    job.refresh_from_db()
    return job


def _write_zip(job: ExportJob, build) -> None:
    """Write the ZIP beside its final place, then rename it over the stored file in one step."""
    root = Path(settings.EXPORTS_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=root, prefix=".tmp-", suffix=".zip")
    try:
        with os.fdopen(fd, "wb") as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            build(archive)
        os.chmod(tmp, 0o640)
        os.replace(tmp, stored_path(job))
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _ledgers(job: ExportJob) -> str:
    """Every case of the unit, whatever its state, one 附件3 台账 PDF each."""
    cases = list(Case.objects.filter(unit=job.unit).select_related("teacher").order_by("id"))
    _progress(job, done=0, total=len(cases))

    def build(archive: zipfile.ZipFile) -> None:
        used: set[str] = set()
        for number, case in enumerate(cases, 1):
            _name, _mime, content = documents.ledger_pdf(case)
            entry = f"{number:03d}_{_safe(case.teacher.name)}_类别{case.kind}.pdf"
            while entry in used:  # the number makes it unique already; this is belt and braces
                entry = f"{entry[:-4]}_{case.pk}.pdf"
            used.add(entry)
            archive.writestr(entry, content)
            _progress(job, done=number)
        if not cases:
            archive.writestr(_("说明.txt"), _("该单位暂无培养案例。").encode())

    _write_zip(job, build)
    return _("培养台账_%(unit)s_%(date)s.zip") % {
        "unit": _safe(job.unit.name),
        "date": timezone.localdate().strftime("%Y%m%d"),
    }


def _city_annex2(job: ExportJob) -> str:
    """The city's consolidated 附件2 for the year: the units' rows, then the PDF, then the XLSX."""
    _progress(job, done=0, total=3)
    units = selectors.city_annex2(job.year)
    _progress(job, done=1)
    dated = timezone.localdate()
    pdf_name, _mime, pdf = documents.annex2_city_pdf(year=job.year, units=units, dated=dated)
    _progress(job, done=2)
    xlsx_name, _mime, xlsx = documents.annex2_city_xlsx(year=job.year, units=units, dated=dated)

    def build(archive: zipfile.ZipFile) -> None:
        archive.writestr(_safe(pdf_name), pdf)
        archive.writestr(_safe(xlsx_name), xlsx)

    _write_zip(job, build)
    _progress(job, done=3)
    return _("附件2_全市汇总_%(year)s.zip") % {"year": job.year}


BUILDERS = {ExportKind.LEDGERS: _ledgers, ExportKind.CITY_ANNEX2: _city_annex2}


def failure_message(error: BaseException) -> str:
    detail = error.message if isinstance(error, GuardError) else (str(error) or type(error).__name__)
    return _("生成失败：%(detail)s。请稍后重新申请导出；如仍失败，请联系系统管理员。") % {"detail": detail}


@task()
def run_export(job_id: int) -> str:
    """Build one export job's file (the worker's side of 批量导出). Returns the job's status."""
    with translation.override(settings.LANGUAGE_CODE):
        job = _start(job_id)
        if job is None:
            return "skipped"
        try:
            file_name = BUILDERS[ExportKind(job.kind)](job)
        except Exception as error:
            ExportJob.objects.filter(pk=job.pk).update(
                status=JobStatus.FAILED, error=failure_message(error), finished_at=timezone.now()
            )
            # The worker records the traceback on its task result and logs it.
            raise
        ExportJob.objects.filter(pk=job.pk).update(
            status=JobStatus.DONE, file_name=file_name, done=job.total, finished_at=timezone.now(), error=""
        )
        return JobStatus.DONE.value

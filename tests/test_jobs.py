"""批量导出: a county reviewer asks for all the county's 台账, a worker builds the ZIP, she downloads it.

The worker is django-tasks-db's own ``db_worker`` command, run in-process in batch mode. The
test's transaction stays open around it, so two things differ from production: the
``on_commit`` enqueue is run by ``django_capture_on_commit_callbacks``, and the worker's
``close_old_connections`` is neutralised (with autocommit off inside the test it would drop
the connection, which is why Django's own test client unhooks it from its request signals).
On PostgreSQL one more test runs committed, with a real second connection watching.
"""

import io
import signal
import zipfile

import openpyxl
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader

from tests.factories import make_teacher
from tests.training import lifecycle_tasks
from workflows import documents
from workflows.errors import NotInScope, NotPermitted
from workflows.jobs import stored_path
from workflows.models import Annex2Row, ExportJob, JobStatus, PartyStatus
from workflows.services import cases as svc
from workflows.services.exports import request_export

FAKE_PDF = ("x.pdf", "application/pdf", b"%PDF-1.4\n%%EOF\n")


def run_worker():
    """Process every queued task, then return: ``manage.py db_worker --batch`` in-process."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command("db_worker", batch=True, interval=0, startup_delay=False, reload=False, verbosity=0)
    finally:
        for sig, handler in saved.items():  # the worker installs its own shutdown handlers
            signal.signal(sig, handler)


@pytest.fixture(autouse=True)
def _worker_keeps_the_test_connection(monkeypatch):
    from django_tasks_db.management.commands import db_worker

    real = db_worker.close_old_connections

    def close_old_connections():
        if not connection.in_atomic_block:  # a committed (transaction=True) test: the real thing
            real()

    monkeypatch.setattr(db_worker, "close_old_connections", close_old_connections)


def county_cases(w):
    """Three cases of 赫山区教育局 in different states: registered, registered, paired."""
    extra = make_teacher("赵三", w.branch, party_status=PartyStatus.FULL, birth=(1991, 4, 1))
    c1 = svc.case_register(actor=w.officer, teacher_id=w.candidate1.pk, kind="1")
    c2 = svc.case_register(actor=w.officer, teacher_id=w.candidate2.pk, kind="2")
    c3 = svc.case_register(actor=w.officer, teacher_id=extra.pk, kind="2")
    (pair,) = lifecycle_tasks(c3)
    svc.case_pair(actor=w.officer, task_id=pair.pk, mentor_ids=[w.backbone_mentor.pk])
    return [c1, c2, c3]


def ask(client, user, **data):
    client.force_login(user)
    return client.post(reverse("inbox:export_new"), data)


def test_reviewer_exports_all_ledgers_of_her_county(world, client, django_capture_on_commit_callbacks):
    cases = county_cases(world)
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, world.reviewer, kind="ledgers", unit=world.county.pk)
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("inbox:export_job", args=[job.pk])
    assert (job.status, job.kind, job.unit, job.requested_by) == (
        JobStatus.QUEUED,
        "ledgers",
        world.county,
        world.reviewer,
    )
    assert DBTaskResult.objects.filter(pk=job.task_result_id, status="READY").exists()

    page = client.get(reverse("inbox:export_job", args=[job.pk]))
    assert page.status_code == 200
    assert '<meta http-equiv="refresh" content="2">' in page.content.decode()
    assert "排队中" in page.content.decode()

    run_worker()

    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert (job.done, job.total, job.percent) == (3, 3, 100)
    assert job.finished_at is not None and job.error == ""
    assert DBTaskResult.objects.get(pk=job.task_result_id).status == "SUCCESSFUL"
    path = stored_path(job)
    assert path.is_file() and path.parent == settings.EXPORTS_ROOT
    assert job.stored_name not in job.file_name and job.file_name.endswith(".zip")

    page = client.get(reverse("inbox:export_job", args=[job.pk]))
    html = page.content.decode()
    assert '<progress id="job-progress" max="3" value="3"' in html
    assert "已完成 3 / 3" in html
    assert 'http-equiv="refresh"' not in html  # finished: no more refreshing
    assert reverse("inbox:export_download", args=[job.pk]) in html

    download = client.get(reverse("inbox:export_download", args=[job.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    names = archive.namelist()
    assert names == ["001_王骨干_类别1.pdf", "002_李党员_类别2.pdf", "003_赵三_类别2.pdf"]
    for name, case in zip(names, cases, strict=True):
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(archive.read(name))).pages)
        assert case.teacher.name in text

    listing = client.get(reverse("inbox:exports"))
    assert listing.status_code == 200
    assert reverse("inbox:export_job", args=[job.pk]) in listing.content.decode()


def test_city_admin_exports_the_city_annex2_as_pdf_and_xlsx(world, client, django_capture_on_commit_callbacks):
    c1, _c2, _c3 = county_cases(world)
    year = timezone.localdate().year
    Annex2Row.objects.create(case=c1, unit=world.county, name="王骨干", birth_month="1988.07", kind="1", year=year)
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, world.city_admin, kind="city_annex2", year=year)
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert (job.kind, job.unit, job.year, job.status) == ("city_annex2", None, year, JobStatus.QUEUED)

    run_worker()

    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert (job.done, job.total, job.percent) == (3, 3, 100)
    download = client.get(reverse("inbox:export_download", args=[job.pk]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert archive.namelist() == [f"附件2_全市汇总_{year}.pdf", f"附件2_全市汇总_{year}.xlsx"]
    pdf = "".join(p.extract_text() for p in PdfReader(io.BytesIO(archive.read(archive.namelist()[0]))).pages)
    assert "赫山区教育局" in pdf and "王骨干" in pdf
    sheet = openpyxl.load_workbook(io.BytesIO(archive.read(archive.namelist()[1]))).active
    assert "王骨干" in [cell for row in sheet.iter_rows(values_only=True) for cell in row]


def test_the_exports_page_offers_what_each_user_may_export(world, client):
    county_cases(world)
    for user, ledgers, city in (
        (world.city_admin, True, True),
        (world.reviewer, True, False),
        (world.auditor, False, False),
        (world.outsider, False, False),
    ):
        client.force_login(user)
        html = client.get(reverse("inbox:exports")).content.decode()
        assert ('id="export-ledgers"' in html, 'id="export-city"' in html) == (ledgers, city), user
        assert ('id="export-none"' in html) == (not ledgers and not city)


def test_progress_page_while_running_shows_a_bar_and_refreshes(world, client):
    county_cases(world)
    job = ExportJob.objects.create(
        kind="ledgers", unit=world.county, requested_by=world.reviewer, status=JobStatus.RUNNING, done=1, total=3
    )
    client.force_login(world.reviewer)
    html = client.get(reverse("inbox:export_job", args=[job.pk])).content.decode()
    assert '<progress id="job-progress" max="3" value="1"' in html
    assert "已完成 1 / 3" in html
    assert '<meta http-equiv="refresh" content="2">' in html
    assert '<meta name="turbo-visit-control" content="reload">' in html


def test_progress_is_written_after_each_case_while_the_job_runs(world, monkeypatch, django_capture_on_commit_callbacks):
    county_cases(world)
    with django_capture_on_commit_callbacks(execute=True):
        job = request_export(actor=world.reviewer, kind="ledgers", unit_id=world.county.pk)
    seen = []

    def spy(case):
        # A fresh query each time, as the progress page makes.
        seen.append(ExportJob.objects.values_list("status", "done", "total").get(pk=job.pk))
        return FAKE_PDF

    monkeypatch.setattr(documents, "ledger_pdf", spy)
    run_worker()
    assert seen == [("running", 0, 3), ("running", 1, 3), ("running", 2, 3)]
    job.refresh_from_db()
    assert (job.status, job.done, job.percent) == ("done", 3, 100)


def test_other_users_never_see_the_job_or_its_file(world, client, django_capture_on_commit_callbacks):
    county_cases(world)
    with django_capture_on_commit_callbacks(execute=True):
        job = request_export(actor=world.reviewer, kind="ledgers", unit_id=world.county.pk)
    run_worker()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    for user in (world.other_reviewer, world.outsider, world.officer, world.city_admin):
        client.force_login(user)
        assert client.get(reverse("inbox:export_job", args=[job.pk])).status_code == 404
        assert client.get(reverse("inbox:export_download", args=[job.pk])).status_code == 404
        listing = client.get(reverse("inbox:exports"))
        assert reverse("inbox:export_job", args=[job.pk]) not in listing.content.decode()
    client.logout()
    assert client.get(reverse("inbox:export_download", args=[job.pk])).status_code == 302  # to the login page


def test_who_may_ask_for_which_export(world, client):
    county_cases(world)
    # Outside her county, or not a unit at all: as if it did not exist.
    with pytest.raises(NotInScope):
        request_export(actor=world.other_reviewer, kind="ledgers", unit_id=world.county.pk)
    with pytest.raises(NotInScope):
        request_export(actor=world.officer, kind="ledgers", unit_id=world.county.pk)  # a school officer
    # In scope, but read-only.
    with pytest.raises(NotPermitted):
        request_export(actor=world.auditor, kind="ledgers", unit_id=world.county.pk)
    from workflows.models import AuditEvent

    assert not AuditEvent.objects.filter(action="export").exists()  # refusals leave no trace
    # The city may export any unit's ledgers; the request is in the audit trail.
    job = request_export(actor=world.city_admin, kind="ledgers", unit_id=world.county.pk)
    assert job.unit == world.county
    event = AuditEvent.objects.get(action="export")
    assert (event.actor, event.org, event.changes["job"]) == (world.city_admin, world.county, job.pk)
    ExportJob.objects.all().delete()

    for user in (world.reviewer, world.direct_reviewer, world.outsider):
        response = ask(client, user, kind="city_annex2", year=2026)
        assert response.status_code == 403
        assert "市委教育工委" in response.content.decode()
    assert not ExportJob.objects.exists()
    assert not DBTaskResult.objects.exists()

    response = ask(client, world.other_reviewer, kind="ledgers", unit=world.county.pk)
    assert response.status_code == 404
    assert not ExportJob.objects.exists()
    assert client.get(reverse("inbox:export_new")).status_code == 405


def test_a_failing_export_ends_failed_with_a_chinese_message(
    world, client, monkeypatch, django_capture_on_commit_callbacks
):
    county_cases(world)
    with django_capture_on_commit_callbacks(execute=True):
        job = request_export(actor=world.reviewer, kind="ledgers", unit_id=world.county.pk)
    calls = []

    def broken(case):
        calls.append(case.pk)
        if len(calls) == 2:
            raise RuntimeError("字体文件缺失")
        return FAKE_PDF

    monkeypatch.setattr(documents, "ledger_pdf", broken)
    run_worker()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error.startswith("生成失败：字体文件缺失")
    assert job.done == 1 and job.finished_at is not None
    assert DBTaskResult.objects.get(pk=job.task_result_id).status == "FAILED"
    assert not list(settings.EXPORTS_ROOT.glob("*"))  # no half-written file left behind

    client.force_login(world.reviewer)
    html = client.get(reverse("inbox:export_job", args=[job.pk])).content.decode()
    assert "生成失败：字体文件缺失" in html
    assert 'http-equiv="refresh"' not in html
    assert client.get(reverse("inbox:export_download", args=[job.pk])).status_code == 404


def test_running_a_job_twice_is_harmless(world, monkeypatch, django_capture_on_commit_callbacks):
    from workflows.jobs import run_export

    county_cases(world)
    with django_capture_on_commit_callbacks(execute=True):
        job = request_export(actor=world.reviewer, kind="ledgers", unit_id=world.county.pk)
    monkeypatch.setattr(documents, "ledger_pdf", lambda case: FAKE_PDF)
    run_worker()
    job.refresh_from_db()
    first = stored_path(job).read_bytes()
    # Enqueued again (by hand, say): the finished job is skipped and its file kept.
    run_export.enqueue(job.pk)
    run_worker()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and stored_path(job).read_bytes() == first
    # Its file lost: a second run rebuilds it under the same stored name.
    stored = job.stored_name
    stored_path(job).unlink()
    run_export.enqueue(job.pk)
    run_worker()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.stored_name == stored and stored_path(job).is_file()
    assert list(settings.EXPORTS_ROOT.glob("*")) == [stored_path(job)]


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="committed data needs a TRUNCATE teardown flush (SQLite's DELETE is refused by the audit triggers)",
)
@pytest.mark.django_db(transaction=True)
def test_another_connection_sees_progress_while_the_worker_runs(world, monkeypatch):
    """No test transaction: the enqueue runs on commit and the progress page's connection is a real other one."""
    county_cases(world)
    job = request_export(actor=world.reviewer, kind="ledgers", unit_id=world.county.pk)
    assert DBTaskResult.objects.filter(pk=job.task_result_id, status="READY").exists()
    seen = []

    def spy(case):
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT status, done, total FROM workflows_exportjob WHERE id = %s", [job.pk])
                seen.append(cursor.fetchone())
        finally:
            other.close()
        return FAKE_PDF

    monkeypatch.setattr(documents, "ledger_pdf", spy)
    run_worker()
    assert seen == [("running", 0, 3), ("running", 1, 3), ("running", 2, 3)]
    job.refresh_from_db()
    assert job.status == JobStatus.DONE

"""Exports never carry live formulas (issue 9, part 3).

Six trainees are named as an attacker would name them: ``=HYPERLINK(…)`` and names starting
with ``+``, ``-``, ``@``, a tab and a carriage return. Each of them is completed (附件2 rows,
the unit's annual report, the city's table) and another teacher of the same name is in
training (完成情况, 登记造册名册). Then every CSV and XLSX the app writes is read back:

- CSV: the field is the name with a leading ``'`` (OWASP's advice);
- XLSX: the cell holds exactly the name, its type is string (``data_type == 's'``, never a
  formula) and its style is quote-prefixed, so editing it in Excel keeps it text.

Without ``workflows.spreadsheet`` (``test_the_checks_catch_a_bypassed_helper``) every one of
these checks fails: openpyxl stores a ``str`` starting with ``=`` as a formula, and nothing
sets the quote prefix. The scene is built once for the module.
"""

import csv
import importlib.util
import io
import zipfile
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from tests.factories import make_teacher
from tests.helpers import module_media, new_case, one_open, scene_once
from workflows.flows import AnnualReportFlow
from workflows.models import CaseState, ExportJob, ExportKind, PartyStatus, ReportTask
from workflows.services import cases as svc
from workflows.services import reports

YEAR = 2026
NAMES = [
    '=HYPERLINK("http://x","点我")',
    "+SUM(1,2)",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+2",
    "\r=1+2",
]


def build_scene() -> SimpleNamespace:
    from tests.factories import make_world

    w = make_world()
    s = SimpleNamespace(w=w)
    # Completed in 2026: one 附件2 row each (new_case files the case for 2026).
    s.completed = [new_case(w, name, CaseState.COMPLETED) for name in NAMES]
    # The same names once more, as 类别 2 teachers in training: 完成情况 and the roster.
    s.training = []
    for name in NAMES:
        teacher = make_teacher(name, w.branch, party_status=PartyStatus.FULL)
        case = svc.case_register(actor=w.officer, teacher_id=teacher.pk, kind="2")
        svc.case_pair(actor=w.officer, task_id=one_open(case).pk, mentor_ids=[w.backbone_mentor.pk])
        task = one_open(case)
        svc.mentor_accept(actor=task.owner, task_id=task.pk)
        s.training.append(case)
    # The county's annual report: a frozen snapshot of its rows.
    process = reports.report_round_open(unit=w.county, year=YEAR)
    task = ReportTask.objects.get(process=process, flow_task=AnnualReportFlow.prepare)
    s.report = reports.report_submit(actor=w.reviewer, task_id=task.pk)
    return s


_built = scene_once(build_scene)


@pytest.fixture
def scene(_built, db, settings):
    module_media(settings, _built)
    return _built


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def got(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- the checks -------------------------------------------------------------------------


def assert_csv_safe(content: bytes, names=NAMES) -> None:
    """Every name is there, as text: one leading quote, the name after it unchanged."""
    fields = [f for row in csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")) for f in row]
    for name in names:
        assert "'" + name in fields, (name, fields)
        assert name not in fields, name  # never bare
    assert not [f for f in fields if f[:1] in ("=", "+", "-", "@", "\t", "\r")], fields


def _as_read_back(name: str) -> str:
    return name.replace("\r", "\n")  # XML normalises a stored CR to LF; the cell is still text


def assert_xlsx_safe(content: bytes, names=NAMES) -> None:
    """Every name is in a cell of string type, quote-prefixed, its value exactly the name; no formula anywhere."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    cells = [cell for ws in book.worksheets for row in ws.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a formula cell"
    for name in names:
        found = [c for c in cells if c.value == _as_read_back(name)]
        assert found, name
        for cell in found:
            assert cell.data_type == "s", (name, cell.data_type)
            assert cell.quotePrefix, (name, cell.coordinate)


# --- every CSV and XLSX the app writes --------------------------------------------------


def test_annex2_csv(scene):
    w = scene.w
    assert_csv_safe(got(client_of(w.reviewer), f"/inbox/annex2/download/csv/?unit={w.county.pk}&year={YEAR}"))


def test_annex2_xlsx(scene):
    w = scene.w
    assert_xlsx_safe(got(client_of(w.reviewer), f"/inbox/annex2/download/xlsx/?unit={w.county.pk}&year={YEAR}"))


def test_city_annex2_xlsx(scene):
    assert_xlsx_safe(got(client_of(scene.w.city_admin), f"/inbox/annex2/city/xlsx/?year={YEAR}"))


def test_report_snapshot_xlsx(scene):
    assert len(scene.report.rows) == len(NAMES)
    assert_xlsx_safe(got(client_of(scene.w.reviewer), f"/inbox/reports/{scene.report.pk}/xlsx/"))


def test_completeness_xlsx(scene):
    assert_xlsx_safe(got(client_of(scene.w.reviewer), "/inbox/completeness/download/"))


def test_roster_xlsx(scene):
    w = scene.w
    client = client_of(w.reviewer)
    assert_xlsx_safe(got(client, f"/inbox/roster/download/xlsx/?org={w.county.pk}"))
    assert_xlsx_safe(got(client, f"/inbox/roster/download/xlsx/?org={w.school.pk}&closed=1"))


def test_bulk_city_annex2_job(scene):
    """批量导出: the worker's ZIP holds the city's 附件2 XLSX, written through the same helper."""
    from workflows.jobs import run_export

    w = scene.w
    job = ExportJob.objects.create(kind=ExportKind.CITY_ANNEX2, year=YEAR, requested_by=w.city_admin)
    run_export.call(job.pk)
    job.refresh_from_db()
    assert job.status == "done", job.error
    archive = zipfile.ZipFile(io.BytesIO(got(client_of(w.city_admin), f"/inbox/exports/{job.pk}/download/")))
    (xlsx,) = [n for n in archive.namelist() if n.endswith(".xlsx")]
    assert_xlsx_safe(archive.read(xlsx))


def test_export_annex2_command(scene, tmp_path):
    for fmt, check in (("csv", assert_csv_safe), ("xlsx", assert_xlsx_safe)):
        out = tmp_path / f"annex2.{fmt}"
        call_command("export_annex2", unit="赫山区教育局", year=YEAR, fmt=fmt, output=str(out), stdout=io.StringIO())
        check(out.read_bytes())
    out = tmp_path / "city.xlsx"
    call_command("export_annex2", city=True, year=YEAR, fmt="xlsx", output=str(out), stdout=io.StringIO())
    assert_xlsx_safe(out.read_bytes())


def _quota_sample_module():
    path = Path(settings.BASE_DIR) / "scripts" / "make_quota_sample.py"
    spec = importlib.util.spec_from_file_location("make_quota_sample", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quota_sample_writers(tmp_path, monkeypatch):
    """附件1's sample writers: a unit named like a formula is written as text in both files."""
    sample = _quota_sample_module()
    monkeypatch.setattr(sample, "LEFT", [*sample.LEFT, *[(name, 1, 2) for name in NAMES]])
    sample.write_csv(tmp_path / "q.csv")
    sample.write_xlsx(tmp_path / "q.xlsx")
    assert_csv_safe((tmp_path / "q.csv").read_bytes())
    assert_xlsx_safe((tmp_path / "q.xlsx").read_bytes())
    # Numbers stay numbers.
    sheet = openpyxl.load_workbook(tmp_path / "q.xlsx").active
    assert sheet["B4"].value == 60 and sheet["B4"].data_type == "n"


def test_numbers_and_dates_stay_numbers_and_dates(scene):
    w = scene.w
    book = openpyxl.load_workbook(
        io.BytesIO(got(client_of(w.reviewer), f"/inbox/roster/download/xlsx/?org={w.county.pk}"))
    )
    rows = [r for r in book.active.iter_rows() if isinstance(r[0].value, int)]
    assert rows and all(r[0].data_type == "n" for r in rows)
    assert all(r[8].is_date for r in rows)  # 登记日期
    annex2 = openpyxl.load_workbook(
        io.BytesIO(got(client_of(w.reviewer), f"/inbox/annex2/download/xlsx/?unit={w.county.pk}&year={YEAR}"))
    ).active
    years = [r[4].value for r in annex2.iter_rows() if isinstance(r[0].value, int)]
    assert years == [YEAR] * len(NAMES)


# --- the checks themselves can fail ---------------------------------------------------------


def test_the_checks_catch_a_bypassed_helper(scene, monkeypatch):
    """With the helper made a no-op, the same exports fail the same checks."""
    from workflows import spreadsheet

    w = scene.w
    monkeypatch.setattr(spreadsheet, "csv_cell", lambda value: value)
    monkeypatch.setattr(spreadsheet, "protect_cell", lambda cell: None)
    client = client_of(w.reviewer)
    with pytest.raises(AssertionError):
        assert_csv_safe(got(client, f"/inbox/annex2/download/csv/?unit={w.county.pk}&year={YEAR}"))
    for url in (
        f"/inbox/annex2/download/xlsx/?unit={w.county.pk}&year={YEAR}",
        "/inbox/completeness/download/",
        f"/inbox/roster/download/xlsx/?org={w.county.pk}",
    ):
        with pytest.raises(AssertionError):
            assert_xlsx_safe(got(client, url))
    for name in NAMES[1:]:  # not "=": openpyxl already types these as strings, only the prefix is missing
        with pytest.raises(AssertionError):
            assert_xlsx_safe(got(client, "/inbox/completeness/download/"), names=[name])

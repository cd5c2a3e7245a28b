"""Every workbook the app writes prints: units print the XLSX files and stamp them.

Each download is converted to PDF by LibreOffice (``soffice --headless``, as Excel or WPS
would print it; Debian's ``libreoffice-calc-nogui``, installed by scripts/test.sh) in one run,
and page 1 of each PDF must be A4 and carry the title and every column header, so nothing
is cut off or runs onto a second page sideways.
"""

import shutil
import subprocess
from io import BytesIO

import pytest
from pypdf import PdfReader

from tests.factories import make_world
from tests.helpers import new_case, scene_once
from workflows.documents import ANNEX2_CITY_TITLE, ANNEX2_HEADER, ANNEX2_TITLE
from workflows.roster import ROSTER_HEADER, ROSTER_TITLE
from workflows.services.people_import import COLUMNS
from workflows.trail_export import TRAIL_HEADER, TRAIL_TITLE

A4 = (595.3, 841.9)


def build():
    w = make_world()
    done = new_case(w, "钟完成", "completed")
    new_case(w, "一位名字特别长需要折行显示的培养对象老师", "training")
    return type("Scene", (), {"w": w, "case": done})


scene = scene_once(build)


def _downloads(client, s):
    """(name, bytes, title, headers) of every XLSX the app offers, as the people who download them."""
    w = s.w
    year = s.case.annex2_row.year
    client.force_login(w.reviewer)
    yield (
        "annex2",
        client.get(f"/inbox/annex2/download/xlsx/?unit={w.county.pk}&year={year}"),
        ANNEX2_TITLE,
        ANNEX2_HEADER,
    )
    yield "roster", client.get(f"/inbox/roster/download/xlsx/?org={w.school.pk}&closed=1"), ROSTER_TITLE, ROSTER_HEADER
    yield (
        "completeness",
        client.get(f"/inbox/completeness/download/?org={w.school.pk}"),
        "“双培”培养完成情况",
        ["序号", "姓名", "“双培”类别", "学校（单位）", "阶段", "典型案例", "论文", "培养记录"],
    )
    yield "trail", client.get(f"/inbox/cases/{s.case.pk}/audit/xlsx/"), TRAIL_TITLE, TRAIL_HEADER
    client.force_login(w.city_admin)
    yield "city", client.get(f"/inbox/annex2/city/xlsx/?year={year}"), ANNEX2_CITY_TITLE, ANNEX2_HEADER
    first_sheet = next(iter(COLUMNS.values()))
    yield "people", client.get("/inbox/people/import/template.xlsx"), None, list(first_sheet.values())
    # Issue 12's workbooks: their header rows are read from the file's own 打印标题行.
    yield "assessment", client.get(f"/inbox/dashboard/assessment.xlsx?year={year}"), None, None
    client.force_login(w.reviewer)
    yield "files", client.get("/inbox/files.xlsx"), "党员教师业务档案建档情况表", None
    yield "coverage", client.get("/inbox/demo-posts/coverage.xlsx"), "党员示范岗学科覆盖情况表", None


@pytest.fixture(scope="module")
def printed(scene, django_db_blocker, tmp_path_factory):
    from django.test import Client

    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice (libreoffice-calc-nogui) must be installed: scripts/test.sh installs it"
    folder = tmp_path_factory.mktemp("print")
    expected = {}
    with django_db_blocker.unblock():
        client = Client()
        for name, response, title, headers in _downloads(client, scene):
            assert response.status_code == 200, (name, response.status_code)
            (folder / f"{name}.xlsx").write_bytes(response.content)
            expected[name] = (title, headers if headers is not None else _print_title_cells(response.content))
    (folder / "city_long.xlsx").write_bytes(_city_long())
    expected["city_long"] = (ANNEX2_CITY_TITLE, ANNEX2_HEADER)
    subprocess.run(
        [
            soffice,
            "--headless",
            f"-env:UserInstallation=file://{folder}/profile",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            *sorted(str(p) for p in folder.glob("*.xlsx")),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    return {name: (PdfReader(BytesIO((folder / f"{name}.pdf").read_bytes())), *expected[name]) for name in expected}


@pytest.mark.parametrize(
    "name", ["annex2", "roster", "completeness", "trail", "city", "people", "assessment", "files", "coverage"]
)
def test_page_one_is_a4_with_the_title_and_every_column_header(printed, name):
    reader, title, headers = printed[name]
    page = reader.pages[0]
    size = sorted((round(float(page.mediabox.width), 1), round(float(page.mediabox.height), 1)))
    assert size == pytest.approx(sorted(A4), abs=2), size
    text = "".join(page.extract_text().split())
    if title:
        assert "".join(title.split()) in text, (name, title, text[:300])
    missing = [h for h in headers if "".join(h.split()) not in text]
    assert not missing, (name, missing, text[:400])


def test_wide_tables_print_landscape_and_narrow_ones_portrait(printed):
    def landscape(name):
        page = printed[name][0].pages[0]
        return float(page.mediabox.width) > float(page.mediabox.height)

    assert landscape("roster") and landscape("trail")
    assert not landscape("annex2") and not landscape("city")


def test_the_header_row_repeats_on_every_page_of_a_long_table(printed):
    reader, _title, headers = printed["city_long"]
    assert len(reader.pages) >= 3
    for number, page in enumerate(reader.pages[:-1], 1):  # the last page may hold only the notes
        text = "".join(page.extract_text().split())
        missing = [h for h in headers if "".join(h.split()) not in text]
        assert not missing, (number, missing)
    assert "第1页，共" in "".join(reader.pages[0].extract_text().split())


def _print_title_cells(content: bytes) -> list[str]:
    """The texts of the rows a workbook repeats on every page (its 打印标题行): there must be some."""
    from openpyxl import load_workbook

    ws = load_workbook(BytesIO(content)).active
    assert ws.print_title_rows, "the workbook must set the header rows it repeats on each page"
    first, last = (int(n) for n in ws.print_title_rows.replace("$", "").split(":"))
    cells = [c.value for row in ws.iter_rows(min_row=first, max_row=last) for c in row]
    return [str(v) for v in cells if v not in (None, "")]


def _city_long() -> bytes:
    """The city's table of 19 units with 12 names each: several pages."""
    from workflows.documents import annex2_city_xlsx
    from workflows.models import Annex2Row, Organisation

    units = [
        (
            Organisation(name=f"第{u}单位教育局"),
            [Annex2Row(name=f"教师{u}-{n}", birth_month="1988.07", kind=str(1 + n % 2), year=2026) for n in range(12)],
        )
        for u in range(1, 20)
    ]
    return annex2_city_xlsx(year=2026, units=units)[2]

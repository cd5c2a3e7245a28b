"""附件1: importing the three-year quota table (service, command and the 三年计划 page)."""

import csv
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from tests.flow_client import client_for
from tests.helpers import alert_text
from workflows.errors import GuardError, NotPermitted
from workflows.management.commands.seed_demo import UNITS
from workflows.models import (
    AuditEvent,
    Organisation,
    PlanState,
    Quota,
    QuotaPlan,
    QuotaYear,
    UnitPlan,
)
from workflows.services.quotas import import_quota, parse_quota_table, plan_totals

SAMPLES = Path(__file__).resolve().parent.parent / "docs" / "samples"
STEM = "附件1_三年实施计划指导性任务表_2019-2021"
XLSX = SAMPLES / f"{STEM}.xlsx"
CSV = SAMPLES / f"{STEM}.csv"
THE_80 = "右栏“党员教师培养成教学骨干数”合计写作 80，按第 4—15 行计算为 90"


@pytest.fixture
def units(world):
    """The 19 first-level units of 附件1 (the world already has three of them)."""
    for order, (name, kind) in enumerate(UNITS, start=1):
        org = Organisation.objects.filter(name=name, kind=kind).first()
        if org is None:
            org = Organisation.objects.create(name=name, kind=kind, parent=world.city)
        org.sort_order = order
        org.save()
    return world


def sample_rows() -> list[list[str]]:
    return [row for row in csv.reader(io.StringIO(CSV.read_bytes().decode("utf-8-sig")))]


def as_csv(rows, encoding="utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def as_xlsx(rows) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append([int(v) if v.lstrip("-").isdigit() else (v or None) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def bad_rows() -> list[list[str]]:
    """The sample with four kinds of mistakes, each in a known cell."""
    rows = sample_rows()
    rows[4][0] = "桃江教育局"  # row 5, A: unknown unit, close to 桃江县教育局
    rows[5][1] = "十"  # row 6, B: not a whole number
    rows[7][2] = "-3"  # row 8, C: negative
    rows[11][4] = "湖南城市学院"  # row 12, E: already on row 4
    rows[13][4] = "火星大学"  # row 14, E: unknown, nothing close
    return rows


def nothing_imported():
    assert QuotaPlan.objects.count() == 0 and Quota.objects.count() == 0
    assert UnitPlan.objects.count() == 0 and QuotaYear.objects.count() == 0
    assert not AuditEvent.objects.filter(action="quota_import").exists()


# --- the samples -----------------------------------------------------------------------


@pytest.mark.parametrize("path", [XLSX, CSV], ids=["xlsx", "csv"])
def test_the_sample_imports_cleanly_and_the_stated_80_is_flagged(units, path):
    w = units
    parsed = parse_quota_table(path.read_bytes(), path.name)
    assert parsed.errors == []
    assert [b.label for b in parsed.blocks] == ["左栏", "右栏"]
    assert [b.computed for b in parsed.blocks] == [{"1": 380, "2": 640}, {"1": 70, "2": 90}]
    assert parsed.years == (2019, 2021)

    plan = import_quota(actor=w.city_admin, content=path.read_bytes(), filename=path.name)
    assert plan.title == "益阳市教育系统“双培”工程三年实施计划指导性任务表"
    assert (plan.first_year, plan.last_year, plan.source_name, plan.imported_by) == (
        2019,
        2021,
        path.name,
        w.city_admin,
    )
    assert Quota.objects.filter(plan=plan).count() == 19 * 2
    # Computed from the rows: 380 + 70 and 640 + 90 (the stated 合计 would give 640 + 80 = 720).
    assert plan_totals(plan) == {"1": 450, "2": 730}
    heshan = Quota.objects.get(plan=plan, unit=w.county, kind="2")
    assert (heshan.total, heshan.source_row) == (100, 7)
    assert Quota.objects.get(plan=plan, unit__name="科达职业技术学校", kind="1").source_row == 15
    assert set(UnitPlan.objects.filter(plan=plan).values_list("state", flat=True)) == {PlanState.DRAFT}
    assert UnitPlan.objects.filter(plan=plan).count() == 19
    assert QuotaYear.objects.filter(unit_plan__plan=plan).count() == 19 * 3 * 2
    assert set(QuotaYear.objects.values_list("year", flat=True)) == {2019, 2020, 2021}
    assert set(QuotaYear.objects.values_list("proposed", flat=True)) == {0}

    # Only the right block's 类别2 disagrees: stated 80, its rows 4–15 add up to 90.
    (item,) = plan.inconsistencies
    assert (item["block"], item["kind"], item["stated"], item["computed"]) == ("右栏", "2", 80, 90)
    assert item["rows"] == list(range(4, 16)) and item["total_row"] == 16 and item["column"] == "G"
    assert THE_80 in item["message"] and item["message"].startswith("第 16 行 G 列")

    event = AuditEvent.objects.get(action="quota_import")
    assert event.case is None and event.actor == w.city_admin and event.org == w.city and event.role == "city_admin"
    assert event.changes["source_name"] == path.name and event.changes["sha256"] == plan.sha256
    assert event.changes["rows"] == 19
    assert event.changes["totals"] == {"骨干教师培养成共产党员数": 450, "党员教师培养成教学骨干数": 730}
    assert THE_80 in event.changes["inconsistencies"][0]
    assert "合计不一致" in event.changes_text and "450" in event.changes_text


def test_the_same_file_is_not_imported_twice(units):
    content = XLSX.read_bytes()
    import_quota(actor=units.city_admin, content=content, filename=XLSX.name)
    with pytest.raises(GuardError) as refused:
        import_quota(actor=units.city_admin, content=content, filename="copy.xlsx")
    assert "已于" in refused.value.message and "无需重复导入" in refused.value.message
    assert QuotaPlan.objects.count() == 1 and AuditEvent.objects.filter(action="quota_import").count() == 1


def test_a_csv_saved_by_excel_on_chinese_windows_is_read_as_gb18030(units):
    rows = sample_rows()
    plan = import_quota(actor=units.city_admin, content=as_csv(rows, "gb18030"), filename="附件1.csv")
    assert plan_totals(plan) == {"1": 450, "2": 730} and len(plan.inconsistencies) == 1


def test_headings_are_matched_by_their_words_and_spaces_are_ignored(units):
    rows = [
        ["单 位", "党员教师培养成教学骨干数", "骨干教师培养成共产党员数"],
        [" 赫山区教育局 ", "100", "60"],
        ["市一中(益阳师范)", "3", "3"],  # half-width brackets
        ["合  计", "103", "63"],
    ]
    parsed = parse_quota_table(as_csv(rows), "t.csv")
    assert parsed.errors == [] and parsed.inconsistencies == []
    assert {r.unit.name: r.numbers for r in parsed.rows} == {
        "赫山区教育局": {"1": 60, "2": 100},
        "市一中（益阳师范）": {"1": 3, "2": 3},
    }


def test_a_title_with_other_years_is_refused(units):
    rows = sample_rows()
    with pytest.raises(GuardError) as refused:
        import_quota(actor=units.city_admin, content=as_csv(rows), filename="a.csv", first_year=2022, last_year=2024)
    assert "2019—2021" in refused.value.message
    nothing_imported()


# --- bad rows --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_bad_rows_import_nothing_and_every_one_is_named(units, fmt):
    content = as_csv(bad_rows()) if fmt == "csv" else as_xlsx(bad_rows())
    with pytest.raises(GuardError) as refused:
        import_quota(actor=units.city_admin, content=content, filename=f"bad.{fmt}")
    message = refused.value.message
    lines = message.splitlines()
    assert "有 5 处需要修改，未导入任何数据" in lines[0]
    assert len(lines) == 6
    assert lines[1] == "第 5 行 A 列：单位“桃江教育局”不在附件1的单位名单中，是否应为：“桃江县教育局”？"
    assert lines[2].startswith("第 6 行 B 列：“骨干教师培养成共产党员数”填的“十”不是整数")
    assert lines[3].startswith("第 8 行 C 列：“党员教师培养成教学骨干数”不能为负数（填的是 -3）")
    assert lines[4].startswith("第 12 行 E 列：单位“湖南城市学院”重复出现（第 4 行 E 列已填写过）")
    assert lines[5].startswith("第 14 行 E 列：单位“火星大学”不在附件1的单位名单中，请按附件1的单位名称填写")
    nothing_imported()


def test_a_file_without_the_header_or_in_another_format(units):
    with pytest.raises(GuardError) as refused:
        import_quota(
            actor=units.city_admin, content=as_csv([["名称", "数量"], ["赫山区教育局", "3"]]), filename="x.csv"
        )
    assert "没有找到表头“单位”" in refused.value.message
    with pytest.raises(GuardError) as refused:
        import_quota(actor=units.city_admin, content=b"\xd0\xcf\x11\xe0", filename="old.xls")
    assert "另存为" in refused.value.message
    with pytest.raises(GuardError) as refused:
        import_quota(actor=units.city_admin, content=b"not a zip", filename="broken.xlsx")
    assert "无法读取该 XLSX 文件" in refused.value.message
    nothing_imported()


def test_only_a_city_admin_may_import(units):
    for user in (units.reviewer, units.direct_reviewer, units.auditor, units.outsider):
        with pytest.raises(NotPermitted) as refused:
            import_quota(actor=user, content=XLSX.read_bytes(), filename=XLSX.name)
        assert "只有市级管理员" in refused.value.message
    nothing_imported()


# --- the command ------------------------------------------------------------------------


def test_the_command_prints_totals_and_warns_about_the_80(units):
    out = io.StringIO()
    call_command("import_quota", str(XLSX), stdout=out)
    text = out.getvalue()
    assert "左栏（第 3 行表头，7 个单位）：骨干教师培养成共产党员数 380，党员教师培养成教学骨干数 640" in text
    assert "右栏（第 3 行表头，12 个单位）：骨干教师培养成共产党员数 70，党员教师培养成教学骨干数 90" in text
    assert "全部合计：骨干教师培养成共产党员数 450，党员教师培养成教学骨干数 730" in text
    assert "警告：合计不一致" in text and THE_80 in text
    plan = QuotaPlan.objects.get()
    assert plan.imported_by is None and Quota.objects.count() == 38
    event = AuditEvent.objects.get(action="quota_import")
    assert event.role == "system" and event.actor is None and event.org == units.city

    # The same file again: refused, exit non-zero.
    with pytest.raises(CommandError, match="无需重复导入"):
        call_command("import_quota", str(XLSX), stdout=io.StringIO())


def test_the_command_lists_every_bad_row_and_imports_nothing(units, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(as_csv(bad_rows()))
    with pytest.raises(CommandError) as refused:
        call_command("import_quota", str(bad), stdout=io.StringIO())
    for where in ("第 5 行 A 列", "第 6 行 B 列", "第 8 行 C 列", "第 12 行 E 列", "第 14 行 E 列"):
        assert where in str(refused.value)
    nothing_imported()


def test_the_command_acts_as_the_named_user(units, tmp_path):
    with pytest.raises(CommandError, match="只有市级管理员"):
        call_command("import_quota", str(CSV), "--user", units.reviewer.username, stdout=io.StringIO())
    with pytest.raises(CommandError, match="没有用户名"):
        call_command("import_quota", str(CSV), "--user", "nobody", stdout=io.StringIO())
    nothing_imported()
    call_command(
        "import_quota",
        str(CSV),
        "--user",
        "city_admin",
        "--first-year",
        "2019",
        "--last-year",
        "2021",
        stdout=io.StringIO(),
    )
    assert QuotaPlan.objects.get().imported_by == units.city_admin


# --- the page ----------------------------------------------------------------------------


def upload(path_or_bytes, name=None, **fields):
    content = path_or_bytes.read_bytes() if isinstance(path_or_bytes, Path) else path_or_bytes
    name = name or (path_or_bytes.name if isinstance(path_or_bytes, Path) else "file.csv")
    return {"file": SimpleUploadedFile(name, content), "first_year": 2019, "last_year": 2021, **fields}


def test_the_city_admin_imports_on_the_page_and_sees_every_unit(units):
    w = units
    client = client_for(w.city_admin)
    page = client.get("/inbox/plans/")
    assert page.status_code == 200 and 'name="file"' in page.content.decode()
    assert "三年计划" in page.content.decode()  # the menu entry

    bad = client.post("/inbox/plans/", upload(as_csv(bad_rows()), "bad.csv"))
    assert bad.status_code == 400
    assert "第 5 行 A 列" in alert_text(bad) and "第 14 行 E 列" in alert_text(bad)
    nothing_imported()

    response = client.post("/inbox/plans/", upload(XLSX))
    assert response.status_code == 302
    plan = QuotaPlan.objects.get()
    page = client.get("/inbox/plans/").content.decode()
    assert "已导入" in page and "1 处合计与各行之和不一致" in page
    for name, _kind in UNITS:
        assert name in page
    assert f'id="plan-{plan.pk}-inconsistencies"' in page and THE_80 in page
    assert '<td class="sp-num" data-kind="1">450</td>' in page and '<td class="sp-num" data-kind="2">730</td>' in page
    assert "待单位分解" in page
    again = client.post("/inbox/plans/", upload(XLSX))
    assert again.status_code == 400 and "无需重复导入" in alert_text(again)


def test_units_see_only_their_own_rows_and_outsiders_none(units):
    w = units
    import_quota(actor=w.city_admin, content=CSV.read_bytes(), filename=CSV.name)
    page = client_for(w.reviewer).get("/inbox/plans/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-unit="{w.county.pk}"' in html and "赫山区教育局" in html
    assert html.count("data-unit=") == 1
    assert "桃江县教育局" not in html and "安化县教体局" not in html and "湖南城市学院" not in html
    assert '<td class="sp-num" data-kind="1">60</td>' in html and 'name="file"' not in html
    assert "合计写作" not in html

    # A school officer reads their county's rows; a direct unit's reviewer only that unit.
    html = client_for(w.officer).get("/inbox/plans/").content.decode()
    assert html.count("data-unit=") == 1 and f'data-unit="{w.county.pk}"' in html
    html = client_for(w.direct_reviewer).get("/inbox/plans/").content.decode()
    assert html.count("data-unit=") == 1 and f'data-unit="{w.direct.pk}"' in html

    page = client_for(w.outsider).get("/inbox/plans/")
    html = page.content.decode()
    assert page.status_code == 200 and "data-unit=" not in html and "赫山区教育局" not in html
    assert "您没有可查看的三年实施计划" in html


@pytest.mark.parametrize("who", ["reviewer", "officer", "auditor", "outsider"])
def test_a_non_city_user_may_not_upload(units, who):
    response = client_for(getattr(units, who)).post("/inbox/plans/", upload(XLSX))
    assert response.status_code == 403 and "只有市级管理员" in alert_text(response)
    nothing_imported()

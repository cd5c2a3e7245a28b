"""Official documents as PDF: a case's 附件3 台账, a unit's 附件2, the city's consolidated 附件2.

The PDFs are read back with pypdf: their text (whitespace removed, since the layout wraps lines
where it likes), their pages and their embedded fonts.
"""

import datetime
import io
import re
import types

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.factories import make_org, make_teacher
from tests.flow_client import client_for, open_tasks
from workflows import documents
from workflows.documents import annex2_city_pdf, annex2_city_xlsx, annex2_pdf, ledger_pdf
from workflows.models import Annex2Row, AuditEvent, Case, OrgKind, PartyStatus
from workflows.selectors import city_annex2
from workflows.services import cases as svc
from workflows.services import records as record_svc
from workflows.services import training as training_svc

# --- helpers --------------------------------------------------------------------------


def pages_text(pdf: bytes) -> list[str]:
    """Each page's text with every whitespace (line breaks, full-width spaces) removed."""
    return ["".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def all_text(pdf: bytes) -> str:
    return "".join(pages_text(pdf))


def embedded_fonts(pdf: bytes) -> dict[str, set[str]]:
    """BaseFont name → the /FontFile* keys of its descriptor, over every page."""
    found: dict[str, set[str]] = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant["/FontDescriptor"].get_object()
            found.setdefault(str(font["/BaseFont"]), set()).update(
                key for key in ("/FontFile", "/FontFile2", "/FontFile3") if key in descriptor
            )
    return found


def in_training(w, *, kind="1", teacher=None, mentors=None, days_ago=400) -> Case:
    """A case paired with its mentors, all accepted, registered ``days_ago`` days ago."""
    teacher = teacher or (w.candidate1 if kind == "1" else w.candidate2)
    mentors = mentors or [w.member_mentor, w.member_mentor2]
    case = svc.case_register(actor=w.officer, teacher_id=teacher.pk, kind=kind)
    (task,) = open_tasks(case)
    svc.case_pair(actor=w.officer, task_id=task.pk, mentor_ids=[m.pk for m in mentors])
    for task in open_tasks(case):
        svc.mentor_accept(actor=task.owner, task_id=task.pk)
    past = timezone.now() - datetime.timedelta(days=days_ago)
    # Registered and trained long enough ago for back-dated records and the 培养人意见.
    Case.objects.filter(pk=case.pk).update(registered_at=past, training_started_on=past.date())
    case.refresh_from_db()
    return case


def write(mentor, case, days_ago: int, content: str, kind="talk"):
    return record_svc.record_write(
        actor=mentor.user,
        case_id=case.pk,
        date=timezone.localdate() - datetime.timedelta(days=days_ago),
        kind=kind,
        content=content,
    )


def newest_event_id(case) -> int:
    return AuditEvent.objects.filter(case=case).order_by("-id").values_list("id", flat=True).first()


# --- 附件3 台账 --------------------------------------------------------------------------


def test_ledger_shows_the_case_its_records_in_date_order_and_the_opinion(world):
    w = world
    case = in_training(w)
    # Written out of date order; one of them corrected afterwards.
    write(w.member_mentor, case, 10, "记录丙谈入党动机")
    first = write(w.member_mentor2, case, 40, "记录甲听党课")
    write(w.member_mentor, case, 25, "记录乙列席支部大会", kind="branch_meeting")
    record_svc.record_correct(
        actor=w.member_mentor2.user,
        record_id=first.pk,
        date=first.date,
        kind="party_lecture",
        content="记录甲听党课并写心得",
        reason="补充内容",
    )
    training_svc.opinion_write(actor=w.member_mentor.user, case_id=case.pk, text="该同志入党动机端正表现突出")

    name, mime, pdf = ledger_pdf(case)
    assert mime == "application/pdf" and pdf.startswith(b"%PDF") and name.endswith(".pdf") and "王骨干" in name
    text = all_text(pdf)
    assert "附件3" in text and "益阳市教育系统“双培”对象培养台账" in text
    assert "培养人张正式、陈正式职务副校长、教研组长" in text
    assert "培养对象王骨干" in text
    registered = timezone.localtime(case.registered_at)
    assert f"培养建档时间{registered.year}年{registered.month}月{registered.day}日" in text
    assert "（√）骨干教师培养成共产党员（）党员教师培养成教学骨干" in text
    for header in ("序号", "日期", "形式", "培养人", "培养内容及成效", "签名/签名时间"):
        assert header in text
    # Every current record, in date order; the corrected version replaces the first one.
    positions = [text.index(marker) for marker in ("记录甲听党课并写心得", "记录乙列席支部大会", "记录丙谈入党动机")]
    assert positions == sorted(positions)
    assert "记录甲听党课张" not in text and text.count("记录甲") == 1
    assert "列席接收新党员的支部大会" in text and "（第2版）" in text
    # The opinion, signed.
    assert "该同志入党动机端正表现突出" in text
    today = timezone.localdate()
    assert f"培养人（签名）：张正式{today.year}年{today.month}月{today.day}日" in text
    # The footer names the newest audit event of the case (the opinion's).
    assert AuditEvent.objects.filter(pk=newest_event_id(case), action="opinion").exists()
    assert f"依据审计记录截至第{newest_event_id(case)}号事件" in text


def test_ledger_of_a_type2_case_ticks_the_second_box_and_leaves_an_empty_signature(world):
    w = world
    case = in_training(w, kind="2", mentors=[w.backbone_mentor])
    text = all_text(ledger_pdf(case)[2])
    assert "（）骨干教师培养成共产党员（√）党员教师培养成教学骨干" in text
    assert "培养人刘骨干职务学科带头人" in text
    assert "暂无培养记录" in text
    assert "培养人（签名）：＿＿＿＿年月日" in text


def test_ledger_agrees_with_the_audit_log_when_it_is_generated(world):
    w = world
    case = in_training(w)
    write(w.member_mentor, case, 5, "第一次谈话")
    before = newest_event_id(case)
    text = all_text(ledger_pdf(case)[2])
    assert f"截至第{before}号事件" in text and "第二次谈话" not in text

    write(w.member_mentor, case, 1, "第二次谈话")
    after = newest_event_id(case)
    assert after > before
    text = all_text(ledger_pdf(case)[2])
    assert f"截至第{after}号事件" in text and "第二次谈话" in text
    assert re.search(r"生成时间：\d{4}-\d\d-\d\d\d\d:\d\d:\d\d依据审计记录", text)


def test_a_long_ledger_runs_over_pages_with_the_header_and_page_number_on_each(world):
    w = world
    case = in_training(w)
    body = "谈入党动机，端正入党认识，布置学习党章和党的基本知识，要求每周写学习心得并交流体会。" * 2
    for n in range(40):
        write(w.member_mentor, case, 50 - n, f"第{n + 1:02d}条{body}")
    # One record longer than a page continues on the next page, under the repeated header.
    write(w.member_mentor2, case, 5, "长记录开始" + body * 25 + "长记录结束")

    pdf = ledger_pdf(case)[2]
    pages = pages_text(pdf)
    assert len(pages) >= 3
    for number, page in enumerate(pages, 1):
        assert f"—{number}—" in page
        if re.search(r"第\d\d条|长记录|谈入党动机", page):
            assert "培养内容及成效" in page, f"page {number} has records but no header"
    text = "".join(pages)
    markers = [text.index(f"第{n:02d}条") for n in range(1, 41)]
    assert markers == sorted(markers)
    start = next(i for i, page in enumerate(pages) if "长记录开始" in page)
    end = next(i for i, page in enumerate(pages) if "长记录结束" in page)
    assert end > start  # split across pages, not cut off


def test_ledger_embeds_a_cjk_font(world):
    case = in_training(world)
    fonts = embedded_fonts(ledger_pdf(case)[2])
    cjk = {name: files for name, files in fonts.items() if re.search(r"Noto.*CJK", name)}
    assert cjk, fonts
    assert all(files for files in cjk.values()), "every CJK font must be embedded (/FontFile*)"
    # Two faces only (see documents/ledger.html): each more is one more CJK font in the file.
    assert len(fonts) <= 2, fonts


def test_export_ledger_command(world, tmp_path):
    case = in_training(world)
    write(world.member_mentor, case, 3, "命令导出的记录")
    out = tmp_path / "ledger.pdf"
    call_command("export_ledger", str(case.pk), "--output", str(out))
    assert "命令导出的记录" in all_text(out.read_bytes())
    with pytest.raises(CommandError, match="找不到编号为 999999 的培养案例"):
        call_command("export_ledger", "999999", "--output", str(tmp_path / "none.pdf"))
    assert not (tmp_path / "none.pdf").exists()


@pytest.mark.parametrize(
    "who, status",
    [("outsider", 404), ("other_reviewer", 404), ("other_officer", 404)],
)
def test_outsiders_do_not_get_the_ledger(world, who, status):
    case = in_training(world)
    response = client_for(getattr(world, who)).get(f"/inbox/cases/{case.pk}/ledger.pdf")
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html") and "不在您的管辖范围内" in response.content.decode()


def test_the_ledger_link_and_download_for_those_who_see_the_case(world):
    w = world
    case = in_training(w)
    page = client_for(w.officer).get(f"/inbox/cases/{case.pk}/").content.decode()
    assert f'href="/inbox/cases/{case.pk}/ledger.pdf"' in page and "下载台账（PDF）" in page
    for user in (w.officer, w.reviewer, w.auditor, w.member_mentor.user, w.candidate1.user):
        response = client_for(user).get(f"/inbox/cases/{case.pk}/ledger.pdf")
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment; filename*=UTF-8''")
        assert response.content.startswith(b"%PDF")
    anonymous = Client().get(f"/inbox/cases/{case.pk}/ledger.pdf")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="committed data needs a TRUNCATE teardown flush (SQLite's DELETE is refused by the audit triggers)",
)
@pytest.mark.django_db(transaction=True)
def test_a_record_committed_while_the_ledger_reads_is_in_neither_its_rows_nor_its_footer(monkeypatch):
    """Outside any transaction (a request, the worker) the ledger reads one REPEATABLE READ snapshot:
    a record and its audit event committed by another connection half-way through stay out of both."""
    import threading

    from django.db import connections

    from tests.factories import make_world
    from workflows import selectors

    w = make_world()
    case = in_training(w)
    write(w.member_mentor, case, 2, "之前的记录")
    before = newest_event_id(case)
    real = selectors.current_records

    def records_then_someone_writes(case):
        rows = real(case)

        def other_connection():
            try:
                write(w.member_mentor, case, 1, "读取期间提交的记录")
            finally:
                connections.close_all()

        thread = threading.Thread(target=other_connection)
        thread.start()
        thread.join()
        return rows

    monkeypatch.setattr(selectors, "current_records", records_then_someone_writes)
    assert not connection.in_atomic_block
    text = all_text(ledger_pdf(case)[2])
    assert newest_event_id(case) > before  # the other connection did commit
    assert "之前的记录" in text and "读取期间提交的记录" not in text
    assert f"截至第{before}号事件" in text


# --- 附件2 ---------------------------------------------------------------------------


def annex2_row(w, unit, branch, name, kind, year=2026, note="") -> Annex2Row:
    """A 附件2 row as case_file writes it, without driving a whole case through the flow."""
    teacher = make_teacher(name, branch, party_status=PartyStatus.FULL, birth=(1988, 5, 1))
    case = Case.objects.create(
        teacher=teacher, kind=kind, org=branch, unit=unit, scope_path=branch.path, registered_by=w.officer
    )
    return Annex2Row.objects.create(
        case=case,
        unit=unit,
        name=name,
        birth_month=teacher.birth_date.strftime("%Y.%m"),
        kind=kind,
        year=year,
        note=note,
    )


def test_annex2_pdf_lists_type1_first_numbered_with_unit_date_and_notes(db):  # db: the footer reads the 核验码
    unit = types.SimpleNamespace(name="赫山区教育局")
    # A stored snapshot: plain objects, 类别 2 given first.
    rows = [
        types.SimpleNamespace(name="李二号", birth_month="1990.11", kind="2", year=2026, note=""),
        types.SimpleNamespace(name="王一号", birth_month="1988.07", kind="1", year=2026, note="已转正"),
        types.SimpleNamespace(name="张三号", birth_month="1991.02", kind="1", year=2026, note=""),
    ]
    name, mime, pdf = annex2_pdf(unit=unit, year=2026, rows=rows, dated=datetime.date(2026, 9, 8))
    assert (name, mime) == ("附件2_赫山区教育局_2026.pdf", "application/pdf")
    text = all_text(pdf)
    assert text.startswith("附件2益阳市教育系统“双培”工程实施情况汇总表")
    assert "单位名称：赫山区教育局2026年9月8日" in text
    assert "序号姓名出生年月“双培”类别完成年度备注" in text
    assert "1王一号1988.0712026已转正2张三号1991.02120263李二号1990.1122026" in text
    for note in documents.ANNEX2_NOTES:
        assert "".join(note.split()) in text


def test_a_long_annex2_repeats_its_header_on_every_page(db):
    """150 rows here (bench/documents.py times 500)."""
    unit = types.SimpleNamespace(name="赫山区教育局")
    rows = [
        types.SimpleNamespace(
            name=f"教师{n:03d}", birth_month="1988.07", kind="1" if n < 60 else "2", year=2026, note=""
        )
        for n in range(150)
    ]
    pages = pages_text(annex2_pdf(unit=unit, year=2026, rows=rows)[2])
    assert len(pages) >= 5
    for number, page in enumerate(pages, 1):
        assert "序号姓名出生年月“双培”类别完成年度备注" in page and f"—{number}—" in page
    assert "150教师149" in pages[-1] and "20年月日" in pages[0]  # undated: left blank to fill in


def test_city_annex2_lists_every_unit_in_order_in_two_queries(world, django_assert_num_queries):
    w = world
    w.county.sort_order, w.other_county.sort_order, w.direct.sort_order = 2, 1, 3
    for org in (w.county, w.other_county, w.direct):
        org.save()
    annex2_row(w, w.county, w.branch, "赫山乙", "2")
    annex2_row(w, w.county, w.branch, "赫山甲", "1")
    annex2_row(w, w.direct, w.direct_branch, "直属甲", "2")
    annex2_row(w, w.direct, w.direct_branch, "去年的", "1", year=2025)
    with django_assert_num_queries(2):
        units = city_annex2(2026)
    assert [(u.name, [r.name for r in rows]) for u, rows in units] == [
        ("桃江县教育局", []),
        ("赫山区教育局", ["赫山甲", "赫山乙"]),
        ("市一中（益阳师范）", ["直属甲"]),
    ]


def city_world(w):
    annex2_row(w, w.county, w.branch, "赫山乙", "2")
    annex2_row(w, w.county, w.branch, "赫山甲", "1")
    annex2_row(w, w.county, w.branch, "赫山丙", "1", note="优秀")
    annex2_row(w, w.direct, w.direct_branch, "直属甲", "2")
    return city_annex2(2026)


def test_city_pdf_has_each_unit_with_its_counts_rows_and_the_city_totals(world):
    units = city_world(world)
    name, mime, pdf = annex2_city_pdf(year=2026, units=units, dated=datetime.date(2026, 9, 9))
    assert (name, mime) == ("附件2_全市汇总_2026.pdf", "application/pdf")
    text = all_text(pdf)
    assert "益阳市教育系统“双培”工程实施情况汇总表（全市汇总）" in text
    assert "完成年度：20262026年9月9日" in text
    heshan = text.index("赫山区教育局（类别12人，类别21人）")
    taojiang = text.index("桃江县教育局（类别10人，类别20人）")
    direct = text.index("市一中（益阳师范）（类别10人，类别21人）")
    assert heshan < taojiang < direct  # sort_order, then id: the order units were created
    assert "1赫山甲1988.0512026" in text[heshan:taojiang]
    assert "2赫山丙1988.0512026优秀3赫山乙1988.0522026" in text[heshan:taojiang]
    assert "1直属甲1988.0522026" in text[direct:]
    assert "全市合计类别1（骨干教师培养成共产党员）：2人，年度目标不少于150人，未达到年度目标" in text
    assert "全市合计类别2（党员教师培养成教学骨干）：2人，年度目标不少于240人，未达到年度目标" in text
    assert text.index("全市合计") > direct and "注：" in text


def test_city_totals_say_when_the_targets_are_met():
    unit = types.SimpleNamespace(name="某局")
    rows = [types.SimpleNamespace(kind="1")] * 150 + [types.SimpleNamespace(kind="2")] * 239
    lines = documents.city_totals([(unit, rows)])
    assert lines[0].endswith("150 人，年度目标不少于 150 人，达到年度目标")
    assert lines[1].endswith("239 人，年度目标不少于 240 人，未达到年度目标")


def test_city_xlsx_matches_the_rows(world):
    units = city_world(world)
    name, _mime, content = annex2_city_xlsx(year=2026, units=units, dated=datetime.date(2026, 9, 9))
    assert name == "附件2_全市汇总_2026.xlsx"
    values = [list(r[:6]) for r in load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)]
    assert values[0][0] == "附件2" and values[1][0] == "益阳市教育系统“双培”工程实施情况汇总表（全市汇总）"
    assert values[2][0] == "完成年度：2026" and values[2][4] == "2026 年 9 月 9 日"
    assert values[3] == documents.ANNEX2_HEADER
    expected = []
    for unit, rows in units:
        expected.append([documents.unit_heading(unit, rows), None, None, None, None, None])
        ordered = sorted(rows, key=lambda r: r.kind)
        expected += [[n, r.name, r.birth_month, r.kind, r.year, r.note or None] for n, r in enumerate(ordered, 1)]
    expected += [[line, None, None, None, None, None] for line in documents.city_totals(units)]
    assert values[4 : 4 + len(expected)] == expected
    assert values[4][0] == "赫山区教育局（类别1 2 人，类别2 1 人）"
    assert values[5][:2] == [1, "赫山甲"] and values[6][:2] == [2, "赫山丙"] and values[7][:2] == [3, "赫山乙"]


def test_export_annex2_pdf_and_city(world, tmp_path):
    city_world(world)
    out = tmp_path / "unit.pdf"
    call_command("export_annex2", unit="赫山区教育局", year=2026, fmt="pdf", output=str(out))
    text = all_text(out.read_bytes())
    assert "单位名称：赫山区教育局" in text and "1赫山甲" in text and "3赫山乙" in text and "直属甲" not in text

    out = tmp_path / "city.pdf"
    call_command("export_annex2", "--city", "--year", "2026", "--format", "pdf", "--output", str(out))
    text = all_text(out.read_bytes())
    assert "（全市汇总）" in text and "赫山甲" in text and "直属甲" in text
    out = tmp_path / "city.xlsx"
    call_command("export_annex2", "--city", "--year", "2026", "--format", "xlsx", "--output", str(out))
    names = [r[1] for r in load_workbook(out).active.iter_rows(values_only=True)]
    assert {"赫山甲", "赫山乙", "赫山丙", "直属甲"} <= set(names)

    with pytest.raises(CommandError, match="只提供 XLSX 和 PDF"):
        call_command("export_annex2", "--city", "--year", "2026", "--format", "csv", "--output", str(tmp_path / "x"))
    with pytest.raises(CommandError, match="--unit"):
        call_command("export_annex2", "--year", "2026", "--format", "pdf", "--output", str(tmp_path / "x"))
    assert not (tmp_path / "x").exists()


def test_annex2_pdf_download_for_the_unit(world):
    w = world
    city_world(w)
    reviewer = client_for(w.reviewer)
    page = reviewer.get(f"/inbox/annex2/?unit={w.county.pk}&year=2026").content.decode()
    assert "/inbox/annex2/download/pdf/" in page and "/inbox/annex2/city/" not in page
    response = reviewer.get(f"/inbox/annex2/download/pdf/?unit={w.county.pk}&year=2026")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "1赫山甲" in all_text(response.content)
    # Another county's unit is not in scope.
    response = client_for(w.other_reviewer).get(f"/inbox/annex2/download/pdf/?unit={w.county.pk}&year=2026")
    assert response.status_code == 404


@pytest.mark.parametrize(
    "who, status",
    [("outsider", 403), ("other_reviewer", 403), ("reviewer", 403), ("officer", 403), ("auditor", 403)],
)
def test_only_the_city_gets_the_city_table(world, who, status):
    city_world(world)
    for fmt in ("pdf", "xlsx"):
        response = client_for(getattr(world, who)).get(f"/inbox/annex2/city/{fmt}/?year=2026")
        assert response.status_code == status
        assert "市委教育工委" in response.content.decode()


def test_the_city_downloads_the_city_table(world):
    w = world
    city_world(w)
    admin = client_for(w.city_admin)
    page = admin.get(f"/inbox/annex2/?unit={w.county.pk}&year=2026").content.decode()
    assert "/inbox/annex2/city/pdf/?year=2026" in page and "/inbox/annex2/city/xlsx/?year=2026" in page
    response = admin.get("/inbox/annex2/city/pdf/?year=2026")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "直属甲" in all_text(response.content)
    response = admin.get("/inbox/annex2/city/xlsx/?year=2026")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "赫山甲" in [r[1] for r in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)]
    assert admin.get("/inbox/annex2/city/csv/?year=2026").status_code == 404
    assert admin.get("/inbox/annex2/city/pdf/?year=abc").status_code == 400


def test_a_new_unit_without_rows_still_appears_in_the_city_table(world):
    make_org("安化县教育局", OrgKind.COUNTY, world.city)
    text = all_text(annex2_city_pdf(year=2026, units=city_annex2(2026))[2])
    assert "安化县教育局（类别10人，类别20人）" in text and "20年月日" in text

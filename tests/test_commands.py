import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from tests.flow_client import open_tasks
from tests.training import complete_training
from workflows.services import cases as svc


def complete(w, teacher, kind, mentors, year):
    case = svc.case_register(actor=w.officer, teacher_id=teacher.pk, kind=kind)
    (t,) = open_tasks(case)
    svc.case_pair(actor=w.officer, task_id=t.pk, mentor_ids=[m.pk for m in mentors])
    for t in open_tasks(case):
        svc.mentor_accept(actor=t.owner, task_id=t.pk)
    complete_training(case)
    svc.case_submit(actor=w.officer, task_id=open_tasks(case)[0].pk)
    svc.case_approve(actor=w.secretary, task_id=open_tasks(case)[0].pk)
    svc.case_approve(actor=w.reviewer, task_id=open_tasks(case)[0].pk)
    svc.case_file(actor=w.city_admin, task_id=open_tasks(case)[0].pk, year=year)
    return case


def test_export_annex2_orders_type1_first_and_numbers_within_the_unit(world, tmp_path):
    w = world
    # Completed in the order 2, 1: the table still lists 类别 1 first.
    complete(w, w.candidate2, "2", [w.backbone_mentor], 2026)
    complete(w, w.candidate1, "1", [w.member_mentor], 2026)
    out = tmp_path / "a.csv"
    call_command("export_annex2", unit="赫山区教育局", year=2026, fmt="csv", output=str(out))
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows == [
        ["序号", "姓名", "出生年月", "“双培”类别", "完成年度", "备注"],
        ["1", "王骨干", "1988.07", "1", "2026", ""],
        ["2", "李党员", "1990.11", "2", "2026", ""],
    ]
    out_x = tmp_path / "a.xlsx"
    call_command(
        "export_annex2", "--unit", "赫山区教育局", "--year", "2026", "--format", "xlsx", "--output", str(out_x)
    )
    values = [list(r[:6]) for r in load_workbook(out_x).active.iter_rows(values_only=True)]
    assert values[2][0] == "单位名称：赫山区教育局"
    assert [1, "王骨干", "1988.07", "1", 2026, None] in values
    assert values.index([1, "王骨干", "1988.07", "1", 2026, None]) < values.index(
        [2, "李党员", "1990.11", "2", 2026, None]
    )


def test_export_annex2_unknown_unit_names_the_units(world, tmp_path):
    with pytest.raises(CommandError, match="赫山区教育局"):
        call_command("export_annex2", unit="不存在局", year=2026, fmt="csv", output=str(tmp_path / "x.csv"))
    assert not (tmp_path / "x.csv").exists()


def test_audit_trail_prints_events_in_order(world, capsys):
    w = world
    case = complete(w, w.candidate1, "1", [w.member_mentor], 2026)
    call_command("audit_trail", str(case.pk), "--format", "json")
    data = json.loads(capsys.readouterr().out)
    actions = [e["action"] for e in data["events"]]
    assert actions[0] == "register" and actions[-1] == "complete"
    assert [e["id"] for e in data["events"]] == sorted(e["id"] for e in data["events"])
    states = [(e["from_state"], e["to_state"]) for e in data["events"] if e["action"] in ("approve", "complete")]
    assert states == [("branch_review", "unit_review"), ("unit_review", "city_filing"), ("city_filing", "completed")]
    assert data["events"][-1]["changes"]["annex2"]["birth_month"] == "1988.07"

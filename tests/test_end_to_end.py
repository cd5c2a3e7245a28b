"""Both 类别 from 登记造册 to the 附件2 row, through the views, as the real roles."""

import csv
import io

from openpyxl import load_workbook

from tests.flow_client import act, client_for, open_tasks, register, the_open_task
from tests.training import complete_training
from workflows.flows import CaseFlow
from workflows.models import Annex2Row, AuditEvent, CaseState


def test_type1_in_a_county_school_with_return_and_withdraw(world):
    w = world
    case = register(w.officer, w.candidate1, "1")
    assert case.state == CaseState.REGISTERED

    # The officer's queue shows the pairing step; acting on it claims it.
    queue = client_for(w.officer).get("/inbox/queue/")
    assert "指定培养人" in queue.content.decode() and w.candidate1.name in queue.content.decode()
    act(w.officer, the_open_task(case), action="pair", mentors=[w.member_mentor.pk, w.member_mentor2.pk])
    case.refresh_from_db()
    assert case.state == CaseState.PAIRED

    # One acceptance task per mentor, in parallel, each in the mentor's own inbox.
    tasks = open_tasks(case)
    assert {t.owner_id for t in tasks} == {w.member_mentor.user_id, w.member_mentor2.user_id}
    mentor_inbox = client_for(w.member_mentor.user).get("/inbox/").content.decode()
    assert "接受结对" in mentor_inbox
    first, second = tasks
    act(first.owner, first, action="accept")
    case.refresh_from_db()
    assert case.state == CaseState.PAIRED  # still waiting for the second mentor
    act(second.owner, second, action="accept")
    case.refresh_from_db()
    assert case.state == CaseState.TRAINING

    complete_training(case)
    act(w.officer, the_open_task(case), action="submit")
    case.refresh_from_db()
    assert case.state == CaseState.BRANCH_REVIEW

    # 撤回: the officer takes the submission back before the branch has touched it.
    response = client_for(w.officer).post(f"/inbox/cases/{case.pk}/withdraw/", {"reason": "材料不全"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.TRAINING
    resubmit = the_open_task(case)
    assert resubmit.flow_task == CaseFlow.submit and resubmit.owner_id == w.officer.pk
    act(w.officer, resubmit, action="submit")

    branch_task = the_open_task(case)
    assert branch_task.org == w.branch
    act(w.secretary, branch_task, action="approve")
    unit_task = the_open_task(case)
    assert unit_task.org == w.county

    # 退回: the county sends it back to the branch, with a reason.
    act(w.reviewer, unit_task, action="return", reason="谈心谈话记录不足")
    case.refresh_from_db()
    assert case.state == CaseState.BRANCH_REVIEW
    act(w.secretary, the_open_task(case), action="approve")
    act(w.reviewer, the_open_task(case), action="approve")
    city_task = the_open_task(case)
    assert city_task.org == w.city
    act(w.city_admin, city_task, action="file", year="2026", note="已转为预备党员")

    case.refresh_from_db()
    assert case.state == CaseState.COMPLETED
    row = Annex2Row.objects.get(case=case)
    assert (row.unit, row.name, row.birth_month, row.kind, row.year, row.note) == (
        w.county,
        "王骨干",
        "1988.07",
        "1",
        2026,
        "已转为预备党员",
    )
    actions = list(AuditEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions.count("withdraw") == 1 and actions.count("return") == 1
    assert actions[0] == "register" and actions[-1] == "complete"
    assert not open_tasks(case)
    assert case.process.status == "DONE"


def test_type2_in_a_direct_unit_has_no_county_step(world):
    w = world
    member = w.direct_candidate
    member.party_status = "full"
    member.save()
    w.direct_mentor.is_backbone = True
    w.direct_mentor.save()
    case = register(w.direct_officer, member, "2")
    pair = the_open_task(case)
    assert pair.org == w.direct
    act(w.direct_officer, pair, action="pair", mentors=[w.direct_mentor.pk])
    accept = the_open_task(case)
    act(w.direct_mentor.user, accept, action="accept")
    complete_training(case)
    act(w.direct_officer, the_open_task(case), action="submit")
    branch = the_open_task(case)
    assert branch.org == w.direct_branch
    act(w.direct_secretary, branch, action="approve")
    unit = the_open_task(case)
    # The unit review is done by the direct unit itself: no county bureau on the way.
    assert unit.org == w.direct
    visited = {t.org.kind for t in case.tasks.filter(flow_task_type="HUMAN")}
    assert "county" not in visited
    act(w.direct_reviewer, unit, action="approve")
    act(w.city_admin, the_open_task(case), action="file", year="2026")
    row = Annex2Row.objects.get(case=case)
    assert (row.unit, row.kind, row.birth_month) == (w.direct, "2", "1986.01")

    # The unit's annual table, on screen and as files.
    reviewer = client_for(w.direct_reviewer)
    page = reviewer.get(f"/inbox/annex2/?unit={w.direct.pk}&year=2026").content.decode()
    assert "赵老师" in page and "1986.01" in page
    csv_body = reviewer.get(f"/inbox/annex2/download/csv/?unit={w.direct.pk}&year=2026").content.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(csv_body))) == [
        ["序号", "姓名", "出生年月", "“双培”类别", "完成年度", "备注"],
        ["1", "赵老师", "1986.01", "2", "2026", ""],
    ]
    xlsx = reviewer.get(f"/inbox/annex2/download/xlsx/?unit={w.direct.pk}&year=2026").content
    ws = load_workbook(io.BytesIO(xlsx)).active
    values = [[c for c in r] for r in ws.iter_rows(values_only=True)]
    assert ["序号", "姓名", "出生年月", "“双培”类别", "完成年度", "备注"] in [list(r[:6]) for r in values]
    assert [1, "赵老师", "1986.01", "2", 2026, None] in [list(r[:6]) for r in values]

"""What issue 11 saw on an approver's day, each fixed and kept fixed: long opinions refused with
their length and kept in the form, the pointer to 待认领, 改派 to a colleague, display names and
direction controls in history, one status label, and a GET on an action URL."""

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.flow_client import act, client_for, register, the_open_task
from tests.helpers import alert_text, snapshot
from tests.training import PDF, complete_training, lifecycle_tasks, submitter, training_tasks
from workflows.flows import CaseFlow
from workflows.models import AuditEvent
from workflows.services import training

LONG = "很" * 1001


def _to_branch_review(w):
    case = register(w.officer, w.candidate1, "1")
    act(w.officer, the_open_task(case), action="pair", mentors=[w.member_mentor.pk])
    act(w.member_mentor.user, the_open_task(case), action="accept")
    complete_training(case)
    act(w.officer, the_open_task(case), action="submit")
    return case


def _refused_keeping(response, before, message, typed):
    assert response.status_code == 400, response.status_code
    assert message in alert_text(response), alert_text(response)
    assert typed in response.content.decode()  # what was typed is still in the form
    assert snapshot() == before


# --- 1. never ignore is_valid() ------------------------------------------------------------------


def test_a_too_long_review_opinion_is_refused_with_its_length_and_kept(world):
    case = _to_branch_review(world)
    task = the_open_task(case)
    before = snapshot()
    response = client_for(world.secretary).post(f"/inbox/tasks/{task.pk}/act/", {"action": "approve", "reason": LONG})
    _refused_keeping(response, before, "审核意见最多 1000 字，现有 1001 字", LONG)
    assert not AuditEvent.objects.filter(case=case, action="approve").exists()


def test_a_too_long_return_reason_is_refused_with_its_length_and_kept(world):
    case = _to_branch_review(world)
    task = the_open_task(case)
    before = snapshot()
    response = client_for(world.secretary).post(f"/inbox/tasks/{task.pk}/act/", {"action": "return", "reason": LONG})
    _refused_keeping(response, before, "退回理由最多 1000 字，现有 1001 字", LONG)


def test_a_blank_return_reason_is_refused(world):
    case = _to_branch_review(world)
    task = the_open_task(case)
    before = snapshot()
    response = client_for(world.secretary).post(f"/inbox/tasks/{task.pk}/act/", {"action": "return", "reason": "  "})
    assert response.status_code == 400 and "请填写退回理由" in alert_text(response)
    assert snapshot() == before


def test_a_too_long_urge_note_is_refused_with_its_length_and_kept(world):
    case = _to_branch_review(world)
    task = the_open_task(case)
    before = snapshot()
    response = client_for(world.officer).post(f"/inbox/tasks/{task.pk}/urge/", {"reason": LONG})
    _refused_keeping(response, before, "催办说明最多 1000 字，现有 1001 字", LONG)


def _work_under_review(w):
    case = register(w.officer, w.candidate1, "1")
    act(w.officer, the_open_task(case), action="pair", mentors=[w.member_mentor.pk])
    act(w.member_mentor.user, the_open_task(case), action="accept")
    case_study = training_tasks(case, CaseFlow.submit_work)[0]
    training.work_submit(
        actor=submitter(case_study),
        task_id=case_study.pk,
        title="家校沟通",
        summary="第一稿的摘要",
        upload=SimpleUploadedFile("案例.pdf", PDF),
    )
    (review,) = training_tasks(case, CaseFlow.review_work)
    return case, case_study, review


def test_a_too_long_work_review_note_is_refused_and_kept(world, in_semester):
    _case, _study, review = _work_under_review(world)
    for action, label in (("work_accept", "审阅意见"), ("work_return", "退回理由")):
        before = snapshot()
        response = client_for(world.member_mentor.user).post(
            f"/inbox/tasks/{review.pk}/act/", {"action": action, "reason": LONG}
        )
        _refused_keeping(response, before, f"{label}最多 1000 字，现有 1001 字", LONG)


def test_a_returned_work_is_resubmitted_from_the_last_submission(world, in_semester):
    case, study, review = _work_under_review(world)
    training.work_review(actor=review.owner, task_id=review.pk, accept=False, note="再具体些")
    resubmit = next(t for t in training_tasks(case, CaseFlow.submit_work) if t.work_id == study.work_id)
    page = client_for(submitter(resubmit)).get(f"/inbox/tasks/{resubmit.pk}/").content.decode()
    assert 'value="家校沟通"' in page and "第一稿的摘要" in page


def test_a_refused_pairing_keeps_the_ticked_mentors(world):
    case = register(world.officer, world.candidate1, "1")
    task = the_open_task(case)
    before = snapshot()
    # Three mentors: the service refuses (1–2), the two boxes that were ticked stay ticked.
    response = client_for(world.officer).post(
        f"/inbox/tasks/{task.pk}/act/",
        {"action": "pair", "mentors": [world.member_mentor.pk, world.member_mentor2.pk, world.candidate2.pk]},
    )
    assert response.status_code == 400, alert_text(response)
    assert snapshot() == before
    body = response.content.decode()
    for mentor in (world.member_mentor, world.member_mentor2):
        tag = body.split(f'value="{mentor.pk}"')[1].split(">")[0]
        assert "checked" in tag, tag


def test_a_too_long_pause_reason_on_the_case_page_is_refused_and_kept(world):
    case = register(world.officer, world.candidate1, "1")
    before = snapshot()
    response = client_for(world.officer).post(f"/inbox/cases/{case.pk}/pause/", {"reason": LONG})
    _refused_keeping(response, before, "暂停理由最多 1000 字，现有 1001 字", LONG)


# --- 3. 改派 to a colleague, never to the holder ------------------------------------------------------


def _claimed_branch_review(w):
    from tests.factories import make_user
    from workflows.models import Role

    deputy = make_user("branch_deputy", org=w.branch, role=Role.BRANCH_SECRETARY, full_name="支部副书记")
    case = _to_branch_review(w)
    task = the_open_task(case)
    assert client_for(w.secretary).post(f"/inbox/tasks/{task.pk}/claim/").status_code == 302
    return task, deputy


def test_reassign_offers_the_colleagues_not_the_holder(world):
    task, deputy = _claimed_branch_review(world)
    body = client_for(world.officer).get(f"/inbox/tasks/{task.pk}/").content.decode()
    form = body.split('name="to_user"')[1].split("</select>")[0]
    assert f'value="{deputy.pk}"' in form and "支部副书记" in form
    assert f'value="{world.secretary.pk}"' not in form


def test_reassigning_to_the_holder_is_refused_in_chinese(world):
    task, _deputy = _claimed_branch_review(world)
    before = snapshot()
    response = client_for(world.officer).post(
        f"/inbox/tasks/{task.pk}/reassign/", {"to_user": world.secretary.pk, "reason": "换人"}
    )
    assert response.status_code == 400
    assert "改派对象不在可选范围内" in alert_text(response)
    assert snapshot() == before


def test_the_service_refuses_reassigning_to_the_holder(world):
    import pytest

    from workflows.errors import GuardError
    from workflows.services import tasks as task_services

    task, _deputy = _claimed_branch_review(world)
    before = snapshot()
    with pytest.raises(GuardError, match="现在就由支部书记办理"):
        task_services.task_reassign(actor=world.officer, task_id=task.pk, to_user_id=world.secretary.pk)
    assert snapshot() == before


# --- 7. one status label; a GET on an action URL ----------------------------------------------------


def test_a_get_on_an_action_url_leads_to_the_task_page(world):
    case = _to_branch_review(world)
    task = the_open_task(case)
    client = client_for(world.secretary)
    for action in ("act", "claim", "urge", "reassign"):
        response = client.get(f"/inbox/tasks/{task.pk}/{action}/")
        assert response.status_code == 405 and response["Allow"] == "POST"
        assert "请在任务页面上操作" in alert_text(response)
        assert f'href="/inbox/tasks/{task.pk}/"' in response.content.decode()
    response = client.get(f"/inbox/cases/{case.pk}/pause/")
    assert response.status_code == 405 and f'href="/inbox/cases/{case.pk}/"' in response.content.decode()


def _state_in_list_and_page(user, task):
    import re

    listing = client_for(user).get("/inbox/reports/").content.decode()
    row = listing.split(f"/inbox/reports/tasks/{task.pk}/")[1].split("</tr>")[0]
    page = client_for(user).get(f"/inbox/reports/tasks/{task.pk}/").content.decode()
    shown = re.search(r'id="task-status">(.*?)</dd>', page).group(1)
    return row, shown


def test_a_report_task_has_one_state_in_the_list_and_on_its_page(world):
    from viewflow.workflow.status import STATUS

    from workflows.models import ReportTask
    from workflows.services import reports

    reports.report_round_open(unit=world.county, year=2026)
    task = ReportTask.objects.get(process__unit=world.county, status=STATUS.NEW)
    row, shown = _state_in_list_and_page(world.reviewer, task)
    assert shown == "待认领" and "待认领" in row
    ReportTask.objects.filter(pk=task.pk).update(owner=world.reviewer, status=STATUS.ASSIGNED)
    row, shown = _state_in_list_and_page(world.reviewer, task)
    assert shown == "赫山审核人 办理中" and shown in row


# --- 4. one rule for 逾期 ------------------------------------------------------------------------------


def test_the_reports_page_and_the_dashboard_agree_on_who_is_late(world):
    import datetime
    import re
    import zoneinfo
    from unittest import mock

    from workflows import figures
    from workflows.flows import AnnualReportFlow
    from workflows.models import AnnualReport, ReportProcess

    tz = zoneinfo.ZoneInfo("Asia/Shanghai")

    def received(unit, sent_on):
        process = ReportProcess.objects.create(flow_class=AnnualReportFlow, kind="annex2", unit=unit, year=2026)
        at = datetime.datetime.combine(sent_on, datetime.time(10), tzinfo=tz)
        AnnualReport.objects.create(
            unit=unit, year=2026, version=1, process=process, state="accepted", dated=sent_on,
            submitted_by=world.city_admin, submitted_at=at,
        )  # fmt: skip

    received(world.county, datetime.date(2026, 9, 1))  # on time
    received(world.other_county, datetime.date(2026, 10, 1))  # received, but sent late
    # 市一中（益阳师范） sent nothing.
    now = datetime.datetime(2026, 11, 10, 10, 0, tzinfo=tz)
    with mock.patch("django.utils.timezone.now", lambda: now):
        body = client_for(world.city_admin).get("/inbox/reports/?year=2026").content.decode()
        board = figures.dashboard(world.city_admin, 2026, today=now.date())
    assert re.search(r'id="late-units">\s*1 个单位逾期未报', body), body.split('id="late-units"')[1][:80]
    page_overdue = {
        r.split("</td>")[0] for r in re.findall(r'<tr class="sp-late">\s*<td>(.*?)</tr>', body, re.S) if "逾期未报" in r
    }
    page_late = {
        r.split("</td>")[0] for r in re.findall(r'<tr class="sp-late">\s*<td>(.*?)</tr>', body, re.S) if "逾期报送" in r
    }
    board_overdue = {r.name for r in board.rows if r.report is not None and r.report.overdue}
    board_late = {r.name for r in board.rows if r.report is not None and r.report.late}
    assert page_overdue == board_overdue == {"市一中（益阳师范）"}
    assert page_late == board_late == {"桃江县教育局"}


# --- 2. an empty 我的待办 points at 待认领; steps that wait for the calendar are kept apart ----------


def test_an_empty_inbox_points_at_the_queue(world):
    _to_branch_review(world)
    body = client_for(world.secretary).get("/inbox/").content.decode()
    # The front page lists the queue itself (issue 11, part 5), once: no second pointer above it.
    assert 'id="front-queue"' in body and "待认领（1）" in body and "支部审核" in body
    assert 'id="queue-hint"' not in body
    card = body.split('id="front-queue"')[1].split("</table>")[0]
    assert 'href="/inbox/tasks/' in card  # the waiting step opens from the card


def _in_training(w, name):
    from tests.factories import make_teacher

    case = register(w.officer, make_teacher(name, w.branch, is_backbone=True), "1")
    act(w.officer, the_open_task(case), action="pair", mentors=[w.member_mentor.pk])
    act(w.member_mentor.user, the_open_task(case), action="accept")
    (submit,) = [t for t in lifecycle_tasks(case) if t.flow_task == CaseFlow.submit]
    return case, submit


def test_the_queue_keeps_steps_not_yet_due_apart(world):
    _fresh, waiting = _in_training(world, "新培养")  # training started today: a year to go
    served, due = _in_training(world, "期已满")
    complete_training(served)  # its minimum period has passed
    client = client_for(world.officer)
    body = client.get("/inbox/queue/").content.decode()
    assert f"/inbox/tasks/{waiting.pk}/" not in body and f"/inbox/tasks/{due.pk}/" in body
    assert "另有 1 项“培养期满，提交支部审核”未到办理时间" in body
    shown = client.get("/inbox/queue/?waiting=1").content.decode()
    assert f"/inbox/tasks/{waiting.pk}/" in shown and f"/inbox/tasks/{due.pk}/" not in shown
    assert "未到办理时间（" in shown


# --- 5. names in history, 系统 on the automatic row, direction controls ------------------------------


def _history_rows(body):
    import re

    table = body.split('id="events"')[1].split("</table>")[0]
    return re.findall(r"<tr>(.*?)</tr>", table, re.S)


def test_history_names_people_not_accounts_and_the_engine_after_a_return(world):
    case = _to_branch_review(world)
    task = the_open_task(case)
    client_for(world.secretary).post(f"/inbox/tasks/{task.pk}/claim/")
    act(world.secretary, task, action="approve", reason="同意")
    act(world.reviewer, the_open_task(case), action="return", reason="缺少记录")
    for viewer in (world.officer, world.reviewer, world.auditor):
        body = client_for(viewer).get(f"/inbox/cases/{case.pk}/").content.decode()
        rows = _history_rows(body)
        for username in ("school_officer", "branch_secretary", "heshan_reviewer"):
            assert username not in "".join(rows), (viewer, username)
        (back,) = [r for r in rows if "退回或撤回后交回原办理人" in r]
        cells = back.split("</td><td>")
        assert cells[2] == "系统" and cells[3].startswith("系统"), cells[:4]
        assert "承办人：— → 支部书记" in back


def test_direction_controls_are_refused_in_task_forms_and_kept(world):
    case = _to_branch_review(world)
    task = the_open_task(case)
    before = snapshot()
    typed = "同意\u202e上报"
    response = client_for(world.secretary).post(f"/inbox/tasks/{task.pk}/act/", {"action": "approve", "reason": typed})
    assert response.status_code == 400
    assert "审核意见含有看不见的文字方向控制符（U+202E）" in alert_text(response)
    assert typed in response.content.decode()
    assert snapshot() == before


def test_direction_controls_in_stored_text_do_not_reach_the_page(world):
    from workflows.services import cases as svc

    case = _to_branch_review(world)
    svc.case_approve(actor=world.secretary, task_id=the_open_task(case).pk, reason="同意\u202e上报")
    for url in (f"/inbox/cases/{case.pk}/", f"/inbox/tasks/{the_open_task(case).pk}/"):
        body = client_for(world.reviewer).get(url).content.decode()
        assert "同意上报" in body and "\u202e" not in body, url


def test_yes_no_changes_read_in_chinese_in_the_history():
    """A 修改资料 of 骨干教师 read 「骨干教师：False → True」 on the case page."""
    from workflows.models import AuditEvent

    event = AuditEvent(changes={"is_backbone": [False, True], "agree": False})
    assert event.changes_text == "骨干教师：否 → 是；同意：否"


def test_labels_translated_once_say_what_the_model_says():
    """workflows/labels.py answers the trail's labels from a table per language: the same words
    as the model's own display methods, for every action, stage and role."""
    from workflows.models import AuditAction, AuditEvent, CaseState, Role

    for action in AuditAction.values:
        event = AuditEvent(action=action)
        assert event.action_label == str(event.get_action_display())
    for state in CaseState.values:
        assert AuditEvent(from_state=state).from_state_label == str(CaseState(state).label)
    for role in Role.values:
        assert AuditEvent(role=role).role_label == str(Role(role).label)
    assert AuditEvent(role="mentor").role_label == "培养人" and AuditEvent(from_state="").from_state_label == ""

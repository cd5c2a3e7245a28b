"""What the person at the next step sees: why a case came back, who said what, where to go."""

from tests.flow_client import act, client_for, register, the_open_task
from tests.training import complete_training
from workflows.models import AuditEvent


def _to_unit_review(w):
    case = register(w.officer, w.candidate1, "1")
    act(w.officer, the_open_task(case), action="pair", mentors=[w.member_mentor.pk])
    act(w.member_mentor.user, the_open_task(case), action="accept")
    complete_training(case)
    act(w.officer, the_open_task(case), action="submit")
    act(w.secretary, the_open_task(case), action="approve", reason="支部同意，报单位审核")
    return case


def test_a_returned_case_goes_back_to_its_last_handler_with_the_reason_on_top(world):
    w = world
    case = _to_unit_review(w)
    unit_task = the_open_task(case)
    page = client_for(w.reviewer).get(f"/inbox/tasks/{unit_task.pk}/").content.decode()
    assert "支部同意，报单位审核" in page  # the branch's opinion travels with the case

    act(w.reviewer, unit_task, action="return", reason="缺少谈心谈话记录")
    back = the_open_task(case)
    assert back.owner == w.secretary  # straight into 夏书记's own inbox, not the shared queue
    page = client_for(w.secretary).get(f"/inbox/tasks/{back.pk}/").content.decode()
    assert 'id="returned-banner"' in page and "缺少谈心谈话记录" in page
    event = AuditEvent.objects.filter(case=case, action="reassign").get()
    assert event.changes == {"owner": [None, w.secretary.username], "hand_back": True}


def test_history_speaks_chinese_not_json(world):
    w = world
    case = _to_unit_review(w)
    page = client_for(w.auditor).get(f"/inbox/cases/{case.pk}/audit/").content.decode()
    assert "培养人：张正式" in page and "办理时自动认领" in page
    assert '"owner"' not in page and "&quot;owner&quot;" not in page


def test_a_refused_registration_keeps_the_form_and_links_the_open_case(world):
    w = world
    case = register(w.officer, w.candidate1, "1")
    response = client_for(w.officer).post("/inbox/cases/new/", {"teacher": w.candidate1.pk, "kind": "1"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "已有一个未结束的类别1培养案例" in body
    assert f"/inbox/cases/{case.pk}/" in body and 'name="teacher"' in body


def test_a_page_past_the_end_shows_the_last_page(world):
    w = world
    register(w.officer, w.candidate1, "1")
    response = client_for(w.officer).get("/inbox/queue/?page=9")
    assert response.status_code == 200 and "王骨干" in response.content.decode()


def test_menu_offers_only_what_leads_somewhere(world):
    w = world
    mentor_page = client_for(w.member_mentor.user).get("/inbox/").content.decode()
    assert "登记培养对象" not in mentor_page and "附件2 汇总表" not in mentor_page
    officer_page = client_for(w.officer).get("/inbox/").content.decode()
    assert "登记培养对象" in officer_page and "附件2 汇总表" not in officer_page
    reviewer_page = client_for(w.reviewer).get("/inbox/").content.decode()
    assert "附件2 汇总表" in reviewer_page and "登记培养对象" not in reviewer_page

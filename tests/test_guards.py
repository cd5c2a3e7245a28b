"""Bad input for every guard: through the views where a view exists, through the services otherwise.

Each refusal asserts the status (400 GuardError, 403 NotPermitted, 404 NotInScope, 409
AlreadyHandled), a Chinese message that names what is wrong, and that nothing changed:
cases and their states, mentors, tasks (status and owner), processes, the audit trail and
the 附件2 rows are snapshotted before and after.
"""

from contextlib import contextmanager

import pytest

from tests.factories import make_teacher, make_user
from tests.flow_client import client_for
from tests.helpers import alert_text, drive, new_case, one_open, open_human, refused, snapshot
from workflows.errors import AlreadyHandled, GuardError, NotInScope, NotPermitted
from workflows.flows import CaseFlow
from workflows.models import (
    AuditEvent,
    Case,
    CaseMentor,
    CaseProcess,
    CaseState,
    CaseTask,
    MentorStatus,
    PartyStatus,
    Role,
)
from workflows.services import cases as svc
from workflows.services import tasks as task_svc

S = CaseState


# --- helpers ------------------------------------------------------------------------------------


@contextmanager
def unchanged():
    before = snapshot()
    yield
    assert snapshot() == before, "a refused action must change nothing"


def post(user, url, data=None):
    return client_for(user).post(url, data or {})


def refused_by_service(call, error_class, *fragments: str) -> str:
    with unchanged(), pytest.raises(GuardError) as caught:
        call()
    assert type(caught.value) is error_class, (type(caught.value), caught.value.message)
    assert (
        caught.value.status == {GuardError: 400, NotPermitted: 403, NotInScope: 404, AlreadyHandled: 409}[error_class]
    )
    for fragment in fragments:
        assert fragment in caught.value.message, (fragment, caught.value.message)
    return caught.value.message


def act_url(task) -> str:
    return f"/inbox/tasks/{task.pk}/act/"


def case_url(case, action) -> str:
    return f"/inbox/cases/{case.pk}/{action}/"


@pytest.fixture
def w(world):
    world.officer2 = make_user("school_officer2", org=world.school, role=Role.OFFICER, full_name="学校党务干部二")
    world.third_member = make_teacher("褚正式", world.branch, party_status=PartyStatus.FULL, user=True)
    return world


def stage_case(w, name, stage, *, mentors=None, kind="1", **kw):
    return new_case(w, name, stage, mentors=mentors, kind=kind, **kw)


# --- registration -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [PartyStatus.PROBATIONARY, PartyStatus.FULL])
def test_type1_candidate_who_is_already_a_party_member_is_refused(w, status):
    teacher = make_teacher("党员候选", w.branch, party_status=status, is_backbone=True)
    label = str(PartyStatus(status).label)
    with unchanged():
        response = post(w.officer, "/inbox/cases/new/", {"teacher": teacher.pk, "kind": "1"})
    refused(response, 400, "党员候选", f"已是{label}", "类别1")
    refused_by_service(
        lambda: svc.case_register(actor=w.officer, teacher_id=teacher.pk, kind="1"), GuardError, f"已是{label}"
    )


@pytest.mark.parametrize("status", [PartyStatus.MASSES, PartyStatus.ACTIVIST, PartyStatus.DEVELOPMENT])
def test_type2_candidate_who_is_not_a_party_member_is_refused(w, status):
    teacher = make_teacher("非党员", w.branch, party_status=status, is_backbone=True)
    with unchanged():
        response = post(w.officer, "/inbox/cases/new/", {"teacher": teacher.pk, "kind": "2"})
    refused(response, 400, "非党员", str(PartyStatus(status).label), "不是党员", "类别2")
    refused_by_service(
        lambda: svc.case_register(actor=w.officer, teacher_id=teacher.pk, kind="2"), GuardError, "不是党员"
    )


@pytest.mark.parametrize("stage", [S.REGISTERED, S.TRAINING, S.BRANCH_REVIEW, S.PAUSED])
def test_second_open_case_for_the_same_teacher_and_kind_is_refused_until_the_first_exits(w, stage):
    first = svc.case_register(actor=w.officer, teacher_id=w.candidate1.pk, kind="1")
    if stage == S.PAUSED:
        svc.case_pause(actor=w.officer, case_id=first.pk, reason="长期病假")
    else:
        drive(first, stage, officer=w.officer, mentors=[w.member_mentor], secretary=w.secretary)
    with unchanged():
        response = post(w.officer, "/inbox/cases/new/", {"teacher": w.candidate1.pk, "kind": "1"})
    refused(response, 400, "王骨干", "已有一个未结束的类别1")
    refused_by_service(
        lambda: svc.case_register(actor=w.officer, teacher_id=w.candidate1.pk, kind="1"),
        GuardError,
        "已有一个未结束的类别1",
    )

    assert post(w.officer, case_url(first, "exit"), {"reason": "本人申请退出"}).status_code == 302
    first.refresh_from_db()
    assert first.state == S.EXITED
    assert post(w.officer, "/inbox/cases/new/", {"teacher": w.candidate1.pk, "kind": "1"}).status_code == 302
    cases = Case.objects.filter(teacher=w.candidate1, kind="1").order_by("id")
    assert [c.state for c in cases] == [S.EXITED, S.REGISTERED]


@pytest.mark.parametrize("teacher", ["other_teacher", "direct_candidate"])
def test_registering_a_teacher_outside_the_officers_scope_is_404(w, teacher):
    teacher = getattr(w, teacher)
    kind = "2" if teacher.is_party_member else "1"
    with unchanged():
        response = post(w.officer, "/inbox/cases/new/", {"teacher": teacher.pk, "kind": kind})
    refused(response, 404, "未找到该教师")
    refused_by_service(
        lambda: svc.case_register(actor=w.officer, teacher_id=teacher.pk, kind=kind), NotInScope, "未找到该教师"
    )


@pytest.mark.parametrize("kind", ["3", "0", ""])
def test_registering_with_an_unknown_kind_is_400(w, kind):
    with unchanged():
        response = post(w.officer, "/inbox/cases/new/", {"teacher": w.candidate1.pk, "kind": kind})
    refused(response, 400, "类别")
    refused_by_service(
        lambda: svc.case_register(actor=w.officer, teacher_id=w.candidate1.pk, kind=kind), GuardError, "类别"
    )


def test_registering_without_a_teacher_is_400(w):
    with unchanged():
        response = post(w.officer, "/inbox/cases/new/", {"kind": "1"})
    refused(response, 400, "教师")


# --- pairing: who may be a mentor ---------------------------------------------------------------


def _bad_mentors(w, which):
    """(mentor ids, fragments the service names) for each bad choice of mentors."""
    if which == "none":
        return [], ["请至少指定一名培养人"]
    if which == "three":
        return [w.member_mentor.pk, w.member_mentor2.pk, w.third_member.pk], ["最多指定 2 名培养人"]
    if which == "probationary":
        return [w.probationary.pk], ["孙预备", "须为正式党员", "预备党员"]
    if which == "masses":
        masses = make_teacher("吴群众", w.branch, party_status=PartyStatus.MASSES, user=True)
        return [masses.pk], ["吴群众", "须为正式党员", "群众"]
    if which == "activist":
        activist = make_teacher("郑积极", w.branch, party_status=PartyStatus.ACTIVIST, user=True)
        return [activist.pk], ["须为正式党员", "入党积极分子"]
    if which == "himself":
        return [w.candidate1.pk], ["不能是培养对象本人", "王骨干"]
    if which == "no_account":
        no_user = make_teacher("冯无号", w.branch, party_status=PartyStatus.FULL)
        return [no_user.pk], ["冯无号", "没有系统账号"]
    if which == "other_county":
        return [w.other_teacher.pk], ["不在您的管辖范围内"]
    if which == "one_good_one_bad":
        return [w.member_mentor.pk, w.probationary.pk], ["孙预备", "须为正式党员"]
    raise AssertionError(which)


BAD_TYPE1_MENTORS = [
    "none",
    "three",
    "probationary",
    "masses",
    "activist",
    "himself",
    "no_account",
    "other_county",
    "one_good_one_bad",
]


@pytest.mark.parametrize("which", BAD_TYPE1_MENTORS)
def test_type1_bad_mentors_are_refused(w, which):
    case = svc.case_register(actor=w.officer, teacher_id=w.candidate1.pk, kind="1")
    task = one_open(case)
    ids, service_says = _bad_mentors(w, which)
    with unchanged():
        response = post(w.officer, act_url(task), {"action": "pair", "mentors": ids})
    # The page names the mentor choice as what is wrong (the form offers only eligible teachers).
    text = refused(response, 400, "培养人")
    if which in ("none", "three"):
        assert service_says[0] in text
    refused_by_service(
        lambda: svc.case_pair(actor=w.officer, task_id=task.pk, mentor_ids=ids), GuardError, *service_says
    )
    case.refresh_from_db()
    assert case.state == S.REGISTERED and not case.mentors.exists()


def test_type2_mentor_who_is_not_a_backbone_teacher_is_refused(w):
    case = svc.case_register(actor=w.officer, teacher_id=w.candidate2.pk, kind="2")
    task = one_open(case)
    assert w.member_mentor.is_party_member and not w.member_mentor.is_backbone
    with unchanged():
        response = post(w.officer, act_url(task), {"action": "pair", "mentors": [w.member_mentor.pk]})
    refused(response, 400, "培养人")
    refused_by_service(
        lambda: svc.case_pair(actor=w.officer, task_id=task.pk, mentor_ids=[w.member_mentor.pk]),
        GuardError,
        "张正式",
        "须为骨干教师",
    )
    # ... while a backbone teacher is accepted
    assert post(w.officer, act_url(task), {"action": "pair", "mentors": [w.backbone_mentor.pk]}).status_code == 302


# --- the wrong role on a review task --------------------------------------------------------------


def test_branch_secretary_cannot_do_the_unit_review(w):
    case = stage_case(w, "钱审核", S.UNIT_REVIEW)
    task = one_open(case)
    for data in ({"action": "approve"}, {"action": "return", "reason": "材料不全"}):
        with unchanged():
            response = post(w.secretary, act_url(task), data)
        refused(response, 403, "赫山区教育局", "审核人")
    with unchanged():
        refused(post(w.secretary, f"/inbox/tasks/{task.pk}/claim/"), 403, "审核人")
    refused_by_service(lambda: svc.case_approve(actor=w.secretary, task_id=task.pk), NotPermitted, "审核人")


def test_officer_cannot_do_the_branch_review(w):
    case = stage_case(w, "钱支部", S.BRANCH_REVIEW)
    task = one_open(case)
    for data in ({"action": "approve"}, {"action": "return", "reason": "材料不全"}):
        with unchanged():
            response = post(w.officer, act_url(task), data)
        refused(response, 403, "赫山一中第一党支部", "支部书记")
    refused_by_service(lambda: svc.case_approve(actor=w.officer, task_id=task.pk), NotPermitted, "支部书记")


@pytest.mark.parametrize("reviewer", ["other_reviewer", "direct_reviewer"])
def test_a_reviewer_of_another_unit_gets_404_on_the_unit_review(w, reviewer):
    case = stage_case(w, "钱外审", S.UNIT_REVIEW)
    task = one_open(case)
    user = getattr(w, reviewer)
    for data in ({"action": "approve"}, {"action": "return", "reason": "材料不全"}):
        with unchanged():
            response = post(user, act_url(task), data)
        refused(response, 404, "未找到")
    with unchanged():
        refused(client_for(user).get(f"/inbox/tasks/{task.pk}/"), 404, "未找到")
    refused_by_service(lambda: svc.case_approve(actor=user, task_id=task.pk), NotInScope, "未找到")


def test_an_action_that_does_not_fit_the_task_is_400(w):
    case = stage_case(w, "钱错步", S.TRAINING)
    task = one_open(case)
    with unchanged():
        refused(post(w.officer, act_url(task), {"action": "approve"}), 400, "不适用于", "提交支部审核")
    with unchanged():
        refused(post(w.officer, act_url(task), {"action": "explode"}), 400, "未知的操作")


# --- reasons ------------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_return_without_a_reason_is_400(w, reason):
    case = stage_case(w, "钱退回", S.UNIT_REVIEW)
    task = one_open(case)
    data = {"action": "return"} if reason is None else {"action": "return", "reason": reason}
    with unchanged():
        response = post(w.reviewer, act_url(task), data)
    refused(response, 400, "请填写退回理由")
    refused_by_service(
        lambda: svc.case_return(actor=w.reviewer, task_id=task.pk, reason=reason or ""), GuardError, "退回的理由"
    )


@pytest.mark.parametrize(
    "action, service, what",
    [
        ("exit", svc.case_exit, "退出"),
        ("pause", svc.case_pause, "暂停"),
    ],
)
@pytest.mark.parametrize("reason", [None, "", "  \n "])
def test_exit_and_pause_without_a_reason_are_400(w, action, service, what, reason):
    case = stage_case(w, "钱理由", S.TRAINING)
    data = {} if reason is None else {"reason": reason}
    with unchanged():
        response = post(w.officer, case_url(case, action), data)
    refused(response, 400, f"请填写{what}理由")
    refused_by_service(
        lambda: service(actor=w.officer, case_id=case.pk, reason=reason or ""), GuardError, f"{what}的理由"
    )


def test_declining_a_pairing_without_a_reason_is_400(w):
    case = stage_case(w, "钱谢绝", S.PAIRED)
    task = one_open(case)
    with unchanged():
        refused(post(w.member_mentor.user, act_url(task), {"action": "decline", "reason": " "}), 400, "请填写谢绝理由")
    refused_by_service(
        lambda: svc.mentor_decline(actor=w.member_mentor.user, task_id=task.pk, reason=""), GuardError, "谢绝结对的理由"
    )


# --- 撤回 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["officer2", "reviewer", "secretary", "city_admin"])
def test_withdraw_by_someone_who_did_not_submit_is_403(w, who):
    case = stage_case(w, "钱撤回", S.BRANCH_REVIEW)  # submitted by the school officer
    user = getattr(w, who)
    with unchanged():
        response = post(user, case_url(case, "withdraw"), {"reason": "想撤回"})
    refused(response, 403, "只有提交人本人可以撤回")
    refused_by_service(lambda: svc.case_withdraw(actor=user, case_id=case.pk), NotPermitted, "提交人本人")
    # the submitter himself may
    assert post(w.officer, case_url(case, "withdraw"), {"reason": "材料不全"}).status_code == 302


def test_withdraw_after_the_reviewer_claimed_the_task_is_400(w):
    case = stage_case(w, "钱已领", S.UNIT_REVIEW)  # the secretary's approval is the submission
    task = one_open(case)
    assert post(w.reviewer, f"/inbox/tasks/{task.pk}/claim/").status_code == 302
    with unchanged():
        response = post(w.secretary, case_url(case, "withdraw"), {"reason": "想撤回"})
    refused(response, 400, "赫山审核人", "已认领", "不能撤回")
    refused_by_service(lambda: svc.case_withdraw(actor=w.secretary, case_id=case.pk), GuardError, "已认领")


@pytest.mark.parametrize("stage", [S.REGISTERED, S.PAIRED, S.TRAINING, S.PAUSED, S.COMPLETED, S.EXITED])
def test_withdraw_with_nothing_to_withdraw_is_400(w, stage):
    if stage in (S.PAUSED, S.EXITED):
        case = stage_case(w, "钱无撤", S.BRANCH_REVIEW)
        service = svc.case_pause if stage == S.PAUSED else svc.case_exit
        service(actor=w.officer, case_id=case.pk, reason="长期病假")
    else:
        case = stage_case(w, "钱无撤", stage)
    case.refresh_from_db()
    assert case.state == stage
    with unchanged():
        response = post(w.officer, case_url(case, "withdraw"), {})
    refused(response, 400, case.get_state_display(), "没有可撤回的提交")
    refused_by_service(lambda: svc.case_withdraw(actor=w.officer, case_id=case.pk), GuardError, "没有可撤回的提交")


# --- acting twice, claimed tasks ------------------------------------------------------------------


@pytest.mark.parametrize(
    "stage, actor, data",
    [
        (S.REGISTERED, "officer", {"action": "pair"}),
        (S.PAIRED, "mentor", {"action": "accept"}),
        (S.TRAINING, "officer", {"action": "submit"}),
        (S.BRANCH_REVIEW, "secretary", {"action": "approve"}),
        (S.UNIT_REVIEW, "reviewer", {"action": "return", "reason": "记录不足"}),
        (S.CITY_FILING, "city_admin", {"action": "file", "year": "2026"}),
    ],
)
def test_acting_twice_on_the_same_task_is_409(w, stage, actor, data):
    case = stage_case(w, "钱两次", stage)
    task = one_open(case)
    user = w.member_mentor.user if actor == "mentor" else getattr(w, actor)
    if data["action"] == "pair":
        data = {**data, "mentors": [w.member_mentor.pk]}
    assert post(user, act_url(task), data).status_code == 302
    with unchanged():
        response = post(user, act_url(task), data)
    refused(response, 409, "已")
    assert "已被处理" in alert_text(response)


def test_claiming_a_task_someone_else_claimed_is_409(w):
    case = stage_case(w, "钱认领", S.TRAINING)
    task = one_open(case)
    assert post(w.officer, f"/inbox/tasks/{task.pk}/claim/").status_code == 302
    with unchanged():
        response = post(w.officer2, f"/inbox/tasks/{task.pk}/claim/")
    refused(response, 409, "已被学校党务干部认领")
    refused_by_service(lambda: task_svc.task_claim(actor=w.officer2, task_id=task.pk), AlreadyHandled, "已被")
    # claiming one's own claimed task again is refused too
    with unchanged():
        refused(post(w.officer, f"/inbox/tasks/{task.pk}/claim/"), 409, "已被")


def test_acting_on_a_task_claimed_by_another_user_is_409(w):
    case = stage_case(w, "钱代办", S.TRAINING)
    task = one_open(case)
    task_svc.task_claim(actor=w.officer, task_id=task.pk)
    with unchanged():
        response = post(w.officer2, act_url(task), {"action": "submit"})
    refused(response, 409, "已由 学校党务干部 认领办理")
    refused_by_service(lambda: svc.case_submit(actor=w.officer2, task_id=task.pk), AlreadyHandled, "已由")
    with unchanged():
        refused(post(w.officer2, f"/inbox/tasks/{task.pk}/unclaim/"), 409, "不在您的待办中")


def test_a_mentor_cannot_put_his_acceptance_task_back_in_a_queue(w):
    case = stage_case(w, "钱放回", S.PAIRED)
    task = one_open(case)
    with unchanged():
        refused(post(w.member_mentor.user, f"/inbox/tasks/{task.pk}/unclaim/"), 400, "谢绝结对")


@pytest.mark.parametrize("year", ["1999", "2101", "二〇二六"])
def test_filing_with_a_bad_year_is_400(w, year):
    case = stage_case(w, "钱年度", S.CITY_FILING)
    task = one_open(case)
    with unchanged():
        refused(post(w.city_admin, act_url(task), {"action": "file", "year": year}), 400, "完成年度")
    if year.isdigit():
        refused_by_service(
            lambda: svc.case_file(actor=w.city_admin, task_id=task.pk, year=int(year)), GuardError, "完成年度"
        )


# --- 暂停 / 恢复 / 退出 ------------------------------------------------------------------------------

# stage -> (who acts on that stage's task, the data, the node 恢复 must reopen, where it is routed)
STAGE_STEP = {
    S.REGISTERED: ("officer", {"action": "pair"}, CaseFlow.pair, "school"),
    S.PAIRED: ("mentor", {"action": "accept"}, CaseFlow.accept, "branch"),
    S.TRAINING: ("officer", {"action": "submit"}, CaseFlow.submit, "school"),
    S.BRANCH_REVIEW: ("secretary", {"action": "approve"}, CaseFlow.branch_review, "branch"),
    S.UNIT_REVIEW: ("reviewer", {"action": "approve"}, CaseFlow.unit_review, "county"),
    S.CITY_FILING: ("city_admin", {"action": "file", "year": "2026"}, CaseFlow.city_filing, "city"),
}


def _step_user(w, who):
    return w.member_mentor.user if who == "mentor" else getattr(w, who)


def _step_data(w, data):
    return {**data, "mentors": [w.member_mentor.pk]} if data["action"] == "pair" else data


@pytest.mark.parametrize("stage", list(STAGE_STEP))
def test_acting_on_the_old_task_of_a_paused_case_is_409(w, stage):
    case = stage_case(w, "钱暂停", stage)
    task = one_open(case)
    assert post(w.officer, case_url(case, "pause"), {"reason": "长期病假"}).status_code == 302
    case.refresh_from_db()
    assert case.state == S.PAUSED and case.paused_from == stage
    assert open_human(case) == []
    who, data, _node, _org = STAGE_STEP[stage]
    with unchanged():
        response = post(_step_user(w, who), act_url(task), _step_data(w, data))
    refused(response, 409, "已")


@pytest.mark.parametrize("stage", list(STAGE_STEP))
def test_resume_reopens_a_task_for_the_stage_the_case_was_paused_in(w, stage):
    case = stage_case(w, "钱恢复", stage)
    old = one_open(case)
    assert post(w.officer, case_url(case, "pause"), {"reason": "长期病假"}).status_code == 302
    assert post(w.officer, case_url(case, "resume"), {"reason": "已返岗"}).status_code == 302
    case.refresh_from_db()
    assert case.state == stage and case.paused_from == ""
    who, data, node, org = STAGE_STEP[stage]
    new = one_open(case)
    assert new.pk != old.pk
    assert new.flow_task == node
    assert new.org == getattr(w, org)
    assert CaseTask.objects.get(pk=old.pk).status == "CANCELED"
    # ... and the reopened task can be done by the same person as before
    assert post(_step_user(w, who), act_url(new), _step_data(w, data)).status_code == 302
    assert list(
        AuditEvent.objects.filter(case=case, action__in=["pause", "resume"]).values_list(
            "action", "from_state", "to_state"
        )
    ) == [("pause", stage, S.PAUSED), ("resume", S.PAUSED, stage)]


def test_resume_in_pairing_reopens_acceptance_only_for_mentors_still_pending(w):
    case = stage_case(w, "钱半结", S.PAIRED, mentors=[w.member_mentor, w.member_mentor2])
    first = next(t for t in open_human(case) if t.owner_id == w.member_mentor.user_id)
    svc.mentor_accept(actor=w.member_mentor.user, task_id=first.pk)
    svc.case_pause(actor=w.officer, case_id=case.pk, reason="长期病假")
    svc.case_resume(actor=w.officer, case_id=case.pk)
    task = one_open(case)
    assert task.flow_task == CaseFlow.accept and task.owner_id == w.member_mentor2.user_id
    assert post(w.member_mentor2.user, act_url(task), {"action": "accept"}).status_code == 302
    case.refresh_from_db()
    assert case.state == S.TRAINING
    assert one_open(case).flow_task == CaseFlow.submit


@pytest.mark.parametrize("stage", [S.REGISTERED, S.PAIRED, S.TRAINING, S.UNIT_REVIEW, S.CITY_FILING, S.PAUSED])
def test_exit_closes_every_open_task_and_the_process(w, stage):
    if stage == S.PAUSED:
        case = stage_case(w, "钱退出", S.BRANCH_REVIEW)
        svc.case_pause(actor=w.officer, case_id=case.pk, reason="长期病假")
    else:
        case = stage_case(w, "钱退出", stage, mentors=[w.member_mentor, w.member_mentor2])
    was_open = open_human(case)
    assert len(was_open) == {S.PAIRED: 2, S.PAUSED: 0}.get(stage, 1)
    assert post(w.officer, case_url(case, "exit"), {"reason": "调出本市"}).status_code == 302
    case.refresh_from_db()
    assert case.state == S.EXITED
    assert not CaseTask.objects.filter(case=case, status__in=["NEW", "ASSIGNED", "STARTED"]).exists()
    assert all(CaseTask.objects.get(pk=t.pk).status == "CANCELED" for t in was_open)
    assert CaseProcess.objects.get(case=case).status == "DONE"
    for task in was_open:
        task = CaseTask.objects.get(pk=task.pk)
        if task.flow_task == CaseFlow.accept:
            user, data = task.owner, {"action": "accept"}
        else:
            who, data, _node, _org = STAGE_STEP[task.stage]
            user, data = _step_user(w, who), _step_data(w, data)
        with unchanged():
            refused(post(user, act_url(task), data), 409, "已被处理")


@pytest.mark.parametrize(
    "action, stage, says",
    [
        ("pause", S.PAUSED, "不能暂停"),
        ("pause", S.COMPLETED, "不能暂停"),
        ("pause", S.EXITED, "不能暂停"),
        ("resume", S.TRAINING, "不是暂停状态"),
        ("resume", S.COMPLETED, "不是暂停状态"),
        ("exit", S.EXITED, "不能再退出"),
        ("exit", S.COMPLETED, "不能再退出"),
    ],
)
def test_pause_resume_exit_in_the_wrong_state_are_400(w, action, stage, says):
    case = stage_case(w, "钱错态", S.TRAINING if stage in (S.PAUSED, S.EXITED) else stage)
    if stage == S.PAUSED:
        svc.case_pause(actor=w.officer, case_id=case.pk, reason="长期病假")
    elif stage == S.EXITED:
        svc.case_exit(actor=w.officer, case_id=case.pk, reason="调出本市")
    case.refresh_from_db()
    assert case.state == stage
    with unchanged():
        response = post(w.officer, case_url(case, action), {"reason": "再试一次"})
    refused(response, 400, case.get_state_display(), says)


# --- 重新结对 ----------------------------------------------------------------------------------------


def test_repair_mentor_leaves_with_a_new_mentor(w):
    case = stage_case(w, "钱换人", S.TRAINING)
    leaving = case.mentors.get(teacher=w.member_mentor)
    submit = one_open(case)
    response = post(
        w.officer,
        case_url(case, "repair"),
        {"leaving": leaving.pk, "mentors": [w.member_mentor2.pk], "reason": "调离本校"},
    )
    assert response.status_code == 302, alert_text(response)
    case.refresh_from_db()
    assert case.state == S.PAIRED
    leaving.refresh_from_db()
    assert leaving.status == MentorStatus.LEFT and leaving.ended_reason == "调离本校"
    assert CaseTask.objects.get(pk=submit.pk).status == "CANCELED"
    (accept,) = open_human(case)
    assert accept.flow_task == CaseFlow.accept and accept.owner_id == w.member_mentor2.user_id
    assert list(case.mentors.filter(status=MentorStatus.PENDING).values_list("teacher", flat=True)) == [
        w.member_mentor2.pk
    ]
    event = AuditEvent.objects.filter(case=case, action="repair").last()
    assert (event.action, event.from_state, event.to_state, event.reason) == (
        "repair",
        S.TRAINING,
        S.PAIRED,
        "调离本校",
    )
    assert post(w.member_mentor2.user, act_url(accept), {"action": "accept"}).status_code == 302
    case.refresh_from_db()
    assert case.state == S.TRAINING


def test_repair_with_two_mentors_opens_acceptance_for_the_new_mentor_only(w):
    case = stage_case(w, "钱双换", S.TRAINING, mentors=[w.member_mentor, w.member_mentor2])
    leaving = case.mentors.get(teacher=w.member_mentor)
    response = post(
        w.officer, case_url(case, "repair"), {"leaving": leaving.pk, "mentors": [w.third_member.pk], "reason": "退休"}
    )
    assert response.status_code == 302, alert_text(response)
    case.refresh_from_db()
    assert case.state == S.PAIRED
    assert [t.owner_id for t in open_human(case)] == [w.third_member.user_id]
    assert case.mentors.get(teacher=w.member_mentor2).status == MentorStatus.ACCEPTED


def test_repair_that_leaves_the_case_without_a_mentor_is_400(w):
    case = stage_case(w, "钱无人", S.TRAINING)
    leaving = case.mentors.get()
    with unchanged():
        response = post(w.officer, case_url(case, "repair"), {"leaving": leaving.pk, "reason": "调离本校"})
    refused(response, 400, "张正式", "没有培养人")
    refused_by_service(
        lambda: svc.case_repair(
            actor=w.officer, case_id=case.pk, leaving_mentor_id=leaving.pk, new_mentor_ids=[], reason="调离本校"
        ),
        GuardError,
        "没有培养人",
    )
    assert CaseMentor.objects.get(pk=leaving.pk).status == MentorStatus.ACCEPTED


@pytest.mark.parametrize("stage", [S.PAIRED, S.BRANCH_REVIEW, S.UNIT_REVIEW, S.PAUSED])
def test_repair_outside_training_is_400(w, stage):
    if stage == S.PAUSED:
        case = stage_case(w, "钱非培", S.TRAINING)
        svc.case_pause(actor=w.officer, case_id=case.pk, reason="长期病假")
    else:
        case = stage_case(w, "钱非培", stage, mentors=[w.member_mentor, w.member_mentor2])
    mentor = case.mentors.order_by("id").first()
    if stage == S.PAIRED:
        svc.mentor_accept(
            actor=w.member_mentor.user,
            task_id=next(t for t in open_human(case) if t.owner_id == w.member_mentor.user_id).pk,
        )
    with unchanged():
        response = post(
            w.officer,
            case_url(case, "repair"),
            {"leaving": mentor.pk, "mentors": [w.third_member.pk], "reason": "调离本校"},
        )
    refused(response, 400, "培养中")
    refused_by_service(
        lambda: svc.case_repair(
            actor=w.officer,
            case_id=case.pk,
            leaving_mentor_id=mentor.pk,
            new_mentor_ids=[w.third_member.pk],
            reason="调离本校",
        ),
        GuardError,
        "只有“培养中”的案例可以更换培养人",
    )


@pytest.mark.parametrize(
    "which, says",
    [
        ("probationary", "须为正式党员"),
        ("already", "已是该案例的培养人"),
        ("himself", "不能是培养对象本人"),
        ("no_account", "没有系统账号"),
    ],
)
def test_repair_with_a_bad_new_mentor_changes_nothing(w, which, says):
    case = stage_case(w, "钱坏换", S.TRAINING, mentors=[w.member_mentor, w.member_mentor2])
    leaving = case.mentors.get(teacher=w.member_mentor)
    new = {
        "probationary": w.probationary,
        "already": w.member_mentor2,
        "himself": case.teacher,
        "no_account": make_teacher("冯无号", w.branch, party_status=PartyStatus.FULL),
    }[which]
    refused_by_service(
        lambda: svc.case_repair(
            actor=w.officer, case_id=case.pk, leaving_mentor_id=leaving.pk, new_mentor_ids=[new.pk], reason="调离本校"
        ),
        GuardError,
        says,
    )
    assert CaseMentor.objects.get(pk=leaving.pk).status == MentorStatus.ACCEPTED


def test_repair_without_a_reason_or_with_a_mentor_who_is_not_current_is_400(w):
    case = stage_case(w, "钱缺因", S.TRAINING)
    leaving = case.mentors.get()
    with unchanged():
        refused(
            post(w.officer, case_url(case, "repair"), {"leaving": leaving.pk, "mentors": [w.member_mentor2.pk]}),
            400,
            "更换理由",
        )
    with unchanged():
        refused(
            post(
                w.officer,
                case_url(case, "repair"),
                {"leaving": leaving.pk + 999, "mentors": [w.member_mentor2.pk], "reason": "调离"},
            ),
            400,
        )
    refused_by_service(
        lambda: svc.case_repair(
            actor=w.officer,
            case_id=case.pk,
            leaving_mentor_id=leaving.pk + 999,
            new_mentor_ids=[w.member_mentor2.pk],
            reason="调离",
        ),
        GuardError,
        "不是该案例当前的培养人",
    )


# --- 转办 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["officer2", "secretary"])
def test_reassign_by_a_non_supervisor_is_403(w, who):
    case = stage_case(w, "钱转办", S.TRAINING)
    task = one_open(case)
    user = getattr(w, who)
    with unchanged():
        response = post(user, f"/inbox/tasks/{task.pk}/reassign/", {"to_user": w.officer.pk, "reason": "出差"})
    refused(response, 403, "上级")
    refused_by_service(
        lambda: task_svc.task_reassign(actor=user, task_id=task.pk, to_user_id=w.officer.pk), NotPermitted, "上级"
    )


@pytest.mark.parametrize("target", ["secretary", "other_officer", "reviewer", "outsider", "direct_officer"])
def test_reassign_to_someone_without_the_role_at_the_tasks_organisation_is_400(w, target):
    case = stage_case(w, "钱错人", S.TRAINING)
    task = one_open(case)
    to = getattr(w, target)
    with unchanged():
        response = post(w.reviewer, f"/inbox/tasks/{task.pk}/reassign/", {"to_user": to.pk, "reason": "出差"})
    refused(response, 400, "改派对象")
    refused_by_service(
        lambda: task_svc.task_reassign(actor=w.reviewer, task_id=task.pk, to_user_id=to.pk),
        GuardError,
        "改派对象须是赫山区第一中学的党务干部",
    )


def test_reassign_of_a_mentors_acceptance_or_a_finished_task_is_refused(w):
    case = stage_case(w, "钱不改", S.PAIRED)
    accept = one_open(case)
    refused_by_service(
        lambda: task_svc.task_reassign(actor=w.reviewer, task_id=accept.pk, to_user_id=w.member_mentor2.user_id),
        GuardError,
        "不能改派",
    )
    done = CaseTask.objects.get(case=case, flow_task_type="HUMAN", status="DONE")
    refused_by_service(
        lambda: task_svc.task_reassign(actor=w.reviewer, task_id=done.pk, to_user_id=w.officer2.pk),
        AlreadyHandled,
        "已办理完毕",
    )


@pytest.mark.parametrize("claimed", [False, True])
def test_county_reviewer_reassigns_a_school_officers_task_to_another_officer(w, claimed):
    case = stage_case(w, "钱改派", S.TRAINING)
    task = one_open(case)
    if claimed:
        task_svc.task_claim(actor=w.officer, task_id=task.pk)
    before = snapshot()
    response = post(w.reviewer, f"/inbox/tasks/{task.pk}/reassign/", {"to_user": w.officer2.pk, "reason": "出差一周"})
    assert response.status_code == 302, alert_text(response)
    task.refresh_from_db()
    assert (task.owner_id, task.status) == (w.officer2.pk, "ASSIGNED")
    event = AuditEvent.objects.order_by("id").last()
    assert (event.action, event.actor_id, event.case_id, event.task_id_ref, event.reason) == (
        "reassign",
        w.reviewer.pk,
        case.pk,
        task.pk,
        "出差一周",
    )
    assert event.role == Role.REVIEWER and event.org_id == w.county.pk
    assert event.changes == {"owner": ["school_officer" if claimed else None, "school_officer2"]}
    # Only the task's owner changed, plus one audit event.
    after = snapshot()
    assert after["audit"] == before["audit"] + 1
    assert {k: v for k, v in after.items() if k not in ("audit", "tasks", "tasks_by_status")} == {
        k: v for k, v in before.items() if k not in ("audit", "tasks", "tasks_by_status")
    }
    changed = set(after["tasks"]) - set(before["tasks"])
    assert changed == {(task.pk, "ASSIGNED", w.officer2.pk)}
    # The new owner can act; the old one can no longer.
    with unchanged():
        refused(post(w.officer, act_url(task), {"action": "submit"}), 409, "已由 学校党务干部二 认领办理")
    assert post(w.officer2, act_url(task), {"action": "submit"}).status_code == 302

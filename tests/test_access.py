"""workflows/access: the one home of who may do what. 回避: nobody handles a role step of their
own case, whatever roles they hold (a 类别2 trainee who is also her school's 党务干部)."""

import pytest

from tests.factories import make_teacher, make_user
from tests.helpers import drive, one_open, snapshot
from workflows import access, selectors
from workflows.errors import GuardError, NotPermitted
from workflows.models import PartyStatus, Role, RoleAssignment
from workflows.services import cases as svc
from workflows.services import tasks as task_svc


@pytest.fixture
def own_case(world):
    """A 类别2 case whose trainee holds the school's 党务干部 role beside the world's officer."""
    teacher = make_teacher("钱党员", world.branch, party_status=PartyStatus.FULL, birth=(1989, 4, 1))
    trainee = make_user("qian", teacher=teacher, full_name="钱党员")
    RoleAssignment.objects.create(user=trainee, org=world.school, role=Role.OFFICER)
    case = svc.case_register(actor=world.officer, teacher_id=teacher.pk, kind="2")
    case = drive(case, "training", officer=world.officer, mentors=[world.backbone_mentor])
    return case, trainee


def test_the_trainee_may_not_claim_or_act_on_a_step_of_her_own_case(world, own_case):
    case, trainee = own_case
    task = one_open(case)
    assert not access.may_claim(trainee, task)
    assert not access.may_act(trainee, task)
    assert task not in selectors.queue_for_user(trainee)
    before = snapshot()
    with pytest.raises(NotPermitted, match="本人的培养案例，须回避"):
        task_svc.task_claim(actor=trainee, task_id=task.pk)
    with pytest.raises(NotPermitted, match="须回避"):
        svc.case_submit(actor=trainee, task_id=task.pk)
    assert snapshot() == before


def test_the_other_officer_still_handles_it(world, own_case):
    case, _trainee = own_case
    task = one_open(case)
    assert access.may_claim(world.officer, task)
    assert task in selectors.queue_for_user(world.officer)
    svc.case_submit(actor=world.officer, task_id=task.pk)
    case.refresh_from_db()
    assert case.state == "branch_review"


def test_the_task_page_offers_her_no_button(client, world, own_case):
    case, trainee = own_case
    task = one_open(case)
    client.force_login(trainee)
    page = client.get(f"/inbox/tasks/{task.pk}/")
    assert page.status_code == 200
    assert page.context["can_act"] is False and page.context["can_claim"] is False
    answer = client.post(f"/inbox/tasks/{task.pk}/act/", {"action": "submit"})
    assert answer.status_code == 403
    assert "须回避" in answer.content.decode()


def test_a_deputy_acts_on_the_absent_persons_steps_but_borrows_no_administrative_power(world):
    """代理人 take over approvals; appointing people, passwords, lockouts, the programme's rules
    and the calendar stay with those who hold the role themselves (separation of duties)."""
    import datetime

    from django.utils import timezone

    from workflows import selectors
    from workflows.models import Deputy
    from workflows.services import calendar, people, policy, security

    deputy = make_user("city_deputy", org=world.county, role=Role.REVIEWER, full_name="代理人")
    today = timezone.localdate()
    Deputy.objects.create(
        principal=world.city_admin,
        deputy=deputy,
        org=world.city,
        start_date=today,
        end_date=today + datetime.timedelta(days=5),
        reason="出差",
        created_by=world.city_admin,
    )
    assert any(a.role == Role.CITY_ADMIN for a in selectors.user_assignments(deputy))  # acts for her
    assert not policy.can_edit_city(deputy)
    assert not security.can_release_lockouts(deputy)
    assert not calendar.can_edit_calendar(deputy)
    from workflows.access import bulletins, contest

    assert not bulletins.may_issue(deputy) and not contest.may_run(deputy)  # 通报 and 论文评比 too
    with pytest.raises(GuardError):  # the city's people are not hers to manage (her own county's are)
        people.check_can_manage(deputy, world.other_school)
    people.check_can_manage(deputy, world.school)
    # The principal keeps every power of her own.
    assert policy.can_edit_city(world.city_admin) and calendar.can_edit_calendar(world.city_admin)


def test_a_step_claimed_while_holding_the_role_cannot_be_done_once_the_role_has_ended(world):
    """An ended 任职 (or 代理, before ``tick`` gives the step back) grants nothing: the holder who
    claimed the step hears so, and the case stays where it is."""
    import datetime

    from django.utils import timezone

    from tests.helpers import new_case

    case = new_case(world, "褚结束", "branch_review")
    task = one_open(case)
    task_svc.task_claim(actor=world.secretary, task_id=task.pk)
    RoleAssignment.objects.filter(user=world.secretary, role=Role.BRANCH_SECRETARY).update(
        end_date=timezone.localdate() - datetime.timedelta(days=1)
    )
    # She still sees the case through another role (as a 代理人 would through their own).
    RoleAssignment.objects.create(user=world.secretary, org=world.school, role=Role.OFFICER)
    from django.contrib.auth import get_user_model

    secretary = get_user_model().objects.get(pk=world.secretary.pk)  # a new request: roles read afresh
    task.refresh_from_db()
    assert not access.may_act(secretary, task)
    before = snapshot()
    with pytest.raises(NotPermitted, match="不再担任"):
        svc.case_approve(actor=secretary, task_id=task.pk)
    assert snapshot() == before

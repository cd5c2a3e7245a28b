"""seed_demo builds a demo world through the services, and a second run changes nothing."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone

from workflows.flows import CaseFlow
from workflows.management.commands.seed_demo import DEMO_PASSWORD, ROLE_ACCOUNTS, UNITS
from workflows.models import (
    Annex2Row,
    AuditAction,
    AuditEvent,
    Case,
    CaseKind,
    CaseMentor,
    CaseProcess,
    CaseState,
    CaseTask,
    Organisation,
    OrgKind,
    RoleAssignment,
    Teacher,
)
from workflows.selectors import inbox_for_user, queue_for_user

pytestmark = pytest.mark.django_db

COUNTY_UNITS = ["安化县教体局", "桃江县教育局", "资阳区教育局", "赫山区教育局", "沅江市教育局", "南县教育局",
                "大通湖区教育和卫生健康局"]
DIRECT_UNITS = ["湖南城市学院", "湖南工艺美院", "湖南兵器工业高级技工学校", "益阳医学高等专科学校", "益阳职业技术学院",
                "市一中（益阳师范）", "益阳广播电视大学", "益阳高级技工学校", "市特殊教育学校", "市中心幼儿园",
                "朝阳国际实验学校", "科达职业技术学校"]
# Demo users who act on cases: each must find work waiting when they log in.
WORKING_USERS = [
    "city_admin", "heshan_reviewer", "school_officer", "branch_secretary", "branch_secretary2",
    "direct_officer", "direct_reviewer", "direct_secretary", "taojiang_officer", "taojiang_secretary",
    "taojiang_reviewer", "mentor_zhang", "mentor_liu", "mentor_zhou",
]
COUNTED = [Organisation, Teacher, get_user_model(), RoleAssignment, Case, CaseMentor, CaseProcess, CaseTask,
           AuditEvent, Annex2Row]


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


@pytest.fixture
def seeded(settings):
    # Hashing ~50 demo passwords with the production hasher takes seconds; the test needs no strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    first = StringIO()
    call_command("seed_demo", stdout=first)
    after_first = row_counts()
    second = StringIO()
    call_command("seed_demo", stdout=second)
    return first.getvalue(), second.getvalue(), after_first


def test_units_cases_and_second_run(seeded):
    first_out, second_out, after_first = seeded

    # The second run created nothing and printed the accounts again.
    assert row_counts() == after_first
    assert "未做任何修改" in second_out
    for out in (first_out, second_out):
        assert "city_admin" in out and DEMO_PASSWORD in out

    # The city and the 19 units of 附件1, in the table's order.
    city = Organisation.objects.get(kind=OrgKind.CITY, parent=None)
    assert city.name == "市委教育工委"
    units = list(Organisation.objects.filter(parent=city).order_by("sort_order"))
    assert [u.name for u in units] == COUNTY_UNITS + DIRECT_UNITS == [name for name, _ in UNITS]
    assert [u.kind for u in units] == [OrgKind.COUNTY] * 7 + [OrgKind.DIRECT] * 12
    for county in units[:7]:
        schools = Organisation.objects.filter(parent=county, kind=OrgKind.SCHOOL)
        assert schools.count() == 2
        for school in schools:
            assert 1 <= Organisation.objects.filter(parent=school, kind=OrgKind.BRANCH).count() <= 2

    # Every stage has cases.
    states = set(Case.objects.values_list("state", flat=True))
    assert states == set(CaseState.values)

    # Both kinds completed, with their 附件2 rows, this year and last year.
    this_year = timezone.localdate().year
    for kind in CaseKind.values:
        completed = Case.objects.filter(kind=kind, state=CaseState.COMPLETED)
        assert completed.exists()
        assert all(Annex2Row.objects.filter(case=c, kind=kind).exists() for c in completed)
        assert {this_year, this_year - 1} <= set(Annex2Row.objects.filter(kind=kind).values_list("year", flat=True))
    assert Annex2Row.objects.count() == Case.objects.filter(state=CaseState.COMPLETED).count()

    # One case was sent back (退回), one withdrawn (撤回), one declined by a mentor, all on the way.
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {AuditAction.RETURN, AuditAction.WITHDRAW, AuditAction.DECLINE, AuditAction.PAUSE,
            AuditAction.EXIT} <= actions
    # Every case started with its registration, done by a party-affairs officer.
    assert AuditEvent.objects.filter(action=AuditAction.REGISTER).count() == Case.objects.count()


def test_every_demo_user_finds_work(seeded):
    User = get_user_model()
    for username in WORKING_USERS:
        user = User.objects.get(username=username)
        open_tasks = inbox_for_user(user).count() + queue_for_user(user).count()
        assert open_tasks >= 1, f"{username} has nothing in the inbox or queue"
    # Some work is already claimed into personal inboxes, the rest waits in the queues.
    for username in ["school_officer", "heshan_reviewer", "city_admin", "mentor_zhang"]:
        assert inbox_for_user(User.objects.get(username=username)).exists(), username
    for username in ["school_officer", "branch_secretary", "city_admin"]:
        assert queue_for_user(User.objects.get(username=username)).exists(), username

    # The named role accounts hold their roles and log in with the printed password.
    for account in ROLE_ACCOUNTS:
        assert RoleAssignment.objects.filter(user__username=account.username, role=account.role,
                                             org__name=account.org).exists()
    # A login form's request: django-axes checks the account and the address before the password.
    login = RequestFactory().post("/accounts/login/")
    assert authenticate(login, username="city_admin", password=DEMO_PASSWORD) is not None
    assert authenticate(login, username="mentor_zhang", password=DEMO_PASSWORD) is not None

    # A direct unit has no county step: its unit review sits at the unit itself.
    direct = Organisation.objects.get(name="市一中（益阳师范）")
    review = CaseTask.objects.get(case__unit=direct, case__state=CaseState.UNIT_REVIEW, status="NEW")
    assert review.flow_task == CaseFlow.unit_review and review.org == direct

"""The working-day calendar (issue 12): due dates, reminders and escalation count working days,
with China's statutory holidays and 调休 (chinese-calendar) and the city's own table."""

import datetime
import zoneinfo
from unittest import mock

import pytest

from tests.helpers import alert_text, new_case, one_open, snapshot
from workflows import workdays
from workflows.models import AuditEvent, Notification, WorkdayOverride
from workflows.periods import end_of_day
from workflows.services import cases as svc
from workflows.services import reminders

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
D = datetime.date


def at(*args):
    return datetime.datetime(*args, tzinfo=SH)


def test_a_step_due_over_national_day_lands_on_the_first_working_day_after_it(db):
    # 2026 国庆: 1–7 October off; 8 October is the first working day after it.
    assert [workdays.is_workday(D(2026, 10, d)) for d in range(1, 8)] == [False] * 7
    assert workdays.add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert workdays.add_workdays(D(2026, 9, 29), 3) == D(2026, 10, 9)


def test_a_tiaoxiu_saturday_counts_as_a_working_day(db):
    assert D(2026, 10, 10).weekday() == 5 and workdays.is_workday(D(2026, 10, 10))
    assert workdays.add_workdays(D(2026, 10, 9), 1) == D(2026, 10, 10)
    assert workdays.add_workdays(D(2026, 10, 10), 1) == D(2026, 10, 12)  # Sunday the 11th is off
    # Counting back skips the holiday too (the reminder's window).
    assert workdays.add_workdays(D(2026, 10, 8), -1) == D(2026, 9, 30)


def test_a_real_task_opened_before_the_holiday_is_due_after_it(world, settings):
    settings.SHUANGPEI_DUE_DAYS = {**settings.SHUANGPEI_DUE_DAYS, "pair": 1}
    with mock.patch("django.utils.timezone.now", lambda: at(2026, 9, 30, 10)):
        case = svc.case_register(actor=world.officer, teacher_id=world.candidate1.pk, kind="1")
    task = one_open(case)
    assert task.due_at == end_of_day(D(2026, 10, 8))


def test_the_training_period_before_submission_stays_in_calendar_days(world):
    with mock.patch("django.utils.timezone.now", lambda: at(2026, 9, 30, 10)):
        case = new_case(world, "周培养", "training")
    task = one_open(case)
    assert task.flow_task.name == "submit"
    # 365 calendar days for 类别1, not 365 working days (a year and a half).
    assert (task.due_at - at(2026, 9, 30, 10)).days == 365


def test_the_citys_table_overrides_the_statutory_calendar_and_covers_unknown_years(world):
    WorkdayOverride.objects.create(date=D(2026, 10, 8), workday=False, name="本市补休", updated_by=world.city_admin)
    assert workdays.add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 9)
    # A year the package does not know: Monday–Friday, plus what the city entered.
    assert not workdays.package_knows(2040)
    assert workdays.is_workday(D(2040, 1, 2)) and not workdays.is_workday(D(2040, 1, 7))
    WorkdayOverride.objects.create(date=D(2040, 1, 2), workday=False, name="元旦", updated_by=world.city_admin)
    assert not workdays.is_workday(D(2040, 1, 2))


def test_due_dates_read_the_citys_table_once_per_process_and_see_a_change_made_here_at_once(
    world, django_assert_num_queries
):
    with django_assert_num_queries(1):
        assert workdays.add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 8)
    with django_assert_num_queries(0):
        assert workdays.due_in_workdays(1, at(2026, 9, 30, 10)) == end_of_day(D(2026, 10, 8))
    row = WorkdayOverride.objects.create(
        date=D(2026, 10, 8), workday=False, name="本市补休", updated_by=world.city_admin
    )
    assert workdays.add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 9)
    row.delete()
    assert workdays.add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 8)


def test_a_change_made_by_another_process_is_seen_within_the_ttl(world):
    """Another worker's edit sends no signal here (an UPDATE stands in for it): the copy holds
    for at most ``OVERRIDES_TTL`` seconds; the page's and ``is_workday``'s reads are exact."""
    row = WorkdayOverride.objects.create(
        date=D(2026, 10, 8), workday=False, name="本市补休", updated_by=world.city_admin
    )
    start = 1000.0
    with mock.patch("workflows.workdays.time.monotonic", lambda: start):
        assert workdays.add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 9)
    WorkdayOverride.objects.filter(pk=row.pk).update(workday=True)
    assert workdays.is_workday(D(2026, 10, 8))
    with mock.patch("workflows.workdays.time.monotonic", lambda: start + workdays.OVERRIDES_TTL - 1):
        assert workdays.add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 9)  # still the copy
    with mock.patch("workflows.workdays.time.monotonic", lambda: start + workdays.OVERRIDES_TTL):
        assert workdays.add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 8)


def test_escalation_counts_working_days_not_calendar_days(world):
    with mock.patch("django.utils.timezone.now", lambda: at(2026, 9, 1, 9)):
        case = svc.case_register(actor=world.officer, teacher_id=world.candidate1.pk, kind="1")
    task = one_open(case)
    type(task).objects.filter(pk=task.pk).update(due_at=end_of_day(D(2026, 9, 30)))
    # Eight calendar days later but one working day: overdue, not yet escalated (policy: 7).
    reminders.tick(now=at(2026, 10, 8, 12))
    task.refresh_from_db()
    assert task.overdue_at is not None and task.escalated_to_id is None
    # The 7th working day after 30 September is 15 October (8, 9, Saturday 10, 12–15); the task
    # is escalated once that day is over.
    assert workdays.add_workdays(D(2026, 9, 30), 7) == D(2026, 10, 15)
    reminders.tick(now=at(2026, 10, 15, 12))
    task.refresh_from_db()
    assert task.escalated_to_id is None
    reminders.tick(now=at(2026, 10, 16, 9))
    task.refresh_from_db()
    assert task.escalated_to_id is not None
    assert "个工作日" in Notification.objects.filter(kind="escalated").first().message


# --- the page -------------------------------------------------------------------------


def test_the_city_enters_a_day_and_it_is_audited(client, world):
    client.force_login(world.city_admin)
    page = client.get("/inbox/calendar/?year=2026")
    assert page.status_code == 200 and "法定安排" in page.content.decode()
    # Each day named by its holiday, in Chinese.
    assert "放假（国庆节）" in page.content.decode() and "上班（国庆节调休）" in page.content.decode()
    answer = client.post("/inbox/calendar/set/", {"date": "2026-12-31", "workday": "0", "name": "跨年补休"})
    assert answer.status_code == 302
    row = WorkdayOverride.objects.get(date=D(2026, 12, 31))
    assert row.workday is False and row.name == "跨年补休"
    event = AuditEvent.objects.filter(action="calendar_edit").latest("seq")
    assert event.changes["date"] == "2026-12-31" and event.changes["workday"] == [None, False]
    assert event.role == "city_admin"
    answer = client.post("/inbox/calendar/clear/", {"date": "2026-12-31"})
    assert answer.status_code == 302 and not WorkdayOverride.objects.exists()
    assert AuditEvent.objects.filter(action="calendar_edit").count() == 2


def test_bad_input_is_refused_with_the_input_kept(client, world):
    client.force_login(world.city_admin)
    before = snapshot()
    answer = client.post("/inbox/calendar/set/", {"date": "2026-12-31", "workday": "0", "name": ""})
    assert answer.status_code == 400 and "请填写名称" in alert_text(answer)
    assert 'value="2026-12-31"' in answer.content.decode()
    answer = client.post("/inbox/calendar/set/", {"date": "31/12/2026", "workday": "0", "name": "补休"})
    assert answer.status_code == 400 and "日期格式" in alert_text(answer)
    assert 'value="补休"' in answer.content.decode()
    assert snapshot() == before and not WorkdayOverride.objects.exists()
    assert client.get("/inbox/calendar/?year=abc").status_code == 400


@pytest.mark.parametrize("who", ["reviewer", "officer", "auditor"])
def test_other_officials_read_the_calendar_but_cannot_change_it(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get("/inbox/calendar/").status_code == 200
    answer = client.post("/inbox/calendar/set/", {"date": "2026-12-31", "workday": "0", "name": "补休"})
    assert answer.status_code == 403 and "只有市级管理员" in alert_text(answer)
    assert not WorkdayOverride.objects.exists()
    assert not AuditEvent.objects.filter(action="calendar_edit").exists()


def test_people_without_an_official_role_do_not_see_it(client, world):
    assert client.get("/inbox/calendar/").status_code == 302  # anonymous: to the login page
    for user in (world.outsider, world.member_mentor.user, world.candidate1.user):
        client.force_login(user)
        assert client.get("/inbox/calendar/").status_code == 403
        answer = client.post("/inbox/calendar/set/", {"date": "2026-12-31", "workday": "0", "name": "补休"})
        assert answer.status_code == 403
    assert not WorkdayOverride.objects.exists()

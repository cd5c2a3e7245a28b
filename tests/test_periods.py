"""The programme's calendar: record periods on a unit's cadence, semesters, month arithmetic."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from workflows.periods import (
    Period,
    add_months,
    record_period,
    record_period_label,
    semester_end,
    semester_label,
    semester_of,
)

D = datetime.date
SHANGHAI = ZoneInfo("Asia/Shanghai")


# --- record periods -------------------------------------------------------------------


@pytest.mark.parametrize(
    "day, every, start, end",
    [
        # Monthly: each calendar month, across the Dec → Jan year boundary.
        (D(2026, 12, 1), 1, D(2026, 12, 1), D(2026, 12, 31)),
        (D(2026, 12, 31), 1, D(2026, 12, 1), D(2026, 12, 31)),
        (D(2027, 1, 1), 1, D(2027, 1, 1), D(2027, 1, 31)),
        (D(2026, 4, 30), 1, D(2026, 4, 1), D(2026, 4, 30)),
        # Every two months: Jan–Feb, …, Nov–Dec.
        (D(2026, 11, 1), 2, D(2026, 11, 1), D(2026, 12, 31)),
        (D(2026, 12, 31), 2, D(2026, 11, 1), D(2026, 12, 31)),
        (D(2027, 1, 1), 2, D(2027, 1, 1), D(2027, 2, 28)),
        (D(2027, 3, 1), 2, D(2027, 3, 1), D(2027, 4, 30)),
        # Quarterly.
        (D(2026, 10, 1), 3, D(2026, 10, 1), D(2026, 12, 31)),
        (D(2026, 12, 31), 3, D(2026, 10, 1), D(2026, 12, 31)),
        (D(2027, 1, 1), 3, D(2027, 1, 1), D(2027, 3, 31)),
        (D(2027, 4, 1), 3, D(2027, 4, 1), D(2027, 6, 30)),
        (D(2027, 9, 30), 3, D(2027, 7, 1), D(2027, 9, 30)),
        # Half-yearly.
        (D(2026, 12, 15), 6, D(2026, 7, 1), D(2026, 12, 31)),
        (D(2027, 1, 1), 6, D(2027, 1, 1), D(2027, 6, 30)),
        (D(2027, 6, 30), 6, D(2027, 1, 1), D(2027, 6, 30)),
        (D(2027, 7, 1), 6, D(2027, 7, 1), D(2027, 12, 31)),
    ],
)
def test_record_period_for_each_cadence(day, every, start, end):
    """The period is the calendar-aligned block of ``every`` months containing the day."""
    assert record_period(day, every) == Period(start, end)


@pytest.mark.parametrize(
    "day, every, end",
    [
        (D(2028, 2, 10), 1, D(2028, 2, 29)),  # leap year
        (D(2027, 2, 10), 1, D(2027, 2, 28)),
        (D(2100, 2, 1), 1, D(2100, 2, 28)),  # divisible by 100: not a leap year
        (D(2000, 2, 1), 1, D(2000, 2, 29)),  # divisible by 400: a leap year
        (D(2028, 1, 31), 2, D(2028, 2, 29)),
        (D(2027, 1, 31), 2, D(2027, 2, 28)),
    ],
)
def test_record_period_ends_on_the_last_day_of_february(day, every, end):
    assert record_period(day, every).end == end


def test_record_period_defaults_to_monthly():
    assert record_period(D(2026, 12, 15)) == Period(D(2026, 12, 1), D(2026, 12, 31))


@pytest.mark.parametrize("every", [0, 4, 5, 12, -1])
def test_record_period_refuses_other_cadences(every):
    with pytest.raises(ValueError):
        record_period(D(2026, 12, 15), every)


@pytest.mark.parametrize("every", [1, 2, 3, 6])
def test_record_periods_tile_the_calendar(every):
    """Over three years, every day is in exactly one period, each period follows the last
    without a gap, starts on a 1st and spans ``every`` whole months."""
    day, previous = D(2026, 1, 1), None
    while day <= D(2028, 12, 31):
        period = record_period(day, every)
        assert period.contains(day)
        assert period.start.day == 1 and (period.start.month - 1) % every == 0
        assert add_months(period.start, every) == period.end + datetime.timedelta(days=1)
        if previous is not None and period != previous:
            assert period.start == previous.end + datetime.timedelta(days=1)
        previous = period
        day += datetime.timedelta(days=1)


def test_period_contains_its_first_and_last_day_only():
    period = Period(D(2026, 12, 1), D(2026, 12, 31))
    assert period.contains(D(2026, 12, 1)) and period.contains(D(2026, 12, 31))
    assert not period.contains(D(2026, 11, 30)) and not period.contains(D(2027, 1, 1))


def test_record_period_labels():
    assert record_period_label(record_period(D(2026, 12, 15), 1)) == "2026年12月"
    assert record_period_label(record_period(D(2026, 12, 15), 3)) == "2026年10–12月"
    assert record_period_label(record_period(D(2027, 2, 15), 6)) == "2027年1–6月"


# --- due_at ---------------------------------------------------------------------------------


def test_due_at_is_the_last_second_of_the_last_day_in_local_time():
    due = record_period(D(2026, 12, 15)).due_at
    assert timezone.is_aware(due)
    assert due == datetime.datetime(2026, 12, 31, 23, 59, 59, tzinfo=SHANGHAI)
    # Asia/Shanghai is UTC+8: still the afternoon of the 31st in UTC, not midnight UTC.
    assert due.astimezone(datetime.UTC) == datetime.datetime(2026, 12, 31, 15, 59, 59, tzinfo=datetime.UTC)


def test_due_at_of_a_quarter_and_of_a_leap_february():
    assert record_period(D(2027, 1, 5), 3).due_at == datetime.datetime(2027, 3, 31, 23, 59, 59, tzinfo=SHANGHAI)
    assert record_period(D(2028, 2, 5), 1).due_at == datetime.datetime(2028, 2, 29, 23, 59, 59, tzinfo=SHANGHAI)


def test_due_at_follows_the_active_time_zone():
    with timezone.override("UTC"):
        due = record_period(D(2026, 12, 15)).due_at
    assert due == datetime.datetime(2026, 12, 31, 23, 59, 59, tzinfo=datetime.UTC)


# --- semesters ------------------------------------------------------------------------------

AUTUMN_2026 = Period(D(2026, 9, 1), D(2027, 1, 31))
SPRING_2027 = Period(D(2027, 2, 1), D(2027, 7, 31))
AUTUMN_2027 = Period(D(2027, 9, 1), D(2028, 1, 31))


@pytest.mark.parametrize(
    "day, semester",
    [
        (D(2026, 9, 1), AUTUMN_2026),
        (D(2026, 12, 31), AUTUMN_2026),
        (D(2027, 1, 1), AUTUMN_2026),
        (D(2027, 1, 31), AUTUMN_2026),
        (D(2027, 2, 1), SPRING_2027),
        (D(2027, 7, 31), SPRING_2027),
        (D(2027, 8, 1), None),
        (D(2027, 8, 31), None),
        (D(2027, 9, 1), AUTUMN_2027),
        (D(2028, 1, 31), AUTUMN_2027),
    ],
)
def test_semester_of(day, semester):
    """秋季 1 Sep – 31 Jan, 春季 1 Feb – 31 Jul; August belongs to no semester."""
    assert semester_of(day) == semester


def test_every_day_but_august_is_in_a_semester_that_contains_it():
    day = D(2026, 1, 1)
    while day <= D(2028, 12, 31):
        semester = semester_of(day)
        if day.month == 8:
            assert semester is None
        else:
            assert semester.contains(day) and semester_end(semester.start) == semester.end
        day += datetime.timedelta(days=1)


def test_semester_labels_and_ends():
    assert semester_label(D(2026, 9, 1)) == "2026年秋季学期"
    assert semester_label(D(2027, 2, 1)) == "2027年春季学期"
    assert semester_end(D(2026, 9, 1)) == D(2027, 1, 31)
    assert semester_end(D(2027, 2, 1)) == D(2027, 7, 31)


# --- add_months -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day, months, result",
    [
        (D(2027, 1, 31), 1, D(2027, 2, 28)),  # clamped to February's last day
        (D(2028, 1, 31), 1, D(2028, 2, 29)),  # … in a leap year
        (D(2026, 8, 31), 1, D(2026, 9, 30)),
        (D(2027, 3, 31), -1, D(2027, 2, 28)),
        (D(2028, 2, 29), 12, D(2029, 2, 28)),
        (D(2028, 2, 29), 48, D(2032, 2, 29)),
        (D(2026, 12, 15), 1, D(2027, 1, 15)),  # across the year boundary
        (D(2027, 1, 15), -1, D(2026, 12, 15)),
        (D(2026, 11, 10), 12, D(2027, 11, 10)),
        (D(2026, 11, 10), 6, D(2027, 5, 10)),
        (D(2026, 11, 10), 0, D(2026, 11, 10)),
        (D(2026, 12, 31), -12, D(2025, 12, 31)),
    ],
)
def test_add_months(day, months, result):
    assert add_months(day, months) == result

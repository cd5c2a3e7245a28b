"""Working days: China's statutory holidays and 调休 (issue 12).

Due dates, reminders and escalation count working days: a step given 14 days has 14 working
days, so a task due over the 国庆 holiday lands on the first working day after it, and a 调休
Saturday counts. The statutory calendar comes from the maintained ``chinese-calendar`` package
(updated each year when the State Council publishes the next year's arrangement); the city's
table (``WorkdayOverride``, page 工作日历) takes precedence, for a year the package does not
know yet or a local day off. A year known to neither falls back to Monday–Friday.

The gate's minimum training periods stay in calendar months (workflows/services/training.py);
record periods and 9月10日 are calendar dates.
"""

import datetime
import time

import chinese_calendar
from django.db import transaction
from django.utils import timezone

from .periods import end_of_day

ONE_DAY = datetime.timedelta(days=1)
# The package names its holidays in English.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def holiday_name(day: datetime.date) -> str:
    """The statutory holiday ``day`` belongs to (a day off, or a 调休 working day for it), in
    Chinese; "" for an ordinary day or a year the package does not know."""
    try:
        _on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return ""
    return HOLIDAY_NAMES.get(name, name or "")


def package_knows(year: int) -> bool:
    """Whether the statutory calendar of ``year`` is in the installed package."""
    try:
        chinese_calendar.is_workday(datetime.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def known_years() -> list[int]:
    return [y for y in range(2004, timezone.localdate().year + 3) if package_knows(y)]


def _overrides(start: datetime.date, end: datetime.date) -> dict[datetime.date, bool]:
    from .models.calendar import WorkdayOverride

    return dict(WorkdayOverride.objects.filter(date__gte=start, date__lte=end).values_list("date", "workday"))


# The city's table as a single due date reads it (``_calendar_around``: a task opened, a
# reminder's window), kept per process: the table is a few dozen rows a year and changes a few
# times a year, and every step that opens would otherwise read it.
#
# Staleness bound: a change made in this process (``WorkdayOverride`` saved or deleted,
# ``forget_overrides`` on the signal and again on commit) is seen at once; a change made in
# another process (another gunicorn worker, the admin's shell) is seen here at most
# ``OVERRIDES_TTL`` seconds later. Until then a step this process opens can get the due date
# the table gave before the change, as a step opened just before the change does (the table
# never moves the due dates of open steps). Reads that must be exact read the table
# themselves: the 工作日历 page, ``is_workday`` and a ``tick`` pass (``Calendar(start, end)``).
OVERRIDES_TTL = 60.0
_cached: tuple[float, dict[datetime.date, bool]] | None = None


def _cached_overrides() -> dict[datetime.date, bool]:
    global _cached
    from .models.calendar import WorkdayOverride

    now = time.monotonic()
    cached = _cached
    if cached is None or now - cached[0] >= OVERRIDES_TTL:
        cached = (now, dict(WorkdayOverride.objects.values_list("date", "workday")))
        _cached = cached
    return cached[1]


def forget_overrides(**_signal) -> None:
    """Drop this process's copy of the city's table (after a change; between tests)."""
    global _cached
    _cached = None


def overrides_changed(**_signal) -> None:
    """``WorkdayOverride`` saved or deleted: forget now, and again once the change commits (a
    copy read meanwhile by another thread of this process saw the table without it)."""
    forget_overrides()
    transaction.on_commit(forget_overrides)


def _statutory(day: datetime.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


class Calendar:
    """Working-day arithmetic over a window of days, reading the city's table once."""

    def __init__(self, start: datetime.date, end: datetime.date, overrides: dict | None = None):
        self.start, self.end = start, end
        self.overrides = _overrides(start, end) if overrides is None else overrides

    def is_workday(self, day: datetime.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        return _statutory(day)


def _calendar_around(day: datetime.date, days: int) -> Calendar:
    # Holidays take at most ~9 days in a row; three times the span is more than enough.
    span = datetime.timedelta(days=3 * abs(days) + 30)
    return Calendar(day - span, day + span, overrides=_cached_overrides())


def is_workday(day: datetime.date) -> bool:
    return Calendar(day, day).is_workday(day)


def add_workdays(day: datetime.date, n: int, cal: Calendar | None = None) -> datetime.date:
    """The ``n``-th working day after ``day`` (n ≥ 1); with n = 0, ``day`` itself if it is a
    working day, else the next one. Negative ``n`` counts back. ``cal``: a calendar already read
    for a window around ``day`` (a pass over many days reads the city's table once)."""
    cal = cal or _calendar_around(day, n)
    step = ONE_DAY if n >= 0 else -ONE_DAY
    if n == 0:
        while not cal.is_workday(day):
            day += ONE_DAY
        return day
    left = abs(n)
    while left:
        day += step
        if cal.is_workday(day):
            left -= 1
    return day


def due_in_workdays(n: int, now: datetime.datetime | None = None) -> datetime.datetime:
    """The end of the ``n``-th working day after today: when a step given ``n`` days is due."""
    today = timezone.localdate(now or timezone.now())
    return end_of_day(add_workdays(today, n))


def remind_from(due: datetime.datetime, n: int, cal: Calendar | None = None) -> datetime.datetime:
    """When the 到期提醒 starts: the beginning of the working day ``n`` working days before the
    due day (n = 0: the due day itself)."""
    day = add_workdays(timezone.localdate(due), -n, cal) if n else timezone.localdate(due)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def escalate_from(due: datetime.datetime, n: int, cal: Calendar | None = None) -> datetime.datetime:
    """When an overdue task is escalated: the end of the ``n``-th working day after the due day."""
    return end_of_day(add_workdays(timezone.localdate(due), n, cal))

"""The programme's calendar: record periods (a unit's cadence) and semesters.

秋季学期 runs 1 Sep – 31 Jan and 春季学期 1 Feb – 31 Jul (DOMAIN §4); August is the
summer holiday and belongs to no semester. Record periods are calendar-aligned blocks
of ``every`` months (1: each month, 3: each quarter…), so every mentor of a unit is due
on the same day.
"""

import calendar
import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date  # inclusive

    def contains(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end

    @property
    def due_at(self) -> datetime.datetime:
        """The last second of the period's last day, in local time."""
        return end_of_day(self.end)


def end_of_day(day: datetime.date) -> datetime.datetime:
    """23:59:59 local time on ``day``: when something due that day becomes overdue."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59, 59)))


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` moved by whole months, clamped to the month's last day (31 Jan + 1 → 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(day.day, last))


def _month_end(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def record_period(day: datetime.date, every: int = 1) -> Period:
    """The record period containing ``day`` for a cadence of one record every ``every`` months."""
    if every not in (1, 2, 3, 6):
        raise ValueError(every)
    first_month = (day.month - 1) // every * every + 1
    start = datetime.date(day.year, first_month, 1)
    last = add_months(start, every - 1)
    return Period(start, _month_end(last.year, last.month))


def record_period_label(period: Period) -> str:
    if period.start.month == period.end.month:
        return _("%(y)d年%(m)d月") % {"y": period.start.year, "m": period.start.month}
    return _("%(y)d年%(a)d–%(b)d月") % {"y": period.start.year, "a": period.start.month, "b": period.end.month}


def semester_of(day: datetime.date) -> Period | None:
    """The semester containing ``day``; ``None`` in the August holiday."""
    if day.month >= 9:
        return Period(datetime.date(day.year, 9, 1), datetime.date(day.year + 1, 1, 31))
    if day.month == 1:
        return Period(datetime.date(day.year - 1, 9, 1), datetime.date(day.year, 1, 31))
    if day.month <= 7:
        return Period(datetime.date(day.year, 2, 1), datetime.date(day.year, 7, 31))
    return None


def semester_label(start: datetime.date) -> str:
    if start.month == 9:
        return _("%(y)d年秋季学期") % {"y": start.year}
    return _("%(y)d年春季学期") % {"y": start.year}


def semester_end(start: datetime.date) -> datetime.date:
    return datetime.date(start.year + 1, 1, 31) if start.month == 9 else datetime.date(start.year, 7, 31)

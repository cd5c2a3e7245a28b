"""逾期 for 附件2, defined once: the 年度报表 page (``services.reports.annex2_status``) and the
dashboard (``figures.report_status``) both ask here, so they cannot disagree about which units
are late (they once did: the page counted units whose report had been received).

- 逾期未报 (``overdue``): the due date has passed and no version was submitted or accepted
  (a version the city returned does not count as reported).
- 逾期报送 (``late``): reported, but the first version was sent after the due date.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from .models import ReportState

# A version in one of these states means the unit has reported (a returned one must be resent).
REPORTED_STATES = (ReportState.SUBMITTED, ReportState.ACCEPTED, ReportState.SUPERSEDED)


def annex2_due(year: int) -> datetime.date:
    """附件2 is due on 10 September of its year (``settings.ANNEX2_DUE``)."""
    month, day = settings.ANNEX2_DUE
    return datetime.date(year, month, day)


@dataclass(frozen=True)
class Standing:
    reported: bool
    overdue: bool  # 逾期未报
    late: bool  # 逾期报送


def _local_day(moment) -> datetime.date:
    return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()


def overdue_unreported(*, due: datetime.date, today: datetime.date, reported: bool) -> bool:
    """逾期未报."""
    return today > due and not reported


def annex2_standing(versions, *, due: datetime.date, today: datetime.date) -> Standing:
    """How a unit's versions for the year (objects with version, state, submitted_at) stand."""
    ordered = sorted(versions, key=lambda r: r.version)
    reported = any(r.state in REPORTED_STATES for r in ordered)
    first = ordered[0].submitted_at if ordered else None
    late = reported and first is not None and _local_day(first) > due
    return Standing(reported=reported, overdue=overdue_unreported(due=due, today=today, reported=reported), late=late)

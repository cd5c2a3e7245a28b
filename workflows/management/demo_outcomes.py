"""Demo data for the two 80% targets: yearly 评优 results and party admissions.

``seed_outcomes`` is called by ``seed_demo`` after the cases have been played. It records,
through the services (so each entry has its audit event), for the previous and the current
year:

- a party admission for each teacher whose 类别1 case completed, dated on the completion
  (the completion year's 28 June when the case was filed later than its 完成年度);
- a 评优 result for about 30% of the teachers, mostly party members, and for every teacher
  admitted that year (nearly all rated 优秀, as the plan's target asks).

Teachers in units where the demo has no 党务干部 or 审核人 account get their rows written
directly, without an actor (as if imported from the bureau's files), so the city's figures
cover every unit. It is idempotent: what is already recorded is left as it is, so a second
run adds nothing.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from ..errors import GuardError
from ..models import (
    Annex2Row,
    Appraisal,
    AppraisalResult,
    CaseKind,
    CaseState,
    PartyAdmission,
    Teacher,
)
from ..routing import nearest_org_with_role
from ..selectors import users_holding
from ..services import outcomes as svc

# Share of teachers appraised each year, in percent: party members are commended far more often.
SHARE_MEMBERS = 45
SHARE_OTHERS = 12


def _picked(teacher: Teacher, year: int, share: int) -> bool:
    """A stable pseudo-random choice, so reruns pick the same teachers."""
    return (teacher.pk * 37 + year * 11) % 100 < share


def _result(teacher: Teacher, year: int, *, admitted: bool) -> str:
    if admitted:
        # Newly admitted members: about five in six rated 优秀.
        return AppraisalResult.COMPETENT if (teacher.pk + year) % 6 == 0 else AppraisalResult.EXCELLENT
    if teacher.is_party_member:
        return AppraisalResult.COMPETENT if (teacher.pk + year) % 5 == 0 else AppraisalResult.EXCELLENT
    return AppraisalResult.EXCELLENT if (teacher.pk + year) % 3 == 0 else AppraisalResult.COMPETENT


def seed_outcomes(stdout=None) -> dict:
    """Record the demo's appraisals and admissions for last year and this year; return the counts."""
    today = timezone.localdate()
    years = (today.year - 1, today.year)
    officers: dict[int, object] = {}

    def recorder(teacher: Teacher):
        """The school's 党务干部, else the unit's 审核人; None where the demo gave neither."""
        if teacher.org_id not in officers:
            officers[teacher.org_id] = None
            for role in svc.RECORDERS:
                try:
                    org = nearest_org_with_role(teacher.org, role)
                except GuardError:
                    continue
                officers[teacher.org_id] = users_holding(role, org).first()
                break
        return officers[teacher.org_id]

    added = {"admissions": 0, "appraisals": 0}
    with transaction.atomic():
        # Admissions: the teachers of completed 类别1 cases, on their completion date.
        rows = (
            Annex2Row.objects.filter(kind=CaseKind.CULTIVATE_MEMBER, year__in=years, case__state=CaseState.COMPLETED)
            .select_related("case__teacher__org")
            .order_by("year", "id")
        )
        admitted_in: dict[int, int] = {}
        for row in rows:
            teacher = row.case.teacher
            completed_on = timezone.localdate(row.case.completed_at) if row.case.completed_at else None
            if completed_on is None or completed_on.year != row.year:
                completed_on = min(datetime.date(row.year, 6, 28), today)
            existing = PartyAdmission.objects.filter(teacher=teacher).first()
            if existing is None:
                actor = recorder(teacher)
                if actor is None:
                    existing = PartyAdmission.objects.create(teacher=teacher, admitted_on=completed_on)
                else:
                    existing = svc.record_admission(actor=actor, teacher_id=teacher.pk, admitted_on=completed_on)
                added["admissions"] += 1
            admitted_in[teacher.pk] = existing.admitted_on.year

        # Appraisals: about 30% of teachers each year, mostly party members, and the newly admitted.
        done = set(Appraisal.objects.filter(year__in=years).values_list("teacher_id", "year"))
        teachers = list(Teacher.objects.select_related("org").order_by("id"))
        for year in years:
            for teacher in teachers:
                if (teacher.pk, year) in done:
                    continue
                admitted_year = admitted_in.get(teacher.pk)
                if admitted_year is not None and admitted_year > year:
                    continue  # not yet a member that year; the service would record today's status
                admitted = admitted_year == year
                share = SHARE_MEMBERS if teacher.is_party_member else SHARE_OTHERS
                if not admitted and not _picked(teacher, year, share):
                    continue
                result = _result(teacher, year, admitted=admitted)
                actor = recorder(teacher)
                if actor is None:
                    Appraisal.objects.create(
                        teacher=teacher, year=year, result=result, party_member=teacher.is_party_member
                    )
                else:
                    svc.record_appraisal(actor=actor, teacher_id=teacher.pk, year=year, result=result)
                added["appraisals"] += 1
    if stdout is not None:
        stdout.write(
            f"已登记评优结果 {added['appraisals']} 条、入党 {added['admissions']} 条"
            f"（{years[0]}—{years[1]}年度；已有的记录保持不变）。"
        )
    return added

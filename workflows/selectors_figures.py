"""The reads behind the 统计看板, the 年度党建工作考核 and the 通报: every query scoped first.

Kept beside ``workflows/selectors.py`` (every other read lives there) rather than inside the
figures package, so that scope is reviewed where scope is reviewed; ``selectors.py`` itself is
past its size and shared, so the figures' reads are a sibling module rather than a section of it.
Each function answers for a ``Scope`` (the city, the units a user oversees, or a school's slice)
in a fixed number of aggregate queries however many units there are; the values it returns are
the plain objects of ``workflows.figures.values``.
"""

import datetime

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from .deadlines import annex2_due
from .errors import NotPermitted
from .figures.values import (
    CITY_MINIMUMS,
    FIRST_YEAR,
    KINDS,
    KindFigure,
    Minimum,
    ReportStatus,
    Scope,
    Slice,
    Target,
    report_status,
)
from .models import (
    Annex2Row,
    AnnualReport,
    Appraisal,
    AppraisalResult,
    Case,
    CaseKind,
    CaseTask,
    Organisation,
    OrgKind,
    PartyAdmission,
    Quota,
    QuotaPlan,
    QuotaYear,
)
from .models.organisations import UNIT_KINDS
from .selectors import units_for_user, user_assignments

OPEN_STATUSES = ("NEW", "ASSIGNED", "STARTED")


# --- the scope ------------------------------------------------------------------------


def dashboard_scope(user) -> Scope:
    """The city for city users, the user's units for a unit's users, else the user's school slice.

    Users holding no role (培养人, 培养对象 and anyone else) are refused.
    """
    assignments = user_assignments(user)
    if not assignments:
        raise NotPermitted(
            _(
                "统计看板仅向党务干部、支部书记、审核人、市级管理员和审计人员开放；"
                "培养人和培养对象请在“我的待办”中查看自己的任务。"
            )
        )
    city = next((a.org for a in assignments if a.org.kind == OrgKind.CITY), None)
    if city is not None:
        units = Organisation.objects.filter(kind__in=UNIT_KINDS, path__startswith=city.path)
        return Scope("city", [Slice(u, True) for u in units.order_by("sort_order", "id")], [city.path])
    units = list(units_for_user(user))
    if units:
        return Scope("unit", [Slice(u, True) for u in units], [u.path for u in units])
    # Schools and branches: the slice below the unit, without the unit's plan.
    orgs = sorted({a.org.pk: a.org for a in assignments}.values(), key=lambda o: o.path)
    top = [o for o in orgs if not any(o.path != p.path and o.path.startswith(p.path) for p in orgs)]
    return Scope("school", [Slice(o, False) for o in top], [o.path for o in top])


def _paths_q(field_name: str, paths: list[str]) -> Q:
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{field_name}__startswith": path})
    return q


def _slice_of(scope: Scope, *, unit_id=None, path: str | None = None) -> Slice | None:
    """The slice a row belongs to: by unit for unit rows, by path prefix for a school's slice."""
    for s in scope.slices:
        if s.is_unit and unit_id is not None and s.org.pk == unit_id:
            return s
        if not s.is_unit and path is not None and path.startswith(s.org.path):
            return s
    return None


# --- the dashboard's figures -------------------------------------------------------


def plan_for_year(year: int) -> QuotaPlan | None:
    """The latest 三年计划 covering the year, else the latest plan imported."""
    plans = QuotaPlan.objects.order_by("-first_year", "-id")
    return plans.filter(first_year__lte=year, last_year__gte=year).first() or plans.first()


def quota_figures(scope: Scope, year: int, plan: QuotaPlan | None) -> dict[int, dict[str, KindFigure]]:
    """Per slice and 类别: the year's plan and completions, the three-year plan and completions to date.

    Three queries: completions (one GROUP BY over the plan's years), the 附件1 rows, the year's breakdown.
    """
    figures = {s.org.pk: {k: KindFigure(k) for k in KINDS} for s in scope.slices}
    first = min(plan.first_year, year) if plan else year
    rows = Annex2Row.objects.filter(year__gte=first, year__lte=year)
    if scope.level == "school":
        rows = rows.filter(_paths_q("case__scope_path", scope.paths)).values("case__scope_path", "year", "kind")
        key = "case__scope_path"
    else:
        rows = rows.filter(unit_id__in=scope.unit_ids).values("unit_id", "year", "kind")
        key = "unit_id"
    for row in rows.annotate(n=Count("id")).order_by():
        found = _slice_of(scope, path=row[key]) if scope.level == "school" else _slice_of(scope, unit_id=row[key])
        if found is None:
            continue
        figure = figures[found.org.pk][row["kind"]]
        if row["year"] == year:
            figure.completed += row["n"]
        if plan and plan.first_year <= row["year"] <= min(plan.last_year, year):
            figure.completed_to_date += row["n"]
    if plan is None or scope.level == "school":
        return figures  # 附件1 quotas are set per unit; a school has no share of its own
    for row in (
        Quota.objects.filter(plan=plan, unit_id__in=scope.unit_ids)
        .values("unit_id", "kind")
        .annotate(total=Sum("total"))
        .order_by()
    ):
        figures[row["unit_id"]][row["kind"]].total = row["total"]
    for row in QuotaYear.objects.filter(unit_plan__plan=plan, unit_plan__unit_id__in=scope.unit_ids, year=year).values(
        "unit_plan__unit_id", "kind", "proposed", "approved"
    ):
        figure = figures[row["unit_plan__unit_id"]][row["kind"]]
        if row["approved"] is not None:
            figure.quota, figure.quota_source = row["approved"], "approved"
        else:
            figure.quota, figure.quota_source = row["proposed"], "proposed"
    return figures


def minimum_figures(scope: Scope, year: int) -> list[Minimum]:
    """Completions of the year per 类别: city-wide for the city, the units' own contribution otherwise."""
    rows = Annex2Row.objects.filter(year=year)
    if scope.level == "unit":
        rows = rows.filter(unit_id__in=scope.unit_ids)
    elif scope.level == "school":
        rows = rows.filter(_paths_q("case__scope_path", scope.paths))
    counts = dict(rows.values_list("kind").annotate(n=Count("id")).order_by())
    return [Minimum(k, CITY_MINIMUMS[k], counts.get(k, 0), city_wide=scope.is_city) for k in KINDS]


def target_figures(scope: Scope, year: int) -> list[Target]:
    """The two 80% targets for teachers in the scope (two aggregate queries)."""
    teacher_q = Q() if scope.is_city else _paths_q("teacher__org__path", scope.paths)
    excellent = Appraisal.objects.filter(teacher=OuterRef("teacher"), year=year, result=AppraisalResult.EXCELLENT)
    admitted = PartyAdmission.objects.filter(
        teacher_q, admitted_on__gte=datetime.date(year, 1, 1), admitted_on__lte=datetime.date(year, 12, 31)
    ).aggregate(total=Count("id"), excellent=Count("id", filter=Q(Exists(excellent))))
    commended = Appraisal.objects.filter(teacher_q, year=year, result=AppraisalResult.EXCELLENT).aggregate(
        total=Count("id"), members=Count("id", filter=Q(party_member=True))
    )
    return _targets(admitted, commended)


def stage_figures(scope: Scope) -> dict[int, dict[str, int]]:
    """Cases per stage (as they stand now), per slice: one GROUP BY."""
    counts: dict[int, dict[str, int]] = {s.org.pk: {} for s in scope.slices}
    if scope.level == "school":
        rows = Case.objects.filter(_paths_q("scope_path", scope.paths)).values("scope_path", "state")
    else:
        rows = Case.objects.filter(unit_id__in=scope.unit_ids).values("unit_id", "state")
    for row in rows.annotate(n=Count("id")).order_by():
        found = (
            _slice_of(scope, path=row["scope_path"])
            if scope.level == "school"
            else _slice_of(scope, unit_id=row["unit_id"])
        )
        if found is not None:
            bucket = counts[found.org.pk]
            bucket[row["state"]] = bucket.get(row["state"], 0) + row["n"]
    return counts


def overdue_figures(scope: Scope, now: datetime.datetime | None = None) -> dict[int, int]:
    """Open tasks past their due time, per slice (by the case's unit or place): one GROUP BY."""
    now = now or timezone.now()
    tasks = CaseTask.objects.filter(status__in=OPEN_STATUSES, due_at__lt=now)
    counts = {s.org.pk: 0 for s in scope.slices}
    if scope.level == "school":
        rows = tasks.filter(_paths_q("case__scope_path", scope.paths)).values("case__scope_path")
    else:
        rows = tasks.filter(case__unit_id__in=scope.unit_ids).values("case__unit_id")
    for row in rows.annotate(n=Count("id")).order_by():
        found = (
            _slice_of(scope, path=row["case__scope_path"])
            if scope.level == "school"
            else _slice_of(scope, unit_id=row["case__unit_id"])
        )
        if found is not None:
            counts[found.org.pk] += row["n"]
    return counts


def report_figures(scope: Scope, year: int, today: datetime.date) -> dict[int, ReportStatus]:
    """Each unit's 附件2 for the year (one query over every version)."""
    due = annex2_due(year)
    versions: dict[int, list] = {pk: [] for pk in scope.unit_ids}
    for report in AnnualReport.objects.filter(unit_id__in=scope.unit_ids, year=year).only(
        "id", "unit_id", "version", "state", "submitted_at"
    ):
        versions[report.unit_id].append(report)
    return {pk: report_status(rows, due=due, today=today) for pk, rows in versions.items()}


def dashboard_years(today: datetime.date | None = None) -> list[int]:
    """Years offered by the year selector: the plans' years, years with completions, and this year."""
    this_year = (today or timezone.localdate()).year
    years = {this_year, this_year - 1}
    for first, last in QuotaPlan.objects.values_list("first_year", "last_year"):
        years.update(range(first, last + 1))
    years.update(Annex2Row.objects.values_list("year", flat=True).distinct().order_by())
    return sorted((y for y in years if FIRST_YEAR <= y <= this_year + 1), reverse=True)


# --- 长沙's measures ----------------------------------------------------------------------


def measure_counts(scope: Scope, year: int) -> dict[str, int]:
    """Counts behind 长沙's three shares for the teachers in the scope (two aggregate queries).

    A teacher admitted in the year counts as a 骨干教师 when their record says so or when they
    were trained as 类别1 (骨干教师培养成共产党员): the case says they were backbone before.
    """
    from .models import Teacher
    from .models.people import PARTY_MEMBER_STATUSES

    teacher_q = Q() if scope.is_city else _paths_q("org__path", scope.paths)
    admission_q = Q() if scope.is_city else _paths_q("teacher__org__path", scope.paths)
    trained_backbone = Case.objects.filter(teacher=OuterRef("teacher"), kind=CaseKind.CULTIVATE_MEMBER)
    admitted = PartyAdmission.objects.filter(
        admission_q, admitted_on__gte=datetime.date(year, 1, 1), admitted_on__lte=datetime.date(year, 12, 31)
    ).aggregate(
        admitted=Count("id"),
        admitted_backbone=Count("id", filter=Q(teacher__is_backbone=True) | Q(Exists(trained_backbone))),
    )
    members = Q(party_status__in=PARTY_MEMBER_STATUSES)
    teachers = Teacher.objects.filter(teacher_q).aggregate(
        backbone=Count("id", filter=Q(is_backbone=True)),
        backbone_members=Count("id", filter=Q(is_backbone=True) & members),
        principals=Count("id", filter=Q(is_famous_principal=True)),
        principal_members=Count("id", filter=Q(is_famous_principal=True) & members),
    )
    return {**admitted, **teachers}


def measures(scope: Scope, year: int):
    from .figures.changsha import measure_shares

    return measure_shares(measure_counts(scope, year))


# --- 年度党建工作考核 -------------------------------------------------------------------------


def assessment_scope(user) -> Scope:
    """The units the figure set covers: every unit for the city, the user's own units otherwise.

    A school's officer (no unit) and anyone without a role are refused: the figure set is the
    unit's, assessed by the city.
    """
    scope = dashboard_scope(user)
    if scope.level == "school":
        raise NotPermitted(_("年度党建工作考核按区县教育局和直属单位统计；学校党组织请在统计看板中查看本校情况。"))
    return scope


def _targets_by_unit(unit_ids: list[int], year: int) -> dict[int, list[Target]]:
    """The two 80% targets per unit, by the teacher's unit (two GROUP BY queries)."""
    excellent = Appraisal.objects.filter(teacher=OuterRef("teacher"), year=year, result=AppraisalResult.EXCELLENT)
    admitted = {
        row["teacher__org__unit_id"]: row
        for row in PartyAdmission.objects.filter(
            teacher__org__unit_id__in=unit_ids,
            admitted_on__gte=datetime.date(year, 1, 1),
            admitted_on__lte=datetime.date(year, 12, 31),
        )
        .values("teacher__org__unit_id")
        .annotate(total=Count("id"), excellent=Count("id", filter=Q(Exists(excellent))))
        .order_by()
    }
    commended = {
        row["teacher__org__unit_id"]: row
        for row in Appraisal.objects.filter(
            teacher__org__unit_id__in=unit_ids, year=year, result=AppraisalResult.EXCELLENT
        )
        .values("teacher__org__unit_id")
        .annotate(total=Count("id"), members=Count("id", filter=Q(party_member=True)))
        .order_by()
    }
    empty = {"total": 0, "excellent": 0, "members": 0}
    return {pk: _targets(admitted.get(pk, empty), commended.get(pk, empty)) for pk in unit_ids}


def _targets(admitted: dict, commended: dict) -> list[Target]:
    return [
        Target(
            "admitted",
            _("年度新发展教师党员中获评“优秀”的比例"),
            admitted["excellent"],
            admitted["total"],
            _("获评“优秀”人数"),
            _("年度新发展教师党员人数"),
        ),
        Target(
            "commended",
            _("年度评选表彰的“优秀”教师中党员的比例"),
            commended["members"],
            commended["total"],
            _("其中党员人数"),
            _("年度获评“优秀”教师人数"),
        ),
    ]


def record_figures(unit_ids: list[int], year: int, today: datetime.date) -> dict[int, tuple[int, int]]:
    """Per unit: (record periods that ended in the year before today, of which written). One GROUP BY."""
    from .models import RecordDuty

    counts = {pk: (0, 0) for pk in unit_ids}
    last = min(datetime.date(year, 12, 31), today - datetime.timedelta(days=1))
    for row in (
        RecordDuty.objects.filter(
            case__unit_id__in=unit_ids, period_end__gte=datetime.date(year, 1, 1), period_end__lte=last
        )
        .values("case__unit_id")
        .annotate(due=Count("id"), written=Count("id", filter=Q(record__isnull=False)))
        .order_by()
    ):
        counts[row["case__unit_id"]] = (row["due"], row["written"])
    return counts


def assessment(user, year: int, *, today: datetime.date | None = None, scope: Scope | None = None):
    """年度党建工作考核: the figure set of each unit in the user's scope for the year."""
    from .figures.annual_review import Assessment, AssessmentRow

    scope = scope or assessment_scope(user)
    today = today or timezone.localdate()
    plan = plan_for_year(year)
    kinds = quota_figures(scope, year, plan)
    reports = report_figures(scope, year, today)
    records = record_figures(scope.unit_ids, year, today)
    targets = _targets_by_unit(scope.unit_ids, year)
    rows = [
        AssessmentRow(
            unit=s.org,
            kinds=kinds[s.org.pk],
            report=reports[s.org.pk],
            records_due=records[s.org.pk][0],
            records_written=records[s.org.pk][1],
            targets=targets[s.org.pk],
        )
        for s in scope.slices
    ]
    return Assessment(year=year, today=today, due=annex2_due(year), rows=rows, city_wide=scope.is_city)

"""The 统计看板 assembled: the scope's reads (``selectors_figures``) put into one ``Dashboard``."""

import datetime

from django.utils import timezone

from ..deadlines import annex2_due
from ..selectors_figures import (
    dashboard_scope,
    measures,
    minimum_figures,
    overdue_figures,
    plan_for_year,
    quota_figures,
    report_figures,
    stage_figures,
    target_figures,
)
from .values import KINDS, Dashboard, KindFigure, Scope, SliceFigures


def dashboard(user, year: int, *, today: datetime.date | None = None, scope: Scope | None = None) -> Dashboard:
    """Every figure of the 统计看板 for the user's scope and the year."""
    scope = scope or dashboard_scope(user)
    today = today or timezone.localdate()
    plan = plan_for_year(year)
    kinds = quota_figures(scope, year, plan)
    stages = stage_figures(scope)
    overdue = overdue_figures(scope)
    reports = report_figures(scope, year, today) if scope.level != "school" else {}
    rows = [
        SliceFigures(
            s,
            kinds[s.org.pk],
            stages=stages.get(s.org.pk, {}),
            overdue_tasks=overdue.get(s.org.pk, 0),
            report=reports.get(s.org.pk),
        )
        for s in scope.slices
    ]
    totals = {k: KindFigure(k) for k in KINDS}
    for row in rows:
        for k in KINDS:
            totals[k].add(row.kinds[k])
    return Dashboard(
        scope=scope,
        year=year,
        today=today,
        plan=plan,
        rows=rows,
        totals=totals,
        minimums=minimum_figures(scope, year),
        targets=target_figures(scope, year),
        due=annex2_due(year),
        measures=measures(scope, year),
    )

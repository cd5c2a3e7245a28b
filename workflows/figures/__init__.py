"""统计看板, the 年度党建工作考核 and the half-year 通报: the figures, in parts.

- ``values``: what each figure is (value objects, sums, 存在的问题), no queries;
- ``board``: the dashboard assembled from the scoped reads in ``workflows/selectors_figures.py``;
- ``annual_review``: the per-unit figure set of the 年度党建工作考核;
- ``changsha``: 长沙's measures (shares of party members among 骨干教师 / 名校长 …);
- drawing apart: the SVG charts in ``workflows/charts.py``, the 通报 PDF in
  ``workflows/bulletin_document.py``.

The dashboard page, the assessment and the 通报 PDF call the same functions, so they agree.
Everything other modules imported from the single ``figures.py`` is re-exported here.
"""

from . import values
from .values import (
    CITY_MINIMUMS,
    FIRST_YEAR,
    KINDS,
    TARGET_PERCENT,
    Dashboard,
    KindFigure,
    Minimum,
    ReportStatus,
    Scope,
    Slice,
    SliceFigures,
    Target,
    check_year,
    date_text,
    pct_text,
    problems,
    report_status,
)

# The rest is loaded on first use (PEP 562): the reads, the drawing and the PDF import
# ``.values`` themselves, so importing any of them first must not run into this module.
_LAZY = {
    "workflows.selectors_figures": (
        "OPEN_STATUSES",
        "_paths_q",
        "_slice_of",
        "assessment",
        "assessment_scope",
        "measure_counts",
        "measures",
        "dashboard_scope",
        "dashboard_years",
        "minimum_figures",
        "overdue_figures",
        "plan_for_year",
        "quota_figures",
        "report_figures",
        "stage_figures",
        "target_figures",
    ),
    "workflows.figures.board": ("dashboard",),
    "workflows.figures.annual_review": ("Assessment", "AssessmentRow", "assessment_xlsx"),
    "workflows.figures.changsha": ("Share", "measure_shares"),
    "workflows.charts": (
        "FONT",
        "NAME_CHARS",
        "_patterns",
        "_progress",
        "_svg",
        "_text",
        "dashboard_charts",
        "svg_minimums",
        "svg_quota_bars",
        "svg_targets",
    ),
    "workflows.bulletin_document": ("CITY_ISSUER", "bulletin_pdf", "bulletin_title"),
}
_HOME = {name: module for module, names in _LAZY.items() for name in names}
_date_text = date_text
_pct = values._pct


def __getattr__(name: str):
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "Assessment",
    "AssessmentRow",
    "Share",
    "assessment",
    "assessment_scope",
    "assessment_xlsx",
    "measure_counts",
    "measure_shares",
    "measures",
    "CITY_ISSUER",
    "CITY_MINIMUMS",
    "FIRST_YEAR",
    "KINDS",
    "OPEN_STATUSES",
    "TARGET_PERCENT",
    "Dashboard",
    "KindFigure",
    "Minimum",
    "ReportStatus",
    "Scope",
    "Slice",
    "SliceFigures",
    "Target",
    "bulletin_pdf",
    "bulletin_title",
    "check_year",
    "dashboard",
    "dashboard_scope",
    "dashboard_years",
    "date_text",
    "minimum_figures",
    "overdue_figures",
    "pct_text",
    "plan_for_year",
    "problems",
    "quota_figures",
    "report_figures",
    "report_status",
    "stage_figures",
    "svg_minimums",
    "svg_quota_bars",
    "svg_targets",
    "target_figures",
]

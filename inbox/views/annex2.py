"""附件2: a unit's annual table, on screen and as CSV / XLSX / PDF; the city's consolidated table."""

from django.contrib.auth.decorators import login_required
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from workflows import selectors
from workflows.documents import (
    annex2_city_pdf,
    annex2_city_xlsx,
    annex2_csv,
    annex2_pdf,
    annex2_table,
    annex2_xlsx,
)
from workflows.errors import GuardError, NotInScope, NotPermitted
from workflows.models import OrgKind

from .common import file_response, guarded


def _unit_and_year(request):
    units = list(selectors.units_for_user(request.user))
    if not units:
        raise NotInScope(_("您的管辖范围内没有区县教育局或直属单位，没有可查看的附件2汇总表。"))
    unit_id = request.GET.get("unit") or str(units[0].pk)
    unit = next((u for u in units if str(u.pk) == unit_id), None)
    if unit is None:
        raise NotInScope(_("未找到该单位，或它不在您的管辖范围内。"))
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        raise GuardError(_("年度须为四位数字，例如 2026。")) from None
    return units, unit, year


@login_required
@guarded
def annex2_page(request):
    units, unit, year = _unit_and_year(request)
    rows = selectors.annex2_rows(unit=unit, year=year)
    years = sorted(set(selectors.annex2_years(unit)) | {timezone.localdate().year}, reverse=True)
    return TemplateResponse(
        request,
        "inbox/annex2.html",
        {
            "units": units,
            "unit": unit,
            "year": year,
            "years": years,
            "table": annex2_table(rows),
            "count_1": sum(r.kind == "1" for r in rows),
            "count_2": sum(r.kind == "2" for r in rows),
            "can_city": is_city_user(request.user),
        },
    )


@login_required
@guarded
def annex2_download(request, fmt: str):
    if fmt not in ("csv", "xlsx", "pdf"):
        raise NotInScope(_("只提供 CSV、XLSX 和 PDF 三种格式。"))
    _units, unit, year = _unit_and_year(request)
    rows = selectors.annex2_rows(unit=unit, year=year)
    if fmt == "csv":
        filename, mimetype, content = annex2_csv(unit=unit, year=year, rows=rows)
    elif fmt == "pdf":
        filename, mimetype, content = annex2_pdf(unit=unit, year=year, rows=rows, dated=timezone.localdate())
    else:
        filename, mimetype, content = annex2_xlsx(unit=unit, year=year, rows=rows, dated=timezone.localdate())
    return file_response(filename, mimetype, content)


def is_city_user(user) -> bool:
    """Whether the user holds a role at the city organisation (市委教育工委)."""
    return any(a.org.kind == OrgKind.CITY for a in selectors.user_assignments(user))


@login_required
@guarded
def annex2_city_download(request, fmt: str):
    """The city's consolidated 附件2 of every unit, for the city's own staff only."""
    if fmt not in ("xlsx", "pdf"):
        raise NotInScope(_("全市汇总表只提供 XLSX 和 PDF 两种格式。"))
    if not is_city_user(request.user):
        raise NotPermitted(_("全市汇总表仅向市委教育工委的工作人员开放，您没有查看权限。"))
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        raise GuardError(_("年度须为四位数字，例如 2026。")) from None
    render = annex2_city_pdf if fmt == "pdf" else annex2_city_xlsx
    filename, mimetype, content = render(year=year, units=selectors.city_annex2(year), dated=timezone.localdate())
    return file_response(filename, mimetype, content)

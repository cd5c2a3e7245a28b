"""统计看板: the city's and each unit's figures for a year, and the half-year 通报 as PDF."""

from django.contrib.auth.decorators import login_required
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from workflows import figures, selectors
from workflows.errors import GuardError
from workflows.models import Role

from .common import file_response, guarded


def _year(request) -> int:
    return figures.check_year(request.GET.get("year"))


def _half(request) -> int:
    value = (request.GET.get("half") or "").strip()
    if not value:
        return 1 if timezone.localdate().month <= 6 else 2
    if value not in ("1", "2"):
        raise GuardError(_("半年度只能是 1（上半年）或 2（下半年）。"))
    return int(value)


@login_required
@guarded
def dashboard_page(request):
    year = _year(request)
    board = figures.dashboard(request.user, year)
    years = figures.dashboard_years(board.today)
    if year not in years:
        years = sorted({*years, year}, reverse=True)
    return TemplateResponse(
        request,
        "inbox/dashboard.html",
        {
            "board": board,
            "year": year,
            "years": years,
            "charts": board.charts,
            "can_bulletin": board.scope.level != "school",
            "can_record": any(
                a.role in (Role.OFFICER, Role.REVIEWER) for a in selectors.user_assignments(request.user)
            ),
        },
    )


@login_required
@guarded
def bulletin_download(request):
    return file_response(*figures.bulletin_pdf(request.user, year=_year(request), half=_half(request)))

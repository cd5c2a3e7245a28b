"""统计看板: the city's and each unit's figures for a year, the draft 通报 as PDF, the 签发 form
for the city, and the 年度党建工作考核 figure set (page and XLSX)."""

from django.contrib.auth.decorators import login_required
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from forms.bulletins import BulletinIssueForm
from workflows import figures, selectors
from workflows.access import bulletins as bulletin_access
from workflows.errors import GuardError
from workflows.models import Role

from .common import file_response, guarded


def _year(request) -> int:
    return figures.check_year(request.GET.get("year"))


def _half(request) -> int:
    value = (request.GET.get("half") or "").strip()
    if not value:
        return default_half()
    if value not in ("1", "2"):
        raise GuardError(_("半年度只能是 1（上半年）或 2（下半年）。"))
    return int(value)


def default_half() -> int:
    return 1 if timezone.localdate().month <= 6 else 2


def render_dashboard(request, year: int, *, issue_form=None, error: str = "", status: int = 200):
    """The page; a refused 签发 comes back here with its bound form (what was typed stays)."""
    board = figures.dashboard(request.user, year)
    years = figures.dashboard_years(board.today)
    if year not in years:
        years = sorted({*years, year}, reverse=True)
    can_issue = bulletin_access.may_issue(request.user)
    if can_issue and issue_form is None:
        issue_form = BulletinIssueForm(initial={"year": year, "half": default_half()})
    return TemplateResponse(
        request,
        "inbox/dashboard.html",
        {
            "board": board,
            "year": year,
            "years": years,
            "charts": board.charts,
            "can_bulletin": board.scope.level != "school",
            "can_assessment": board.scope.level != "school",
            "can_issue": can_issue,
            "issue_form": issue_form if can_issue else None,
            "error": error,
            "can_record": any(
                a.role in (Role.OFFICER, Role.REVIEWER) for a in selectors.user_assignments(request.user)
            ),
        },
        status=status,
    )


@login_required
@guarded
def dashboard_page(request):
    return render_dashboard(request, _year(request))


@login_required
@guarded
def bulletin_download(request):
    return file_response(*figures.bulletin_pdf(request.user, year=_year(request), half=_half(request)))


@login_required
@guarded
def assessment_page(request):
    """年度党建工作考核: every unit's figure set for the city, the unit's own for its officials."""
    year = _year(request)
    assessment = figures.assessment(request.user, year)
    years = figures.dashboard_years(assessment.today)
    if year not in years:
        years = sorted({*years, year}, reverse=True)
    return TemplateResponse(request, "inbox/assessment.html", {"assessment": assessment, "year": year, "years": years})


@login_required
@guarded
def assessment_download(request):
    assessment = figures.assessment(request.user, _year(request))
    return file_response(*figures.assessment_xlsx(assessment))

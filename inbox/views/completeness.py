"""完成情况: trainee × semester × item, for a school or a unit, on screen and as XLSX."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from workflows import selectors
from workflows.documents import completeness_xlsx
from workflows.errors import GuardError, NotInScope
from workflows.models import CaseKind
from workflows.periods import semester_label

from .common import file_response, guarded

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filters(request):
    """The organisations offered, and the chosen organisation and 类别 (refused when out of scope)."""
    orgs = selectors.completeness_orgs(request.user)
    org_id = (request.GET.get("org") or "").strip()
    org = None
    if org_id:
        org = next((o for o in orgs if str(o.pk) == org_id), None)
        if org is None:
            raise NotInScope(_("未找到该组织，或它不在您的管辖范围内。"))
    kind = (request.GET.get("kind") or "").strip()
    if kind and kind not in CaseKind.values:
        raise GuardError(_("“双培”类别只能是 1 或 2，或留空查看全部。"))
    return orgs, org, kind


def _query(org, kind) -> str:
    return urlencode({k: v for k, v in (("org", org.pk if org else ""), ("kind", kind)) if v})


@login_required
@guarded
def completeness_page(request):
    orgs, org, kind = _filters(request)
    semesters, rows = selectors.completeness_rows(request.user, org=org, kind=kind)
    return TemplateResponse(
        request,
        "inbox/completeness.html",
        {
            "orgs": orgs,
            "org": org,
            "kind": kind,
            "kinds": CaseKind.choices,
            "semesters": [semester_label(start) for start in semesters],
            "rows": rows,
            "missing_count": sum(row.missing for row in rows),
            "query": _query(org, kind),
        },
    )


@login_required
@guarded
def completeness_download(request):
    _orgs, org, kind = _filters(request)
    semesters, rows = selectors.completeness_rows(request.user, org=org, kind=kind)
    filename = _("双培完成情况") + (f"_{org.name}" if org else "") + (f"_类别{kind}" if kind else "") + ".xlsx"
    return file_response(filename, XLSX, completeness_xlsx(semesters, rows))

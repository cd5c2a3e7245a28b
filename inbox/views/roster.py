"""登记造册名册: a unit's or school's register of candidates, on screen and as XLSX / PDF."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from workflows import selectors
from workflows.errors import NotInScope
from workflows.roster import ROSTER_HEADER, ROSTER_TITLE, roster_groups, roster_pdf, roster_unit_name, roster_xlsx

from .common import file_response, guarded


def _filters(request):
    """The units and schools offered, the chosen one (the first by default) and whether closed cases count."""
    orgs = selectors.roster_orgs(request.user)
    org_id = (request.GET.get("org") or "").strip() or str(orgs[0].pk)
    org = next((o for o in orgs if str(o.pk) == org_id), None)
    if org is None:
        raise NotInScope(_("未找到该单位或学校，或它不在您的管辖范围内。"))
    include_closed = request.GET.get("closed") == "1"
    return orgs, org, include_closed


def _groups(request, org, include_closed):
    return roster_groups(selectors.roster_cases(request.user, org=org, include_closed=include_closed))


@login_required
@guarded
def roster_page(request):
    orgs, org, include_closed = _filters(request)
    groups = _groups(request, org, include_closed)
    query = urlencode({"org": org.pk, **({"closed": "1"} if include_closed else {})})
    return TemplateResponse(
        request,
        "inbox/roster.html",
        {
            "orgs": orgs,
            "org": org,
            "unit_name": roster_unit_name(org),
            "include_closed": include_closed,
            "title": ROSTER_TITLE,
            "header": ROSTER_HEADER,
            "groups": groups,
            "total": sum(len(g["rows"]) for g in groups),
            "today": timezone.localdate(),
            "query": query,
        },
    )


@login_required
@guarded
def roster_download(request, fmt: str):
    if fmt not in ("xlsx", "pdf"):
        raise NotInScope(_("登记造册名册只提供 XLSX 和 PDF 两种格式。"))
    _orgs, org, include_closed = _filters(request)
    groups = _groups(request, org, include_closed)
    render = roster_pdf if fmt == "pdf" else roster_xlsx
    filename, mimetype, content = render(
        org=org, groups=groups, dated=timezone.localdate(), include_closed=include_closed
    )
    # Personal data: not kept in shared caches or the browser's disk cache.
    return file_response(filename, mimetype, content, no_store=True)

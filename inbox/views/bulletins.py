"""通报: the city's issued half-year 通报 in each unit's inbox: read, download, 签收; the city sees
who has signed. The 签发 form sits on the 统计看板 (the figures it issues are shown there)."""

from django.contrib.auth.decorators import login_required
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from forms.bulletins import BulletinIssueForm
from forms.cases import first_error
from workflows import figures
from workflows.access import bulletins as rules
from workflows.errors import GuardError
from workflows.services import bulletins as svc

from .common import done, file_response, guarded, post_only
from .dashboard import render_dashboard


def _rows(user, bulletins) -> list[dict]:
    """Each 通报 with the receipts the user sees (all units for the city, their own otherwise)."""
    rows = []
    for bulletin in bulletins:
        receipts = list(rules.receipts_for_user(user, bulletin))
        rows.append(
            {
                "bulletin": bulletin,
                "receipts": [
                    {"receipt": r, "can_sign": r.read_at is None and rules.may_sign(user, r)} for r in receipts
                ],
                "signed": sum(1 for r in receipts if r.read_at is not None),
                "total": len(receipts),
            }
        )
    return rows


@login_required
@guarded
def bulletin_list(request):
    bulletins = rules.bulletins_for_user(request.user)
    return TemplateResponse(
        request,
        "inbox/bulletins.html",
        {
            "rows": _rows(request.user, bulletins),
            "reads_all": rules.reads_all(request.user),
            "can_issue": rules.may_issue(request.user),
            "selected": None,
        },
    )


@login_required
@guarded
def bulletin_detail(request, bulletin_id: int):
    bulletin = rules.bulletin_for_user(request.user, bulletin_id)
    (row,) = _rows(request.user, [bulletin])
    return TemplateResponse(
        request,
        "inbox/bulletins.html",
        {
            "rows": [row],
            "reads_all": rules.reads_all(request.user),
            "can_issue": False,
            "selected": row,
        },
    )


@login_required
@guarded
def bulletin_pdf(request, bulletin_id: int):
    bulletin = rules.bulletin_for_user(request.user, bulletin_id)
    return file_response(*svc.bulletin_file(bulletin), no_store=True)


@login_required
@post_only
@guarded
def bulletin_sign(request, receipt_id: int):
    receipt = svc.bulletin_sign(actor=request.user, receipt_id=receipt_id)
    return done(
        request,
        _("%(unit)s已签收%(no)s通报。") % {"unit": receipt.unit.name, "no": receipt.bulletin.doc_no},
        reverse("inbox:bulletin", args=[receipt.bulletin_id]),
    )


@login_required
@post_only
@guarded
def bulletin_issue(request):
    """签发 from the 统计看板: a refusal re-renders the board with the form as typed, and a 4xx."""
    rules.check_can_issue(request.user)
    form = BulletinIssueForm(request.POST)
    if not form.is_valid():
        year = form.cleaned_data.get("year") or figures.check_year(None)  # the board of the year typed, if any
        return render_dashboard(request, year, issue_form=form, error=first_error(form), status=400)
    data = form.cleaned_data
    try:
        bulletin = svc.bulletin_issue(
            actor=request.user, year=data["year"], half=data["half"], title=data["title"], remark=data["remark"]
        )
    except GuardError as error:
        if error.status != 400:
            raise
        return render_dashboard(request, data["year"], issue_form=form, error=error.message, status=400)
    return done(
        request,
        _("已签发%(no)s《%(title)s》，并送达 %(n)d 个单位。")
        % {"no": bulletin.doc_no, "title": bulletin.title, "n": bulletin.receipts.count()},
        reverse("inbox:bulletin", args=[bulletin.pk]),
    )

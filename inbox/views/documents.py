"""Official documents as files: a case's 附件3 台账 as PDF."""

from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse

from workflows import selectors
from workflows.documents import ledger_pdf

from .common import guarded


def file_response(filename: str, mimetype: str, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type=mimetype)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    # A document reflects the moment it was generated: never serve a cached copy.
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@guarded
def ledger_download(request, case_id: int):
    """附件3 培养台账 of a case, for anyone who may see the case (others get a 404)."""
    case = selectors.case_for_user(request.user, case_id)
    return file_response(*ledger_pdf(case))

"""Official documents as files: a case's 附件3 台账 as PDF."""

from django.contrib.auth.decorators import login_required

from workflows import selectors
from workflows.documents import ledger_pdf

from .common import file_response, guarded


@login_required
@guarded
def ledger_download(request, case_id: int):
    """附件3 培养台账 of a case, for anyone who may see the case (others get a 404)."""
    case = selectors.case_for_user(request.user, case_id)
    # A ledger reflects the moment it was generated: never serve a cached copy.
    return file_response(*ledger_pdf(case), no_store=True)

"""The one way into a case for a write: the flow's row lock, then the case row."""

from contextlib import contextmanager

from django.utils.translation import gettext as _
from viewflow.workflow.exceptions import FlowLockFailed

from ..errors import AlreadyHandled
from ..flows import CaseFlow
from ..models import Case, CaseProcess


@contextmanager
def locked_case(case_id: int, process_pk: int | None = None):
    """Hold viewflow's select-for-update lock on the case's process for the whole service.

    The lock is the outermost transaction: every state change, the next task and the
    audit event commit together or not at all, and a second writer waits for the first.
    ``process_pk``: the case's process, when the caller already knows it (a task's).
    """
    if process_pk is None:
        process_pk = CaseProcess.objects.filter(case_id=case_id).values_list("pk", flat=True).first()
    try:
        with CaseFlow.lock(process_pk):
            yield Case.objects.select_for_update().select_related("teacher", "org", "unit").get(pk=case_id)
    except FlowLockFailed:
        raise AlreadyHandled(_("该案例正在被他人处理，请稍后刷新页面再试。")) from None

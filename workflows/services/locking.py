"""The one way into a case for a write: the flow's row lock, then the case row."""

from contextlib import contextmanager

from django.utils.translation import gettext as _
from viewflow.workflow.exceptions import FlowLockFailed

from ..errors import AlreadyHandled
from ..flows import CaseFlow
from ..kept import KeptQuery
from ..models import Case, CaseProcess, CaseTask


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


def _locked_task_query(task_id, case_id):
    from ..access.forwarding import open_countersign_exists

    return (
        CaseTask.objects.select_related("case__teacher", "case__org", "case__unit", "owner", "org", "process")
        .select_for_update(of=("case", "case__teacher", "case__org", "case__unit"))
        .annotate(has_open_countersign=open_countersign_exists())
        .filter(pk=task_id, case_id=case_id)
    )


# Compiled once per connection (eight tables: ~3 ms of CPU a time); the marks are ids no row has.
_LOCKED_TASK = KeptQuery(_locked_task_query, -1, -2)


@contextmanager
def locked_case_task(case_id: int, process_pk: int, task_id: int):
    """``locked_case`` for a service acting on one of the case's tasks: under the same process
    lock, the case row (with its teacher, organisation and unit, locked as ``locked_case``
    locks them) and the task re-read in one statement, the task with its owner, organisation
    and process and whether a 加签 is open on it (``access.check_countersign_clear``). Yields
    the task; ``task.case`` is the locked case.

    Only the case's side of the join is locked (``of``): the task's owner and organisation are
    outer joins, which PostgreSQL cannot lock, and the process row is viewflow's lock already.
    """
    try:
        with CaseFlow.lock(process_pk):
            found = _LOCKED_TASK.rows(int(task_id), int(case_id))
            if not found:
                raise CaseTask.DoesNotExist("CaseTask matching query does not exist.")
            yield found[0]
    except FlowLockFailed:
        raise AlreadyHandled(_("该案例正在被他人处理，请稍后刷新页面再试。")) from None

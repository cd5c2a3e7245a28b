"""bench/throughput.py's URLconf: the project's pages plus the reference view (never mounted in
project/urls.py).

The reference does only what an approval fundamentally needs, in one transaction: lock the task
row (``select_for_update``), mark it done, insert the next task row, and append one audit event to
the hash chain the way ``services.audit.audit_log`` does (lock the chain head, insert the event
with its hash, move the head), as a direct insert: without audit_log's 代理人 and display-name
lookups. Behind the same middleware as the project (session, user, CSRF), so the two differ only
in what the view does.
"""

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST
from viewflow.workflow.status import STATUS
from viewflow.workflow.token import Token

from project.urls import handler500  # noqa: F401
from project.urls import urlpatterns as project_urlpatterns
from workflows import chain
from workflows.flows import OPEN_TASK_STATUSES, CaseFlow
from workflows.models import AuditAction, AuditChainHead, AuditEvent, CaseTask

# Columns some versions of the task table carry from the case (issue 13, part 1); copied if present.
_CARRIED = [f for f in ("case_kind", "unit_id", "trainee_name") if f in {x.attname for x in CaseTask._meta.fields}]


@login_required
@require_POST
def reference_approve(request, task_id: int):
    with transaction.atomic():
        task = CaseTask.objects.select_for_update().filter(pk=task_id, status__in=OPEN_TASK_STATUSES).first()
        if task is None:
            return HttpResponse("already handled", status=409)
        now = timezone.now()
        task.status, task.owner_id, task.started, task.finished = STATUS.DONE, request.user.pk, now, now
        task.save(update_fields=["status", "owner", "started", "finished"])
        # bulk_create: one INSERT, none of CaseTask.save()'s lookups.
        CaseTask.objects.bulk_create(
            [
                CaseTask(
                    process_id=task.process_id,
                    case_id=task.case_id,
                    flow_task=CaseFlow.unit_review,
                    flow_task_type="HUMAN",
                    status=STATUS.NEW,
                    token=Token("start"),
                    role="reviewer",
                    org_id=task.org_id,
                    stage="unit_review",
                    due_at=task.due_at,
                    **{f: getattr(task, f) for f in _CARRIED},
                )
            ]
        )
        head = AuditChainHead.objects.select_for_update().get(pk=1)
        fields = {
            "actor_id": request.user.pk,
            "actor_name": request.user.get_full_name() or request.user.get_username(),
            "role": task.role,
            "org_id": task.org_id,
            "case_id": task.case_id,
            "task_id_ref": task.pk,
            "action": AuditAction.APPROVE.value,
            "from_state": "branch_review",
            "to_state": "unit_review",
            "reason": "",
            "changes": {"reference": True},
            "evidence": [],
        }
        seq = head.seq + 1
        digest = chain.event_hash(seq=seq, at=now, prev_hash=head.hash, **fields)
        AuditEvent.objects.create(seq=seq, at=now, prev_hash=head.hash, hash=digest, **fields)
        AuditChainHead.objects.filter(pk=head.pk).update(seq=seq, hash=digest)
    return HttpResponseRedirect(f"/inbox/cases/{task.case_id}/")


urlpatterns = [path("bench/reference/<int:task_id>/", reference_approve, name="bench_reference"), *project_urlpatterns]

"""Meeting the 支部审核 gate through the real services, for tests that need a case past it."""

import datetime

from django.utils import timezone
from viewflow.workflow.status import STATUS

from workflows.flows import CaseFlow, off_lifecycle_nodes, training_nodes
from workflows.models import Case, CaseState, CaseTask, MentorStatus
from workflows.selectors import users_holding
from workflows.services import training
from workflows.services.attachments import as_upload
from workflows.services.locking import locked_case

OPEN = [STATUS.NEW, STATUS.ASSIGNED]
# A real one-page PDF: uploads must parse (workflows/services/attachments.py).
PDF = (
    b"%PDF-1.3\n1 0 obj\n<<\n/Producer (pypdf)\n>>\nendobj\n2 0 obj\n<<\n/Type /Pages\n/Count 1\n/Kids [ 4 0 R ]\n>>\n"
    b"endobj\n3 0 obj\n<<\n/Type /Catalog\n/Pages 2 0 R\n>>\nendobj\n4 0 obj\n<<\n/Type /Page\n/Resources <<\n>>\n"
    b"/MediaBox [ 0.0 0.0 595 842 ]\n/Parent 2 0 R\n>>\nendobj\nxref\n0 5\n0000000000 65535 f \n0000000009 00000 n \n"
    b"0000000048 00000 n \n0000000107 00000 n \n0000000156 00000 n \n"
    b"trailer\n<<\n/Size 5\n/Root 3 0 R\n/Info 1 0 R\n>>\nstartxref\n250\n%%EOF\n"
)


def lifecycle_tasks(case):
    """The case's open lifecycle steps (结对 … 市级备案), without its training work."""
    return list(
        CaseTask.objects.filter(case=case, flow_task_type="HUMAN", status__in=OPEN)
        .exclude(flow_task__in=off_lifecycle_nodes())
        .order_by("id")
    )


def training_tasks(case, node=None):
    qs = CaseTask.objects.filter(case=case, flow_task__in=training_nodes(), status__in=OPEN).order_by("id")
    if node is not None:
        qs = qs.filter(flow_task=node)
    return list(qs)


def submitter(task):
    return task.owner or users_holding(task.role, task.org).first()


def complete_training(case, *, started_days_ago: int = 400) -> Case:
    """Start the training clock long enough ago, get every semester work accepted and every opinion written."""
    assert Case.objects.get(pk=case.pk).state == CaseState.TRAINING
    Case.objects.filter(pk=case.pk).update(
        training_started_on=timezone.localdate() - datetime.timedelta(days=started_days_ago)
    )
    with locked_case(case.pk) as locked:
        training.sync_obligations(locked)
    for task in training_tasks(case, CaseFlow.submit_work):
        training.work_submit(
            actor=submitter(task), task_id=task.pk, title="题目", summary="摘要", upload=as_upload("成果.pdf", PDF)
        )
    for task in training_tasks(case, CaseFlow.review_work):
        training.work_review(actor=task.owner, task_id=task.pk, accept=True)
    for mentor in case.mentors.filter(status=MentorStatus.ACCEPTED, opinions__isnull=True).select_related(
        "teacher__user"
    ):
        training.opinion_write(actor=mentor.teacher.user, case_id=case.pk, text="同意提交支部审核。")
    assert training.gate_missing(Case.objects.get(pk=case.pk)) == []
    case.refresh_from_db()
    return case

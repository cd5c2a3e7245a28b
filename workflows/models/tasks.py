"""Viewflow's process and task tables, with the columns the inbox filters and sorts on."""

import datetime

from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import AbstractProcess, AbstractTask

from .cases import Case, CaseState
from .organisations import Organisation
from .people import Role

TASK_STATUS_LABELS = {
    "NEW": _("待认领"),
    "ASSIGNED": _("办理中"),
    "STARTED": _("办理中"),
    "DONE": _("已办理"),
    "CANCELED": _("已撤销"),
    "ERROR": _("出错"),
}


class CaseProcess(AbstractProcess):
    case = models.OneToOneField(Case, verbose_name=_("培养案例"), on_delete=models.PROTECT, related_name="process")

    class Meta:
        verbose_name = _("流程")
        verbose_name_plural = _("流程")


# A 提交支部审核 step whose training has not begun waits with no date: it sorts after every date.
NOT_BEFORE_UNKNOWN = datetime.date(9999, 12, 31)


class CaseTaskQuerySet(models.QuerySet):
    def sync_case_facts(self) -> int:
        """Copy 类别, 单位 and the trainee's name from each task's case onto the task rows (after a
        teacher is renamed or a case moves with its teacher); one UPDATE."""
        case = Case.objects.filter(pk=OuterRef("case_id"))
        return self.update(
            case_kind=Subquery(case.values("kind")[:1]),
            unit_id=Subquery(case.values("unit_id")[:1]),
            trainee_name=Subquery(case.values("teacher__name")[:1]),
        )

    def sync_opens_on(self) -> int:
        """Recompute ``opens_on`` of the open 提交支部审核 steps among these tasks (after the city
        changes a minimum training period); one UPDATE per distinct date."""
        from ..flows import CaseFlow
        from .obligations import ProgrammePolicy

        policy = ProgrammePolicy.current()
        by_day: dict[datetime.date | None, list[int]] = {}
        for task in self.filter(flow_task=CaseFlow.submit, finished__isnull=True).select_related("case"):
            by_day.setdefault(task.submit_opens_on(task.case, policy), []).append(task.pk)
        for day, ids in by_day.items():
            CaseTask.objects.filter(pk__in=ids).update(opens_on=day)
        return sum(len(ids) for ids in by_day.values())

    def ready(self, today: datetime.date | None = None):
        """Steps that can be done today (no minimum training period still running)."""
        today = today or timezone.localdate()
        return self.filter(Q(opens_on__isnull=True) | Q(opens_on__lte=today))

    def waiting(self, today: datetime.date | None = None):
        """Steps 未到办理时间: a 提交支部审核 whose minimum training period has not passed."""
        return self.filter(opens_on__gt=today or timezone.localdate())


class CaseTask(AbstractTask):
    process = models.ForeignKey(CaseProcess, verbose_name=_("流程"), on_delete=models.CASCADE)
    data = models.JSONField(default=dict, blank=True)
    # Denormalised from the process so the inbox is one indexed join away from the case.
    case = models.ForeignKey(Case, verbose_name=_("培养案例"), on_delete=models.PROTECT, related_name="tasks")
    # The organisation that owns this step, found by walking up the tree.
    org = models.ForeignKey(
        Organisation,
        verbose_name=_("承办组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    role = models.CharField(_("承办角色"), max_length=20, choices=Role.choices, blank=True)
    stage = models.CharField(_("阶段"), max_length=20, choices=CaseState.choices, blank=True)
    due_at = models.DateTimeField(_("办理期限"), null=True, blank=True)
    # Training work (issue 3): which record period, semester item or mentor the task is for.
    duty = models.ForeignKey(
        "workflows.RecordDuty",
        verbose_name=_("培养记录任务"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    work = models.ForeignKey(
        "workflows.SemesterWork",
        verbose_name=_("学期成果"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    mentor = models.ForeignKey(
        "workflows.CaseMentor",
        verbose_name=_("培养人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    # Set by ``tick``: when the task was found overdue, and the organisation it was escalated to.
    overdue_at = models.DateTimeField(_("逾期标记时间"), null=True, blank=True)
    escalated_to = models.ForeignKey(
        Organisation,
        verbose_name=_("升级督办至"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="escalated_tasks",
    )
    escalated_at = models.DateTimeField(_("升级时间"), null=True, blank=True)
    # Carried from the case (issue 13) so that 我的待办 and 待认领 filter, sort and show a page from
    # one index on this table, without joining the case and the teacher: written when the task is
    # created, kept by ``CaseTaskQuerySet.sync_case_facts`` when a teacher is renamed or moved.
    case_kind = models.CharField(_("类别"), max_length=1, blank=True)
    unit = models.ForeignKey(
        Organisation,
        verbose_name=_("单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    trainee_name = models.CharField(_("培养对象"), max_length=50, blank=True)
    # 提交支部审核: the first day the minimum training period has passed
    # (``services.training.earliest_submission``); before it the step is 未到办理时间.
    opens_on = models.DateField(_("最早可办日期"), null=True, blank=True)

    objects = CaseTaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("待办任务")
        verbose_name_plural = _("待办任务")
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["org", "status", "due_at"], name="task_queue"),
            models.Index(fields=["owner", "status", "due_at"], name="task_inbox"),
            models.Index(fields=["case", "status"], name="task_case"),
            models.Index(fields=["escalated_to", "status"], name="task_escalated"),
            # 待认领 and 我的待办 (issue 13): only the open human tasks, in the lists' order, with what
            # their filters read, so a page and its count are an index(-only) scan on PostgreSQL.
            models.Index(
                fields=["org", "role", "due_at", "id"],
                include=["case_id", "opens_on", "case_kind", "unit_id", "stage", "trainee_name"],
                condition=Q(status="NEW", flow_task_type="HUMAN"),
                name="task_queue_new",
            ),
            models.Index(
                fields=["owner", "due_at", "id"],
                include=["case_id", "opens_on", "case_kind", "unit_id", "stage", "trainee_name"],
                condition=Q(status__in=["ASSIGNED", "STARTED"], flow_task_type="HUMAN"),
                name="task_inbox_open",
            ),
        ]

    def save(self, *args, **kwargs):
        # Gateway tasks are created by viewflow itself; give every task its case.
        process = self.process if self.case_id is None else None
        if process is not None:
            self.case_id = process.case_id
        if self.flow_task and not self.flow_task_type:
            self.flow_task_type = self.flow_task.task_type
        # Only a person's step is listed; viewflow's gateway rows need no copies (nor the query).
        if self._state.adding and self.case_id and self.flow_task_type == "HUMAN" and not self.trainee_name:
            self._copy_case_facts()
        super().save(*args, **kwargs)

    def _copy_case_facts(self) -> None:
        case = self._state.fields_cache.get("case")
        process = self._state.fields_cache.get("process")
        if case is None and process is not None:
            case = process._state.fields_cache.get("case")  # the activation's process holds it
        if case is None or case.pk != self.case_id:
            case = Case.objects.select_related("teacher").get(pk=self.case_id)
            self.case = case
        self.case_kind = case.kind
        self.unit_id = case.unit_id
        self.trainee_name = case.teacher.name
        from ..flows import CaseFlow

        if self.flow_task_type == "HUMAN" and self.flow_task == CaseFlow.submit:
            self.opens_on = self.submit_opens_on(case)

    @staticmethod
    def submit_opens_on(case: Case, policy=None) -> datetime.date:
        from ..services.training import earliest_submission

        return earliest_submission(case, policy) or NOT_BEFORE_UNKNOWN

    @property
    def status_label(self) -> str:
        """viewflow's zh_Hans catalogue leaves task statuses untranslated; say them in Chinese."""
        return TASK_STATUS_LABELS.get(self.status, self.status)

    @property
    def title(self) -> str:
        """The step's name, with the period or semester a training task is for."""
        title = str(self.flow_task.task_title)
        if self.duty_id:
            return f"{title}（{self.duty.period_label}）"
        if self.work_id:
            return f"{title}：{self.work.semester_label}{self.work.get_item_display()}"
        return title

    @property
    def is_overdue(self) -> bool:
        return bool(self.due_at and self.finished is None and self.due_at < timezone.now())

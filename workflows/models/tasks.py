"""Viewflow's process and task tables, with the columns the inbox filters and sorts on."""

from django.db import models
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

    class Meta:
        verbose_name = _("待办任务")
        verbose_name_plural = _("待办任务")
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["org", "status", "due_at"], name="task_queue"),
            models.Index(fields=["owner", "status", "due_at"], name="task_inbox"),
            models.Index(fields=["case", "status"], name="task_case"),
            models.Index(fields=["escalated_to", "status"], name="task_escalated"),
        ]

    def save(self, *args, **kwargs):
        # Gateway tasks are created by viewflow itself; give every task its case.
        process = self.process if self.case_id is None else None
        if process is not None:
            self.case_id = process.case_id
        super().save(*args, **kwargs)

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

"""Documents a unit sends up to the city: the annual 附件2 table and its 附件1 year breakdown.

Each goes through :class:`workflows.flows.ReportFlow`: the unit's 审核人 prepares and submits,
the city's 市级管理员 accepts (or, for a plan, adjusts and approves) or returns it.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from viewflow.workflow.models import AbstractProcess, AbstractTask

from .organisations import Organisation
from .people import Role


class ReportKind(models.TextChoices):
    ANNEX2 = "annex2", _("年度实施情况汇总表（附件2）")
    PLAN = "plan", _("三年计划年度分解（附件1）")


class ReportState(models.TextChoices):
    SUBMITTED = "submitted", _("已报送，待市级审核")
    ACCEPTED = "accepted", _("市级已接收")
    RETURNED = "returned", _("已退回")
    SUPERSEDED = "superseded", _("已被更正版本取代")


class ReportProcess(AbstractProcess):
    """One round of a unit's document for a year (or a plan), from first draft to acceptance."""

    kind = models.CharField(_("报表"), max_length=10, choices=ReportKind.choices)
    unit = models.ForeignKey(Organisation, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveIntegerField(_("年度"), null=True, blank=True)
    plan = models.ForeignKey(
        "workflows.QuotaPlan", verbose_name=_("三年计划"), null=True, blank=True, on_delete=models.PROTECT
    )
    # A correction after acceptance opens a new round; its reason is required and kept.
    reason = models.TextField(_("更正理由"), blank=True)

    class Meta:
        verbose_name = _("报表流程")
        verbose_name_plural = _("报表流程")


class ReportTask(AbstractTask):
    process = models.ForeignKey(ReportProcess, verbose_name=_("流程"), on_delete=models.CASCADE)
    org = models.ForeignKey(
        Organisation, verbose_name=_("承办组织"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("承办角色"), max_length=20, choices=Role.choices, blank=True)
    due_at = models.DateTimeField(_("办理期限"), null=True, blank=True)
    # The version the city reviews in a 审核 task.
    report = models.ForeignKey(
        "workflows.AnnualReport", verbose_name=_("报送版本"), null=True, blank=True, on_delete=models.PROTECT
    )

    class Meta:
        verbose_name = _("报表任务")
        verbose_name_plural = _("报表任务")
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["org", "status", "due_at"], name="report_task_queue")]

    @property
    def title(self) -> str:
        process = self.process
        if process.kind == ReportKind.ANNEX2:
            return f"{self.flow_task.task_title}（{process.year}年度，{process.unit.name}）"
        return f"{self.flow_task.task_title}（{process.plan}，{process.unit.name}）"

    @property
    def is_open(self) -> bool:
        return self.status in ("NEW", "ASSIGNED", "STARTED")

    @property
    def days_left(self) -> int | None:
        """Whole days to the due date (negative once late), counted in local calendar days."""
        if self.due_at is None:
            return None
        from django.utils import timezone

        return (timezone.localdate(self.due_at) - timezone.localdate()).days


class AnnualReport(ConcurrentTransitionMixin, models.Model):
    """One submitted version of a unit's 附件2 for a year: a frozen snapshot of its rows.

    ``rows`` is copied when the unit submits and never changes; later completions or edits
    to cases leave it as it was. A correction is a new version with a reason.
    """

    unit = models.ForeignKey(Organisation, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveIntegerField(_("年度"))
    version = models.PositiveIntegerField(_("版本"))
    process = models.ForeignKey(ReportProcess, verbose_name=_("流程"), on_delete=models.PROTECT, related_name="reports")
    state = FSMField(_("状态"), default=ReportState.SUBMITTED, choices=ReportState.choices, protected=True)
    rows = models.JSONField(_("汇总表行（报送时冻结）"), default=list)
    count_1 = models.PositiveIntegerField(_("类别1人数"), default=0)
    count_2 = models.PositiveIntegerField(_("类别2人数"), default=0)
    dated = models.DateField(_("填报日期"))
    reason = models.TextField(_("更正理由"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("报送人"), on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("报送时间"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_note = models.TextField(_("审核意见"), blank=True)

    FROZEN = ("unit_id", "year", "version", "rows", "count_1", "count_2", "dated", "reason", "submitted_by_id")

    class Meta:
        verbose_name = _("年度汇总表报送")
        verbose_name_plural = _("年度汇总表报送")
        constraints = [
            models.UniqueConstraint(fields=["unit", "year", "version"], name="annual_report_version_unique"),
        ]
        ordering = ["unit", "year", "version"]

    def __str__(self) -> str:
        return f"{self.unit} {self.year} 第{self.version}版"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            # The snapshot is frozen: only the review columns may change after submission.
            stored = type(self).objects.filter(pk=self.pk).values(*self.FROZEN).first()
            if stored and any(stored[f] != getattr(self, f) for f in self.FROZEN):
                raise ValueError("AnnualReport snapshot is frozen; submit a corrected version instead")
        super().save(*args, **kwargs)

    @transition(field=state, source=ReportState.SUBMITTED, target=ReportState.ACCEPTED)
    def accept(self):
        pass

    @transition(field=state, source=ReportState.SUBMITTED, target=ReportState.RETURNED)
    def return_(self):
        pass

    @transition(field=state, source=ReportState.ACCEPTED, target=ReportState.SUPERSEDED)
    def supersede(self):
        pass

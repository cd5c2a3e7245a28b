"""附件1 plans and the facts the two 80% targets need.

A :class:`QuotaPlan` is one imported 附件1 table: each unit's three-year quota per 类别
(:class:`Quota`). Totals are always computed from these rows; what the file stated as 合计
is kept only to report where it disagrees. Each unit breaks its quota down by year
(:class:`UnitPlan` and its :class:`QuotaYear` rows) and the city adjusts and approves it.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from .cases import CaseKind
from .organisations import Organisation
from .people import Teacher


class QuotaPlan(models.Model):
    title = models.CharField(_("名称"), max_length=200)
    first_year = models.PositiveIntegerField(_("起始年度"))
    last_year = models.PositiveIntegerField(_("截止年度"))
    source_name = models.CharField(_("导入文件"), max_length=255)
    sha256 = models.CharField(_("文件摘要"), max_length=64)
    # Where the file's stated 合计 disagreed with its rows:
    # [{"block", "kind", "stated", "computed", "rows"}].
    inconsistencies = models.JSONField(_("合计不一致"), default=list, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    imported_at = models.DateTimeField(_("导入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("三年实施计划")
        verbose_name_plural = _("三年实施计划")
        ordering = ["-first_year", "-id"]

    def __str__(self) -> str:
        return f"{self.title}（{self.first_year}—{self.last_year}）"

    @property
    def years(self) -> list[int]:
        return list(range(self.first_year, self.last_year + 1))


class Quota(models.Model):
    plan = models.ForeignKey(QuotaPlan, verbose_name=_("三年计划"), on_delete=models.CASCADE, related_name="quotas")
    unit = models.ForeignKey(Organisation, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("“双培”类别"), max_length=1, choices=CaseKind.choices)
    total = models.PositiveIntegerField(_("三年计划数"))
    # Where the row sat in the file, to name it in reports (e.g. "第 5 行").
    source_row = models.PositiveIntegerField(_("文件行号"), default=0)

    class Meta:
        verbose_name = _("单位三年计划数")
        verbose_name_plural = _("单位三年计划数")
        constraints = [models.UniqueConstraint(fields=["plan", "unit", "kind"], name="quota_unique")]


class PlanState(models.TextChoices):
    DRAFT = "draft", _("待单位分解")
    SUBMITTED = "submitted", _("已报送，待市级调整审批")
    APPROVED = "approved", _("市级已审批")


class UnitPlan(ConcurrentTransitionMixin, models.Model):
    """A unit's year-by-year breakdown of its quota, and where it stands."""

    plan = models.ForeignKey(QuotaPlan, verbose_name=_("三年计划"), on_delete=models.CASCADE, related_name="unit_plans")
    unit = models.ForeignKey(Organisation, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+")
    state = FSMField(_("状态"), default=PlanState.DRAFT, choices=PlanState.choices, protected=True)
    submitted_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("单位年度分解")
        verbose_name_plural = _("单位年度分解")
        constraints = [models.UniqueConstraint(fields=["plan", "unit"], name="unit_plan_unique")]

    @transition(field=state, source=[PlanState.DRAFT], target=PlanState.SUBMITTED)
    def submit(self):
        pass

    @transition(field=state, source=PlanState.SUBMITTED, target=PlanState.DRAFT)
    def return_(self):
        pass

    @transition(field=state, source=PlanState.SUBMITTED, target=PlanState.APPROVED)
    def approve(self):
        pass


class QuotaYear(models.Model):
    """One year's number for one 类别: what the unit proposed and what the city approved."""

    unit_plan = models.ForeignKey(
        UnitPlan, verbose_name=_("单位年度分解"), on_delete=models.CASCADE, related_name="years"
    )
    year = models.PositiveIntegerField(_("年度"))
    kind = models.CharField(_("“双培”类别"), max_length=1, choices=CaseKind.choices)
    proposed = models.PositiveIntegerField(_("单位上报数"), default=0)
    approved = models.PositiveIntegerField(_("市级核定数"), null=True, blank=True)

    class Meta:
        verbose_name = _("年度计划数")
        verbose_name_plural = _("年度计划数")
        constraints = [models.UniqueConstraint(fields=["unit_plan", "year", "kind"], name="quota_year_unique")]
        ordering = ["year", "kind"]


class AppraisalResult(models.TextChoices):
    EXCELLENT = "excellent", _("优秀")
    COMPETENT = "competent", _("合格")
    BASIC = "basic", _("基本合格")
    FAILED = "failed", _("不合格")


class Appraisal(models.Model):
    """A teacher's yearly 评优 result; ``party_member`` is the teacher's status when it was recorded."""

    teacher = models.ForeignKey(Teacher, verbose_name=_("教师"), on_delete=models.PROTECT, related_name="appraisals")
    year = models.PositiveIntegerField(_("年度"), db_index=True)
    result = models.CharField(_("评优结果"), max_length=10, choices=AppraisalResult.choices)
    party_member = models.BooleanField(_("评定时为党员"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("年度评优结果")
        verbose_name_plural = _("年度评优结果")
        constraints = [models.UniqueConstraint(fields=["teacher", "year"], name="appraisal_unique")]


class PartyAdmission(models.Model):
    """A teacher admitted to the party (as 预备党员) on a date; a 类别1 completion records one."""

    teacher = models.OneToOneField(Teacher, verbose_name=_("教师"), on_delete=models.PROTECT, related_name="admission")
    admitted_on = models.DateField(_("入党日期"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("发展党员登记")
        verbose_name_plural = _("发展党员登记")

    @property
    def year(self) -> int:
        return self.admitted_on.year

"""What training asks of mentors and trainees, and the rules the city and units set for it.

* ``RecordDuty``: one 培养记录 owed by one mentor for one period of the unit's cadence.
* ``SemesterWork``: the 典型案例 and the 教育教学论文 a trainee owes each semester, reviewed
  by the mentor.
* ``MentorOpinion``: 培养人意见, signed; a later one supersedes an earlier one.
* ``ProgrammePolicy`` (the city's) and ``UnitPolicy`` (each unit's) hold the settings.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..periods import semester_label
from .cases import Case, CaseKind, CaseMentor
from .organisations import Organisation
from .records import TrainingRecord


class ProgrammePolicy(models.Model):
    """The city's settings (one row)."""

    min_months_1 = models.PositiveSmallIntegerField(
        _("类别1最短培养期（月）"), default=12, help_text=_("与入党积极分子培养一年以上的要求一致")
    )
    min_months_2 = models.PositiveSmallIntegerField(_("类别2最短培养期（月）"), default=6, help_text=_("约一个学期"))
    attachment_max_mb = models.PositiveSmallIntegerField(_("附件大小上限（MB）"), default=20)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("市级培养规则")
        verbose_name_plural = _("市级培养规则")

    @classmethod
    def current(cls) -> "ProgrammePolicy":
        return cls.objects.filter(pk=1).first() or cls(pk=1)

    def min_months(self, kind: str) -> int:
        return self.min_months_1 if kind == CaseKind.CULTIVATE_MEMBER else self.min_months_2


class RecordCadence(models.IntegerChoices):
    MONTHLY = 1, _("每月一次")
    BIMONTHLY = 2, _("每两个月一次")
    QUARTERLY = 3, _("每季度一次")
    HALF_YEARLY = 6, _("每半年一次")


class UnitPolicy(models.Model):
    """A unit's settings; a unit without a row uses the defaults."""

    unit = models.OneToOneField(Organisation, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="policy")
    record_every_months = models.PositiveSmallIntegerField(
        _("培养记录频次"), choices=RecordCadence.choices, default=RecordCadence.MONTHLY
    )
    remind_before_days = models.PositiveSmallIntegerField(_("到期前几天提醒"), default=3)
    escalate_after_days = models.PositiveSmallIntegerField(_("逾期几天后升级督办"), default=7)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("单位培养规则")
        verbose_name_plural = _("单位培养规则")

    @classmethod
    def for_unit(cls, unit_id: int | None) -> "UnitPolicy":
        return cls.objects.filter(unit_id=unit_id).first() or cls(unit_id=unit_id)


class RecordDuty(models.Model):
    """One record owed by one mentor for one period; fulfilled by the record that answers it."""

    case = models.ForeignKey(Case, verbose_name=_("培养案例"), on_delete=models.PROTECT, related_name="record_duties")
    mentor = models.ForeignKey(CaseMentor, verbose_name=_("培养人"), on_delete=models.PROTECT, related_name="duties")
    period_start = models.DateField(_("周期开始"))
    period_end = models.DateField(_("周期结束"))
    record = models.ForeignKey(
        TrainingRecord, verbose_name=_("完成的记录"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    fulfilled_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("培养记录任务")
        verbose_name_plural = _("培养记录任务")
        ordering = ["period_start", "id"]
        constraints = [models.UniqueConstraint(fields=["mentor", "period_start"], name="duty_once_per_period")]

    @property
    def period_label(self) -> str:
        from ..periods import Period, record_period_label

        return record_period_label(Period(self.period_start, self.period_end))


class WorkItem(models.TextChoices):
    CASE_STUDY = "case_study", _("典型案例")
    PAPER = "paper", _("教育教学论文")


class WorkStatus(models.TextChoices):
    PENDING = "pending", _("待提交")
    SUBMITTED = "submitted", _("待培养人审阅")
    RETURNED = "returned", _("已退回修改")
    ACCEPTED = "accepted", _("已通过")


class SemesterWork(models.Model):
    """A trainee's 典型案例 or 论文 for one semester, and where its review stands."""

    case = models.ForeignKey(Case, verbose_name=_("培养案例"), on_delete=models.PROTECT, related_name="works")
    semester_start = models.DateField(_("学期开始"))
    semester_end = models.DateField(_("学期结束"))
    item = models.CharField(_("项目"), max_length=20, choices=WorkItem.choices)
    status = models.CharField(_("状态"), max_length=20, choices=WorkStatus.choices, default=WorkStatus.PENDING)
    title = models.CharField(_("题目"), max_length=200, blank=True)
    summary = models.TextField(_("摘要"), blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审阅时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审阅人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    review_note = models.TextField(_("审阅意见"), blank=True)

    class Meta:
        verbose_name = _("学期成果")
        verbose_name_plural = _("学期成果")
        ordering = ["semester_start", "item"]
        constraints = [
            models.UniqueConstraint(fields=["case", "semester_start", "item"], name="work_once_per_semester"),
        ]

    def __str__(self) -> str:
        return f"{self.semester_label}{self.get_item_display()}"

    @property
    def semester_label(self) -> str:
        return semester_label(self.semester_start)

    @property
    def current_file(self):
        return self.attachments.order_by("-id").first()


class MentorOpinion(models.Model):
    """培养人意见 for the ledger (附件3), signed. Rows are never changed; the latest one counts."""

    case = models.ForeignKey(Case, verbose_name=_("培养案例"), on_delete=models.PROTECT, related_name="opinions")
    mentor = models.ForeignKey(CaseMentor, verbose_name=_("培养人"), on_delete=models.PROTECT, related_name="opinions")
    text = models.TextField(_("培养人意见"))
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("签名人"), on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(_("签名时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("培养人意见")
        verbose_name_plural = _("培养人意见")
        ordering = ["signed_at", "id"]

"""培养记录: what a mentor did with a trainee, signed, and corrected only by a new version."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .cases import Case, CaseKind, CaseMentor


class RecordKind(models.TextChoices):
    # 类别1 (DOMAIN §4, the plan's 吸纳凝聚 measures)
    TALK = "talk", _("谈心谈话")
    PARTY_LECTURE = "party_lecture", _("听党课")
    BRANCH_MEETING = "branch_meeting", _("列席接收新党员的支部大会")
    OATH = "oath", _("入党宣誓仪式")
    PARTY_DAY = "party_day", _("主题党日")
    # 类别2 (骨干带党员)
    OBSERVATION = "observation", _("听课指导")
    SUPERVISION = "supervision", _("业务督导")
    DEMO_LESSON = "demo_lesson", _("示范课")
    RESEARCH = "research", _("专题教研")
    LESSON_PREP = "lesson_prep", _("集体备课")
    CONTEST = "contest", _("技能大赛")
    OTHER = "other", _("其他")


KINDS_FOR_CASE = {
    CaseKind.CULTIVATE_MEMBER: [
        RecordKind.TALK,
        RecordKind.PARTY_LECTURE,
        RecordKind.BRANCH_MEETING,
        RecordKind.OATH,
        RecordKind.PARTY_DAY,
        RecordKind.OTHER,
    ],
    CaseKind.CULTIVATE_BACKBONE: [
        RecordKind.OBSERVATION,
        RecordKind.SUPERVISION,
        RecordKind.DEMO_LESSON,
        RecordKind.RESEARCH,
        RecordKind.LESSON_PREP,
        RecordKind.CONTEST,
        RecordKind.TALK,
        RecordKind.OTHER,
    ],
}


class TrainingRecord(models.Model):
    """One signed row of the ledger (附件3). Rows are never changed: a correction is a new version."""

    case = models.ForeignKey(Case, verbose_name=_("培养案例"), on_delete=models.PROTECT, related_name="records")
    mentor = models.ForeignKey(CaseMentor, verbose_name=_("培养人"), on_delete=models.PROTECT, related_name="records")
    date = models.DateField(_("日期"))
    kind = models.CharField(_("形式"), max_length=20, choices=RecordKind.choices)
    content = models.TextField(_("培养内容及成效"))
    version = models.PositiveIntegerField(_("版本"), default=1)
    supersedes = models.OneToOneField(
        "self",
        verbose_name=_("更正的记录"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
    )
    correction_reason = models.CharField(_("更正理由"), max_length=500, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("签名人"), on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(_("签名时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("培养记录")
        verbose_name_plural = _("培养记录")
        ordering = ["date", "id"]
        indexes = [models.Index(fields=["case", "date"], name="record_case_date")]
        constraints = [
            models.CheckConstraint(
                condition=Q(version=1, supersedes__isnull=True) | Q(version__gt=1, supersedes__isnull=False),
                name="record_version_chain",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}（{self.case.teacher.name}）"

"""A 双培 case (one teacher, one 类别) and its lifecycle, guarded by django-fsm-2.

The transitions here only say which state may follow which. Who may perform them
and with what data is checked by the services in ``workflows.services.cases``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from .organisations import Organisation
from .people import Teacher


class CaseKind(models.TextChoices):
    CULTIVATE_MEMBER = "1", _("骨干教师培养成共产党员")
    CULTIVATE_BACKBONE = "2", _("党员教师培养成教学骨干")


class CaseState(models.TextChoices):
    REGISTERED = "registered", _("登记造册")
    PAIRED = "paired", _("结对")
    TRAINING = "training", _("培养中")
    BRANCH_REVIEW = "branch_review", _("支部审核")
    UNIT_REVIEW = "unit_review", _("单位审核")
    CITY_FILING = "city_filing", _("市级备案")
    COMPLETED = "completed", _("已完成")
    PAUSED = "paused", _("暂停")
    EXITED = "exited", _("已退出")
    # 不予通过 at 支部审核 or 单位审核: the case ends with the reviewer's reason (issue 11).
    REJECTED = "rejected", _("不予通过")


S = CaseState
CLOSED_STATES = (S.COMPLETED, S.EXITED, S.REJECTED)
ACTIVE_STATES = (S.REGISTERED, S.PAIRED, S.TRAINING, S.BRANCH_REVIEW, S.UNIT_REVIEW, S.CITY_FILING)
# 撤回 (and the default 退回) go exactly one step back.
ONE_STEP_BACK = {
    S.BRANCH_REVIEW: S.TRAINING,
    S.UNIT_REVIEW: S.BRANCH_REVIEW,
    S.CITY_FILING: S.UNIT_REVIEW,
}
# 退回 to any earlier review step the approver chooses (issue 11): the steps before each one,
# nearest first. Training (培养中) is the earliest a review can send a case back to: pairing
# and acceptance are not re-done by a review (更换培养人 is the case page's action for that).
RETURN_TARGETS = {
    S.BRANCH_REVIEW: (S.TRAINING,),
    S.UNIT_REVIEW: (S.BRANCH_REVIEW, S.TRAINING),
    S.CITY_FILING: (S.UNIT_REVIEW, S.BRANCH_REVIEW, S.TRAINING),
}
# 不予通过 ends a case at these reviews only (the city files what the unit passed).
REJECT_STATES = (S.BRANCH_REVIEW, S.UNIT_REVIEW)


class Case(ConcurrentTransitionMixin, models.Model):
    teacher = models.ForeignKey(Teacher, verbose_name=_("培养对象"), on_delete=models.PROTECT, related_name="cases")
    kind = models.CharField(_("“双培”类别"), max_length=1, choices=CaseKind.choices)
    state = FSMField(_("阶段"), default=S.REGISTERED, choices=CaseState.choices, protected=True)
    # Where the case lives in the tree; it moves with its teacher.
    org = models.ForeignKey(Organisation, verbose_name=_("所在组织"), on_delete=models.PROTECT, related_name="cases")
    unit = models.ForeignKey(
        Organisation, verbose_name=_("所属单位"), on_delete=models.PROTECT, related_name="unit_cases"
    )
    scope_path = models.CharField(_("组织路径"), max_length=255, db_index=True, editable=False)
    registered_at = models.DateTimeField(_("培养建档时间"), auto_now_add=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    paused_from = models.CharField(_("暂停前阶段"), max_length=20, blank=True, choices=CaseState.choices)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    # The training clock (DOMAIN §5, the minimum training period): when 培养中 first began,
    # and the days since spent paused, which do not count.
    training_started_on = models.DateField(_("开始培养日期"), null=True, blank=True)
    paused_at = models.DateTimeField(_("暂停时间"), null=True, blank=True)
    paused_days = models.PositiveIntegerField(_("培养期内暂停天数"), default=0)
    # The day ``sync_obligations`` last ran for the case: ``tick`` syncs each case once a day.
    obligations_synced_on = models.DateField(_("培养任务同步日期"), null=True, blank=True, editable=False)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("培养案例")
        verbose_name_plural = _("培养案例")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["teacher", "kind"],
                condition=~Q(state__in=[S.COMPLETED, S.EXITED, S.REJECTED]),
                name="case_one_open_per_teacher_kind",
            ),
        ]
        indexes = [models.Index(fields=["unit", "state"], name="case_unit_state")]

    def __str__(self) -> str:
        return f"{self.teacher.name}（类别{self.kind}）"

    @property
    def is_open(self) -> bool:
        return self.state not in CLOSED_STATES

    # --- lifecycle -------------------------------------------------------------

    @transition(field=state, source=S.REGISTERED, target=S.PAIRED)
    def pair(self):
        pass

    @transition(field=state, source=S.PAIRED, target=S.REGISTERED)
    def pairing_declined(self):
        pass

    @transition(field=state, source=S.PAIRED, target=S.TRAINING)
    def start_training(self):
        if self.training_started_on is None:
            self.training_started_on = timezone.localdate()

    @transition(field=state, source=S.TRAINING, target=S.PAIRED)
    def repair(self):
        pass

    @transition(field=state, source=S.TRAINING, target=S.BRANCH_REVIEW)
    def submit(self):
        pass

    @transition(field=state, source=S.BRANCH_REVIEW, target=S.UNIT_REVIEW)
    def branch_approve(self):
        pass

    @transition(field=state, source=S.UNIT_REVIEW, target=S.CITY_FILING)
    def unit_approve(self):
        pass

    @transition(field=state, source=S.CITY_FILING, target=S.COMPLETED)
    def file(self):
        pass

    @transition(field=state, source=list(ONE_STEP_BACK), target=RETURN_VALUE(*ONE_STEP_BACK.values()))
    def step_back(self):
        """退回 and 撤回: one step back."""
        return ONE_STEP_BACK[self.state]

    @transition(
        field=state,
        source=list(RETURN_TARGETS),
        target=RETURN_VALUE(*{t for targets in RETURN_TARGETS.values() for t in targets}),
    )
    def return_to(self, target: str):
        """退回 to an earlier step the reviewer chose (one of ``RETURN_TARGETS[state]``)."""
        if target not in RETURN_TARGETS[self.state]:
            raise ValueError(target)
        return target

    @transition(field=state, source=list(REJECT_STATES), target=S.REJECTED)
    def reject(self):
        """不予通过: the case ends at this review."""

    @transition(field=state, source=list(ACTIVE_STATES), target=S.PAUSED)
    def pause(self):
        self.paused_from = self.state
        self.paused_at = timezone.now()

    @transition(field=state, source=S.PAUSED, target=RETURN_VALUE(*ACTIVE_STATES))
    def resume(self):
        previous, self.paused_from = self.paused_from, ""
        if self.training_started_on and self.paused_at:
            paused_since = max(timezone.localdate(self.paused_at), self.training_started_on)
            self.paused_days += max(0, (timezone.localdate() - paused_since).days)
        self.paused_at = None
        return previous

    @transition(field=state, source=[*ACTIVE_STATES, S.PAUSED], target=S.EXITED)
    def exit(self):
        pass


class MentorStatus(models.TextChoices):
    PENDING = "pending", _("待接受")
    ACCEPTED = "accepted", _("已结对")
    DECLINED = "declined", _("已谢绝")
    LEFT = "left", _("已离任")


class CaseMentor(models.Model):
    case = models.ForeignKey(Case, verbose_name=_("培养案例"), on_delete=models.CASCADE, related_name="mentors")
    teacher = models.ForeignKey(Teacher, verbose_name=_("培养人"), on_delete=models.PROTECT, related_name="mentorships")
    status = models.CharField(_("状态"), max_length=10, choices=MentorStatus.choices, default=MentorStatus.PENDING)
    assigned_at = models.DateTimeField(_("指定时间"), auto_now_add=True)
    responded_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    ended_reason = models.CharField(_("结束原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("培养人")
        verbose_name_plural = _("培养人")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "teacher"],
                condition=Q(status__in=["pending", "accepted"]),
                name="mentor_once_per_case",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.teacher.name} → {self.case}"


class Annex2Row(models.Model):
    """One row of 附件2, written once when a case completes and never changed."""

    case = models.OneToOneField(Case, verbose_name=_("培养案例"), on_delete=models.PROTECT, related_name="annex2_row")
    unit = models.ForeignKey(Organisation, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("姓名"), max_length=50)
    birth_month = models.CharField(_("出生年月"), max_length=7)
    kind = models.CharField(_("“双培”类别"), max_length=1, choices=CaseKind.choices)
    year = models.PositiveIntegerField(_("完成年度"), db_index=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("附件2汇总行")
        verbose_name_plural = _("附件2汇总行")
        ordering = ["unit", "year", "kind", "created_at", "id"]
        indexes = [models.Index(fields=["unit", "year", "kind"], name="annex2_unit_year")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["1", "2"]), name="annex2_kind_1_or_2"),
        ]

"""What the seeds ask for beyond a case's life (issue 12): 一人一档, 结对帮带, 培养措施,
示范岗 and 示范课, 双培论文评比, and the 半年通报 as an issued document."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .cases import Case
from .obligations import SemesterWork
from .organisations import Organisation
from .people import Teacher

USER = settings.AUTH_USER_MODEL


# --- 一人一档 (seed 000 §三: 对每一个党员进行专业水平摸底，分类建立业务档案和专业发展规划) -----------


class TargetCategory(models.TextChoices):
    FAMOUS_TEACHER = "famous_teacher", _("名师")
    FAMOUS_PRINCIPAL = "famous_principal", _("名校长")
    BACKBONE = "backbone", _("骨干教师")


class SurveyLevel(models.TextChoices):
    """摸底 result: where the teacher's professional level stands now."""

    OUTSTANDING = "outstanding", _("优秀")
    GOOD = "good", _("良好")
    ADEQUATE = "adequate", _("合格")
    WEAK = "weak", _("需提升")


class ProfessionalFile(models.Model):
    """业务档案 of one party-member teacher: the 摸底 result and the target category."""

    teacher = models.OneToOneField(
        Teacher, verbose_name=_("教师"), on_delete=models.PROTECT, related_name="professional_file"
    )
    surveyed_on = models.DateField(_("摸底日期"))
    level = models.CharField(_("摸底结论"), max_length=20, choices=SurveyLevel.choices)
    strengths = models.TextField(_("业务特长"), blank=True)
    weaknesses = models.TextField(_("不足与需求"), blank=True)
    target = models.CharField(_("培养方向"), max_length=20, choices=TargetCategory.choices)
    achieved = models.CharField(_("已达成"), max_length=20, choices=TargetCategory.choices, blank=True)
    achieved_on = models.DateField(_("达成日期"), null=True, blank=True)
    created_by = models.ForeignKey(USER, verbose_name=_("建档人"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("建档时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("业务档案")
        verbose_name_plural = _("业务档案")


class DevelopmentGoal(models.Model):
    """One dated goal of a 专业发展规划."""

    file = models.ForeignKey(
        ProfessionalFile, verbose_name=_("业务档案"), on_delete=models.CASCADE, related_name="goals"
    )
    title = models.CharField(_("目标"), max_length=200)
    due_on = models.DateField(_("计划完成日期"))
    achieved_on = models.DateField(_("实际完成日期"), null=True, blank=True)
    evidence = models.CharField(_("完成情况"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("专业发展目标")
        verbose_name_plural = _("专业发展目标")
        ordering = ["due_on", "id"]


# --- 结对帮带 (§三(二)) ----------------------------------------------------------------


class PairKind(models.TextChoices):
    SENIOR_JUNIOR = "senior_junior", _("老人带新人")
    BACKBONE_MEMBER = "backbone_member", _("骨干带党员")


class PairFocus(models.TextChoices):
    """老人带新人's four 带 (带德、带才、带教、带研)."""

    ETHICS = "ethics", _("带德")
    TALENT = "talent", _("带才")
    TEACHING = "teaching", _("带教")
    RESEARCH = "research", _("带研")


class ActivityForm(models.TextChoices):
    OBSERVATION = "observation", _("听课指导")
    SUPERVISION = "supervision", _("业务督导")
    RESEARCH = "research", _("专题教研")
    TALK = "talk", _("谈心交流")
    LESSON_PREP = "lesson_prep", _("集体备课")
    OTHER = "other", _("其他")


class MentoringPair(models.Model):
    """A 结对帮带 pair beside the 双培 cases: ``senior`` (老教师 / 非党员骨干教师) helps ``junior``
    (年轻教师 / 党员教师)."""

    kind = models.CharField(_("帮带形式"), max_length=20, choices=PairKind.choices)
    senior = models.ForeignKey(Teacher, verbose_name=_("帮带人"), on_delete=models.PROTECT, related_name="pairs_led")
    junior = models.ForeignKey(
        Teacher, verbose_name=_("被帮带人"), on_delete=models.PROTECT, related_name="pairs_joined"
    )
    org = models.ForeignKey(Organisation, verbose_name=_("所在学校"), on_delete=models.PROTECT, related_name="+")
    focus = models.JSONField(_("帮带内容"), default=list, blank=True)
    goals = models.TextField(_("帮带目标"), blank=True)
    started_on = models.DateField(_("结对日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    ended_reason = models.CharField(_("结束原因"), max_length=200, blank=True)
    created_by = models.ForeignKey(USER, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("结对帮带")
        verbose_name_plural = _("结对帮带")
        ordering = ["-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "senior", "junior"], condition=Q(ended_on__isnull=True), name="pair_open_once"
            ),
            models.CheckConstraint(condition=~Q(senior=models.F("junior")), name="pair_not_self"),
        ]


class PairActivity(models.Model):
    """One activity of a pair (听课指导、业务督导、专题教研、谈心交流 …). Rows are never changed."""

    pair = models.ForeignKey(MentoringPair, verbose_name=_("结对"), on_delete=models.PROTECT, related_name="activities")
    date = models.DateField(_("日期"))
    form = models.CharField(_("形式"), max_length=20, choices=ActivityForm.choices)
    content = models.TextField(_("内容及成效"))
    written_by = models.ForeignKey(USER, verbose_name=_("记录人"), on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("帮带活动")
        verbose_name_plural = _("帮带活动")
        ordering = ["date", "id"]


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待支部审核")
    APPROVED = "approved", _("支部已审核")
    RETURNED = "returned", _("退回修改")


class TrainingMeasure(models.Model):
    """培养教育的具体措施: the plan a mentor writes for the case at the start, reviewed by the
    branch, printed in the 附件3 ledger. Each submission is a new version."""

    case = models.ForeignKey(Case, verbose_name=_("培养案例"), on_delete=models.PROTECT, related_name="measures")
    version = models.PositiveIntegerField(_("版本"), default=1)
    text = models.TextField(_("具体措施"))
    written_by = models.ForeignKey(USER, verbose_name=_("制定人"), on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(_("制定时间"), auto_now_add=True)
    status = models.CharField(_("状态"), max_length=20, choices=PlanStatus.choices, default=PlanStatus.SUBMITTED)
    reviewed_by = models.ForeignKey(
        USER, verbose_name=_("审核人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_note = models.TextField(_("审核意见"), blank=True)

    class Meta:
        verbose_name = _("培养措施")
        verbose_name_plural = _("培养措施")
        ordering = ["case", "version"]
        constraints = [models.UniqueConstraint(fields=["case", "version"], name="measure_version_once")]


# --- 示范岗 and 示范课 (§三(三); 长沙: 申报备案 → 授牌认定) ------------------------------------


class DemoPostKind(models.TextChoices):
    POST = "post", _("党员示范岗")
    CLASS = "class", _("党员示范班")
    RESPONSIBILITY = "responsibility", _("党员责任区")


class DemoPostState(models.TextChoices):
    DECLARED = "declared", _("已申报备案")
    CERTIFIED = "certified", _("已授牌认定")
    REJECTED = "rejected", _("未予认定")
    REVOKED = "revoked", _("已撤销")


class DemoPost(models.Model):
    school = models.ForeignKey(Organisation, verbose_name=_("学校"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类型"), max_length=20, choices=DemoPostKind.choices)
    subject = models.CharField(_("学科"), max_length=50)
    holder = models.ForeignKey(Teacher, verbose_name=_("党员教师"), on_delete=models.PROTECT, related_name="demo_posts")
    title = models.CharField(_("名称"), max_length=100)
    commitment = models.TextField(_("承诺与服务标准"), blank=True)
    state = models.CharField(_("状态"), max_length=20, choices=DemoPostState.choices, default=DemoPostState.DECLARED)
    declared_by = models.ForeignKey(USER, verbose_name=_("申报人"), on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField(_("申报时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        USER, verbose_name=_("认定人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("认定时间"), null=True, blank=True)
    decision_note = models.CharField(_("认定意见"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("党员示范岗")
        verbose_name_plural = _("党员示范岗")
        ordering = ["school", "subject", "id"]


class LessonKind(models.TextChoices):
    DEMO = "demo", _("示范课")
    OBSERVATION = "observation", _("党员教师观摩课")
    GUEST = "guest", _("校外名家授课")


class LessonState(models.TextChoices):
    SCHEDULED = "scheduled", _("已安排")
    HELD = "held", _("已开课")
    CANCELLED = "cancelled", _("已取消")


class DemoLesson(models.Model):
    school = models.ForeignKey(Organisation, verbose_name=_("学校"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类型"), max_length=20, choices=LessonKind.choices)
    subject = models.CharField(_("学科"), max_length=50)
    teacher = models.ForeignKey(
        Teacher, verbose_name=_("授课教师"), null=True, blank=True, on_delete=models.PROTECT, related_name="lessons"
    )
    guest_name = models.CharField(_("校外授课人"), max_length=50, blank=True)
    title = models.CharField(_("课题"), max_length=200)
    scheduled_for = models.DateTimeField(_("上课时间"))
    place = models.CharField(_("地点"), max_length=100)
    state = models.CharField(_("状态"), max_length=20, choices=LessonState.choices, default=LessonState.SCHEDULED)
    attendees = models.PositiveIntegerField(_("听课人数"), null=True, blank=True)
    record = models.TextField(_("开课记录"), blank=True)
    scheduled_by = models.ForeignKey(USER, verbose_name=_("安排人"), on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(
        USER, verbose_name=_("记录人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("记录时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("示范课")
        verbose_name_plural = _("示范课")
        ordering = ["-scheduled_for", "-id"]


# --- 双培论文评比 (§三(四)) ---------------------------------------------------------------


class ContestState(models.TextChoices):
    OPEN = "open", _("征集中")
    UNIT_JUDGING = "unit_judging", _("单位评审")
    CITY_JUDGING = "city_judging", _("市级评审")
    PUBLISHED = "published", _("已公布")


class Award(models.TextChoices):
    FIRST = "first", _("一等奖")
    SECOND = "second", _("二等奖")
    THIRD = "third", _("三等奖")
    MERIT = "merit", _("优秀奖")
    NONE = "none", _("未获奖")


class PaperContest(models.Model):
    year = models.PositiveIntegerField(_("年度"), unique=True)
    title = models.CharField(_("名称"), max_length=200)
    state = models.CharField(_("状态"), max_length=20, choices=ContestState.choices, default=ContestState.OPEN)
    opened_by = models.ForeignKey(USER, verbose_name=_("发起人"), on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    published_at = models.DateTimeField(_("公布时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("双培论文评比")
        verbose_name_plural = _("双培论文评比")
        ordering = ["-year"]


class ContestEntry(models.Model):
    """One accepted semester paper in a contest, judged under its anonymous ``code``."""

    contest = models.ForeignKey(PaperContest, verbose_name=_("评比"), on_delete=models.PROTECT, related_name="entries")
    work = models.ForeignKey(SemesterWork, verbose_name=_("论文"), on_delete=models.PROTECT, related_name="entries")
    unit = models.ForeignKey(Organisation, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("匿名编号"), max_length=20)
    unit_score = models.DecimalField(_("单位评审得分"), max_digits=5, decimal_places=2, null=True, blank=True)
    advanced = models.BooleanField(_("推荐参加市级评审"), default=False)
    city_score = models.DecimalField(_("市级评审得分"), max_digits=5, decimal_places=2, null=True, blank=True)
    award = models.CharField(_("奖项"), max_length=20, choices=Award.choices, blank=True)

    class Meta:
        verbose_name = _("参评论文")
        verbose_name_plural = _("参评论文")
        constraints = [
            models.UniqueConstraint(fields=["contest", "work"], name="entry_once_per_contest"),
            models.UniqueConstraint(fields=["contest", "code"], name="entry_code_unique"),
        ]


class JudgeLevel(models.TextChoices):
    UNIT = "unit", _("单位评审")
    CITY = "city", _("市级评审")


class ContestJudge(models.Model):
    contest = models.ForeignKey(PaperContest, verbose_name=_("评比"), on_delete=models.PROTECT, related_name="judges")
    user = models.ForeignKey(USER, verbose_name=_("评委"), on_delete=models.PROTECT, related_name="+")
    level = models.CharField(_("评审级别"), max_length=10, choices=JudgeLevel.choices)
    unit = models.ForeignKey(
        Organisation, verbose_name=_("评审单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    appointed_by = models.ForeignKey(USER, verbose_name=_("聘请人"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("评委")
        verbose_name_plural = _("评委")
        constraints = [models.UniqueConstraint(fields=["contest", "user", "level", "unit"], name="judge_once")]


class ContestScore(models.Model):
    entry = models.ForeignKey(ContestEntry, verbose_name=_("参评论文"), on_delete=models.PROTECT, related_name="scores")
    judge = models.ForeignKey(ContestJudge, verbose_name=_("评委"), on_delete=models.PROTECT, related_name="scores")
    score = models.DecimalField(_("得分"), max_digits=5, decimal_places=2)
    comment = models.CharField(_("评语"), max_length=500, blank=True)
    scored_at = models.DateTimeField(_("评分时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("评分")
        verbose_name_plural = _("评分")
        constraints = [models.UniqueConstraint(fields=["entry", "judge"], name="score_once_per_judge")]


# --- 半年通报 as an issued document (§四(三): 每半年通报一次工作情况) ----------------------------


class Bulletin(models.Model):
    """An issued 通报: numbered 〔YEAR〕N号, its PDF frozen at issue with its 核验码, delivered to
    each unit's inbox with a read receipt."""

    year = models.PositiveIntegerField(_("年度"))
    number = models.PositiveIntegerField(_("序号"))
    half = models.PositiveSmallIntegerField(_("半年"), choices=[(1, _("上半年")), (2, _("下半年"))])
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文按语"), blank=True)
    figures = models.JSONField(_("通报数据"), default=dict)
    pdf_sha256 = models.CharField(_("文件摘要"), max_length=64)
    stored_name = models.CharField(_("存储名"), max_length=200, unique=True, editable=False)
    issued_by = models.ForeignKey(USER, verbose_name=_("签发人"), on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("签发时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("半年通报")
        verbose_name_plural = _("半年通报")
        ordering = ["-year", "-number"]
        constraints = [models.UniqueConstraint(fields=["year", "number"], name="bulletin_number_once")]

    @property
    def doc_no(self) -> str:
        return f"〔{self.year}〕{self.number}号"


class BulletinReceipt(models.Model):
    bulletin = models.ForeignKey(Bulletin, verbose_name=_("通报"), on_delete=models.PROTECT, related_name="receipts")
    unit = models.ForeignKey(Organisation, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+")
    read_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    read_by = models.ForeignKey(
        USER, verbose_name=_("签收人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("通报签收")
        verbose_name_plural = _("通报签收")
        constraints = [models.UniqueConstraint(fields=["bulletin", "unit"], name="bulletin_receipt_once")]

"""What an approver's day adds around a task (issue 11): 抄送, 评论, 代理人, and which tasks a
user has opened (bulk approval only takes those)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .cases import Case
from .organisations import Organisation
from .tasks import CaseTask


class CaseCopy(models.Model):
    """抄送: a person the approver copied on a task. They are notified and may read the case
    (read only) while the copy stands; it ends when revoked or when the case closes."""

    case = models.ForeignKey(Case, verbose_name=_("培养案例"), on_delete=models.PROTECT, related_name="copies")
    task = models.ForeignKey(CaseTask, verbose_name=_("任务"), on_delete=models.PROTECT, related_name="copies")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("抄送对象"), on_delete=models.PROTECT, related_name="case_copies"
    )
    copied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("抄送人"), on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("说明"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("抄送时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("首次查阅时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("抄送")
        verbose_name_plural = _("抄送")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "recipient"], condition=Q(revoked_at__isnull=True), name="copy_once_per_task"
            ),
        ]
        indexes = [models.Index(fields=["recipient", "revoked_at"], name="copy_by_recipient")]


class TaskComment(models.Model):
    """评论: a remark on a task that does not move the case, with optional attachments
    (``Attachment.comment``). Rows are never changed."""

    case = models.ForeignKey(Case, verbose_name=_("培养案例"), on_delete=models.PROTECT, related_name="comments")
    task = models.ForeignKey(CaseTask, verbose_name=_("任务"), on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("评论人"), on_delete=models.PROTECT, related_name="+"
    )
    author_name = models.CharField(_("评论人姓名"), max_length=150)
    role = models.CharField(_("身份"), max_length=20, blank=True)
    text = models.TextField(_("评论内容"))
    # Internal: officials only (a trainee or mentor does not see it). See workflows/visibility.py.
    internal = models.BooleanField(_("仅干部可见"), default=True)
    created_at = models.DateTimeField(_("评论时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("评论")
        verbose_name_plural = _("评论")
        ordering = ["id"]


class Deputy(models.Model):
    """代理人: ``deputy`` acts for ``principal`` from ``start_date`` to ``end_date`` (inclusive).

    During it the deputy sees and acts on what the principal would; the trail says
    "李四（代张三）". ``tick`` lapses it after the end date (``lapsed_at``); tasks the deputy
    took during the period go back to the principal.
    """

    principal = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("被代理人"), on_delete=models.PROTECT, related_name="deputies"
    )
    deputy = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("代理人"), on_delete=models.PROTECT, related_name="deputising"
    )
    # The organisation at which the arrangement was made (scope of who may end it).
    org = models.ForeignKey(Organisation, verbose_name=_("组织"), on_delete=models.PROTECT, related_name="+")
    start_date = models.DateField(_("代理开始日期"))
    end_date = models.DateField(_("代理结束日期（含当日）"))
    reason = models.CharField(_("事由"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("设置人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("设置时间"), auto_now_add=True)
    ended_at = models.DateTimeField(_("提前结束时间"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("结束人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lapsed_at = models.DateTimeField(_("到期失效时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("代理人")
        verbose_name_plural = _("代理人")
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="deputy_ends_after_start"),
            models.CheckConstraint(condition=~Q(deputy=F("principal")), name="deputy_not_self"),
        ]
        indexes = [models.Index(fields=["deputy", "start_date", "end_date"], name="deputy_by_deputy")]


class TaskOpened(models.Model):
    """The first time a user opened a task's page: bulk approval takes only tasks opened."""

    task = models.ForeignKey(CaseTask, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="+"
    )
    at = models.DateTimeField(_("首次打开时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("任务打开记录")
        verbose_name_plural = _("任务打开记录")
        constraints = [models.UniqueConstraint(fields=["task", "user"], name="task_opened_once")]

"""Reminders: what the notification centre shows, and the once-only tokens that keep them single."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .cases import Case
from .tasks import CaseTask


class NotificationKind(models.TextChoices):
    DUE_SOON = "due_soon", _("即将到期")
    OVERDUE = "overdue", _("已逾期")
    ESCALATED = "escalated", _("升级督办")
    URGED = "urged", _("催办")
    FORWARDED = "forwarded", _("转交")
    COUNTERSIGN = "countersign", _("加签")
    COPIED = "copied", _("抄送")
    COMMENTED = "commented", _("评论")
    DEPUTY = "deputy", _("代理")
    RETURNED = "returned", _("退回")
    REJECTED = "rejected", _("不予通过")
    BULLETIN = "bulletin", _("通报")
    # The rest of the programme (issue 12).
    PAIRING = "pairing", _("结对帮带")
    DEMO = "demo", _("示范岗")
    CONTEST = "contest", _("论文评比")


class TaskReminder(models.Model):
    """One reminder of one kind for one task, sent once: the unique key is the guarantee.

    Two ``tick`` processes racing for the same reminder both try to insert this row; the
    database lets exactly one in, and only that one notifies anybody. 催办 uses the key
    ``urged:YYYY-MM-DD`` so a task is urged at most once a day.
    """

    task = models.ForeignKey(CaseTask, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="reminders")
    key = models.CharField(_("提醒"), max_length=40)
    sent_at = models.DateTimeField(_("发送时间"), auto_now_add=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("催办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("任务提醒")
        verbose_name_plural = _("任务提醒")
        constraints = [models.UniqueConstraint(fields=["task", "key"], name="reminder_once")]


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接收人"), on_delete=models.CASCADE, related_name="notifications"
    )
    # Reminders (到期/逾期/督办/催办) come with their once-only token; the approver's actions
    # (转交, 加签, 抄送, 评论, 代理) notify without one.
    reminder = models.ForeignKey(
        TaskReminder,
        verbose_name=_("提醒"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("类型"), max_length=20, choices=NotificationKind.choices)
    task = models.ForeignKey(
        CaseTask, verbose_name=_("任务"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    case = models.ForeignKey(
        Case, verbose_name=_("培养案例"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    message = models.CharField(_("内容"), max_length=300)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed = models.BooleanField(_("已发邮件"), default=False)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "reminder"], name="notification_once_per_recipient"),
        ]

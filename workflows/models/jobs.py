"""Long exports run by a django-tasks worker; the row is what the progress bar reads."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .organisations import Organisation


class ExportKind(models.TextChoices):
    LEDGERS = "ledgers", _("单位全部培养台账（ZIP）")
    CITY_ANNEX2 = "city_annex2", _("全市附件2汇总表（PDF 与 XLSX）")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class ExportJob(models.Model):
    kind = models.CharField(_("导出内容"), max_length=20, choices=ExportKind.choices)
    unit = models.ForeignKey(
        Organisation, verbose_name=_("单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveIntegerField(_("年度"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    status = models.CharField(_("状态"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    done = models.PositiveIntegerField(_("已完成"), default=0)
    total = models.PositiveIntegerField(_("总数"), default=0)
    # django-tasks' result id, to find the worker's record of the run.
    task_result_id = models.CharField(_("后台任务编号"), max_length=64, blank=True)
    file_name = models.CharField(_("文件名"), max_length=255, blank=True)
    stored_name = models.CharField(_("存储名"), max_length=100, blank=True)
    error = models.TextField(_("错误"), blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导出任务")
        verbose_name_plural = _("导出任务")
        ordering = ["-requested_at", "-id"]

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0

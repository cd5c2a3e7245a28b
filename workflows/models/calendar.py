"""The working-day calendar's table of exceptions, kept by the city (issue 12)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkdayOverride(models.Model):
    """One day the city declares a working day (调休上班) or a day off (放假), overriding the
    statutory calendar of the ``chinese-calendar`` package, e.g. for a year it does not know
    yet, or a local holiday. See workflows/workdays.py."""

    date = models.DateField(_("日期"), unique=True)
    workday = models.BooleanField(_("是否上班"))
    name = models.CharField(_("名称"), max_length=40)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("设置人"), on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("设置时间"), auto_now=True)

    class Meta:
        verbose_name = _("工作日调整")
        verbose_name_plural = _("工作日调整")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'上班' if self.workday else '放假'} {self.name}"

"""代理人 forms: they validate what was typed; who may name whom, and for which period, is the
service's decision (workflows/services/deputies.py, workflows/access/deputies.py)."""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from workflows.services.deputies import REASON_MAX_LENGTH

from .text import BidiRefusingForm, limited_text

DATE_HINT = _("请按 2026-11-16 的格式填写日期。")


def _date(label, required_message) -> forms.DateField:
    return forms.DateField(
        label=label,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": required_message, "invalid": DATE_HINT},
    )


def _username(label, *, required: bool, required_message=None) -> forms.CharField:
    messages = {"max_length": format_lazy("{}{}", label, _("最多 %(limit_value)d 个字符，现有 %(show_value)d 个。"))}
    if required_message:
        messages["required"] = required_message
    return forms.CharField(label=label, max_length=150, required=required, error_messages=messages)


class DeputyForm(BidiRefusingForm):
    principal = _username(_("被代理人用户名（留空为本人）"), required=False)
    deputy = _username(_("代理人用户名"), required=True, required_message=_("请填写代理人的用户名。"))
    start_date = _date(_("代理开始日期"), _("请填写代理开始日期。"))
    end_date = _date(_("代理结束日期（含当日）"), _("请填写代理结束日期。"))
    reason = limited_text(_("事由"), REASON_MAX_LENGTH, required_message=_("请填写代理事由（如出差、休假、培训）。"))

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("代理结束日期不能早于开始日期，请重新选择。"))
        return data


class DeputyEndForm(BidiRefusingForm):
    reason = limited_text(_("结束说明"), REASON_MAX_LENGTH, required=False)

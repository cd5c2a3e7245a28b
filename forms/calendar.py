"""工作日历's form: one day the city declares a working day or a day off."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .text import BidiRefusingForm


class WorkdayForm(BidiRefusingForm):
    date = forms.DateField(
        label=_("日期"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("请选择日期。"), "invalid": _("日期格式应为 2026-10-10。")},
    )
    workday = forms.TypedChoiceField(
        label=_("这一天"),
        choices=[("1", _("上班（调休）")), ("0", _("放假"))],
        coerce=lambda v: v == "1",
        error_messages={"required": _("请选择上班或放假。"), "invalid_choice": _("请选择上班或放假。")},
    )
    name = forms.CharField(
        label=_("名称"),
        max_length=40,
        error_messages={"required": _("请填写名称，例如“国庆节调休上班”。"), "max_length": _("名称最多 40 字。")},
    )


class WorkdayClearForm(forms.Form):
    date = forms.DateField(error_messages={"required": _("请选择日期。"), "invalid": _("日期格式应为 2026-10-10。")})

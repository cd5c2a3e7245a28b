"""三年计划 forms: starting a new three-year plan, and the forecast's year and unit.

They check the shape of what was typed (a four-digit year, a title, a file when one is
chosen); whether the years overlap an existing plan and who may start one are the service's
decisions (``workflows/services/plan_start.py``).
"""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from .text import BidiRefusingForm, limited_text

YEAR_MESSAGE = _("起始年度须为四位数字的年份，例如 2026。")
SOURCE_CHOICES = (
    ("copy", _("复制上一轮计划的各单位三年计划数（作为起点，再由各单位分解、市级调整）")),
    ("file", _("上传新的附件1文件（XLSX 或 CSV）")),
)


class PlanStartForm(BidiRefusingForm):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_plan_start_%s")
        super().__init__(*args, **kwargs)

    first_year = forms.CharField(
        label=_("起始年度"),
        max_length=4,
        error_messages={"required": _("请填写起始年度，例如 2026。"), "max_length": YEAR_MESSAGE},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 6}),
    )
    title = limited_text(_("计划名称"), 200, required_message=_("请填写计划名称。"))
    source = forms.ChoiceField(
        label=_("各单位三年计划数"),
        choices=SOURCE_CHOICES,
        initial="copy",
        widget=forms.RadioSelect,
        error_messages={
            "required": _("请选择各单位三年计划数的来源。"),
            "invalid_choice": _("请选择各单位三年计划数的来源。"),
        },
    )
    file = forms.FileField(label=_("附件1 文件（选择“上传”时必填）"), required=False)

    def clean_first_year(self) -> int:
        raw = self.cleaned_data["first_year"].strip()
        if not re.fullmatch(r"[0-9]{4}", raw):
            raise forms.ValidationError(YEAR_MESSAGE)
        return int(raw)

    def clean(self):
        data = super().clean()
        if data.get("source") == "file" and not data.get("file"):
            self.add_error("file", _("请选择要导入的附件1文件，或改选“复制上一轮计划的各单位三年计划数”。"))
        return data


class ForecastForm(forms.Form):
    """The forecast page's query: a year (four digits) and, optionally, one unit."""

    year = forms.IntegerField(
        min_value=2000,
        max_value=2100,
        required=False,
        error_messages={
            "invalid": _("年度须为四位数字，例如 2027。"),
            "min_value": _("年度须为四位数字，例如 2027。"),
            "max_value": _("年度须为四位数字，例如 2027。"),
        },
    )
    unit = forms.IntegerField(min_value=1, max_value=2_147_483_647, required=False)

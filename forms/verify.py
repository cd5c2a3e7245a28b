"""The 核验 page's one field: a 核验码 as printed on an official PDF."""

from django import forms
from django.utils.translation import gettext_lazy as _

from workflows.chain import parse_code


class VerifyCodeForm(forms.Form):
    code = forms.CharField(
        label=_("核验码"),
        max_length=40,
        help_text=_("印在正式文件（附件2、附件3 台账、通报、名册、审计轨迹）页脚右下角，例如 A-000123-1f3a9c0b2d4e。"),
    )

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if parse_code(code) is None:
            raise forms.ValidationError(
                _("核验码格式不正确：应为“A-序号-12位摘要”，例如 A-000123-1f3a9c0b2d4e，请对照文件页脚重新填写。")
            )
        return code

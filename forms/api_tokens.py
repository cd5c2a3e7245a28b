"""The API token page's form: a name for the new token."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .text import BidiRefusingForm


class ApiTokenForm(BidiRefusingForm):
    name = forms.CharField(
        label=_("令牌名称"),
        max_length=60,
        help_text=_("说明用途，例如“钉钉审批对接”。"),
        error_messages={"required": _("请填写令牌名称。"), "max_length": _("令牌名称最多 60 字。")},
    )

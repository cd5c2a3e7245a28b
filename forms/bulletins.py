"""The 签发通报 form: it validates what was typed; who may issue, and which half-years may be
issued, is the service's decision (workflows/services/bulletins.py, workflows/access/bulletins.py)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from workflows.figures.values import FIRST_YEAR
from workflows.services import bulletins as svc

from .text import BidiRefusingForm, limited_text

YEAR_MESSAGE = _("年度须为四位数字，例如 2026。")
HALF_MESSAGE = _("半年度只能是 1（上半年）或 2（下半年）。")


class BulletinIssueForm(BidiRefusingForm):
    year = forms.IntegerField(
        label=_("年度"),
        min_value=FIRST_YEAR,
        max_value=2100,
        error_messages={
            "required": YEAR_MESSAGE,
            "invalid": YEAR_MESSAGE,
            "min_value": YEAR_MESSAGE,
            "max_value": YEAR_MESSAGE,
        },
    )
    half = forms.TypedChoiceField(
        label=_("半年"),
        choices=[(1, _("上半年")), (2, _("下半年"))],
        coerce=int,
        error_messages={"required": HALF_MESSAGE, "invalid_choice": HALF_MESSAGE},
    )
    title = limited_text(_("标题（留空按年度和半年自动生成）"), svc.TITLE_MAX, required=False)
    remark = limited_text(_("按语"), svc.REMARK_MAX, required=False, rows=4)

"""年度报表 forms: 附件2 报送/接收/退回/更正 and the 附件1 年度分解. They check the text's length
and direction controls; whether a reason is required for this version, whether the numbers add
up and who may act are the services' decisions (workflows/services/reports.py)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .text import BidiRefusingForm, limited_text

MAX_ID = 2_147_483_647


class ReportForm(BidiRefusingForm):
    """Ids kept apart when two of these forms sit on one page."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"id_{type(self).__name__.lower()}_%s")
        super().__init__(*args, **kwargs)


class ReportSubmitForm(ReportForm):
    # Required from the second version on; the service says which explanation it needs.
    reason = limited_text(_("修改/更正说明"), 1000, required=False)


class ReportAcceptForm(ReportForm):
    note = limited_text(_("审核意见"), 1000, required=False)


class ReportReturnForm(ReportForm):
    reason = limited_text(_("退回理由"), 1000, required_message=_("请填写退回理由，告诉单位需要改什么。"))


class PlanNumbersForm(ReportForm):
    """The year cells of a breakdown (``{year}_{kind}``), kept as typed: the service names each
    number that is not a whole number and checks the sums."""

    def __init__(self, *args, cells=(), **kwargs):
        super().__init__(*args, **kwargs)
        for cell in cells:
            name = f"{cell.year}_{cell.kind}"
            label = _("%(year)s年类别%(kind)s") % {"year": cell.year, "kind": cell.kind}
            self.fields[name] = forms.CharField(
                label=label,
                required=False,
                max_length=20,
                error_messages={
                    "max_length": _("%(label)s的数字太长，请填写 0 到 99999 之间的整数。") % {"label": label}
                },
            )

    def numbers(self) -> dict[str, str]:
        return {name: value for name, value in self.cleaned_data.items() if name not in ("note", "reason")}


class PlanSubmitForm(PlanNumbersForm):
    pass


class PlanApproveForm(PlanNumbersForm):
    # Required when a number was adjusted: the service says so.
    note = limited_text(_("审批意见"), 1000, required=False)


class PlanReturnForm(ReportForm):
    reason = limited_text(_("退回理由"), 1000, required_message=_("请填写退回理由，告诉单位需要改什么。"))


class ReportCorrectForm(ReportForm):
    unit = forms.IntegerField(min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)
    year = forms.IntegerField(
        min_value=2000,
        max_value=2099,
        widget=forms.HiddenInput,
        error_messages={
            "required": _("年度须为 2000—2099 之间的四位数字，例如 2026。"),
            "invalid": _("年度须为 2000—2099 之间的四位数字，例如 2026。"),
            "min_value": _("年度须为 2000—2099 之间的四位数字，例如 2026。"),
            "max_value": _("年度须为 2000—2099 之间的四位数字，例如 2026。"),
        },
    )
    reason = limited_text(_("更正理由"), 1000, required_message=_("请填写更正理由（要更正什么、为什么）。"))

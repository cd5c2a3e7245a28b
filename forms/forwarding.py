"""转交 and 加签 forms: they validate; ``workflows.services.forwarding`` decides and writes."""

from django import forms
from django.utils.translation import gettext_lazy as _

from workflows.access.forwarding import COUNTERSIGN_TEXT_MAX, FORWARD_REASON_MAX, Position

from .text import BidiRefusingForm, limited_text


def _people(users):
    return [("", "——")] + [(u.pk, u.get_full_name() or u.get_username()) for u in users]


def _person_field(label, required_message):
    """A person chosen from the list the page offers; any id passes here and the service says
    why one it refuses is not eligible (培养人, 培养对象本人, 不在该组织任职 …)."""
    return forms.IntegerField(
        label=label,
        min_value=1,
        max_value=2_147_483_647,
        widget=forms.Select,
        error_messages={
            "required": required_message,
            "invalid": _("请从列表中选择一位人员。"),
            "min_value": _("请从列表中选择一位人员。"),
            "max_value": _("请从列表中选择一位人员。"),
        },
    )


class ForwardForm(BidiRefusingForm):
    to_user = _person_field(_("转交给"), _("请选择转交对象。"))
    reason = limited_text(_("转交理由"), FORWARD_REASON_MAX, rows=2, required_message=_("请填写转交理由。"))

    def __init__(self, *args, users=(), **kwargs):
        kwargs.setdefault("auto_id", "id_forward_%s")
        super().__init__(*args, **kwargs)
        self.fields["to_user"].widget.choices = _people(users)


class CountersignAskForm(BidiRefusingForm):
    to_user = _person_field(_("加签给"), _("请选择加签对象。"))
    position = forms.ChoiceField(
        label=_("加签方式"),
        choices=[
            (Position.BEFORE, _("前加签：请对方先审核，我看过其意见后再决定")),
            (Position.AFTER, _("后加签：我审核同意，再请对方审核，对方同意即报上一级")),
        ],
        initial=Position.BEFORE,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择加签方式。"), "invalid_choice": _("请选择前加签或后加签。")},
    )
    reason = limited_text(
        _("加签说明"), COUNTERSIGN_TEXT_MAX, rows=2, required_message=_("请填写加签说明（后加签时即您的审核意见）。")
    )

    def __init__(self, *args, users=(), after_allowed=True, **kwargs):
        kwargs.setdefault("auto_id", "id_countersign_%s")
        super().__init__(*args, **kwargs)
        self.fields["to_user"].widget.choices = _people(users)
        if not after_allowed:
            # Not offered (市级备案); posted anyway, the service says why not.
            self.fields["position"].widget.choices = self.fields["position"].choices[:1]


class CountersignAnswerForm(BidiRefusingForm):
    agree = forms.TypedChoiceField(
        label=_("加签意见"),
        choices=[("yes", _("同意")), ("no", _("不同意"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择同意或不同意。"), "invalid_choice": _("请选择同意或不同意。")},
    )
    reason = limited_text(_("审核意见"), COUNTERSIGN_TEXT_MAX, required=False, rows=3)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_countersign_answer_%s")
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if data.get("agree") is False and not (data.get("reason") or "").strip():
            self.add_error("reason", _("不同意时请写明审核意见，告诉对方哪里需要再考虑。"))
        return data

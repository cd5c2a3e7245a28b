"""结对帮带 and 培养措施 forms: they validate what was typed; who may pair whom, record, write or
review is the service's decision (workflows/services/pairs.py, workflows/access/pairs.py)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from workflows.models import ActivityForm, PairFocus, PairKind
from workflows.services import pairs as svc

from .text import BidiRefusingForm, limited_text

DATE_HINT = _("请按 2026-11-16 的格式填写日期。")


def _teacher_choice(label, required_message) -> forms.IntegerField:
    """A select whose options the view fills; the value is only a number here (the service says
    whether the teacher is in scope)."""
    return forms.IntegerField(
        label=label,
        widget=forms.Select(),
        error_messages={"required": required_message, "invalid": required_message},
    )


def _date(label, required_message, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": required_message, "invalid": DATE_HINT},
    )


class PairForm(BidiRefusingForm):
    kind = forms.ChoiceField(
        label=_("帮带形式"),
        choices=PairKind.choices,
        initial=PairKind.SENIOR_JUNIOR,
        error_messages={"required": _("请选择帮带形式。"), "invalid_choice": _("请选择帮带形式。")},
    )
    senior = _teacher_choice(_("帮带人（老教师 / 非党员骨干教师）"), _("请选择帮带人。"))
    junior = _teacher_choice(_("被帮带人（年轻教师 / 党员教师）"), _("请选择被帮带人。"))
    focus = forms.MultipleChoiceField(
        label=_("帮带内容（老人带新人至少选一项）"),
        choices=PairFocus.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(),
        error_messages={"invalid_choice": _("帮带内容只能是带德、带才、带教、带研。")},
    )
    goals = limited_text(_("帮带目标"), svc.GOALS_MAX, required=False, rows=3)
    started_on = _date(_("结对日期（留空为今天）"), "", required=False)

    def __init__(self, *args, teachers=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("请选择"))] + [
            (
                t.pk,
                f"{t.name}（{t.org.name}，{t.get_party_status_display()}{_('，骨干教师') if t.is_backbone else ''}）",
            )
            for t in teachers
        ]
        self.fields["senior"].widget.choices = choices
        self.fields["junior"].widget.choices = choices


class PairEndForm(BidiRefusingForm):
    reason = limited_text(_("结束原因"), svc.REASON_MAX, required_message=_("请填写结束原因（如帮带期满、教师调离）。"))


class ActivityAddForm(BidiRefusingForm):
    date = _date(_("活动日期"), _("请填写活动日期。"))
    form = forms.ChoiceField(
        label=_("活动形式"),
        choices=ActivityForm.choices,
        initial=ActivityForm.OBSERVATION,
        error_messages={"required": _("请选择活动形式。"), "invalid_choice": _("请选择活动形式。")},
    )
    content = limited_text(
        _("活动内容及成效"),
        svc.ACTIVITY_MAX,
        rows=3,
        required_message=_("请填写活动内容及成效（做了什么、有什么收获）。"),
    )


class MeasureForm(BidiRefusingForm):
    text = limited_text(
        _("培养教育的具体措施"),
        svc.MEASURE_MAX,
        rows=6,
        required_message=_("请填写培养教育的具体措施（如理论学习、谈心谈话、参加党的活动的安排）。"),
    )


class MeasureReviewForm(BidiRefusingForm):
    decision = forms.ChoiceField(
        label=_("审核结果"),
        choices=[("approve", _("审核通过")), ("return", _("退回修改"))],
        error_messages={"required": _("请选择审核结果。"), "invalid_choice": _("请选择审核结果。")},
    )
    note = limited_text(_("审核意见"), svc.NOTE_MAX, required=False, rows=2)

    def clean(self):
        data = super().clean()
        if data.get("decision") == "return" and not (data.get("note") or "").strip():
            self.add_error("note", _("退回时请填写审核意见，写明需要修改的地方，培养人据此修改后重新提交。"))
        return data

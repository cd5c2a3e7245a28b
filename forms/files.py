"""一人一档 forms: they validate what was typed; who may write whose 档案, and the date rules
(摸底 not in the future, goals after the 摸底), are the service's (workflows/services/files.py)."""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from workflows.models import SurveyLevel, TargetCategory
from workflows.services import files as svc

from .text import BidiRefusingForm, limited_text

DATE_HINT = _("请按 2026-09-01 的格式填写日期。")


def _date(label, *, required_message=None, required: bool = True) -> forms.DateField:
    messages = {"invalid": format_lazy("{}：{}", label, DATE_HINT)}
    if required_message:
        messages["required"] = required_message
    return forms.DateField(
        label=label,
        required=required,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages=messages,
    )


def _choice(label, choices, message, *, required: bool = True) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=([] if required else [("", _("（尚未达成）"))]) + list(choices),
        required=required,
        error_messages={"required": message, "invalid_choice": message},
    )


class FileForm(BidiRefusingForm):
    surveyed_on = _date(_("摸底日期"), required_message=_("请填写摸底日期。"))
    level = _choice(_("摸底结论"), SurveyLevel.choices, _("请选择摸底结论（优秀、良好、合格或需提升）。"))
    strengths = limited_text(_("业务特长"), svc.STRENGTHS_MAX, required=False, rows=3)
    weaknesses = limited_text(_("不足与需求"), svc.WEAKNESSES_MAX, required=False, rows=3)
    target = _choice(_("培养方向"), TargetCategory.choices, _("请选择培养方向（名师、名校长或骨干教师）。"))
    achieved = _choice(_("已达成"), TargetCategory.choices, _("请选择已达成的类别，或留空。"), required=False)
    achieved_on = _date(_("达成日期"), required=False)


class GoalForm(BidiRefusingForm):
    title = limited_text(
        _("目标"), svc.GOAL_TITLE_MAX, required_message=_("请填写目标（如“两年内获评区级骨干教师”）。")
    )
    due_on = _date(_("计划完成日期"), required_message=_("请填写计划完成日期。"))


class GoalUpdateForm(GoalForm):
    achieved_on = _date(_("实际完成日期"), required=False)
    evidence = limited_text(_("完成情况"), svc.EVIDENCE_MAX, required=False)

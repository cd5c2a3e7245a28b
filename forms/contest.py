"""论文评比 forms: they validate what was typed; who may do what, and when, is the service's
decision (workflows/services/contest.py, workflows/access/contest.py)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from workflows.models.programme import ContestState, JudgeLevel
from workflows.services.contest import COMMENT_MAX_LENGTH, TITLE_MAX_LENGTH

from .text import BidiRefusingForm, limited_text

SCORE_HINT = _("得分须是 0 至 100 之间的数，最多两位小数，请重新填写。")


class ContestOpenForm(BidiRefusingForm):
    year = forms.IntegerField(
        label=_("年度"),
        min_value=2000,
        max_value=2100,
        error_messages={
            "required": _("请填写评比年度。"),
            "invalid": _("年度请填写四位数字，如 2026。"),
            "min_value": _("年度须在 2000 年以后。"),
            "max_value": _("年度不能晚于 2100 年。"),
        },
    )
    title = limited_text(_("评比名称（可留空）"), TITLE_MAX_LENGTH, required=False)


class ContestStageForm(forms.Form):
    """The stage the page showed, so a stale page or a second click cannot skip a stage."""

    from_state = forms.ChoiceField(
        choices=ContestState.choices, widget=forms.HiddenInput, error_messages={"required": _("请刷新页面后重试。")}
    )


class JudgeForm(BidiRefusingForm):
    username = forms.CharField(
        label=_("评委用户名"),
        max_length=150,
        error_messages={
            "required": _("请填写评委的用户名。"),
            "max_length": _("用户名最多 %(limit_value)d 个字符，现有 %(show_value)d 个。"),
        },
    )
    level = forms.ChoiceField(
        label=_("评审级别"),
        choices=JudgeLevel.choices,
        error_messages={"required": _("请选择评审级别。"), "invalid_choice": _("请选择单位评审或市级评审。")},
    )
    unit = forms.IntegerField(required=False, widget=forms.HiddenInput)


class RecommendForm(forms.Form):
    unit = forms.IntegerField(widget=forms.HiddenInput, error_messages={"required": _("请刷新页面后重试。")})
    entries = forms.TypedMultipleChoiceField(
        label=_("推荐参加市级评审的论文"),
        coerce=int,
        error_messages={
            "required": _("请至少选择一篇推荐参加市级评审的论文。"),
            "invalid_choice": _("所选论文不属于本单位的参评论文，请刷新页面后重新选择。"),
        },
    )

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entries"].choices = list(choices)


class ScoreForm(BidiRefusingForm):
    score = forms.DecimalField(
        label=_("得分（0–100）"),
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        error_messages={
            "required": _("请填写得分。"),
            "invalid": SCORE_HINT,
            "min_value": SCORE_HINT,
            "max_value": SCORE_HINT,
            "max_digits": SCORE_HINT,
            "max_decimal_places": SCORE_HINT,
            "max_whole_digits": SCORE_HINT,
        },
    )
    comment = limited_text(_("评语"), COMMENT_MAX_LENGTH, required=False, rows=2)

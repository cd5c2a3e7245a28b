"""示范岗 and 示范课 forms: they validate what was typed; who may declare, certify, schedule or
record, and for whom, is the service's decision (workflows/services/demo.py,
workflows/access/demo.py)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from workflows.models import DemoPostKind, LessonKind
from workflows.services import demo as svc

from .text import BidiRefusingForm, limited_text

DATETIME_HINT = _("请按 2026-11-20 14:30 的格式填写上课时间。")


def _id_choice(label, required_message, *, required: bool = True) -> forms.IntegerField:
    """A select whose options the view fills; the value is only a number here (the service says
    whether the person or school is in scope)."""
    return forms.IntegerField(
        label=label,
        required=required,
        widget=forms.Select(),
        error_messages={"required": required_message, "invalid": required_message},
    )


class DemoPostForm(BidiRefusingForm):
    teacher = _id_choice(_("党员教师"), _("请选择承担示范岗的党员教师。"))
    kind = forms.ChoiceField(
        label=_("类型"),
        choices=DemoPostKind.choices,
        initial=DemoPostKind.POST,
        error_messages={"required": _("请选择示范岗的类型。"), "invalid_choice": _("请选择示范岗的类型。")},
    )
    subject = limited_text(_("学科（留空为该教师的任教学科）"), svc.SUBJECT_MAX, required=False)
    title = limited_text(
        _("示范岗名称"), svc.TITLE_MAX, required_message=_("请填写示范岗名称（如“初二语文党员示范岗”）。")
    )
    commitment = limited_text(_("承诺与服务标准"), svc.COMMITMENT_MAX, required=False, rows=3)

    def __init__(self, *args, teachers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teacher"].widget.choices = [("", _("请选择"))] + [
            (t.pk, f"{t.name}（{t.org.name}，{t.subject or _('未登记学科')}，{t.get_party_status_display()}）")
            for t in teachers
        ]


class DemoDecideForm(BidiRefusingForm):
    decision = forms.ChoiceField(
        label=_("认定结果"),
        choices=[("certify", _("授牌认定")), ("reject", _("不予认定"))],
        error_messages={"required": _("请选择认定结果。"), "invalid_choice": _("请选择认定结果。")},
    )
    note = limited_text(_("认定意见"), svc.NOTE_MAX, required=False)

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("note") or "").strip():
            self.add_error("note", _("不予认定时请填写理由，学校会看到它并据此改进或另行申报。"))
        return data


class DemoRevokeForm(BidiRefusingForm):
    reason = limited_text(_("撤销理由"), svc.NOTE_MAX, required_message=_("请填写撤销理由（如教师调离、未履行承诺）。"))


class LessonForm(BidiRefusingForm):
    school = _id_choice(_("学校"), _("请选择学校。"))
    kind = forms.ChoiceField(
        label=_("类型"),
        choices=LessonKind.choices,
        initial=LessonKind.DEMO,
        error_messages={"required": _("请选择课的类型。"), "invalid_choice": _("请选择课的类型。")},
    )
    teacher = _id_choice(_("授课教师（本校）"), _("请选择授课教师。"), required=False)
    guest_name = limited_text(_("校外授课人（名家授课时填写）"), svc.GUEST_MAX, required=False)
    subject = limited_text(_("学科（留空为授课教师的任教学科）"), svc.SUBJECT_MAX, required=False)
    title = limited_text(_("课题"), svc.LESSON_TITLE_MAX, required_message=_("请填写课题。"))
    scheduled_for = forms.DateTimeField(
        label=_("上课时间"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"required": _("请填写上课时间。"), "invalid": DATETIME_HINT},
    )
    place = limited_text(_("地点"), svc.PLACE_MAX, required_message=_("请填写上课地点。"))

    def __init__(self, *args, schools=(), teachers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].widget.choices = [(s.pk, s.name) for s in schools]
        self.fields["teacher"].widget.choices = [("", _("（名家授课不选）"))] + [
            (t.pk, f"{t.name}（{t.org.name}，{t.subject or _('未登记学科')}）") for t in teachers
        ]


class LessonRecordForm(BidiRefusingForm):
    attendees = forms.IntegerField(
        label=_("听课人数"),
        min_value=1,
        max_value=svc.MAX_ATTENDEES,
        error_messages={
            "required": _("请填写听课人数。"),
            "invalid": _("听课人数请填写整数。"),
            "min_value": _("听课人数至少为 1。"),
            "max_value": _("听课人数最多 %(limit_value)s。"),
        },
    )
    record = limited_text(
        _("开课记录"), svc.RECORD_MAX, rows=3, required_message=_("请填写开课记录（授课内容、评课意见、成效）。")
    )


class LessonCancelForm(BidiRefusingForm):
    reason = limited_text(_("取消原因"), svc.NOTE_MAX, required_message=_("请填写取消原因。"))

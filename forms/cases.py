"""Forms validate input and only validate; services decide and write."""

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from workflows.models import CaseKind, CaseState

from .text import BidiRefusingForm, limited_text


class ReasonForm(BidiRefusingForm):
    """An optional note on a decision; subclasses name it (审核意见, 催办说明, …) for the page and
    its length refusal. ``auto_id`` keeps the ids apart when several sit on one page."""

    reason = limited_text(_("理由"), 1000, required=False, rows=2)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"id_{type(self).__name__.lower()}_%s")
        super().__init__(*args, **kwargs)


class RequiredReasonForm(ReasonForm):
    reason = limited_text(_("理由"), 1000, rows=2, required_message=_("请填写理由。"))


class ApproveForm(ReasonForm):
    reason = limited_text(_("审核意见"), 1000, required=False, rows=2)


class ReturnForm(RequiredReasonForm):
    """退回: the reason, and the earlier step to send the case to (``targets``, nearest first;
    the first is the default). Without ``targets`` the step is not asked (one step back)."""

    to_state = forms.ChoiceField(label=_("退回到"), required=False)
    reason = limited_text(
        _("退回理由"), 1000, rows=2, required_message=_("请填写退回理由：告诉对方需要补充或更正什么。")
    )

    def __init__(self, *args, targets=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["to_state"]
        field.choices = [(t, CaseState(t).label) for t in targets]
        if targets:
            field.initial = targets[0]
        steps = "、".join(str(CaseState(t).label) for t in targets)
        field.error_messages["invalid_choice"] = format_lazy(_("只能退回到：{}。请从列表中重新选择。"), steps)


class RejectForm(RequiredReasonForm):
    """不予通过: a required reason and a confirmation, because the case ends for good."""

    reason = limited_text(_("不予通过理由"), 1000, rows=3, required_message=_("请填写不予通过的理由。"))
    confirm = forms.BooleanField(
        label=_("确认不予通过，案例将结束"),
        error_messages={"required": _("请勾选“确认不予通过，案例将结束”后再提交。")},
    )


class DeclineForm(RequiredReasonForm):
    reason = limited_text(
        _("谢绝理由"), 1000, rows=2, required_message=_("请填写谢绝理由，党务干部将据此重新安排培养人。")
    )


class WorkAcceptForm(ReasonForm):
    reason = limited_text(_("审阅意见"), 1000, required=False, rows=2)


class WorkReturnForm(RequiredReasonForm):
    reason = limited_text(
        _("退回理由"), 1000, rows=2, required_message=_("退回修改时请写明理由，告诉培养对象需要改什么。")
    )


class UrgeForm(ReasonForm):
    reason = limited_text(_("催办说明"), 1000, required=False, rows=2)


class WithdrawForm(ReasonForm):
    reason = limited_text(_("撤回说明"), 1000, required=False, rows=2)


class PauseForm(RequiredReasonForm):
    reason = limited_text(
        _("暂停理由"), 1000, rows=2, required_message=_("请填写暂停理由（如休产假、外出进修），恢复时会看到它。")
    )


class ResumeForm(ReasonForm):
    reason = limited_text(_("说明"), 1000, required=False, rows=2)


class ExitForm(RequiredReasonForm):
    reason = limited_text(_("退出理由"), 1000, rows=2, required_message=_("请填写退出理由（如工作调动、本人申请）。"))


def _teacher_traits(teacher, party_status_visible) -> list[str]:
    """政治面貌 (only where ``party_status_visible(teacher)`` allows it, see workflows/visibility.py)
    and 骨干, for a teacher's label in a choice list. Without the test, political status is left out."""
    traits = []
    if party_status_visible is not None and party_status_visible(teacher):
        traits.append(str(teacher.get_party_status_display()))
    if teacher.is_backbone:
        traits.append("骨干")
    return traits


class RegisterCaseForm(BidiRefusingForm):
    # Only the choice list is offered here; whether the teacher is in scope is the service's
    # decision (an id outside the user's subtree answers 404, like any cross-scope URL).
    teacher = forms.IntegerField(
        label=_("培养对象"),
        widget=forms.Select,
        error_messages={"required": _("请选择要登记的教师。"), "invalid": _("请从列表中选择要登记的教师。")},
    )
    kind = forms.ChoiceField(
        label=_("“双培”类别"),
        choices=CaseKind.choices,
        error_messages={"required": _("请选择“双培”类别。"), "invalid_choice": _("“双培”类别只能是 1 或 2。")},
    )
    note = limited_text(_("备注"), 200, required=False)

    def __init__(self, *args, teachers=(), party_status_visible=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teacher"].widget.choices = [("", "——")] + [
            (t.pk, f"{t.name}（{'，'.join([t.org.name, *_teacher_traits(t, party_status_visible)])}）")
            for t in teachers
        ]


class PairForm(BidiRefusingForm):
    mentors = forms.TypedMultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        label=_("培养人（1–2名）"),
        coerce=int,
        error_messages={"required": _("请至少指定一名培养人。"), "invalid_choice": _("所选培养人不在可选范围内。")},
    )

    def __init__(self, *args, candidates=(), party_status_visible=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mentors"].choices = [
            (t.pk, f"{t.name}（{'，'.join([*_teacher_traits(t, party_status_visible), t.org.name])}）")
            for t in candidates
        ]


class FileForm(BidiRefusingForm):
    year = forms.IntegerField(
        label=_("完成年度"),
        min_value=2000,
        max_value=2100,
        error_messages={
            "required": _("请填写完成年度。"),
            "invalid": _("完成年度须为四位年份。"),
            "min_value": _("完成年度须为 2000–2100 之间的年份。"),
            "max_value": _("完成年度须为 2000–2100 之间的年份。"),
        },
    )
    note = limited_text(_("备注"), 200, required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"year": timezone.localdate().year})
        super().__init__(*args, **kwargs)


class ReassignForm(BidiRefusingForm):
    to_user = forms.TypedChoiceField(
        label=_("改派给"),
        coerce=int,
        error_messages={"required": _("请选择改派对象。"), "invalid_choice": _("改派对象不在可选范围内。")},
    )
    reason = limited_text(_("改派理由"), 500, required=False)

    def __init__(self, *args, users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].choices = [("", "——")] + [(u.pk, u.get_full_name() or u.get_username()) for u in users]


class RepairForm(BidiRefusingForm):
    leaving = forms.TypedChoiceField(
        label=_("离任的培养人"), coerce=int, error_messages={"required": _("请选择离任的培养人。")}
    )
    mentors = forms.TypedMultipleChoiceField(label=_("新培养人"), coerce=int, required=False)
    reason = limited_text(_("更换理由"), 500, required_message=_("请填写更换理由。"))

    def __init__(self, *args, current=(), candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leaving"].choices = [(m.pk, m.teacher.name) for m in current]
        self.fields["mentors"].choices = [(t.pk, t.name) for t in candidates]


def first_error(form: forms.Form) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return ""


class RecordForm(BidiRefusingForm):
    date = forms.DateField(
        label=_("日期"),
        widget=forms.DateInput(attrs={"placeholder": "2026-11-21"}, format="%Y-%m-%d"),
        error_messages={"required": _("请填写日期。"), "invalid": _("日期格式应为 2026-11-21。")},
    )
    # The list offers this 类别's forms; whether a value fits the case is the service's decision.
    kind = forms.CharField(label=_("形式"), widget=forms.Select, error_messages={"required": _("请选择培养形式。")})
    content = limited_text(_("培养内容及成效"), 4000, rows=4, required_message=_("请填写培养内容及成效。"))

    def __init__(self, *args, kinds=(), **kwargs):
        kwargs.setdefault("initial", {"date": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["kind"].widget.choices = [("", "——")] + [(k.value, k.label) for k in kinds]


class CorrectRecordForm(RecordForm):
    reason = limited_text(_("更正理由"), 500, required_message=_("请填写更正理由。"))


class WorkForm(BidiRefusingForm):
    """A semester's 典型案例 or 论文: title, summary and the file."""

    title = limited_text(_("题目"), 200, required_message=_("请填写题目。"))
    summary = limited_text(_("摘要"), 2000, rows=3, required_message=_("请填写摘要（几句话说明主要内容）。"))
    file = forms.FileField(
        label=_("文件（PDF、Word、Excel、JPG 或 PNG）"),
        # Empty, oversized or disguised files are refused by the service, which names the file.
        allow_empty_file=True,
        error_messages={"required": _("请上传成果文件（PDF、Word、Excel、JPG 或 PNG）。")},
    )


class OpinionForm(BidiRefusingForm):
    text = limited_text(_("培养人意见"), 2000, rows=3, required_message=_("请填写培养人意见。"))

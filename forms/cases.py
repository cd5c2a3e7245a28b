"""Forms validate input and only validate; services decide and write."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflows.models import CaseKind


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000, required=False)


class RequiredReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("理由"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        error_messages={"required": _("请填写理由。")},
    )


def _teacher_traits(teacher, party_status_visible) -> list[str]:
    """政治面貌 (only where ``party_status_visible(teacher)`` allows it, see workflows/visibility.py)
    and 骨干, for a teacher's label in a choice list. Without the test, political status is left out."""
    traits = []
    if party_status_visible is not None and party_status_visible(teacher):
        traits.append(str(teacher.get_party_status_display()))
    if teacher.is_backbone:
        traits.append("骨干")
    return traits


class RegisterCaseForm(forms.Form):
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
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args, teachers=(), party_status_visible=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teacher"].widget.choices = [("", "——")] + [
            (t.pk, f"{t.name}（{'，'.join([t.org.name, *_teacher_traits(t, party_status_visible)])}）")
            for t in teachers
        ]


class PairForm(forms.Form):
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


class FileForm(forms.Form):
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
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"year": timezone.localdate().year})
        super().__init__(*args, **kwargs)


class ReassignForm(forms.Form):
    to_user = forms.TypedChoiceField(
        label=_("改派给"),
        coerce=int,
        error_messages={"required": _("请选择改派对象。"), "invalid_choice": _("改派对象不在可选范围内。")},
    )
    reason = forms.CharField(label=_("理由"), max_length=500, required=False)

    def __init__(self, *args, users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].choices = [("", "——")] + [(u.pk, u.get_full_name() or u.get_username()) for u in users]


class RepairForm(forms.Form):
    leaving = forms.TypedChoiceField(
        label=_("离任的培养人"), coerce=int, error_messages={"required": _("请选择离任的培养人。")}
    )
    mentors = forms.TypedMultipleChoiceField(label=_("新培养人"), coerce=int, required=False)
    reason = forms.CharField(label=_("理由"), max_length=500, error_messages={"required": _("请填写更换理由。")})

    def __init__(self, *args, current=(), candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leaving"].choices = [(m.pk, m.teacher.name) for m in current]
        self.fields["mentors"].choices = [(t.pk, t.name) for t in candidates]


def first_error(form: forms.Form) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return ""


class RecordForm(forms.Form):
    date = forms.DateField(
        label=_("日期"),
        widget=forms.DateInput(attrs={"placeholder": "2026-11-21"}, format="%Y-%m-%d"),
        error_messages={"required": _("请填写日期。"), "invalid": _("日期格式应为 2026-11-21。")},
    )
    # The list offers this 类别's forms; whether a value fits the case is the service's decision.
    kind = forms.CharField(label=_("形式"), widget=forms.Select, error_messages={"required": _("请选择培养形式。")})
    content = forms.CharField(
        label=_("培养内容及成效"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        error_messages={"required": _("请填写培养内容及成效。")},
    )

    def __init__(self, *args, kinds=(), **kwargs):
        kwargs.setdefault("initial", {"date": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["kind"].widget.choices = [("", "——")] + [(k.value, k.label) for k in kinds]


class CorrectRecordForm(RecordForm):
    reason = forms.CharField(label=_("更正理由"), max_length=500, error_messages={"required": _("请填写更正理由。")})


class WorkForm(forms.Form):
    """A semester's 典型案例 or 论文: title, summary and the file."""

    title = forms.CharField(label=_("题目"), max_length=200, error_messages={"required": _("请填写题目。")})
    summary = forms.CharField(
        label=_("摘要"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": _("请填写摘要（几句话说明主要内容）。")},
    )
    file = forms.FileField(
        label=_("文件（PDF、Word、Excel、JPG 或 PNG）"),
        # Empty, oversized or disguised files are refused by the service, which names the file.
        allow_empty_file=True,
        error_messages={"required": _("请上传成果文件（PDF、Word、Excel、JPG 或 PNG）。")},
    )


class OpinionForm(forms.Form):
    text = forms.CharField(
        label=_("培养人意见"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": _("请填写培养人意见。")},
    )

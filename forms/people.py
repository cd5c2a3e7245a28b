"""人员管理 forms: they validate what was typed; whether the actor may do it is the service's decision."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from workflows.models import PartyStatus, Role, Sex, Teacher
from workflows.models.people import PlannedKind
from workflows.services.people import field_max_length, party_kind_conflict

from .text import BidiRefusingForm

DATE_HINT = _("请按 1985-03-09 的格式填写日期。")


def _date_widget():
    # ISO, whatever the locale's input format: <input type=date> shows nothing for "1989/05/12".
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _text(label, model, field_name, *, textarea=False, **kwargs) -> forms.CharField:
    """A text field as long as its model column allows, refused in Chinese beyond it."""
    limit = field_max_length(model, field_name)
    messages = kwargs.pop("error_messages", {})
    messages["max_length"] = format_lazy("{}{}", label, _("最多 %(limit_value)d 个字符，现有 %(show_value)d 个。"))
    widget = forms.Textarea(attrs={"rows": 2}) if textarea else None
    return forms.CharField(label=label, max_length=limit, error_messages=messages, widget=widget, **kwargs)


def _reason(label) -> forms.CharField:
    # The audit event's reason is a TextField: 200 characters is a note, not a document.
    return forms.CharField(
        label=label,
        max_length=200,
        required=False,
        error_messages={
            "max_length": format_lazy("{}{}", label, _("最多 %(limit_value)d 个字符，现有 %(show_value)d 个。"))
        },
    )


class PeopleForm(BidiRefusingForm):
    """Refuses invisible direction controls in every text field (a name would display reversed)."""


def _org_choices(orgs) -> list:
    return [("", "——")] + [(o.pk, f"{o.name}（{o.get_kind_display()}）") for o in orgs]


class TeacherForm(PeopleForm):
    staff_no = _text(_("教师编号"), Teacher, "staff_no", required=False)
    name = _text(_("姓名"), Teacher, "name", error_messages={"required": _("请填写教师姓名。")})
    sex = forms.ChoiceField(label=_("性别"), choices=Sex.choices, error_messages={"invalid_choice": _("请选择性别。")})
    birth_date = forms.DateField(
        label=_("出生日期"),
        widget=_date_widget(),
        error_messages={"required": _("请填写出生日期。"), "invalid": DATE_HINT},
    )
    # Only the choice list is offered here; whether an organisation is the actor's to use is the
    # service's decision (outside the subtree answers 404 or 403 with its message).
    org = forms.IntegerField(
        label=_("所在学校或支部"),
        widget=forms.Select,
        error_messages={"required": _("请选择所在学校或支部。"), "invalid": _("请从列表中选择学校或支部。")},
    )
    subject = _text(_("任教学科"), Teacher, "subject", required=False)
    position = _text(_("职务"), Teacher, "position", required=False)
    party_status = forms.ChoiceField(label=_("政治面貌"), choices=PartyStatus.choices)
    titles = _text(_("职称"), Teacher, "titles", required=False)
    is_backbone = forms.BooleanField(label=_("骨干教师"), required=False)
    is_famous_principal = forms.BooleanField(label=_("名校长"), required=False)
    honours = _text(_("荣誉（名师、学科带头人、评优等）"), Teacher, "honours", textarea=True, required=False)
    planned_kind = forms.ChoiceField(
        label=_("拟列入“双培”类别"), choices=[("", _("暂不列入"))] + PlannedKind.choices, required=False
    )
    reason = _reason(_("修改说明"))

    def __init__(self, *args, orgs=(), with_org=True, **kwargs):
        super().__init__(*args, **kwargs)
        if with_org:
            self.fields["org"].widget.choices = _org_choices(orgs)
        else:
            del self.fields["org"]

    def clean(self):
        data = super().clean()
        conflict = party_kind_conflict(data.get("planned_kind", ""), data.get("party_status", ""))
        if conflict:
            self.add_error("planned_kind", f"{conflict}。")
        return data


class TransferForm(PeopleForm):
    org = forms.IntegerField(
        label=_("调入学校或支部"),
        widget=forms.Select,
        error_messages={"required": _("请选择调入的学校或支部。"), "invalid": _("请从列表中选择调入的学校或支部。")},
    )
    reason = _reason(_("调动说明"))

    def __init__(self, *args, orgs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].widget.choices = _org_choices(orgs)


class RoleGrantForm(PeopleForm):
    username = _text(_("用户名"), get_user_model(), "username", error_messages={"required": _("请填写用户名。")})
    full_name = _text(_("姓名（新账号）"), get_user_model(), "first_name", required=False)
    org = forms.IntegerField(
        label=_("任职组织"),
        widget=forms.Select,
        error_messages={"required": _("请选择任职组织。"), "invalid": _("请从列表中选择任职组织。")},
    )
    role = forms.ChoiceField(
        label=_("角色"), choices=Role.choices, error_messages={"invalid_choice": _("请从列表中选择角色。")}
    )
    start_date = forms.DateField(
        label=_("任职开始日期"),
        widget=_date_widget(),
        error_messages={"required": _("请填写任职开始日期。"), "invalid": DATE_HINT},
    )
    end_date = forms.DateField(
        label=_("任职结束日期（可不填）"),
        widget=_date_widget(),
        required=False,
        error_messages={"invalid": DATE_HINT},
    )

    def __init__(self, *args, orgs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].widget.choices = _org_choices(orgs)

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("任职结束日期不能早于开始日期。"))
        return data


class RoleEndForm(PeopleForm):
    end_date = forms.DateField(
        label=_("结束日期（当日起不再任职）"),
        widget=_date_widget(),
        required=False,
        error_messages={"invalid": DATE_HINT},
    )
    reason = _reason(_("说明"))


class ImportForm(forms.Form):
    # Any id: whether the user may import there is the service's decision (404 / 403).
    root = forms.IntegerField(
        label=_("导入到"),
        widget=forms.Select,
        error_messages={"required": _("请选择导入的单位。"), "invalid": _("请从列表中选择导入的单位。")},
    )
    file = forms.FileField(
        label=_("人员名单（XLSX）"), error_messages={"required": _("请选择要导入的人员名单文件（.xlsx）。")}
    )

    def __init__(self, *args, roots=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["root"].widget.choices = [(o.pk, o.name) for o in roots]


def first_error(form) -> str:
    """The first error, naming its field."""
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        return f"“{label}”：{errors[0]}" if label else str(errors[0])
    return ""

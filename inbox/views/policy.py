"""培养规则: the city's minimum periods and file limit, each unit's record cadence and reminder days."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from workflows import selectors
from workflows.errors import GuardError, NotPermitted
from workflows.models import ProgrammePolicy, RecordCadence, UnitPolicy
from workflows.services import policy as policy_services

from .common import done, guarded


class CityPolicyForm(forms.Form):
    min_months_1 = forms.IntegerField(label=gettext_lazy("类别1最短培养期（月）"))
    min_months_2 = forms.IntegerField(label=gettext_lazy("类别2最短培养期（月）"))
    attachment_max_mb = forms.IntegerField(label=gettext_lazy("附件大小上限（MB）"))


class UnitPolicyForm(forms.Form):
    record_every_months = forms.TypedChoiceField(
        label=gettext_lazy("培养记录频次"),
        choices=RecordCadence.choices,
        coerce=int,
        error_messages={
            "invalid_choice": gettext_lazy("培养记录频次请从列表中选择（每月、每两个月、每季度或每半年一次）。")
        },
    )
    remind_before_days = forms.IntegerField(label=gettext_lazy("到期前几个工作日提醒"))
    escalate_after_days = forms.IntegerField(label=gettext_lazy("逾期几个工作日后升级督办"))


def _labelled_error(form) -> str:
    """The first error, naming its field: the form holds several numbers."""
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        return f"“{label}”：{errors[0]}" if label else str(errors[0])
    return ""


def _context(request, *, city_form=None, unit_forms=None, error=""):
    user = request.user
    city = ProgrammePolicy.current()
    units = []
    for unit in selectors.units_for_user(user):
        policy = UnitPolicy.for_unit(unit.pk)
        editable = policy_services.can_edit_unit(user, unit)
        form = (unit_forms or {}).get(unit.pk) or (
            UnitPolicyForm(
                initial={
                    f: getattr(policy, f) for f in ("record_every_months", "remind_before_days", "escalate_after_days")
                },
                prefix=f"u{unit.pk}",
            )
            if editable
            else None
        )
        units.append({"unit": unit, "policy": policy, "form": form})
    can_city = policy_services.can_edit_city(user)
    return {
        "city": city,
        "city_form": city_form
        or (CityPolicyForm(initial={f: getattr(city, f) for f in policy_services.CITY_LIMITS}) if can_city else None),
        "units": units,
        "error": error,
    }


@login_required
@guarded
def policy_page(request):
    if not selectors.user_assignments(request.user):
        raise NotPermitted(_("培养规则由市级和各单位设置，您没有相应身份。"))
    if request.method != "POST":
        return TemplateResponse(request, "inbox/policy.html", _context(request))
    unit_id = request.POST.get("unit", "")
    try:
        if unit_id.isdigit():
            form = UnitPolicyForm(request.POST, prefix=f"u{unit_id}")
            if not form.is_valid():
                raise GuardError(_labelled_error(form))
            changes = policy_services.unit_policy_update(actor=request.user, unit_id=int(unit_id), **form.cleaned_data)
        else:
            form = CityPolicyForm(request.POST)
            if not form.is_valid():
                raise GuardError(_labelled_error(form))
            changes = policy_services.city_policy_update(actor=request.user, **form.cleaned_data)
    except GuardError as error:
        if error.status == 404:
            raise
        forms_kw = {"unit_forms": {int(unit_id): form}} if unit_id.isdigit() else {"city_form": form}
        return TemplateResponse(
            request, "inbox/policy.html", _context(request, error=error.message, **forms_kw), status=error.status
        )
    message = _("培养规则已保存，并记入审计日志。") if changes else _("没有改动。")
    return done(request, message, reverse("inbox:policy"))

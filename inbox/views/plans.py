"""三年计划: the city imports 附件1; units read their own quota rows and breakdown state."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from forms.cases import first_error
from forms.plans import PlanStartForm
from workflows import plan_check
from workflows.access.plans import check_can_start_plan, may_start_plan
from workflows.errors import GuardError, NotPermitted
from workflows.models import Organisation, OrgKind, PlanState, Quota, QuotaPlan, UnitPlan
from workflows.services import plan_start as plan_start_svc
from workflows.services import quotas

from .common import done, guarded, post_only


class QuotaUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("附件1 文件（XLSX 或 CSV）"),
        error_messages={"required": gettext_lazy("请选择要导入的附件1文件。")},
    )
    first_year = forms.IntegerField(
        label=gettext_lazy("起始年度"),
        initial=2019,
        error_messages={
            "required": gettext_lazy("请填写起始年度。"),
            "invalid": gettext_lazy("起始年度须为四位数字。"),
        },
    )
    last_year = forms.IntegerField(
        label=gettext_lazy("截止年度"),
        initial=2021,
        error_messages={
            "required": gettext_lazy("请填写截止年度。"),
            "invalid": gettext_lazy("截止年度须为四位数字。"),
        },
    )
    title = forms.CharField(label=gettext_lazy("名称（可不填，默认取表格标题）"), required=False, max_length=200)


def _form_error(form) -> str:
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        return f"“{label}”：{errors[0]}" if label else str(errors[0])
    return ""


UNIT_SECTIONS = ((OrgKind.COUNTY, gettext_lazy("区县教育局")), (OrgKind.DIRECT, gettext_lazy("驻益高校和市直教育单位")))


def _plan_view(plan: QuotaPlan, unit_ids: set[int] | None, whole_city: bool) -> dict | None:
    quotas_qs = Quota.objects.filter(plan=plan).select_related("unit")
    if unit_ids is not None:
        quotas_qs = quotas_qs.filter(unit_id__in=unit_ids)
    by_unit: dict[int, dict] = {}
    for quota in quotas_qs.order_by("source_row", "id"):
        row = by_unit.setdefault(
            quota.unit_id, {"unit": quota.unit, "row": quota.source_row, "numbers": {"1": 0, "2": 0}}
        )
        row["numbers"][quota.kind] = quota.total
    if not by_unit:
        return None
    states = dict(UnitPlan.objects.filter(plan=plan, unit_id__in=by_unit).values_list("unit_id", "state"))
    for unit_id, row in by_unit.items():
        state = states.get(unit_id)
        row["state"] = state or ""
        row["state_label"] = PlanState(state).label if state in PlanState.values else _("未建立")
    sections = []
    for kind, label in UNIT_SECTIONS:
        rows = [r for r in by_unit.values() if r["unit"].kind == kind]
        if rows:
            subtotal = {k: sum(r["numbers"][k] for r in rows) for k in quotas.KINDS}
            sections.append({"label": label, "rows": rows, "subtotal": subtotal})
    return {
        "plan": plan,
        "sections": sections,
        # Computed from the Quota rows the viewer may see, never what the file stated.
        "totals": quotas.plan_totals(plan, units=None if unit_ids is None else list(unit_ids)),
        "whole_city": whole_city,
        "inconsistencies": plan.inconsistencies if whole_city else [],
        # 附件1 注: the city-wide sums per year against 150 / 240 (workflows/plan_check.py).
        "city_check": plan_check.city_check(plan) if whole_city else [],
        "city_notes": plan_check.city_notes(plan) if whole_city else [],
    }


def _context(request, *, form=None, import_error="", start_form=None, start_error=""):
    user = request.user
    unit_ids = quotas.visible_unit_ids(user)
    whole_city = unit_ids is None
    plans = []
    if whole_city or unit_ids:
        for plan in QuotaPlan.objects.select_related("imported_by").order_by("-first_year", "-id"):
            view = _plan_view(plan, unit_ids, whole_city)
            if view is not None:
                plans.append(view)
    can_import = quotas.can_import(user)
    own_units = list(Organisation.objects.filter(pk__in=unit_ids).order_by("sort_order", "id")) if unit_ids else []
    return {
        "plans": plans,
        "can_import": can_import,
        "form": form or (QuotaUploadForm() if can_import else None),
        "import_error": import_error,
        "whole_city": whole_city,
        "own_units": own_units,
        "headings": quotas.KIND_HEADINGS,
        # 新建三年计划 (workflows/services/plan_start.py).
        "can_start_plan": may_start_plan(user),
        "start_form": start_form or _start_form(user),
        "start_error": start_error,
    }


def _start_form(user):
    if not may_start_plan(user):
        return None
    first = plan_start_svc.next_first_year()
    initial = {"source": "copy"}
    if first:
        # The years are the plan's own (shown after its title everywhere), not part of the title.
        initial.update(first_year=first, title=quotas.DEFAULT_TITLE)
    return PlanStartForm(initial=initial)


@login_required
@guarded
def plans_page(request):
    if request.method != "POST":
        return TemplateResponse(request, "inbox/plans.html", _context(request))
    if not quotas.can_import(request.user):
        raise NotPermitted(_("只有市级管理员可以导入三年实施计划（附件1）。"))
    form = QuotaUploadForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise GuardError(_form_error(form))
        upload = form.cleaned_data["file"]
        if upload.size > quotas.MAX_FILE_BYTES:
            raise GuardError(_("文件超过 5 MB，不像是附件1表格，请检查后重新选择。"))
        plan = quotas.import_quota(
            actor=request.user,
            content=upload.read(),
            filename=upload.name,
            first_year=form.cleaned_data["first_year"],
            last_year=form.cleaned_data["last_year"],
            title=form.cleaned_data["title"],
        )
    except GuardError as error:
        if error.status in (403, 404):
            raise
        return TemplateResponse(
            request, "inbox/plans.html", _context(request, form=form, import_error=error.message), status=error.status
        )
    units = plan.unit_plans.count()
    if plan.inconsistencies:
        message = _("已导入“%(plan)s”，共 %(n)s 个单位；文件中有 %(m)s 处合计与各行之和不一致，已按各行计算。") % {
            "plan": plan,
            "n": units,
            "m": len(plan.inconsistencies),
        }
    else:
        message = _("已导入“%(plan)s”，共 %(n)s 个单位，并记入审计日志。") % {"plan": plan, "n": units}
    return done(request, message, reverse("inbox:plans") + f"#plan-{plan.pk}")


@login_required
@guarded
@post_only
def plan_start(request):
    """新建三年计划: the city's start of the next plan; a refusal shows the page again as typed."""
    # Who may is answered before anything about the input.
    check_can_start_plan(request.user)
    form = PlanStartForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise GuardError(first_error(form))
        data = form.cleaned_data
        upload = data.get("file") if data["source"] == plan_start_svc.SOURCE_FILE else None
        if upload is not None and upload.size > quotas.MAX_FILE_BYTES:
            raise GuardError(_("文件超过 5 MB，不像是附件1表格，请检查后重新选择。"))
        plan = plan_start_svc.plan_start(
            actor=request.user,
            first_year=data["first_year"],
            title=data["title"],
            source=data["source"],
            content=upload.read() if upload is not None else None,
            filename=upload.name if upload is not None else "",
        )
    except GuardError as error:
        if error.status in (403, 404):
            raise
        context = _context(request, start_form=form, start_error=error.message)
        return TemplateResponse(request, "inbox/plans.html", context, status=error.status)
    message = _("已新建“%(plan)s”，%(n)s 个单位的年度分解已开始，并记入审计日志。") % {
        "plan": plan,
        "n": plan.unit_plans.count(),
    }
    return done(request, message, reverse("inbox:plans") + f"#plan-{plan.pk}")

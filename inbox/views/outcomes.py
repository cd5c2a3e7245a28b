"""评优与入党登记: the facts behind the two 80% targets, recorded by a unit's 党务干部 or 审核人."""

import datetime

from django.contrib.auth.decorators import login_required
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from workflows import figures, selectors
from workflows.errors import GuardError, NotPermitted
from workflows.models import Appraisal, AppraisalResult, PartyAdmission
from workflows.services import outcomes as svc

from .common import done, guarded


def _check_recorder(user) -> None:
    if not any(a.role in svc.RECORDERS for a in selectors.user_assignments(user)):
        raise NotPermitted(
            _("评优结果和入党情况由单位或学校的党务干部、审核人登记；您没有相应身份，可在“统计看板”中查看统计结果。")
        )


def _context(request, year: int, *, error: str = "", posted=None) -> dict:
    teachers = selectors.teachers_for_user(request.user, roles=svc.RECORDERS)
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    this_year = timezone.localdate().year
    return {
        "year": year,
        "years": sorted({*range(this_year - 5, this_year + 1), year}, reverse=True),
        "today": timezone.localdate(),
        "teachers": teachers.select_related("org").order_by("org__path", "name"),
        "results": AppraisalResult.choices,
        "appraisals": Appraisal.objects.filter(teacher__in=teachers, year=year)
        .select_related("teacher__org", "recorded_by")
        .order_by("teacher__org__path", "teacher__name"),
        "admissions": PartyAdmission.objects.filter(teacher__in=teachers, admitted_on__gte=first, admitted_on__lte=last)
        .select_related("teacher__org", "recorded_by")
        .order_by("admitted_on", "teacher__name"),
        "error": error,
        "posted": posted or {},
    }


@login_required
@guarded
def outcomes_page(request):
    _check_recorder(request.user)
    year = figures.check_year(request.GET.get("year") or request.POST.get("year"))
    if request.method != "POST":
        return TemplateResponse(request, "inbox/outcomes.html", _context(request, year))
    post = request.POST
    action = post.get("action", "")
    try:
        if action == "appraisal":
            appraisal = svc.record_appraisal(
                actor=request.user, teacher_id=post.get("teacher"), year=post.get("year"), result=post.get("result")
            )
            message = _("已登记%(name)s %(year)d 年度评优结果：%(result)s。") % {
                "name": appraisal.teacher.name,
                "year": appraisal.year,
                "result": appraisal.get_result_display(),
            }
            year = appraisal.year
        elif action == "admission":
            admission = svc.record_admission(
                actor=request.user, teacher_id=post.get("teacher"), admitted_on=post.get("admitted_on", "")
            )
            message = _("已登记%(name)s入党，入党日期 %(date)s。") % {
                "name": admission.teacher.name,
                "date": admission.admitted_on.isoformat(),
            }
            year = admission.admitted_on.year
        elif action == "correct_appraisal":
            appraisal = svc.correct_appraisal(
                actor=request.user,
                appraisal_id=post.get("appraisal"),
                result=post.get("result"),
                reason=post.get("reason", ""),
            )
            message = _("已更正%(name)s的评优结果，并记入审计日志。") % {"name": appraisal.teacher.name}
        elif action == "correct_admission":
            admission = svc.correct_admission(
                actor=request.user,
                admission_id=post.get("admission"),
                admitted_on=post.get("admitted_on", ""),
                reason=post.get("reason", ""),
            )
            message = _("已更正%(name)s的入党日期，并记入审计日志。") % {"name": admission.teacher.name}
            year = admission.admitted_on.year
        else:
            raise GuardError(_("未知的操作，请从页面上的表单提交。"))
    except GuardError as error:
        if error.status == 404:
            raise
        return TemplateResponse(
            request,
            "inbox/outcomes.html",
            _context(request, year, error=error.message, posted=post),
            status=error.status,
        )
    return done(request, message, f"{reverse('inbox:outcomes')}?year={year}")

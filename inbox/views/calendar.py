"""工作日历: the working-day calendar due dates count by, and the city's exceptions to it."""

import datetime

from django.contrib.auth.decorators import login_required
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from forms.calendar import WorkdayClearForm, WorkdayForm
from forms.cases import first_error
from workflows import selectors, workdays
from workflows.errors import GuardError, NotPermitted
from workflows.models import WorkdayOverride
from workflows.services import calendar as calendar_services

from .common import done, guarded, post_only


def _check_can_read(user):
    if not selectors.user_assignments(user):
        raise NotPermitted(_("工作日历供各级党务干部、审核人和管理员查看。"))


def _year(request) -> int:
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        raise GuardError(_("年份“%(y)s”无效，请填写四位年份，例如 2026。") % {"y": request.GET.get("year")}) from None
    if not 2000 <= year <= 2100:
        raise GuardError(_("年份须在 2000—2100 之间。"))
    return year


def _exceptions(year: int) -> list[dict]:
    """The year's days that differ from Monday–Friday: holidays on weekdays and 调休 weekends."""
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    cal = workdays.Calendar(start, end)
    overrides = {o.date: o for o in WorkdayOverride.objects.filter(date__gte=start, date__lte=end)}
    rows, day = [], start
    while day <= end:
        working = cal.is_workday(day)
        if working != (day.weekday() < 5) or day in overrides:
            rows.append(
                {"date": day, "workday": working, "override": overrides.get(day), "holiday": workdays.holiday_name(day)}
            )
        day += datetime.timedelta(days=1)
    return rows


def _context(request, year, form=None, error=""):
    editable = calendar_services.can_edit_calendar(request.user)
    return {
        "year": year,
        "years": list(range(timezone.localdate().year - 1, timezone.localdate().year + 3)),
        "package_knows": workdays.package_knows(year),
        "rows": _exceptions(year),
        "editable": editable,
        "form": form or (WorkdayForm() if editable else None),
        "error": error,
    }


@login_required
@guarded
def calendar_page(request):
    _check_can_read(request.user)
    return TemplateResponse(request, "inbox/calendar.html", _context(request, _year(request)))


@login_required
@post_only
@guarded
def calendar_set(request):
    _check_can_read(request.user)
    if not calendar_services.can_edit_calendar(request.user):
        raise NotPermitted(_("只有市级管理员可以调整工作日历。"))
    form = WorkdayForm(request.POST)
    year = timezone.localdate().year
    if not form.is_valid():
        context = _context(request, year, form=form, error=first_error(form))
        return TemplateResponse(request, "inbox/calendar.html", context, status=400)
    day = form.cleaned_data["date"]
    try:
        calendar_services.workday_set(
            actor=request.user, day=day, **{k: form.cleaned_data[k] for k in ("workday", "name")}
        )
    except GuardError as error:
        context = _context(request, day.year, form=form, error=error.message)
        return TemplateResponse(request, "inbox/calendar.html", context, status=error.status)
    return done(
        request,
        _("已保存 %(day)s 的调整。") % {"day": day.isoformat()},
        reverse("inbox:calendar") + f"?year={day.year}",
    )


@login_required
@post_only
@guarded
def calendar_clear(request):
    _check_can_read(request.user)
    form = WorkdayClearForm(request.POST)
    if not form.is_valid():
        raise GuardError(first_error(form))
    day = form.cleaned_data["date"]
    calendar_services.workday_clear(actor=request.user, day=day)
    return done(
        request,
        _("已删除 %(day)s 的调整，按法定安排计算。") % {"day": day.isoformat()},
        reverse("inbox:calendar") + f"?year={day.year}",
    )

"""进度预测: per unit and year, the cases in the pipeline and the gap to the year's quota by 9月10日."""

from django.contrib.auth.decorators import login_required
from django.template.response import TemplateResponse
from django.utils import timezone

from forms.cases import first_error
from forms.plans import ForecastForm
from workflows import forecast
from workflows.access.plans import check_can_read_forecast, forecast_unit_for_user, forecast_units
from workflows.deadlines import annex2_due
from workflows.errors import GuardError

from .common import guarded


@login_required
@guarded
def forecast_page(request):
    user = request.user
    check_can_read_forecast(user)
    form = ForecastForm(request.GET)
    if not form.is_valid():
        raise GuardError(first_error(form))
    today = timezone.localdate()
    default_year = forecast.forecast_year(today)
    year = form.cleaned_data["year"] or default_year
    units = forecast_units(user)
    unit_id = form.cleaned_data["unit"]
    if unit_id:
        units = [forecast_unit_for_user(user, unit_id)]
    rows = forecast.unit_forecasts(units, year, today=today)
    return TemplateResponse(
        request,
        "inbox/forecast.html",
        {
            "year": year,
            "years": list(range(today.year - 1, default_year + 3)),
            "due": annex2_due(year),
            "today": today,
            "rows": rows,
            "one_unit": len(rows) == 1,
            "unit_choices": list(forecast_units(user)),
            "selected_unit": unit_id,
        },
    )

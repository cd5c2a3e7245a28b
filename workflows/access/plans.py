"""三年计划 (issue 12, "plans that can be met"): who may start a new plan, who reads the forecast.

- 新建三年计划: the city's 市级管理员 only, as for importing 附件1 (``quotas.can_import``).
- 进度预测: role holders of a unit (区县教育局 or 直属单位) read their unit, the city reads every
  unit, an auditor reads what their role covers. A school's officer reads none: the forecast
  lists the other schools' trainees. A teacher with no role (a mentor, a trainee) reads none.
"""

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from ..errors import NotInScope, NotPermitted
from ..models import Organisation
from ..selectors import units_for_user


def may_start_plan(user) -> bool:
    from ..services.quotas import can_import

    return can_import(user)


def check_can_start_plan(user) -> None:
    if not may_start_plan(user):
        raise NotPermitted(_("只有市级管理员可以新建三年实施计划。"))


def forecast_units(user) -> QuerySet[Organisation]:
    """The units whose forecast the user may read (scoped by the user's subtree)."""
    return units_for_user(user)


def may_read_forecast(user) -> bool:
    return forecast_units(user).exists()


def check_can_read_forecast(user) -> None:
    if not may_read_forecast(user):
        raise NotPermitted(
            _("进度预测仅向区县教育局、驻益高校和市直教育单位及市委教育工委的工作人员开放；您没有这些单位的在任角色。")
        )


def forecast_unit_for_user(user, unit_id: int) -> Organisation:
    unit = forecast_units(user).filter(pk=unit_id).first()
    if unit is None:
        raise NotInScope(_("未找到该单位，或它不在您的管辖范围内。"))
    return unit

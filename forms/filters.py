"""Inbox filters: 类别, unit, stage, overdue and a name search."""

import django_filters
from django.utils.translation import gettext_lazy as _

from workflows.models import CaseKind, CaseState, CaseTask
from workflows.selectors import filter_tasks, filter_units_for_user

OVERDUE_CHOICES = [("1", _("仅看逾期"))]


class TaskFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("类别"), choices=CaseKind.choices, method="apply")
    unit = django_filters.ChoiceFilter(label=_("单位"), method="apply")
    stage = django_filters.ChoiceFilter(label=_("阶段"), choices=CaseState.choices, method="apply")
    overdue = django_filters.ChoiceFilter(label=_("逾期"), choices=OVERDUE_CHOICES, method="apply")
    q = django_filters.CharFilter(label=_("培养对象姓名"), method="apply")

    class Meta:
        model = CaseTask
        fields = ["kind", "unit", "stage", "overdue", "q"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        units = filter_units_for_user(request.user) if request is not None else []
        self.filters["unit"].extra["choices"] = [(str(u.pk), u.name) for u in units]

    def apply(self, queryset, name, value):
        return filter_tasks(queryset, **{name: value})

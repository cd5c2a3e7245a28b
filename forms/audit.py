"""审计检索's filters: unit, school, actor, action, stage and a date range."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from workflows.models import AuditAction, AuditEvent, CaseState, Organisation
from workflows.models.audit import TRAIL_ACCESS_ACTIONS
from workflows.models.organisations import SCHOOL_LEVEL_KINDS, UNIT_KINDS
from workflows.selectors import audit_filter_orgs, filter_audit_events

# The reads of the trail are not searched here: the city's 查阅记录 page lists them.
SEARCH_ACTIONS = [(value, label) for value, label in AuditAction.choices if value not in TRAIL_ACCESS_ACTIONS]
FILTER_NAMES = ("unit", "school", "actor", "action", "stage", "date_from", "date_to")


class AuditFilter(django_filters.FilterSet):
    unit = django_filters.ModelChoiceFilter(label=_("单位"), queryset=Organisation.objects.none(), method="apply")
    school = django_filters.ModelChoiceFilter(
        label=_("学校（直属单位）"), queryset=Organisation.objects.none(), method="apply"
    )
    actor = django_filters.CharFilter(label=_("操作人姓名"), method="apply")
    action = django_filters.ChoiceFilter(label=_("操作"), choices=SEARCH_ACTIONS, method="apply")
    stage = django_filters.ChoiceFilter(label=_("阶段（原阶段或新阶段）"), choices=CaseState.choices, method="apply")
    date_from = django_filters.DateFilter(
        label=_("起始日期"), method="apply", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = django_filters.DateFilter(
        label=_("截止日期"), method="apply", widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = AuditEvent
        fields = list(FILTER_NAMES)

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if request is not None:
            # Only organisations inside the user's own subtree: any other id is not a valid choice.
            self.filters["unit"].queryset = audit_filter_orgs(request.user, UNIT_KINDS)
            self.filters["school"].queryset = audit_filter_orgs(request.user, SCHOOL_LEVEL_KINDS)

    def apply(self, queryset, name, value):
        return filter_audit_events(queryset, **{name: value})

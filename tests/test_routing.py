"""Who owns a step (workflows/routing.py): the nearest organisation up the tree that holds the
role today, found in one query."""

import datetime

import pytest
from django.utils import timezone

from tests.factories import make_user
from workflows.errors import GuardError
from workflows.models import Role, RoleAssignment
from workflows.routing import nearest_org_with_role


def test_the_nearest_holder_wins_and_an_ended_assignment_does_not_hold(world, django_assert_num_queries):
    w = world
    with django_assert_num_queries(1):
        assert nearest_org_with_role(w.branch, Role.REVIEWER) == w.county
    # A reviewer at the school itself is nearer than the county's.
    held = RoleAssignment.objects.get(user=make_user("school_reviewer", org=w.school, role=Role.REVIEWER))
    assert nearest_org_with_role(w.branch, Role.REVIEWER) == w.school
    held.end_date = timezone.localdate()  # ``end_date``: the first day it no longer grants anything
    held.save()
    assert nearest_org_with_role(w.branch, Role.REVIEWER) == w.county
    held.end_date, held.start_date = None, timezone.localdate() + datetime.timedelta(days=1)
    held.save()
    assert nearest_org_with_role(w.branch, Role.REVIEWER) == w.county
    # A direct unit reviews its own cases; the start counts itself.
    assert nearest_org_with_role(w.direct_branch, Role.REVIEWER) == w.direct
    assert nearest_org_with_role(w.county, Role.REVIEWER) == w.county


def test_no_holder_up_the_tree_is_refused_in_chinese(world):
    RoleAssignment.objects.filter(role=Role.AUDITOR).delete()
    with pytest.raises(GuardError) as refusal:
        nearest_org_with_role(world.branch, Role.AUDITOR)
    assert "“赫山一中第一党支部”及其上级组织中没有人担任" in str(refusal.value)

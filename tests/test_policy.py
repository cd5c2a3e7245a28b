"""培养规则: the city sets minimum periods and the file limit; each unit its cadence and reminder days."""

import pytest

from tests.flow_client import client_for
from tests.helpers import alert_text, snapshot
from workflows.models import AuditEvent, ProgrammePolicy, UnitPolicy


def unit_post(unit, **values):
    data = {"unit": unit.pk, f"u{unit.pk}-record_every_months": 3}
    data.update({f"u{unit.pk}-remind_before_days": 5, f"u{unit.pk}-escalate_after_days": 10})
    data.update({f"u{unit.pk}-{k}": v for k, v in values.items()})
    return data


def test_the_county_reviewer_sets_the_units_rules_and_it_is_audited(world):
    w = world
    page = client_for(w.reviewer).get("/inbox/policy/").content.decode()
    assert "赫山区教育局" in page and f'name="u{w.county.pk}-record_every_months"' in page
    response = client_for(w.reviewer).post("/inbox/policy/", unit_post(w.county))
    assert response.status_code == 302, alert_text(response)
    policy = UnitPolicy.objects.get(unit=w.county)
    assert (policy.record_every_months, policy.remind_before_days, policy.escalate_after_days) == (3, 5, 10)
    event = AuditEvent.objects.get(action="policy")
    assert event.actor == w.reviewer and event.org == w.county and event.case is None
    assert event.changes["record_every_months"] == [1, 3]


@pytest.mark.parametrize(
    "values, says",
    [
        ({"escalate_after_days": 0}, "逾期几个工作日后升级督办"),
        ({"remind_before_days": 99}, "到期前几个工作日提醒"),
        ({"record_every_months": 5}, "频次"),
    ],
)
def test_bad_unit_values_are_refused_and_change_nothing(world, values, says):
    before = snapshot()
    response = client_for(world.reviewer).post("/inbox/policy/", unit_post(world.county, **values))
    assert response.status_code == 400
    assert says in alert_text(response)
    assert snapshot() == before and not UnitPolicy.objects.exists()


def test_who_may_not_change_a_units_rules(world):
    w = world
    before = snapshot()
    # A school officer has no unit-wide view: the county's form is not offered, and a forged POST is 404.
    page = client_for(w.officer).get("/inbox/policy/").content.decode()
    assert f'name="u{w.county.pk}-record_every_months"' not in page
    response = client_for(w.officer).post("/inbox/policy/", unit_post(w.county))
    assert response.status_code == 404 and "不在您的管辖范围内" in alert_text(response)
    # The auditor reads the county's rules but may not change them.
    page = client_for(w.auditor).get("/inbox/policy/").content.decode()
    assert "赫山区教育局" in page and f'name="u{w.county.pk}-record_every_months"' not in page
    response = client_for(w.auditor).post("/inbox/policy/", unit_post(w.county))
    assert response.status_code == 403 and "培养规则" in alert_text(response)
    # Another county's reviewer: this county does not exist for him.
    assert client_for(w.other_reviewer).post("/inbox/policy/", unit_post(w.county)).status_code == 404
    # No role at all: the page itself is refused.
    assert client_for(w.outsider).get("/inbox/policy/").status_code == 403
    assert snapshot() == before and not UnitPolicy.objects.exists()


def test_the_city_sets_the_minimum_periods(world):
    w = world
    data = {"min_months_1": 12, "min_months_2": 3, "attachment_max_mb": 20}
    refused = client_for(w.reviewer).post("/inbox/policy/", data)
    assert refused.status_code == 403 and "市级管理员" in alert_text(refused)
    assert not ProgrammePolicy.objects.exists()
    assert client_for(w.city_admin).post("/inbox/policy/", data).status_code == 302
    assert ProgrammePolicy.current().min_months_2 == 3
    event = AuditEvent.objects.get(action="policy")
    assert event.changes == {"min_months_2": [6, 3]} and event.org == w.city
    bad = client_for(w.city_admin).post("/inbox/policy/", {**data, "attachment_max_mb": 0})
    assert bad.status_code == 400 and "附件大小上限" in alert_text(bad)
    assert ProgrammePolicy.current().attachment_max_mb == 20

"""The tree changes under running cases: schools move, teachers transfer, data is corrected."""

from django.test import Client

from tests.flow_client import open_tasks
from workflows.models import AuditEvent, Case
from workflows.selectors import cases_for_user
from workflows.services import cases as svc


def test_a_school_moving_county_takes_its_cases_along(world):
    w = world
    case = svc.case_register(actor=w.officer, teacher_id=w.candidate1.pk, kind="1")
    assert cases_for_user(w.reviewer).filter(pk=case.pk).exists()
    w.school.parent = w.other_county
    w.school.save()
    case.refresh_from_db()
    w.branch.refresh_from_db()
    assert case.unit == w.other_county and case.scope_path.startswith(w.other_county.path)
    assert w.branch.path.startswith(w.other_county.path) and w.branch.unit == w.other_county
    assert not cases_for_user(w.reviewer).filter(pk=case.pk).exists()
    assert cases_for_user(w.other_reviewer).filter(pk=case.pk).exists()
    # History stays with the case.
    assert AuditEvent.objects.filter(case=case, action="register").exists()


def test_admin_edit_of_a_teacher_is_audited_and_a_transfer_moves_the_open_case(world, django_user_model):
    w = world
    case = svc.case_register(actor=w.officer, teacher_id=w.candidate1.pk, kind="1")
    admin = django_user_model.objects.create_superuser("root", password="x")
    client = Client()
    client.force_login(admin)
    t = w.candidate1
    response = client.post(
        f"/admin/workflows/teacher/{t.pk}/change/",
        {
            "name": t.name,
            "sex": t.sex,
            "birth_date": "1988-08-21",
            "org": w.other_school.pk,
            "subject": t.subject,
            "position": t.position,
            "party_status": t.party_status,
            "titles": "",
            "is_backbone": "on",
            "honours": "",
            "user": t.user_id,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    case.refresh_from_db()
    assert case.org == w.other_school and case.unit == w.other_county
    event = AuditEvent.objects.get(case=case, action="edit")
    assert event.changes["birth_date"] == ["1988-07-21", "1988-08-21"]
    assert event.actor == admin and event.role == "admin"
    assert Case.objects.get(pk=case.pk).registered_by == w.officer
    assert open_tasks(case)


def test_officer_data_edit_is_traced_on_each_case_and_outsiders_are_refused(world):
    import pytest

    from workflows.errors import NotInScope
    from workflows.services.teachers import teacher_update

    w = world
    case = svc.case_register(actor=w.officer, teacher_id=w.candidate1.pk, kind="1")
    teacher_update(actor=w.officer, teacher_id=w.candidate1.pk, reason="入党", party_status="probationary")
    event = AuditEvent.objects.get(case=case, action="edit")
    assert event.changes["party_status"] == ["masses", "probationary"] and event.reason == "入党"
    before = AuditEvent.objects.count()
    with pytest.raises(NotInScope):
        teacher_update(actor=w.other_officer, teacher_id=w.candidate1.pk, name="改名")
    w.candidate1.refresh_from_db()
    assert w.candidate1.name == "王骨干" and AuditEvent.objects.count() == before

"""The audit log and the 附件2 rows are append-only at the database.

Runs on whichever database the suite uses (SQLite by default, PostgreSQL when
DATABASE_URL is set): the triggers of migration 0002 must refuse every UPDATE and
DELETE, whether it comes from the ORM (queryset or instance) or from raw SQL, and the
row must be left exactly as it was. Each attempt runs in its own ``transaction.atomic()``
so that on PostgreSQL the refused statement only rolls back to a savepoint and the
test's transaction stays usable.
"""

import pytest
from django.db import DatabaseError, connection, transaction

from tests.training import complete_training, lifecycle_tasks
from workflows.models import Annex2Row, AuditAction, AuditEvent, CaseState
from workflows.services import cases as svc

TRAINING_ACTIONS = [AuditAction.ISSUE, AuditAction.WORK_SUBMIT, AuditAction.WORK_ACCEPT, AuditAction.OPINION]


def _open_tasks(case):
    return lifecycle_tasks(case)


def _complete_case(w):
    """Drive a type-1 case through every step to 市级备案, as test_smoke_flow does."""
    case = svc.case_register(actor=w.officer, teacher_id=w.candidate1.pk, kind="1")
    (t,) = _open_tasks(case)
    svc.case_pair(actor=w.officer, task_id=t.pk, mentor_ids=[w.member_mentor.pk])
    (t,) = _open_tasks(case)
    svc.mentor_accept(actor=t.owner, task_id=t.pk)
    complete_training(case)
    (t,) = _open_tasks(case)
    svc.case_submit(actor=w.officer, task_id=t.pk)
    (t,) = _open_tasks(case)
    svc.case_approve(actor=w.secretary, task_id=t.pk)
    (t,) = _open_tasks(case)
    svc.case_approve(actor=w.reviewer, task_id=t.pk)
    (t,) = _open_tasks(case)
    svc.case_file(actor=w.city_admin, task_id=t.pk, year=2026)
    case.refresh_from_db()
    assert case.state == CaseState.COMPLETED
    return case


def _register_event(w) -> AuditEvent:
    case = svc.case_register(actor=w.officer, teacher_id=w.candidate1.pk, kind="1")
    return AuditEvent.objects.get(case=case, action=AuditAction.REGISTER)


def _annex2_row(w) -> Annex2Row:
    return _complete_case(w).annex2_row


def _row(model, pk) -> dict:
    return model.objects.filter(pk=pk).values().get()


def _raw(sql_template: str, model, *params):
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql_template.format(table=table), list(params))


# Each attempt: (label, callable(model, obj)). The text column written is "reason" for
# AuditEvent and "note" for Annex2Row; both exist and are free text.
TEXT_FIELD = {AuditEvent: "reason", Annex2Row: "note"}


def _qs_update(model, obj):
    model.objects.filter(pk=obj.pk).update(**{TEXT_FIELD[model]: "x"})


def _qs_delete(model, obj):
    model.objects.filter(pk=obj.pk).delete()


def _instance_save(model, obj):
    fresh = model.objects.get(pk=obj.pk)
    setattr(fresh, TEXT_FIELD[model], "x")
    fresh.save()


def _instance_delete(model, obj):
    model.objects.get(pk=obj.pk).delete()


def _raw_update(model, obj):
    column = connection.ops.quote_name(TEXT_FIELD[model])
    _raw("UPDATE {table} SET " + column + " = %s WHERE id = %s", model, "x", obj.pk)


def _raw_delete(model, obj):
    _raw("DELETE FROM {table} WHERE id = %s", model, obj.pk)


ATTEMPTS = [
    pytest.param(_qs_update, id="queryset-update"),
    pytest.param(_qs_delete, id="queryset-delete"),
    pytest.param(_instance_save, id="instance-save"),
    pytest.param(_instance_delete, id="instance-delete"),
    pytest.param(_raw_update, id="raw-update"),
    pytest.param(_raw_delete, id="raw-delete"),
]

ROWS = [
    pytest.param(AuditEvent, _register_event, id="AuditEvent"),
    pytest.param(Annex2Row, _annex2_row, id="Annex2Row"),
]


@pytest.mark.parametrize("model, make_row", ROWS)
@pytest.mark.parametrize("attempt", ATTEMPTS)
def test_update_and_delete_are_refused(world, model, make_row, attempt):
    obj = make_row(world)
    before = _row(model, obj.pk)
    count_before = model.objects.count()

    with pytest.raises(DatabaseError):
        with transaction.atomic():
            attempt(model, obj)

    # The refused statement changed nothing, and the connection is still usable.
    assert _row(model, obj.pk) == before
    assert model.objects.count() == count_before


@pytest.mark.parametrize("model, make_row", ROWS)
def test_all_attempts_in_one_transaction_leave_row_intact(world, model, make_row):
    """Every attempt, one after the other in the same test transaction."""
    obj = make_row(world)
    before = _row(model, obj.pk)
    for param in ATTEMPTS:
        attempt = param.values[0]
        with pytest.raises(DatabaseError):
            with transaction.atomic():
                attempt(model, obj)
        assert _row(model, obj.pk) == before, param.id


def test_appending_still_works(world):
    """The triggers refuse only UPDATE and DELETE: services keep appending events."""
    case = _complete_case(world)
    actions = list(
        AuditEvent.objects.filter(case=case)
        .exclude(action=AuditAction.CLAIM)
        .exclude(action__in=TRAINING_ACTIONS)
        .order_by("at", "id")
        .values_list("action", flat=True)
    )
    assert actions == [
        AuditAction.REGISTER,
        AuditAction.PAIR,
        AuditAction.ACCEPT,
        AuditAction.SUBMIT,
        AuditAction.APPROVE,
        AuditAction.APPROVE,
        AuditAction.COMPLETE,
    ]

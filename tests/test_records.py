"""培养记录: mentors write signed records; a correction is a new version; everyone else is refused."""

import datetime

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from tests.flow_client import act, client_for, register, the_open_task
from workflows.models import AuditEvent, TrainingRecord


@pytest.fixture
def training(world):
    w = world
    case = register(w.officer, w.candidate1, "1")
    act(w.officer, the_open_task(case), action="pair", mentors=[w.member_mentor.pk])
    act(w.member_mentor.user, the_open_task(case), action="accept")
    case.refresh_from_db()
    return case


def counts():
    return TrainingRecord.objects.count(), AuditEvent.objects.count()


def today():
    return timezone.localdate().isoformat()


def test_mentor_writes_a_signed_record_and_corrects_it_by_a_new_version(world, training):
    w, case = world, training
    mentor = client_for(w.member_mentor.user)
    assert 'id="record-form"' in mentor.get(f"/inbox/cases/{case.pk}/").content.decode()
    response = mentor.post(
        f"/inbox/cases/{case.pk}/records/", {"date": today(), "kind": "talk", "content": "谈入党动机，端正认识。"}
    )
    assert response.status_code == 302
    record = TrainingRecord.objects.get(case=case)
    assert (record.version, record.signed_by, record.kind) == (1, w.member_mentor.user, "talk")
    assert AuditEvent.objects.filter(case=case, action="record").exists()

    response = mentor.post(
        f"/inbox/records/{record.pk}/correct/",
        {"date": today(), "kind": "talk", "content": "谈入党动机，端正认识；布置学习党章。", "reason": "补充内容"},
    )
    assert response.status_code == 302
    new = TrainingRecord.objects.get(supersedes=record)
    assert new.version == 2 and new.correction_reason == "补充内容"
    # The old version stays, unchanged; the ledger shows the new one.
    record.refresh_from_db()
    assert record.content == "谈入党动机，端正认识。"
    page = client_for(w.officer).get(f"/inbox/cases/{case.pk}/").content.decode()
    assert "布置学习党章" in page and "第 2 版" in page
    history = client_for(w.auditor).get(f"/inbox/records/{new.pk}/correct/").content.decode()
    assert "谈入党动机，端正认识。" in history and "补充内容" in history and "签名并保存新版本" not in history
    event = AuditEvent.objects.get(case=case, action="record_correct")
    assert event.reason == "补充内容" and event.changes["version"] == [1, 2]


def test_a_signed_record_cannot_be_edited_in_the_database(world, training):
    from workflows.services.records import record_write

    record = record_write(
        actor=world.member_mentor.user, case_id=training.pk, date=timezone.localdate(), kind="talk", content="x"
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        TrainingRecord.objects.filter(pk=record.pk).update(content="改过")
    with pytest.raises(DatabaseError), transaction.atomic():
        TrainingRecord.objects.filter(pk=record.pk).delete()
    record.refresh_from_db()
    assert record.content == "x"


BAD = {
    "wrong kind for 类别1": ({"kind": "demo_lesson"}, "不是类别1的培养形式"),
    "future date": ({"date": (timezone.localdate() + datetime.timedelta(days=3)).isoformat()}, "晚于今天"),
    "before registration": ({"date": "2020-01-01"}, "早于培养建档时间"),
    "empty content": ({"content": "   "}, "请填写培养内容及成效"),
}


@pytest.mark.parametrize("case_name", list(BAD))
def test_bad_records_are_refused_and_nothing_is_stored(world, training, case_name):
    changes, message = BAD[case_name]
    data = {"date": today(), "kind": "talk", "content": "谈心", **changes}
    before = counts()
    response = client_for(world.member_mentor.user).post(f"/inbox/cases/{training.pk}/records/", data)
    assert response.status_code == 400 and message in response.content.decode()
    assert counts() == before


@pytest.mark.parametrize(
    "who, status",
    [("officer", 403), ("auditor", 403), ("secretary", 403), ("other_officer", 404), ("outsider", 404)],
)
def test_only_the_cases_mentor_may_write(world, training, who, status):
    before = counts()
    response = client_for(getattr(world, who)).post(
        f"/inbox/cases/{training.pk}/records/", {"date": today(), "kind": "talk", "content": "谈心"}
    )
    assert response.status_code == status
    assert counts() == before


def test_anonymous_is_sent_to_log_in(world, training):
    from django.test import Client

    before = counts()
    response = Client().post(f"/inbox/cases/{training.pk}/records/", {"date": today(), "kind": "talk", "content": "x"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert counts() == before


def test_no_records_before_training_and_no_correction_by_others_or_of_old_versions(world, training):
    from workflows.services.records import record_correct, record_write

    w = world
    registered = register(w.officer, w.candidate2, "2")
    before = counts()
    response = client_for(w.member_mentor.user).post(
        f"/inbox/cases/{registered.pk}/records/", {"date": today(), "kind": "talk", "content": "x"}
    )
    assert response.status_code == 404  # not this trainee's mentor: the case is outside their scope
    assert counts() == before

    record = record_write(
        actor=w.member_mentor.user, case_id=training.pk, date=timezone.localdate(), kind="talk", content="原文"
    )
    before = counts()
    response = client_for(w.officer).post(
        f"/inbox/records/{record.pk}/correct/", {"date": today(), "kind": "talk", "content": "改", "reason": "x"}
    )
    assert response.status_code == 403
    response = client_for(w.other_officer).get(f"/inbox/records/{record.pk}/correct/")
    assert response.status_code == 404
    assert counts() == before

    record_correct(
        actor=w.member_mentor.user,
        record_id=record.pk,
        date=timezone.localdate(),
        kind="talk",
        content="第二版",
        reason="更正",
    )
    before = counts()
    response = client_for(w.member_mentor.user).post(
        f"/inbox/records/{record.pk}/correct/", {"date": today(), "kind": "talk", "content": "又改", "reason": "x"}
    )
    assert response.status_code == 400 and "已被更正过" in response.content.decode()
    response = client_for(w.member_mentor.user).post(
        f"/inbox/records/{record.pk}/correct/", {"date": today(), "kind": "talk", "content": "又改"}
    )
    assert response.status_code == 400 and "请填写更正理由" in response.content.decode()
    assert counts() == before


def test_no_records_while_paused(world, training):
    from workflows.services.cases import case_pause

    case_pause(actor=world.officer, case_id=training.pk, reason="长期病假")
    before = counts()
    response = client_for(world.member_mentor.user).post(
        f"/inbox/cases/{training.pk}/records/", {"date": today(), "kind": "talk", "content": "x"}
    )
    assert response.status_code == 400 and "不能填写培养记录" in response.content.decode()
    assert counts() == before

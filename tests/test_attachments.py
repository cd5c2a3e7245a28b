"""Uploads: checked by content, limited in size, never stored when refused, served only in scope."""

import io
import zipfile

import pytest
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.flow_client import client_for
from tests.helpers import alert_text, new_case, snapshot
from tests.training import PDF, training_tasks
from workflows.flows import CaseFlow
from workflows.models import Attachment, CaseState, ProgrammePolicy, SemesterWork, TrainingRecord


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


# Built once: a zip carries its entries' timestamps, so two builds a second apart differ.
DOCX = _docx()


def _stored_files(settings) -> list:
    root = settings.PRIVATE_MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def training_case(world, in_semester):
    # A case in training whose mentor has this month's record task.
    case = new_case(world, "附件测试", CaseState.PAIRED)
    from tests.training import lifecycle_tasks
    from workflows.services import cases as svc

    (accept,) = lifecycle_tasks(case)
    svc.mentor_accept(actor=accept.owner, task_id=accept.pk)
    return case


def _record_post(client, task, files):
    today = timezone.localdate().isoformat()
    data = {"action": "record", "date": today, "kind": "talk", "content": "谈心谈话", "files": files}
    return client.post(f"/inbox/tasks/{task.pk}/act/", data)


BAD_UPLOADS = [
    ("fake.pdf", b"MZ\x90\x00 this is an executable, not a PDF", "不是有效的 PDF"),
    ("empty.pdf", b"", "是空的"),
    ("报告.exe", b"MZ\x90\x00", "不支持"),
    ("real-docx.pdf", DOCX, "内容是 Word"),
]


@pytest.mark.parametrize("name, data, says", BAD_UPLOADS, ids=[b[0] for b in BAD_UPLOADS])
def test_a_refused_record_attachment_stores_nothing(world, training_case, settings, name, data, says):
    (task,) = training_tasks(training_case, CaseFlow.record)
    before = snapshot()
    records = TrainingRecord.objects.count()
    response = _record_post(client_for(world.member_mentor.user), task, [SimpleUploadedFile(name, data)])
    assert response.status_code == 400
    assert says in alert_text(response), alert_text(response)
    assert snapshot() == before
    assert TrainingRecord.objects.count() == records
    assert Attachment.objects.count() == 0
    assert _stored_files(settings) == []


def test_an_oversized_file_is_refused_with_the_limit_named(world, training_case, settings):
    ProgrammePolicy.objects.update_or_create(pk=1, defaults={"attachment_max_mb": 1})
    task = training_tasks(training_case, CaseFlow.submit_work)[0]
    big = SimpleUploadedFile("论文.pdf", PDF + b"0" * (1024 * 1024 + 1))
    before = snapshot()
    response = client_for(world.officer).post(
        f"/inbox/tasks/{task.pk}/act/", {"action": "work_submit", "title": "题目", "summary": "摘要", "file": big}
    )
    assert response.status_code == 400
    assert "超过了 1 MB 的上限" in alert_text(response)
    assert snapshot() == before
    assert SemesterWork.objects.get(pk=task.work_id).status == "pending"
    assert Attachment.objects.count() == 0 and _stored_files(settings) == []


def test_a_good_file_is_stored_privately_and_served_only_in_scope(world, training_case, settings):
    (task,) = training_tasks(training_case, CaseFlow.record)
    response = _record_post(client_for(world.member_mentor.user), task, [SimpleUploadedFile("听课记录.docx", DOCX)])
    assert response.status_code == 302, alert_text(response)
    (attachment,) = Attachment.objects.all()
    assert attachment.kind == "docx" and attachment.record is not None
    (stored,) = _stored_files(settings)
    assert stored.read_bytes() == DOCX
    assert "听课记录" not in str(stored)  # the user's file name never reaches the file system
    url = f"/inbox/attachments/{attachment.pk}/"
    for insider in (world.member_mentor.user, world.officer, world.reviewer, world.auditor):
        got = client_for(insider).get(url)
        assert got.status_code == 200
        assert b"".join(got.streaming_content) == DOCX
        assert "attachment" in got["Content-Disposition"]
    for outsider in (world.outsider, world.other_officer, world.other_reviewer):
        assert client_for(outsider).get(url).status_code == 404
    assert client_for(world.outsider).get("/inbox/attachments/999999/").status_code == 404
    from django.test import Client

    assert Client().get(url).status_code == 302  # to the login page, never the bytes
    # Nothing under STATIC or any public URL prefix serves the file.
    assert not str(stored).startswith(str(settings.STATIC_ROOT))


@pytest.mark.parametrize("name", ["../../etc/passwd.pdf", "a/b.pdf", "a\\b.pdf", "..", "c:evil.pdf", "x\x00.pdf"])
def test_a_file_name_with_path_characters_is_refused_and_nothing_stored(world, training_case, settings, name):
    """Over HTTP Django already cuts a name down to its last part; any other way in (a command,
    an import) reaches the service, which refuses the name outright."""
    from workflows.errors import GuardError
    from workflows.services import records

    before = snapshot()
    with pytest.raises(GuardError) as caught:
        records.record_write(
            actor=world.member_mentor.user,
            case_id=training_case.pk,
            date=timezone.localdate(),
            kind="talk",
            content="谈心谈话",
            files=[File(io.BytesIO(PDF), name=name)],
        )
    assert caught.value.status == 400
    assert "路径或特殊字符" in caught.value.message
    assert snapshot() == before
    assert Attachment.objects.count() == 0 and _stored_files(settings) == []


def test_over_http_a_path_in_the_name_never_reaches_the_store(world, training_case, settings):
    (task,) = training_tasks(training_case, CaseFlow.record)
    response = _record_post(
        client_for(world.member_mentor.user), task, [SimpleUploadedFile("../../etc/passwd.pdf", PDF)]
    )
    assert response.status_code == 302, alert_text(response)
    (attachment,) = Attachment.objects.all()
    assert attachment.name == "passwd.pdf"
    (stored,) = _stored_files(settings)
    assert stored.is_relative_to(settings.PRIVATE_MEDIA_ROOT) and stored.name.endswith(".pdf")

"""Uploads checked by structure, not only their first bytes (issue 9): a zip bomb dressed as a
DOCX or XLSX, a PDF that does not parse and an image that does not decode are refused with a
Chinese message and nothing stored (no file, no Attachment row, no audit event); real small
files of every kind are accepted."""

import io
import zipfile
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook
from PIL import Image

from tests.factories import make_world
from tests.flow_client import client_for
from tests.helpers import alert_text, module_media, new_case, scene_once, snapshot
from tests.training import PDF, lifecycle_tasks, training_tasks
from workflows.errors import GuardError
from workflows.flows import CaseFlow
from workflows.models import Attachment, AuditEvent, CaseState
from workflows.services import attachments, quotas
from workflows.services import cases as svc

MB = 1024 * 1024


def _zip(members: dict[str, bytes], *, zeros: dict[str, int] | None = None) -> bytes:
    """A ZIP with the given members, plus members of ``n`` zero bytes written in chunks."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for name, size in (zeros or {}).items():
            with archive.open(name, "w", force_zip64=True) as member:
                for _ in range(size // MB):
                    member.write(bytes(MB))
    return buffer.getvalue()


W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
DOCX_PARTS = {
    "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
    "word/document.xml": (
        f'<?xml version="1.0"?><w:document xmlns:w="{W_NS}"><w:body><w:p><w:r><w:t>听课记录</w:t></w:r></w:p></w:body>'
        "</w:document>"
    ).encode(),
}


def _png(size=(16, 16), mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "white" if mode != "1" else 1).save(buffer, "PNG")
    return buffer.getvalue()


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "red").save(buffer, "JPEG")
    return buffer.getvalue()


def _xlsx() -> bytes:
    book = Workbook()
    book.active["A1"] = "单位"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _corrupt_png() -> bytes:
    data = bytearray(_png((64, 64)))
    at = data.index(b"IDAT") + 8  # inside the compressed pixels: the chunk's CRC no longer matches
    data[at : at + 4] = b"\x00\xff\x00\xff"
    return bytes(data)


# Built once for the module.
ZIP_BOMB_DOCX = _zip(DOCX_PARTS, zeros={"word/media/image1.png": 120 * MB})  # ~120 KB, unpacks to 120 MB
RATIO_BOMB_DOCX = _zip(DOCX_PARTS, zeros={"word/media/image1.png": 8 * MB})  # 8 MB at ~1000:1
CROWDED_DOCX = _zip({**DOCX_PARTS, **{f"word/part{i}.xml": b"<x/>" for i in range(attachments.ZIP_MAX_MEMBERS)}})
XLSX_PARTS = {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}
ZIP_BOMB_XLSX = _zip(XLSX_PARTS, zeros={"xl/sharedStrings.xml": 8 * MB})
REAL_DOCX = _zip(DOCX_PARTS)
REAL_XLSX = _xlsx()
REAL_PNG = _png()
REAL_JPEG = _jpeg()

BAD = [
    ("zip-bomb", "听课记录.docx", ZIP_BOMB_DOCX, "解压后有 120.0 MB"),
    ("ratio-bomb", "听课记录.docx", RATIO_BOMB_DOCX, "异常庞大"),
    ("too-many-members", "听课记录.docx", CROWDED_DOCX, "个部件（最多 2000 个）"),
    ("xlsx-bomb", "统计.xlsx", ZIP_BOMB_XLSX, "异常庞大"),
    ("pdf-garbage", "论文.pdf", b"%PDF-1.7\n" + b"this is no PDF at all\n" * 50, "不是有效的 PDF"),
    ("pdf-truncated", "论文.pdf", PDF[: len(PDF) // 2], "不是有效的 PDF"),
    ("png-corrupt", "照片.png", _corrupt_png(), "不是有效的 PNG"),
    ("png-truncated", "照片.png", REAL_PNG[:40], "不是有效的 PNG"),
    ("png-too-many-pixels", "照片.png", _png((8000, 8000), mode="1"), "8000 × 8000 像素，超过上限"),
    ("jpeg-garbage", "照片.jpg", b"\xff\xd8\xff\xe0" + b"\x00garbage" * 100, "不是有效的 JPEG"),
]
GOOD = [
    ("听课记录.docx", REAL_DOCX, "docx"),
    ("统计.xlsx", REAL_XLSX, "xlsx"),
    ("论文.pdf", PDF, "pdf"),
    ("照片.png", REAL_PNG, "png"),
    ("照片.jpg", REAL_JPEG, "jpg"),
]


def build_scene():
    w = make_world()
    case = new_case(w, "结构检查", CaseState.PAIRED)
    (accept,) = lifecycle_tasks(case)
    svc.mentor_accept(actor=accept.owner, task_id=accept.pk)
    return SimpleNamespace(w=w, case=case)


_built = scene_once(build_scene)


@pytest.fixture
def scene(_built, db, settings):
    module_media(settings, _built)
    return _built


def _stored_files(settings) -> list:
    root = settings.PRIVATE_MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _record_post(scene, upload):
    (task,) = training_tasks(scene.case, CaseFlow.record)
    data = {"action": "record", "date": timezone.localdate().isoformat(), "kind": "talk", "content": "谈心谈话"}
    return client_for(scene.w.member_mentor.user).post(f"/inbox/tasks/{task.pk}/act/", {**data, "files": [upload]})


@pytest.mark.parametrize("case, name, data, says", BAD, ids=[b[0] for b in BAD])
def test_a_file_broken_inside_is_refused_over_http_and_nothing_is_stored(scene, settings, case, name, data, says):
    before = snapshot()
    files_before = _stored_files(settings)
    response = _record_post(scene, SimpleUploadedFile(name, data))
    assert response.status_code == 400
    assert says in alert_text(response), alert_text(response)
    assert f"“{name}”" in alert_text(response)
    assert snapshot() == before  # no record, no Attachment row, no audit event
    assert _stored_files(settings) == files_before
    # What the mentor typed stays in the form.
    assert "谈心谈话" in response.content.decode()


@pytest.mark.parametrize("name, data, kind", GOOD, ids=[g[0] for g in GOOD])
def test_a_real_small_file_of_each_kind_is_accepted(scene, settings, name, data, kind):
    attachments_before, events_before = Attachment.objects.count(), AuditEvent.objects.count()
    response = _record_post(scene, SimpleUploadedFile(name, data))
    assert response.status_code == 302, alert_text(response)
    attachment = Attachment.objects.latest("pk")
    assert Attachment.objects.count() == attachments_before + 1
    assert attachment.kind == kind and attachment.name == name and attachment.size == len(data)
    assert AuditEvent.objects.count() > events_before
    assert (settings.PRIVATE_MEDIA_ROOT / attachment.stored_name).read_bytes() == data


def test_the_bomb_is_judged_by_its_declared_sizes_without_unpacking_it(db):
    # The check reads the archive's directory only: a 120 MB member is never inflated, and the
    # upload stays at its start for whoever reads it next.
    upload = SimpleUploadedFile("听课记录.docx", ZIP_BOMB_DOCX)
    assert len(ZIP_BOMB_DOCX) < 2 * MB
    with pytest.raises(GuardError) as refused:
        attachments.check_upload(upload)
    assert refused.value.status == 400 and "已拒收" in refused.value.message
    assert upload.tell() == 0


def test_a_zip_bomb_posing_as_the_quota_workbook_is_refused_before_openpyxl_opens_it(db):
    with pytest.raises(GuardError) as refused:
        quotas._read_grid(ZIP_BOMB_XLSX, "附件1.xlsx")
    assert "异常庞大" in refused.value.message
    # A real workbook still reads.
    assert quotas._read_grid(REAL_XLSX, "附件1.xlsx")[0][0] == "单位"

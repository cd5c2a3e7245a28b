"""Uploaded files: checked by their bytes, stored outside any public URL, never left half-written.

A file is refused (``GuardError``, nothing stored) when its name carries path characters,
when it is empty or larger than the city's limit, when its content is none of PDF, DOCX,
XLSX, JPEG and PNG, or when its extension says one type and its content another.
"""

import hashlib
import os
import uuid
import zipfile
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from ..errors import GuardError
from ..models import Attachment, FileKind, ProgrammePolicy

EXTENSIONS = {
    ".pdf": FileKind.PDF,
    ".docx": FileKind.DOCX,
    ".xlsx": FileKind.XLSX,
    ".jpg": FileKind.JPG,
    ".jpeg": FileKind.JPG,
    ".png": FileKind.PNG,
}
MAX_NAME = 100
FORBIDDEN_NAME_CHARS = set('/\\:*?"<>|') | {chr(c) for c in range(32)} | {"\x7f"}


def storage_root() -> Path:
    return Path(settings.PRIVATE_MEDIA_ROOT)


def _sniff(head: bytes, upload) -> FileKind | None:
    """The file's type from its bytes, not its name."""
    if head.startswith(b"%PDF-"):
        return FileKind.PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileKind.PNG
    if head.startswith(b"\xff\xd8\xff"):
        return FileKind.JPG
    if head.startswith(b"PK\x03\x04"):
        upload.seek(0)
        try:
            with zipfile.ZipFile(upload) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        if "[Content_Types].xml" in names:
            if "word/document.xml" in names:
                return FileKind.DOCX
            if "xl/workbook.xml" in names:
                return FileKind.XLSX
    return None


def check_upload(upload) -> FileKind:
    """Raise a ``GuardError`` saying what is wrong with ``upload``, or return its type."""
    name = upload.name or ""
    if not name.strip() or name in (".", "..") or ".." in name or any(c in FORBIDDEN_NAME_CHARS for c in name):
        raise GuardError(
            _('文件名“%(name)s”含有路径或特殊字符（如 / \\ : * ? " < > | 或 ..），请把文件改名后重新上传。')
            % {"name": name}
        )
    if len(name) > MAX_NAME:
        raise GuardError(
            _("文件名太长（%(n)d 个字符，最多 %(max)d 个），请改短后重新上传。") % {"n": len(name), "max": MAX_NAME}
        )
    extension = os.path.splitext(name)[1].lower()
    expected = EXTENSIONS.get(extension)
    if expected is None:
        raise GuardError(
            _("不支持“%(name)s”这种文件，请上传 PDF、Word（DOCX）、Excel（XLSX）、JPG 或 PNG 文件。") % {"name": name}
        )
    if not upload.size:
        raise GuardError(_("文件“%(name)s”是空的（0 字节），请检查后重新上传。") % {"name": name})
    limit_mb = ProgrammePolicy.current().attachment_max_mb
    if upload.size > limit_mb * 1024 * 1024:
        raise GuardError(
            _("文件“%(name)s”有 %(size).1f MB，超过了 %(limit)d MB 的上限，请压缩或拆分后重新上传。")
            % {"name": name, "size": upload.size / 1024 / 1024, "limit": limit_mb}
        )
    upload.seek(0)
    head = upload.read(8)
    actual = _sniff(head, upload)
    upload.seek(0)
    if actual is None:
        raise GuardError(
            _("文件“%(name)s”的内容不是有效的 %(kind)s 文件（可能已损坏或只是改了扩展名），请上传原始文件。")
            % {"name": name, "kind": expected.label}
        )
    if actual != expected:
        raise GuardError(
            _("文件“%(name)s”的扩展名是 %(ext)s，但内容是 %(kind)s，请改正扩展名或上传正确的文件。")
            % {"name": name, "ext": extension, "kind": actual.label}
        )
    return actual


class StagedFiles:
    """Bytes written for this request; removed again if the transaction does not commit."""

    def __init__(self):
        self.paths: list[Path] = []

    def store(self, upload, kind: FileKind, *, case, actor, record=None, work=None) -> Attachment:
        digest = hashlib.sha256()
        stored_name = f"{uuid.uuid4().hex[:2]}/{uuid.uuid4().hex}.{kind.value}"
        path = storage_root() / stored_name
        path.parent.mkdir(parents=True, exist_ok=True)
        self.paths.append(path)
        upload.seek(0)
        with open(path, "xb") as out:
            for chunk in upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(65536), b""):
                digest.update(chunk)
                out.write(chunk)
        return Attachment.objects.create(
            case=case,
            record=record,
            work=work,
            name=upload.name,
            kind=kind,
            size=upload.size,
            sha256=digest.hexdigest(),
            stored_name=stored_name,
            uploaded_by=actor,
        )


@contextmanager
def staged_files():
    """Use around the service's transaction: any exception removes the files it wrote."""
    staged = StagedFiles()
    try:
        yield staged
    except BaseException:
        for path in staged.paths:
            path.unlink(missing_ok=True)
        raise


def open_attachment(attachment: Attachment):
    return open(storage_root() / attachment.stored_name, "rb")


def as_upload(name: str, data: bytes):
    """A file-like upload for commands and the demo seed."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)

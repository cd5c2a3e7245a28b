"""Uploaded files: checked by their bytes, stored outside any public URL, never left half-written.

A file is refused (``GuardError``, nothing stored) when its name carries path characters,
when it is empty or larger than the city's limit, when its content is none of PDF, DOCX,
XLSX, JPEG and PNG, or when its extension says one type and its content another. Then it is
checked by its structure, not only its first bytes: a DOCX or XLSX (a ZIP) must not unpack to
an absurd size, ratio or number of members (a zip bomb) and every member must read back
intact; a PDF must parse; an image must decode, within a limit on its pixels.
"""

import hashlib
import os
import uuid
import warnings
import zipfile
from contextlib import contextmanager
from pathlib import Path

import pypdf
from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image

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

# A DOCX or XLSX unpacks to at most this much, in at most this many members; and, once it
# unpacks to more than ZIP_RATIO_FROM, at most ZIP_MAX_RATIO times its packed size (Office
# files compress about 3-10:1; a zip bomb 1000:1 and more). Tiny files are never bombs.
ZIP_MAX_UNPACKED = 100 * 1024 * 1024
ZIP_MAX_MEMBERS = 2000
ZIP_MAX_RATIO = 100
ZIP_RATIO_FROM = 1024 * 1024
# An image decodes to at most this many pixels (a 50-megapixel photo; a decompression bomb is
# a small PNG that claims to be 100,000 × 100,000).
IMAGE_MAX_PIXELS = 50_000_000


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


def _not_valid(name: str, kind: FileKind) -> GuardError:
    return GuardError(
        _("文件“%(name)s”的内容不是有效的 %(kind)s 文件（可能已损坏或只是改了扩展名），请上传原始文件。")
        % {"name": name, "kind": kind.label}
    )


def check_zip_structure(fileobj, name: str, kind: FileKind) -> None:
    """Refuse a DOCX/XLSX that would unpack to an absurd size, ratio or number of members.

    Only the sizes the archive declares are summed, never unpacked first; Python's zipfile (and
    openpyxl on top of it) never reads a member past its declared size, and ``testzip`` then
    checks every member's CRC, so a member that lies about its size is refused as damaged.
    """
    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as archive:
            members = archive.infolist()
            unpacked = sum(m.file_size for m in members)
            packed = sum(m.compress_size for m in members) or 1
            if len(members) > ZIP_MAX_MEMBERS:
                raise GuardError(
                    _(
                        "文件“%(name)s”里包含 %(n)d 个部件（最多 %(max)d 个），不像是正常的 %(kind)s 文件，"
                        "请在 Office 或 WPS 中另存后重新上传。"
                    )
                    % {"name": name, "n": len(members), "max": ZIP_MAX_MEMBERS, "kind": kind.label}
                )
            if unpacked > ZIP_MAX_UNPACKED or (unpacked > ZIP_RATIO_FROM and unpacked / packed > ZIP_MAX_RATIO):
                raise GuardError(
                    _(
                        "文件“%(name)s”解压后有 %(size).1f MB（压缩比约 %(ratio)d:1），异常庞大，"
                        "可能是恶意构造的压缩文件，已拒收。请在 Office 或 WPS 中另存后重新上传。"
                    )
                    % {"name": name, "size": unpacked / 1024 / 1024, "ratio": unpacked // packed, "kind": kind.label}
                )
            if archive.testzip() is not None:
                raise _not_valid(name, kind)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError):
        raise _not_valid(name, kind) from None
    finally:
        fileobj.seek(0)


def _check_pdf(fileobj, name: str) -> None:
    """A PDF must parse (strictly): its cross-reference table, its catalogue and its pages."""
    fileobj.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = pypdf.PdfReader(fileobj, strict=True)
            if reader.is_encrypted and not reader.decrypt(""):
                raise GuardError(
                    _("PDF 文件“%(name)s”设置了打开密码，审核人无法查看，请取消密码后重新上传。") % {"name": name}
                )
            if len(reader.pages) < 1:
                raise _not_valid(name, FileKind.PDF)
    except GuardError:
        raise
    except Exception:  # pypdf raises many kinds (PdfReadError, PdfStreamError, KeyError, ...) for a broken file
        raise _not_valid(name, FileKind.PDF) from None
    finally:
        fileobj.seek(0)


def _check_image(fileobj, name: str, kind: FileKind) -> None:
    """An image must decode, within IMAGE_MAX_PIXELS (Pillow's own bomb check stays on behind it)."""
    fileobj.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(fileobj) as image:  # reads the header only
                width, height = image.size
                if width * height > IMAGE_MAX_PIXELS:
                    raise GuardError(
                        _("图片“%(name)s”有 %(w)d × %(h)d 像素，超过上限（约 %(max)d 万像素），请缩小后重新上传。")
                        % {"name": name, "w": width, "h": height, "max": IMAGE_MAX_PIXELS // 10000}
                    )
                image.verify()  # checks the chunks and their CRCs
            fileobj.seek(0)
            with Image.open(fileobj) as image:
                image.load()  # decodes every pixel: a truncated or garbled image stops here
    except GuardError:
        raise
    except Exception:  # Pillow: UnidentifiedImageError, OSError, SyntaxError, DecompressionBomb*, ...
        raise _not_valid(name, kind) from None
    finally:
        fileobj.seek(0)


def _check_structure(upload, kind: FileKind, name: str) -> None:
    if kind in (FileKind.DOCX, FileKind.XLSX):
        check_zip_structure(upload, name, kind)
    elif kind == FileKind.PDF:
        _check_pdf(upload, name)
    else:
        _check_image(upload, name, kind)


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
        raise _not_valid(name, expected)
    if actual != expected:
        raise GuardError(
            _("文件“%(name)s”的扩展名是 %(ext)s，但内容是 %(kind)s，请改正扩展名或上传正确的文件。")
            % {"name": name, "ext": extension, "kind": actual.label}
        )
    _check_structure(upload, actual, name)
    return actual


class StagedFiles:
    """Bytes written for this request; removed again if the transaction does not commit."""

    def __init__(self):
        self.paths: list[Path] = []

    def store(self, upload, kind: FileKind, *, case, actor, record=None, work=None, comment=None) -> Attachment:
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
            comment=comment,
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

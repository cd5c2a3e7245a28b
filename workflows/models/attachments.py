"""Uploaded files: kept outside any public URL and served only to users who can see the case."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .cases import Case
from .obligations import SemesterWork
from .records import TrainingRecord


class FileKind(models.TextChoices):
    PDF = "pdf", "PDF"
    DOCX = "docx", "Word (DOCX)"
    XLSX = "xlsx", "Excel (XLSX)"
    JPG = "jpg", "JPEG"
    PNG = "png", "PNG"


MIME_TYPES = {
    FileKind.PDF: "application/pdf",
    FileKind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    FileKind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FileKind.JPG: "image/jpeg",
    FileKind.PNG: "image/png",
}


class Attachment(models.Model):
    """One stored file. The bytes live under ``PRIVATE_MEDIA_ROOT`` as ``stored_name``; rows are never changed."""

    case = models.ForeignKey(Case, verbose_name=_("培养案例"), on_delete=models.PROTECT, related_name="attachments")
    record = models.ForeignKey(
        TrainingRecord,
        verbose_name=_("培养记录"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attachments",
    )
    work = models.ForeignKey(
        SemesterWork,
        verbose_name=_("学期成果"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attachments",
    )
    # 评论's attachments (issue 11).
    comment = models.ForeignKey(
        "workflows.TaskComment",
        verbose_name=_("评论"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attachments",
    )
    name = models.CharField(_("文件名"), max_length=120)
    kind = models.CharField(_("类型"), max_length=10, choices=FileKind.choices)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    stored_name = models.CharField(_("存储名"), max_length=200, unique=True, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def mime_type(self) -> str:
        return MIME_TYPES[self.kind]

    @property
    def size_label(self) -> str:
        if self.size >= 1024 * 1024:
            return f"{self.size / 1024 / 1024:.1f} MB"
        return f"{max(1, round(self.size / 1024))} KB"

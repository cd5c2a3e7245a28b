"""What the import commands read from their arguments: the file's bytes and the acting user."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils.translation import gettext as _


def read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise CommandError(
            _("无法读取文件 %(path)s：%(error)s") % {"path": path, "error": error.strerror or error}
        ) from None


def acting_user(username: str | None):
    """The ``--user`` account, or None (the import runs as 系统)."""
    if not username:
        return None
    actor = get_user_model().objects.filter(username=username).first()
    if actor is None:
        raise CommandError(_("没有用户名为“%(name)s”的用户。") % {"name": username})
    return actor

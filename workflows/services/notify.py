"""Telling people what an action asks of them (转交, 加签, 抄送, 评论, 代理, 退回, 不予通过).

Reminders (到期/逾期/督办/催办) go through ``reminders._send`` with their once-only token. The
approver's actions notify through here, inside the action's transaction: the action's own audit
event names the recipients, so this writes no event of its own.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from ..models import Notification, NotificationKind


def notify(users, *, kind: str, message: str, task=None, case=None) -> list[Notification]:
    """One in-app notification (and an e-mail after commit, where the person has an address) to
    each of ``users`` (None and repeats dropped). Returns the notifications written."""
    from .reminders import _mail

    if case is None and task is not None:
        case = task.case
    people = [u for u in dict.fromkeys(users) if u is not None]
    rows = Notification.objects.bulk_create(
        [
            Notification(
                recipient=user, kind=kind, task=task, case=case, message=message[:300], emailed=bool(user.email)
            )
            for user in people
        ]
    )
    subject = _("【双培】%(kind)s") % {"kind": NotificationKind(kind).label}
    mails = [(subject, message, None, [u.email]) for u in people if u.email]
    if mails:
        transaction.on_commit(lambda: _mail(mails))
    return rows

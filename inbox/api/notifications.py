"""The notification centre: reminders, 催办 and escalations addressed to the caller."""

from django.utils.translation import gettext as _
from ninja import Query, Router

from workflows import selectors
from workflows.errors import NotInScope
from workflows.services import reminders

from .schemas import Done, Error, Id, NotificationPage
from .tasks import Paging

router = Router(tags=["通知"])


def _shape(n) -> dict:
    return {
        "id": n.pk,
        "kind": n.kind,
        "kind_label": str(n.get_kind_display()),
        "message": n.message,
        "task_id": n.task_id,
        "case_id": n.case_id,
        "created_at": n.created_at,
        "read_at": n.read_at,
    }


@router.get("/notifications", response={200: NotificationPage, 401: Error, 422: Error}, summary="我的通知")
def notification_list(request, paging: Query[Paging]):
    qs = selectors.notifications_for_user(request.user)
    items = qs[paging.offset : paging.offset + paging.limit]
    return {"count": qs.count(), "unread": selectors.unread_count(request.user), "items": [_shape(n) for n in items]}


@router.post(
    "/notifications/{notification_id}/read",
    response={200: Done, 401: Error, 404: Error, 422: Error},
    summary="标为已读",
)
def notification_read(request, notification_id: Id):
    notification = selectors.notifications_for_user(request.user).filter(pk=notification_id).first()
    if notification is None:
        raise NotInScope(_("未找到该通知。"))
    reminders.notification_mark_read(notification)
    return {"detail": _("已标为已读。")}


@router.post("/notifications/read-all", response={200: Done, 401: Error}, summary="全部标为已读")
def notification_read_all(request):
    count = reminders.notifications_mark_all_read(request.user)
    return {"detail": _("已全部标为已读（%(n)d 条）。") % {"n": count}}

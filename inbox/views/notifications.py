"""The notification centre: reminders, 催办 and escalations addressed to the user."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from workflows import selectors
from workflows.errors import NotInScope
from workflows.services import reminders

from .common import done, guarded, post_only


@login_required
def notification_list(request):
    paginator = selectors.ClampingPaginator(selectors.notifications_for_user(request.user), 25)
    page = paginator.page(request.GET.get("page") or 1)
    return TemplateResponse(
        request,
        "inbox/notifications.html",
        {"page_obj": page, "notifications": page, "paginator": paginator, "view": {"page_kwarg": "page"}},
    )


@login_required
@post_only
@guarded
def notification_open(request, notification_id: int):
    """Mark one notification read and go to its task (or, if the task is gone from view, its case)."""
    notification = selectors.notifications_for_user(request.user).filter(pk=notification_id).first()
    if notification is None:
        raise NotInScope(_("未找到该通知。"))
    reminders.notification_mark_read(notification)
    if notification.task_id and selectors.tasks_in_scope(request.user).filter(pk=notification.task_id).exists():
        return redirect(reverse("inbox:task", args=[notification.task_id]))
    if notification.case_id and (
        selectors.cases_for_user(request.user).filter(pk=notification.case_id).exists()
        or selectors.open_copies().filter(case_id=notification.case_id, recipient=request.user).exists()
    ):  # a 抄送 reader outside the case's chain reads the case page only
        return redirect(reverse("inbox:case", args=[notification.case_id]))
    return redirect(reverse("inbox:notifications"))


@login_required
@post_only
def notification_read_all(request):
    reminders.notifications_mark_all_read(request.user)
    return done(request, _("已全部标为已读。"), reverse("inbox:notifications"))

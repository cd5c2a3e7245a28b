"""批量审批 from 我的待办 / 待认领, and “同意” on a list row (issue 11)."""

from django.contrib.auth.decorators import login_required
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from forms.cases import ApproveForm, first_error
from workflows import access, selectors
from workflows.errors import GuardError
from workflows.services import bulk as bulk_services
from workflows.services import cases as case_services

from .common import done, guarded, post_only


def _selected(request) -> list[str]:
    return request.POST.getlist("task")


def _back(request) -> str:
    """Where a list action returns to: the list it was taken from (a local address only)."""
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return back
    return reverse("inbox:inbox")


def _refused_batch(request, form, message: str, status: int):
    """The whole batch refused: the selection and the opinion shown again, to correct and resend."""
    ids = [int(raw) for raw in map(str.strip, _selected(request)) if raw.isascii() and raw.isdigit() and len(raw) <= 15]
    order = {task_id: n for n, task_id in enumerate(ids)}
    tasks = sorted(selectors.tasks_in_scope(request.user).filter(pk__in=ids), key=lambda t: order[t.pk])
    context = {
        "error": message,
        "form": form,
        "selected": tasks,
        "limit": access.BULK_LIMIT,
        "back": _back(request),
    }
    return TemplateResponse(request, "inbox/bulk_result.html", context, status=status)


@login_required
@post_only
@guarded
def bulk_approve(request):
    """批量同意: one opinion for up to ``BULK_LIMIT`` tasks of one step; a page of per-task results."""
    form = ApproveForm(request.POST)
    if not form.is_valid():
        return _refused_batch(request, form, first_error(form), 400)
    try:
        results = bulk_services.bulk_approve(
            actor=request.user, task_ids=_selected(request), reason=form.cleaned_data["reason"]
        )
    except GuardError as error:
        if error.status == 404:
            raise  # out of scope: say no more than that (no list of what was selected)
        return _refused_batch(request, form, error.message, error.status)
    approved = [r for r in results if r.ok]
    context = {
        "results": results,
        "approved": len(approved),
        "refused": len(results) - len(approved),
        "back": _back(request),
    }
    # Something done: 200. Nothing done: the refusals' own status (403 for a role that may not,
    # 409 when all had been handled), so a script sees the batch failed.
    status = 200 if approved else max(r.status for r in results)
    if not approved:
        context["error"] = _("所选 %(n)d 项均未通过，原因见下表。") % {"n": len(results)}
    return TemplateResponse(request, "inbox/bulk_result.html", context, status=status)


@login_required
@post_only
@guarded
def quick_approve(request, task_id: int):
    """“同意” on a list row: 支部审核 / 单位审核 without an opinion; a queued task is claimed first."""
    task = selectors.task_for_user(request.user, task_id)
    access.check_quick_approve(request.user, task)
    case_services.case_approve(actor=request.user, task_id=task.pk, changes={"from_list": True})
    message = _("已同意：%(name)s（%(step)s），已报上一级。") % {
        "name": task.case.teacher.name,
        "step": task.flow_task.task_title,
    }
    return done(request, message, _back(request))

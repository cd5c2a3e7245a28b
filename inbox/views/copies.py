"""抄送 and 评论 on the task page, and the case page of someone a case is copied to."""

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from forms.cases import first_error
from forms.copies import CommentForm, CopyForm
from workflows import access, selectors, visibility
from workflows.access.copies import COPY_ROLES
from workflows.models import RoleAssignment
from workflows.models.audit import role_label
from workflows.services import copies as copy_services

from .common import done, guarded, post_only
from .tasks import _answer_refusals, _form_error, _keeping


def recipient_choices(user, case) -> list[tuple[int, str]]:
    """The chooser: everyone a copy of ``case`` may go to, as 「姓名（组织 · 身份）」."""
    roles = RoleAssignment.objects.active().filter(role__in=COPY_ROLES).select_related("org")
    people = access.copy_recipients(case, actor=user).prefetch_related(
        Prefetch("role_assignments", queryset=roles, to_attr="official_roles")
    )
    choices = []
    for person in people[:500]:
        held = "；".join(f"{a.org.name} · {a.get_role_display()}" for a in person.official_roles)
        choices.append((person.pk, f"{visibility.display_name(person)}（{held}）"))
    return choices


def task_copy_context(user, task, forms: dict) -> dict:
    """The task page's 抄送 and 评论 part (templates/inbox/_task_copies.html)."""
    view = visibility.case_view(user, task.case)
    can_copy = access.may_copy(user, task)
    can_comment = access.may_comment(user, task)
    copies = selectors.task_copies(task) if view.is_official else []
    for copy in copies:
        copy.can_revoke = access.may_revoke_copy(user, copy)
        copy.ended = copy.revoked_at is not None or not copy.case.is_open
    comments = selectors.task_comments_for(user, task)
    for comment in comments:
        comment.shown_name = visibility.person_name(comment.author, view) or comment.author_name
        comment.role_label = role_label(comment.role)
    context = {
        "can_copy": can_copy,
        "can_comment": can_comment,
        "task_copies": copies,
        "comments": comments,
        # The page's hint says who will read a comment, by the same rule as the service.
        "comments_internal": access.comment_is_internal(access.check_comment(user, task)[0], task)
        if can_comment
        else False,
    }
    if can_copy and "copy_form" not in forms:
        context["copy_form"] = CopyForm(choices=recipient_choices(user, task.case))
    if can_comment and "comment_form" not in forms:
        context["comment_form"] = CommentForm()
    return context


@login_required
@post_only
@guarded
@_answer_refusals
def task_copy(request, task_id: int):
    """抄送 from the task page."""
    user = request.user
    task = selectors.task_for_user(user, task_id)
    access.check_copy(user, task)  # the wrong person hears that before any form is read
    form = CopyForm(request.POST, choices=recipient_choices(user, task.case))
    if not form.is_valid():
        return _form_error(request, task_id, first_error(form), copy_form=form)
    with _keeping(request, task_id, copy_form=form):
        copies = copy_services.case_copy(
            actor=user, task_id=task_id, recipient_ids=form.cleaned_data["recipients"], note=form.cleaned_data["note"]
        )
    return done(
        request,
        _("已抄送给 %(n)d 人，对方在抄送期间可查阅该案例。") % {"n": len(copies)},
        reverse("inbox:task", args=[task_id]),
    )


@login_required
@post_only
@guarded
def copy_revoke(request, copy_id: int):
    """撤销抄送 (from the task page's list of copies)."""
    copy = copy_services.copy_revoke(actor=request.user, copy_id=copy_id)
    return done(
        request,
        _("已撤销对%(who)s的抄送。") % {"who": visibility.display_name(copy.recipient)},
        reverse("inbox:task", args=[copy.task_id]),
    )


@login_required
@post_only
@guarded
@_answer_refusals
def task_comment(request, task_id: int):
    """评论 on a task, with up to five files; the task and the case stay where they are."""
    user = request.user
    task = selectors.task_for_user(user, task_id)
    access.check_comment(user, task)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _form_error(request, task_id, first_error(form), comment_form=form)
    with _keeping(request, task_id, comment_form=form):
        copy_services.task_comment(
            actor=user, task_id=task_id, text=form.cleaned_data["text"], files=request.FILES.getlist("files")
        )
    return done(request, _("评论已发表。"), reverse("inbox:task", args=[task_id]) + "#comments")


def copied_case_page(request, case_id: int):
    """The case page for someone it is copied to (and who cannot otherwise open it): read only.

    A 404 (``copied_case_for_user``) for anyone without a standing copy: after 撤销, after the
    case closed, and for every other case.
    """
    from .cases import _case_context

    user = request.user
    case = selectors.copied_case_for_user(user, case_id)
    copy_services.copies_mark_read(user=user, case=case)
    context = _case_context(request, case)
    # Read only: no action of the case page, whatever the reader holds elsewhere.
    for key in ("can_manage", "can_pause", "can_resume", "can_withdraw"):
        context[key] = False
    for key in ("opinion_form", "record_form", "repair_form", "gate", "opinion_from"):
        context[key] = None
    context["copy_reader"] = True
    return TemplateResponse(request, "inbox/case_detail.html", context)

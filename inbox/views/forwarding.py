"""转交 and 加签 on the task page: the forms it shows and the actions they post to."""

from django.contrib.auth.decorators import login_required
from django.urls import reverse
from django.utils.translation import gettext as _

from forms.cases import first_error
from forms.forwarding import CountersignAnswerForm, CountersignAskForm, ForwardForm
from workflows import access, selectors, visibility
from workflows.access import forwarding as rules
from workflows.flows import OPEN_TASK_STATUSES, CaseFlow
from workflows.models import CaseTask
from workflows.services import forwarding

from .common import done, guarded, post_only
from .tasks import _answer_refusals, _form_error, _keeping


def _after_allowed(task) -> bool:
    return task.flow_task in (CaseFlow.branch_review, CaseFlow.unit_review)


def forwarding_context(user, task, forms: dict) -> dict:
    """The task page's 转交 / 加签 part (templates/inbox/_task_forwarding.html); ``forms`` are the
    bound forms of a refused request, kept as typed."""
    is_open = task.status in OPEN_TASK_STATUSES
    view = visibility.case_view(user, task.case)
    context = {"can_forward": False, "can_countersign": False, "can_answer_countersign": False}
    if not view.is_official:  # 加签 and 转交 are the officials' business, not the trainee's or a mentor's
        return context
    context["countersigns"] = rules.countersigns_of(task) if task.flow_task != CaseFlow.countersign else []
    waiting = rules.open_countersign(task) if is_open else None
    context["countersign_waiting"] = waiting
    if waiting is not None:
        # The step waits for the colleague's opinion: no decision is offered meanwhile.
        context["can_act"] = False
    if is_open and access.may_forward(user, task):
        context["can_forward"] = True
        context["forward_form"] = forms.get("forward_form") or ForwardForm(users=rules.forward_candidates(task, user))
    if is_open and access.may_countersign(user, task):
        context["can_countersign"] = True
        context["countersign_form"] = forms.get("countersign_form") or CountersignAskForm(
            users=rules.countersign_candidates(task, user), after_allowed=_after_allowed(task)
        )
    if task.flow_task == CaseFlow.countersign:
        context["countersign_parent"] = CaseTask.objects.filter(pk=task.data.get("parent")).first()
        context["countersign_position"] = task.data.get("position")
        if is_open and access.may_answer_countersign(user, task):
            context["can_answer_countersign"] = True
            context["countersign_answer_form"] = forms.get("countersign_answer_form") or CountersignAnswerForm()
    return context


def _bound_forward(request, task):
    return ForwardForm(request.POST, users=rules.forward_candidates(task, request.user))


def _bound_ask(request, task):
    return CountersignAskForm(
        request.POST, users=rules.countersign_candidates(task, request.user), after_allowed=_after_allowed(task)
    )


@login_required
@post_only
@guarded
@_answer_refusals
def task_forward(request, task_id: int):
    """转交 to a colleague holding the step's role at its organisation."""
    task = selectors.task_for_user(request.user, task_id)
    access.check_forward(request.user, task)
    form = _bound_forward(request, task)
    if not form.is_valid():
        return _form_error(request, task_id, first_error(form), forward_form=form)
    with _keeping(request, task_id, forward_form=form):
        forwarding.task_forward(
            actor=request.user,
            task_id=task_id,
            to_user_id=form.cleaned_data["to_user"],
            reason=form.cleaned_data["reason"],
        )
    task.refresh_from_db()
    return done(
        request,
        _("已转交给%(who)s。") % {"who": task.owner.get_full_name() or task.owner.get_username()},
        reverse("inbox:inbox"),
    )


@login_required
@post_only
@guarded
@_answer_refusals
def task_countersign_ask(request, task_id: int):
    """加签: ask an official to review the step before (前加签) or after (后加签) me."""
    task = selectors.task_for_user(request.user, task_id)
    access.check_countersign_ask(request.user, task)
    form = _bound_ask(request, task)
    if not form.is_valid():
        return _form_error(request, task_id, first_error(form), countersign_form=form)
    with _keeping(request, task_id, countersign_form=form):
        side = forwarding.countersign_ask(
            actor=request.user,
            task_id=task_id,
            to_user_id=form.cleaned_data["to_user"],
            position=form.cleaned_data["position"],
            reason=form.cleaned_data["reason"],
        )
    who = side.owner.get_full_name() or side.owner.get_username()
    if side.data["position"] == rules.Position.AFTER:
        message = _("已后加签给%(who)s：其同意后案例即报上一级。") % {"who": who}
    else:
        message = _("已加签给%(who)s，收到其审核意见后请再办理。") % {"who": who}
    return done(request, message, reverse("inbox:task", args=[task_id]))


@login_required
@post_only
@guarded
@_answer_refusals
def task_countersign_answer(request, task_id: int):
    """加签意见: the official asked answers 同意 or 不同意."""
    task = selectors.task_for_user(request.user, task_id)
    access.check_countersign_answer(request.user, task)
    form = CountersignAnswerForm(request.POST)
    if not form.is_valid():
        return _form_error(request, task_id, first_error(form), countersign_answer_form=form)
    with _keeping(request, task_id, countersign_answer_form=form):
        forwarding.countersign_answer(
            actor=request.user, task_id=task_id, agree=form.cleaned_data["agree"], opinion=form.cleaned_data["reason"]
        )
    return done(request, _("加签意见已提交，已通知发起人。"), reverse("inbox:inbox"))

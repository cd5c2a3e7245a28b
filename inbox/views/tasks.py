"""A task's page and the actions taken on it."""

from contextlib import contextmanager
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from forms.cases import (
    ApproveForm,
    DeclineForm,
    FileForm,
    OpinionForm,
    PairForm,
    ReassignForm,
    RecordForm,
    RejectForm,
    ReturnForm,
    UrgeForm,
    WorkAcceptForm,
    WorkForm,
    WorkReturnForm,
    first_error,
)
from workflows import access, selectors, visibility
from workflows.errors import GuardError
from workflows.flows import OPEN_TASK_STATUSES, CaseFlow
from workflows.models import KINDS_FOR_CASE, CaseKind, CaseMentor, MentorStatus, PartyStatus
from workflows.services import bulk as bulk_services
from workflows.services import cases as case_services
from workflows.services import copies as copy_services
from workflows.services import records as record_services
from workflows.services import reminders, training
from workflows.services import tasks as task_services

from .common import done, guarded, post_only


def _mentor_candidates(user, case):
    current = CaseMentor.objects.filter(
        case=case, teacher=OuterRef("pk"), status__in=[MentorStatus.PENDING, MentorStatus.ACCEPTED]
    )
    teachers = (
        selectors.teachers_for_user(user).select_related("org").exclude(pk=case.teacher_id).exclude(Exists(current))
    )
    if case.kind == CaseKind.CULTIVATE_MEMBER:
        teachers = teachers.filter(party_status=PartyStatus.FULL)
    else:
        teachers = teachers.filter(is_backbone=True)
    return teachers.exclude(user__isnull=True).order_by("name")[:500]


def _reassign_candidates(task):
    """改派 offers the colleagues holding the step's role at the task's organisation, not the
    person who holds the task now."""
    if not task.role:
        return []
    return selectors.users_holding(task.role, task.org).exclude(pk=task.owner_id or 0)


def _named_one(event):
    return visibility.named([event])[0] if event is not None else None


def _task_context(request, task, **forms):
    user = request.user
    is_open = task.status in OPEN_TASK_STATUSES
    can_act = is_open and access.may_act(user, task)
    supervisor = access.may_supervise(user, task)
    view = visibility.case_view(user, task.case)
    context = {
        "task": task,
        "case": task.case,
        "node": task.flow_task.name,
        "is_open": is_open,
        "can_act": can_act,
        "can_claim": access.may_claim(user, task),
        "can_unclaim": access.may_unclaim(user, task),
        "mentors": selectors.mentors_of_case(task.case),
        "opinions": visibility.named(selectors.case_opinions_for(user, task.case)),
        "returned": _named_one(selectors.last_return_for(user, task.case)) if is_open else None,
        "owner_name": visibility.person_name(task.owner, view),
        # 代理人: whom the viewer would act for here ("代张三办理").
        "acting_for": access.acting_for(user, task) if is_open else None,
        "show_party_status": view.party_status,
        "show_escalation": view.sees_escalation,
        **forms,
    }
    if can_act and task.flow_task == CaseFlow.pair and "pair_form" not in forms:
        context["pair_form"] = PairForm(
            candidates=_mentor_candidates(user, task.case), party_status_visible=visibility.party_status_visible(user)
        )
    if can_act and task.flow_task == CaseFlow.city_filing and "file_form" not in forms:
        context["file_form"] = FileForm()
    if supervisor and "reassign_form" not in forms:
        context["reassign_form"] = ReassignForm(users=_reassign_candidates(task))
    context["can_urge"] = access.may_urge(user, task)
    context["urged_today"] = selectors.urged_today(task) if context["can_urge"] else None
    if context["urged_today"]:
        context["can_urge"] = False
    node = task.flow_task
    if can_act and node == CaseFlow.record and "record_form" not in forms:
        context["record_form"] = RecordForm(kinds=KINDS_FOR_CASE[task.case.kind])
    if can_act and node == CaseFlow.submit_work and "work_form" not in forms:
        context["work_form"] = WorkForm(initial={"title": task.work.title, "summary": task.work.summary})
    if can_act and node == CaseFlow.opinion and "opinion_form" not in forms:
        context["opinion_form"] = OpinionForm()
    # 退回到 offers the steps the rule allows (nearest first); 不予通过 only where it may end the case.
    context["return_targets"] = access.return_targets(user, task) if is_open else ()
    context["can_reject"] = is_open and access.may_reject(user, task)
    if context["return_targets"] and "return_form" not in forms:
        context["return_form"] = ReturnForm(targets=context["return_targets"])
    # The decision's text areas: bound after a refusal (what was typed stays), empty otherwise.
    for key, form_class in TEXT_FORMS.items():
        context.setdefault(key, form_class())
    if node == CaseFlow.submit and is_open:
        context["gate"] = training.gate_missing(task.case)
    if task.work_id:
        context["work"] = task.work
        # Only what was said about this piece of work, not the case's other reviews.
        context["opinions"] = visibility.named(selectors.work_opinions_for(user, task.work))
    # 转交 / 加签 (inbox/views/forwarding.py; templates/inbox/_task_forwarding.html).
    from .forwarding import forwarding_context

    context.update(forwarding_context(user, task, forms))
    # 抄送 / 评论 (inbox/views/copies.py; templates/inbox/_task_copies.html).
    from .copies import task_copy_context

    context.update(task_copy_context(user, task, forms))
    return context


# The key each action's form has on the task page (templates/inbox/task_detail.html).
TEXT_FORMS = {
    "approve_form": ApproveForm,
    "return_form": ReturnForm,
    "reject_form": RejectForm,
    "decline_form": DeclineForm,
    "work_accept_form": WorkAcceptForm,
    "work_return_form": WorkReturnForm,
    "urge_form": UrgeForm,
}


@login_required
@guarded
def task_detail(request, task_id: int):
    task = selectors.task_for_user(request.user, task_id)
    bulk_services.task_mark_opened(actor=request.user, task=task)  # 批量审批 takes only tasks opened
    copy_services.copies_mark_read(user=request.user, case=task.case)  # 抄送: 首次查阅时间
    return TemplateResponse(request, "inbox/task_detail.html", _task_context(request, task))


def _form_error(request, task_id, message, status=400, **forms):
    """Show the task page again, with the message and the user's input kept."""
    task = selectors.task_for_user(request.user, task_id)
    context = _task_context(request, task, **forms)
    context["error"] = message
    return TemplateResponse(request, "inbox/task_detail.html", context, status=status)


class _Refused(Exception):
    """A service refused after the form was valid: the page to answer with, the input kept."""

    def __init__(self, response):
        self.response = response


@contextmanager
def _keeping(request, task_id, **forms):
    """Turn a service's refusal into the task page with the message and these bound forms (a
    404 stays a 404: the page must not say more about a task out of scope)."""
    try:
        yield
    except GuardError as error:
        if error.status == 404:
            raise
        raise _Refused(_form_error(request, task_id, error.message, status=error.status, **forms)) from error


def _answer_refusals(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except _Refused as refused:
            return refused.response

    return wrapper


@login_required
@post_only
@guarded
@_answer_refusals
def task_act(request, task_id: int):
    """One endpoint for every decision on a task; ``action`` names it."""
    task = selectors.task_for_user(request.user, task_id)
    try:
        return _act(request, task, request.POST.get("action", ""))
    except GuardError as error:
        return _form_error(request, task_id, error.message, status=error.status)


def _act(request, task, action):
    user = request.user
    task_id = task.pk
    case_services.task_check_actor(user, task)
    case_url = reverse("inbox:case", args=[task.case_id])
    if action == "pair":
        form = PairForm(
            request.POST,
            candidates=_mentor_candidates(user, task.case),
            party_status_visible=visibility.party_status_visible(user),
        )
        if not form.is_valid():
            return _form_error(request, task_id, first_error(form), pair_form=form)
        with _keeping(request, task_id, pair_form=form):
            case_services.case_pair(actor=user, task_id=task_id, mentor_ids=form.cleaned_data["mentors"])
        return done(request, _("已指定培养人，等待培养人接受结对。"), reverse("inbox:inbox"))
    if action == "accept":
        case_services.mentor_accept(actor=user, task_id=task_id)
        return done(request, _("已接受结对。"), case_url)
    if action == "submit":
        case_services.case_submit(actor=user, task_id=task_id)
        return done(request, _("已提交支部审核。对方认领前，可在本页“撤回我的提交”。"), case_url)
    if action == "approve":
        form = ApproveForm(request.POST)
        if not form.is_valid():
            return _form_error(request, task_id, first_error(form), approve_form=form)
        with _keeping(request, task_id, approve_form=form):
            case_services.case_approve(actor=user, task_id=task_id, reason=form.cleaned_data["reason"])
        return done(request, _("审核通过，已报上一级。对方认领前，可在本页“撤回我的提交”。"), case_url)
    if action == "file":
        form = FileForm(request.POST)
        if not form.is_valid():
            return _form_error(request, task_id, first_error(form), file_form=form)
        with _keeping(request, task_id, file_form=form):
            case_services.case_file(actor=user, task_id=task_id, **form.cleaned_data)
        return done(request, _("已备案，案例完成并生成附件2汇总行。"), case_url)
    if action == "return":
        form = ReturnForm(request.POST, targets=access.return_targets(user, task))
        if not form.is_valid():
            return _form_error(request, task_id, first_error(form), return_form=form)
        with _keeping(request, task_id, return_form=form):
            case = case_services.case_return(
                actor=user, task_id=task_id, reason=form.cleaned_data["reason"], to_state=form.cleaned_data["to_state"]
            )
        return done(request, _("已退回到“%(step)s”。") % {"step": case.get_state_display()}, reverse("inbox:inbox"))
    if action == "reject":
        access.check_reject(user, task)
        form = RejectForm(request.POST)
        if not form.is_valid():
            return _form_error(request, task_id, first_error(form), reject_form=form)
        with _keeping(request, task_id, reject_form=form):
            case_services.case_reject(actor=user, task_id=task_id, reason=form.cleaned_data["reason"])
        return done(request, _("已不予通过，案例已结束。"), case_url)
    if action == "decline":
        form = DeclineForm(request.POST)
        if not form.is_valid():
            return _form_error(request, task_id, first_error(form), decline_form=form)
        with _keeping(request, task_id, decline_form=form):
            case_services.mentor_decline(actor=user, task_id=task_id, reason=form.cleaned_data["reason"])
        return done(request, _("已谢绝结对，党务干部将重新安排。"), reverse("inbox:inbox"))
    if action == "record":
        form = RecordForm(request.POST, kinds=KINDS_FOR_CASE[task.case.kind])
        if not form.is_valid():
            return _form_error(request, task_id, first_error(form), record_form=form)
        try:
            record_services.record_write(
                actor=user,
                case_id=task.case_id,
                task_id=task_id,
                files=request.FILES.getlist("files"),
                **form.cleaned_data,
            )
        except GuardError as error:
            if error.status == 404:
                raise
            return _form_error(request, task_id, error.message, status=error.status, record_form=form)
        return done(request, _("培养记录已签名保存，本期记录任务已完成。"), reverse("inbox:inbox"))
    if action == "work_submit":
        form = WorkForm(request.POST, request.FILES)
        if not form.is_valid():
            return _form_error(request, task_id, first_error(form), work_form=form)
        try:
            training.work_submit(
                actor=user,
                task_id=task_id,
                upload=form.cleaned_data["file"],
                **{k: form.cleaned_data[k] for k in ("title", "summary")},
            )
        except GuardError as error:
            if error.status == 404:
                raise
            return _form_error(request, task_id, error.message, status=error.status, work_form=form)
        return done(request, _("已提交，等待培养人审阅。"), reverse("inbox:inbox"))
    if action in ("work_accept", "work_return"):
        accept = action == "work_accept"
        key, form = (
            ("work_accept_form", WorkAcceptForm(request.POST))
            if accept
            else ("work_return_form", WorkReturnForm(request.POST))
        )
        if not form.is_valid():
            return _form_error(request, task_id, first_error(form), **{key: form})
        with _keeping(request, task_id, **{key: form}):
            training.work_review(actor=user, task_id=task_id, accept=accept, note=form.cleaned_data["reason"])
        message = _("已审阅通过。") if action == "work_accept" else _("已退回培养对象修改。")
        return done(request, message, reverse("inbox:inbox"))
    if action == "opinion":
        form = OpinionForm(request.POST)
        if not form.is_valid():
            return _form_error(request, task_id, first_error(form), opinion_form=form)
        with _keeping(request, task_id, opinion_form=form):
            training.opinion_write(actor=user, case_id=task.case_id, text=form.cleaned_data["text"])
        return done(request, _("培养人意见已签名保存。"), reverse("inbox:inbox"))
    raise GuardError(_("未知的操作，请在下方重新选择。"))


@login_required
@post_only
@guarded
def task_claim(request, task_id: int):
    task_services.task_claim(actor=request.user, task_id=task_id)
    return done(request, _("已认领，任务已进入“我的待办”。"), reverse("inbox:task", args=[task_id]))


@login_required
@post_only
@guarded
def task_unclaim(request, task_id: int):
    task_services.task_unclaim(actor=request.user, task_id=task_id)
    return done(request, _("已放回待认领。"), reverse("inbox:queue"))


@login_required
@post_only
@guarded
@_answer_refusals
def task_urge(request, task_id: int):
    task = selectors.task_for_user(request.user, task_id)
    reminders.check_can_urge(request.user, task)
    form = UrgeForm(request.POST)
    if not form.is_valid():
        return _form_error(request, task_id, first_error(form), urge_form=form)
    with _keeping(request, task_id, urge_form=form):
        count = reminders.task_urge(actor=request.user, task_id=task_id, reason=form.cleaned_data["reason"])
    return done(request, _("已催办，%(n)d 人收到通知。") % {"n": count}, reverse("inbox:task", args=[task_id]))


@login_required
@post_only
@guarded
def task_reassign(request, task_id: int):
    task = selectors.task_for_user(request.user, task_id)
    task_services.task_check_supervisor(request.user, task)
    form = ReassignForm(request.POST, users=_reassign_candidates(task))
    if not form.is_valid():
        return _form_error(request, task_id, first_error(form), reassign_form=form)
    task_services.task_reassign(
        actor=request.user,
        task_id=task_id,
        to_user_id=form.cleaned_data["to_user"],
        reason=form.cleaned_data["reason"],
    )
    return done(request, _("已改派。"), reverse("inbox:task", args=[task_id]))

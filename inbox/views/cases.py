"""The case page, its history, registration and the case-level actions."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from viewflow.workflow.status import STATUS

from forms.cases import (
    ExitForm,
    OpinionForm,
    PauseForm,
    RecordForm,
    RegisterCaseForm,
    RepairForm,
    ResumeForm,
    WithdrawForm,
    first_error,
)
from workflows import as_of, selectors, visibility
from workflows.access import contest as contest_rules
from workflows.access import files as file_rules
from workflows.errors import GuardError, NotInScope, NotPermitted
from workflows.flows import OPEN_TASK_STATUSES, off_lifecycle_nodes
from workflows.models import KINDS_FOR_CASE, CaseState, MentorStatus, Role
from workflows.models.cases import CLOSED_STATES, ONE_STEP_BACK
from workflows.services import cases as case_services
from workflows.services import copies as copy_services
from workflows.services import trail, training
from workflows.services.records import RECORDING_STATES

from .common import done, error_page, guarded, post_only
from .tasks import _mentor_candidates

MANAGERS = (Role.OFFICER, Role.REVIEWER, Role.CITY_ADMIN)


def _may_opine(user, case) -> bool:
    try:
        training.check_can_opine(actor=user, case=case)
    except GuardError:
        return False
    return True


def _case_context(request, case, **extra):
    user = request.user
    tasks = selectors.tasks_in_scope(user).filter(case=case).order_by("created", "id")
    manager = selectors.user_holds_over(user, MANAGERS, case.org)
    lifecycle = [t for t in tasks if t.flow_task not in off_lifecycle_nodes()]
    last_done = next((t for t in reversed(lifecycle) if t.status == STATUS.DONE), None)
    view = visibility.case_view(user, case)
    open_tasks = visibility.open_tasks_for(user, case, [t for t in tasks if t.status in OPEN_TASK_STATUSES])
    for t in open_tasks:
        t.owner_label = visibility.person_name(t.owner, view)
    open_steps = [t for t in lifecycle if t.status in OPEN_TASK_STATUSES]
    mentors = list(selectors.mentors_of_case(case))
    my_mentorship = next(
        (m for m in mentors if m.teacher.user_id == user.pk and m.status == MentorStatus.ACCEPTED), None
    )
    can_record = my_mentorship is not None and case.state in RECORDING_STATES
    return {
        "case": case,
        "mentors": mentors,
        "records": selectors.current_records(case),
        "works": selectors.case_works(case),
        "opinions": selectors.current_opinions(case),
        "opinion_form": extra.pop("opinion_form", None)
        or (OpinionForm() if my_mentorship is not None and _may_opine(user, case) else None),
        "gate": training.gate_missing(case) if case.state == CaseState.TRAINING else None,
        "opinion_from": training.earliest_submission(case)
        if my_mentorship is not None and case.state == CaseState.TRAINING and not _may_opine(user, case)
        else None,
        "record_form": extra.pop("record_form", None)
        or (RecordForm(kinds=KINDS_FOR_CASE[case.kind]) if can_record else None),
        "tasks": tasks,
        "open_tasks": open_tasks,
        "events": selectors.case_events_for(user, case),
        "show_party_status": view.party_status,
        "annex2_row": getattr(case, "annex2_row", None) if case.state == CaseState.COMPLETED else None,
        "contest_awards": contest_rules.case_awards(case),  # 双培论文评比 results, on the trainee's file
        **_measures_context(user, case, extra),  # 培养教育的具体措施 (inbox/views/pairs.py)
        "case_file": file_rules.case_file(user, case),  # 一人一档, on a 类别2 case
        "can_manage": manager is not None and case.is_open,
        "can_pause": manager is not None and case.state not in (CaseState.PAUSED, *CLOSED_STATES),
        "can_resume": manager is not None and case.state == CaseState.PAUSED,
        "can_withdraw": (
            case.state in ONE_STEP_BACK
            and last_done is not None
            and last_done.owner_id == user.pk
            and all(t.owner_id is None for t in open_steps)
        ),
        "repair_form": extra.pop("repair_form", None)
        or (
            RepairForm(
                current=[m for m in mentors if m.status == MentorStatus.ACCEPTED],
                candidates=_mentor_candidates(user, case),
            )
            if manager is not None and case.state == CaseState.TRAINING
            else None
        ),
        # The case actions' text areas: bound after a refusal, so what was typed stays.
        **{key: extra.pop(key, None) or form_class() for key, form_class in CASE_TEXT_FORMS.items()},
        **extra,
    }


def _measures_context(user, case, extra) -> dict:
    from .pairs import case_measures_context

    return case_measures_context(user, case, extra)


CASE_TEXT_FORMS = {
    "withdraw_form": WithdrawForm,
    "pause_form": PauseForm,
    "resume_form": ResumeForm,
    "exit_form": ExitForm,
}


@login_required
@guarded
def case_detail(request, case_id: int):
    try:
        case = selectors.case_for_user(request.user, case_id)
    except NotInScope:
        from .copies import copied_case_page

        return copied_case_page(request, case_id)  # 抄送: read only while copied, else the same 404
    copy_services.copies_mark_read(user=request.user, case=case)
    if "as_of" in request.GET:
        return TemplateResponse(request, "inbox/case_detail.html", _as_of_context(request, case))
    return TemplateResponse(request, "inbox/case_detail.html", _case_context(request, case))


def _as_of_view(request, case, at):
    """The case rebuilt at ``at``, showing ``request.user`` what they may see of it today."""
    view = as_of.case_as_of(case, at)
    if not view.existed:
        raise GuardError(
            _("%(at)s 时该案例尚未建档（培养建档时间 %(registered)s），请选择之后的时间。")
            % {"at": as_of.moment_label(at), "registered": as_of.moment_label(case.registered_at)}
        )
    standing = visibility.case_view(request.user, case)
    view.open_tasks = visibility.open_tasks_for(request.user, case, view.open_tasks)
    for t in view.open_tasks:
        t.owner_label = visibility.person_name(t.owner, standing)
    view.events = visibility.events_for(request.user, case, view.events)
    return view


def _as_of_context(request, case):
    """?as_of=… (and &compare=…): the case page as it stood then, read-only."""
    at = as_of.parse_moment(request.GET.get("as_of", ""))
    context = {"case": case, "show_party_status": visibility.case_view(request.user, case).party_status}
    context["as_of"] = _as_of_view(request, case, at)
    context["as_of_label"] = as_of.moment_label(at)
    if "compare" in request.GET:
        until = as_of.parse_moment(request.GET.get("compare", ""))
        if until <= at:
            raise GuardError(
                _("对比时间 %(until)s 须晚于起始时间 %(at)s，请调换两个时间后重试。")
                % {"until": as_of.moment_label(until), "at": as_of.moment_label(at)}
            )
        diff = as_of.case_diff(case, at, until)
        shown = {t.id for t in _as_of_view(request, case, until).open_tasks} | {
            t.id for t in context["as_of"].open_tasks
        }
        diff["tasks_opened"] = [t for t in diff["tasks_opened"] if t.id in shown]
        diff["tasks_closed"] = [t for t in diff["tasks_closed"] if t.id in shown]
        diff["tasks_reassigned"] = [r for r in diff["tasks_reassigned"] if r[0].id in shown]
        diff["events"] = visibility.events_for(request.user, case, diff["events"])
        context["diff"] = diff
        context["compare_label"] = as_of.moment_label(until)
    return context


@login_required
@guarded
def case_audit(request, case_id: int):
    """The auditor's replay: every event of the trainee's case, in order."""
    case = selectors.case_for_user(request.user, case_id)
    # The page names people, never accounts (visibility.named); the exports keep the stored values.
    events = visibility.named(selectors.case_events_for(request.user, case))
    steps = selectors.trail_steps(events)
    current = _step_number(request, steps)
    view = visibility.case_view(request.user, case)
    context = {
        "case": case,
        "events": events,
        "steps": steps,
        "step": steps[current - 1] if steps else None,
        "step_number": current,
        "previous_step": current - 1 if current > 1 else None,
        "next_step": current + 1 if current < len(steps) else None,
        # The trainee may replay their own case too, with what docs/visibility.md lets them see.
        "trainee_view": view.is_trainee,
        "can_export": view.is_official,
    }
    # Opening the trail is itself logged (services/trail.py); it never appears in the trail.
    trail.trail_view_log(actor=request.user, case=case, step=current if "step" in request.GET else None)
    return TemplateResponse(request, "inbox/case_audit.html", context)


def _step_number(request, steps) -> int:
    """The stepper's position: ``?step=N`` (1-based), or the step of ``?event=ID``; clamped."""
    if not steps:
        return 0
    wanted = request.GET.get("step", "")
    event_id = request.GET.get("event", "")
    if event_id.isdigit():
        found = next((s.number for s in steps if s.event.pk == int(event_id)), None)
        if found is not None:
            return found
    number = int(wanted) if wanted.isdigit() else 1
    return min(max(number, 1), len(steps))


@login_required
@guarded
def case_register(request):
    teachers = selectors.teachers_for_user(request.user, roles=[Role.OFFICER]).select_related("org").order_by("name")
    if not selectors.user_scope_paths(request.user, roles=[Role.OFFICER]):
        return error_page(request, NotPermitted(_("只有学校或直属单位的党务干部可以登记培养对象。")))
    shown = visibility.party_status_visible(request.user)
    form = RegisterCaseForm(request.POST or None, teachers=teachers[:2000], party_status_visible=shown)
    if request.method == "POST":
        if not form.is_valid():
            return TemplateResponse(
                request, "inbox/case_register.html", {"form": form, "error": first_error(form)}, status=400
            )
        try:
            case = case_services.case_register(
                actor=request.user,
                teacher_id=form.cleaned_data["teacher"],
                kind=form.cleaned_data["kind"],
                note=form.cleaned_data["note"],
            )
        except GuardError as error:
            if error.status == 404:
                raise
            # Keep what was typed, and point at the open case a duplicate refers to.
            existing = (
                selectors.cases_for_user(request.user)
                .filter(teacher_id=form.cleaned_data["teacher"], kind=form.cleaned_data["kind"])
                .exclude(state__in=CLOSED_STATES)
                .first()
            )
            context = {"form": form, "error": error.message, "existing_case": existing}
            return TemplateResponse(request, "inbox/case_register.html", context, status=error.status)
        return done(request, _("已登记造册，请在待办中为其指定培养人。"), reverse("inbox:case", args=[case.pk]))
    return TemplateResponse(request, "inbox/case_register.html", {"form": form})


def _case_action(service, *, key: str, message: str, managers_only: bool = True):
    @login_required
    @post_only
    @guarded
    def view(request, case_id: int):
        case = selectors.case_for_user(request.user, case_id)
        if managers_only:
            case_services.case_check_manager(request.user, case)
        form = CASE_TEXT_FORMS[key](request.POST)
        if not form.is_valid():
            context = _case_context(request, case, error=first_error(form), **{key: form})
            return TemplateResponse(request, "inbox/case_detail.html", context, status=400)
        try:
            service(actor=request.user, case_id=case.pk, reason=form.cleaned_data["reason"])
        except GuardError as error:
            if error.status == 404:
                raise
            context = _case_context(request, case, error=error.message, **{key: form})
            return TemplateResponse(request, "inbox/case_detail.html", context, status=error.status)
        return done(request, message, reverse("inbox:case", args=[case.pk]))

    return view


case_withdraw = _case_action(
    case_services.case_withdraw, key="withdraw_form", managers_only=False, message=_("已撤回，案例回到上一步。")
)
case_pause = _case_action(case_services.case_pause, key="pause_form", message=_("已暂停，待办已收回。"))
case_resume = _case_action(case_services.case_resume, key="resume_form", message=_("已恢复，案例回到暂停前的阶段。"))
case_exit = _case_action(case_services.case_exit, key="exit_form", message=_("案例已退出。"))


@login_required
@post_only
@guarded
def case_repair(request, case_id: int):
    case = selectors.case_for_user(request.user, case_id)
    case_services.case_check_manager(request.user, case)
    form = RepairForm(
        request.POST,
        current=case.mentors.filter(status=MentorStatus.ACCEPTED).select_related("teacher"),
        candidates=_mentor_candidates(request.user, case),
    )
    if not form.is_valid():
        context = _case_context(request, case, error=first_error(form), repair_form=form)
        return TemplateResponse(request, "inbox/case_detail.html", context, status=400)
    case_services.case_repair(
        actor=request.user,
        case_id=case.pk,
        leaving_mentor_id=form.cleaned_data["leaving"],
        new_mentor_ids=form.cleaned_data["mentors"],
        reason=form.cleaned_data["reason"],
    )
    return done(request, _("已更换培养人。"), reverse("inbox:case", args=[case.pk]))


def home(request):
    return redirect("inbox:inbox")

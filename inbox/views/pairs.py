"""结对帮带 (seed 000 §三(二)): the pairs page (registration by the school's 党务干部, the pairs in
scope and one's own pairs, ending a pair, activities recorded by the two teachers), and the
case page's 培养教育的具体措施 (written by the mentor, reviewed by the branch's 支部书记)."""

from django.contrib.auth.decorators import login_required
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from forms.pairs import ActivityAddForm, MeasureForm, MeasureReviewForm, PairEndForm, PairForm
from forms.people import first_error
from workflows import selectors
from workflows.access import pairs as rules
from workflows.errors import GuardError, NotInScope
from workflows.models import PairFocus, TrainingMeasure
from workflows.services import pairs as svc

from .common import done, guarded, post_only

LIST_LIMIT = 200


def _ids(action: str, pk: int) -> str:
    """Field ids of a row's form, unique on the page (one form per row)."""
    return f"id_{action}{pk}_%s"


def _pair_form(user, data=None) -> PairForm:
    return PairForm(data, teachers=rules.pairable_teachers(user))


def _pairs_page(request, *, form=None, error="", status=200, row_form=None, row_id=None, row_action=""):
    user = request.user
    show = request.GET.get("show", "open")
    pairs = rules.pairs_for_user(user)
    if show != "all":
        pairs = pairs.filter(ended_on__isnull=True)
    pairs = list(pairs.prefetch_related("activities__written_by__teacher")[:LIST_LIMIT])
    me = rules.teacher_of(user)
    for pair in pairs:
        pair.mine = me is not None and me.pk in (pair.senior_id, pair.junior_id)
        pair.activity_list = sorted(pair.activities.all(), key=lambda a: (a.date, a.pk))
        pair.focus_labels = [label for value, label in PairFocus.choices if value in pair.focus]
        pair.can_end = rules.may_end_pair(user, pair)
        pair.can_record = rules.may_record_activity(user, pair)
        pair.end_form = (
            row_form if (row_id == pair.pk and row_action == "end") else PairEndForm(auto_id=_ids("end", pair.pk))
        )
        pair.activity_form = (
            row_form
            if (row_id == pair.pk and row_action == "activity")
            else ActivityAddForm(auto_id=_ids("activity", pair.pk))
        )
    can_add = rules.may_add_pair(user)
    if form is None and can_add:
        form = _pair_form(user)
    return TemplateResponse(
        request,
        "inbox/pairs.html",
        {
            "pairs": pairs,
            "form": form if can_add else None,
            "error": error,
            "show": show,
            "limit": LIST_LIMIT,
        },
        status=status,
    )


def _refused(error: GuardError, page, **kwargs):
    """A 404 is the error page (nothing to show about it); anything else keeps the page and what was typed."""
    if error.status == 404:
        raise error
    return page(error=error.message, status=error.status, **kwargs)


@login_required
@guarded
def pairs_page(request):
    """结对帮带: the list; a POST registers a pair."""
    user = request.user
    rules.check_can_read_pairs(user)
    if request.method != "POST":
        return _pairs_page(request)
    rules.check_can_add_pair(user)  # who may, before what was typed
    form = _pair_form(user, request.POST)
    if not form.is_valid():
        return _pairs_page(request, form=form, error=first_error(form), status=400)
    data = form.cleaned_data
    try:
        pair = svc.pair_add(
            actor=user,
            kind=data["kind"],
            senior_id=data["senior"],
            junior_id=data["junior"],
            focus=data["focus"],
            goals=data["goals"],
            started_on=data["started_on"],
        )
    except GuardError as error:
        return _refused(error, lambda **kw: _pairs_page(request, form=form, **kw))
    return done(
        request,
        _("已登记%(kind)s结对：%(senior)s 帮带 %(junior)s。")
        % {"kind": pair.get_kind_display(), "senior": pair.senior.name, "junior": pair.junior.name},
        reverse("inbox:pairs"),
    )


@login_required
@post_only
@guarded
def pair_end(request, pair_id: int):
    """结束 a pair, with the reason."""
    pair = rules.pair_for_user(request.user, pair_id)  # 404 before anything else for those outside
    form = PairEndForm(request.POST, auto_id=_ids("end", pair_id))
    page = lambda **kw: _pairs_page(request, row_form=form, row_id=pair_id, row_action="end", **kw)  # noqa: E731
    try:
        rules.check_pair_end(request.user, pair)  # who may, before what was typed
        if not form.is_valid():
            return page(error=first_error(form), status=400)
        pair = svc.pair_end(actor=request.user, pair_id=pair_id, reason=form.cleaned_data["reason"])
    except GuardError as error:
        return _refused(error, page)
    return done(
        request,
        _("已结束结对：%(senior)s 帮带 %(junior)s。") % {"senior": pair.senior.name, "junior": pair.junior.name},
        reverse("inbox:pairs") + "?show=all",
    )


@login_required
@post_only
@guarded
def pair_activity_add(request, pair_id: int):
    """记录 one activity of the pair (either of its teachers)."""
    pair = rules.pair_for_user(request.user, pair_id)
    form = ActivityAddForm(request.POST, auto_id=_ids("activity", pair_id))
    page = lambda **kw: _pairs_page(request, row_form=form, row_id=pair_id, row_action="activity", **kw)  # noqa: E731
    try:
        rules.check_pair_activity(request.user, pair)
        if not form.is_valid():
            return page(error=first_error(form), status=400)
        data = form.cleaned_data
        svc.pair_activity_add(
            actor=request.user, pair_id=pair_id, date=data["date"], form=data["form"], content=data["content"]
        )
    except GuardError as error:
        return _refused(error, page)
    return done(request, _("帮带活动已记录。"), reverse("inbox:pairs") + f"#pair-{pair_id}")


# --- 培养教育的具体措施, on the case page --------------------------------------------------------


def case_measures_context(user, case, extra: dict) -> dict:
    """The case page's keys for templates/inbox/_case_measures.html (a bound form after a refusal
    is passed in ``extra`` and stays)."""
    measures = rules.measures_for(user, case)
    review_form = extra.pop("measure_review_form", None)
    review_id = extra.pop("measure_review_id", None)
    for measure in measures:
        measure.can_review = rules.may_review_measure(user, measure)
        measure.review_form = (
            review_form if review_id == measure.pk else MeasureReviewForm(auto_id=_ids("review", measure.pk))
        )
    measure_form = extra.pop("measure_form", None)
    can_write = rules.may_write_measure(user, case)
    if measure_form is None and can_write:
        latest = measures[-1] if measures else None
        measure_form = MeasureForm(initial={"text": latest.text} if latest else None)
    return {
        "measures": measures,
        "measure_form": measure_form if can_write or (measure_form is not None and measure_form.is_bound) else None,
        "measure_current": rules.approved_measure(case),
        "measure_max": svc.MEASURE_MAX,
    }


def _case_page(request, case, *, error: GuardError | str, status: int, **forms):
    from .cases import _case_context

    context = _case_context(request, case, error=error, **forms)
    return TemplateResponse(request, "inbox/case_detail.html", context, status=status)


@login_required
@post_only
@guarded
def measure_submit(request, case_id: int):
    """The mentor submits the case's 培养措施 (a new version) to the branch."""
    case = selectors.case_for_user(request.user, case_id)
    form = MeasureForm(request.POST)
    try:
        rules.check_measure_write(request.user, case)
        if not form.is_valid():
            raise GuardError(first_error(form))
        measure = svc.measure_submit(actor=request.user, case_id=case.pk, text=form.cleaned_data["text"])
    except GuardError as error:
        if error.status == 404:
            raise
        # What was typed stays for the one who may write it (a 403 is someone who may not write at all).
        kept = form if error.status != 403 else None
        return _case_page(request, case, error=error.message, status=error.status, measure_form=kept)
    return done(
        request,
        _("第 %(v)d 版培养措施已提交支部审核。") % {"v": measure.version},
        reverse("inbox:case", args=[case.pk]) + "#case-measures",
    )


@login_required
@post_only
@guarded
def measure_review(request, measure_id: int):
    """The branch's 支部书记 approves the plan or returns it with a note."""
    case_id = TrainingMeasure.objects.filter(pk=measure_id).values_list("case_id", flat=True).first()
    if case_id is None:
        raise NotInScope(_("未找到该培养措施，或它不在您的管辖范围内。"))
    case = selectors.case_for_user(request.user, case_id)
    measure = TrainingMeasure.objects.get(pk=measure_id)
    form = MeasureReviewForm(request.POST, auto_id=_ids("review", measure_id))
    try:
        rules.check_measure_review(request.user, measure)
        if not form.is_valid():
            raise GuardError(first_error(form))
        approve = form.cleaned_data["decision"] == "approve"
        measure = svc.measure_review(
            actor=request.user, measure_id=measure_id, approve=approve, note=form.cleaned_data["note"]
        )
    except GuardError as error:
        if error.status == 404:
            raise
        return _case_page(
            request,
            case,
            error=error.message,
            status=error.status,
            measure_review_form=form,
            measure_review_id=measure_id,
        )
    message = _("第 %(v)d 版培养措施已审核通过。") if approve else _("第 %(v)d 版培养措施已退回培养人修改。")
    return done(request, message % {"v": measure.version}, reverse("inbox:case", args=[case.pk]) + "#case-measures")

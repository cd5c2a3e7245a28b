"""示范岗 and 示范课 (seed 000 §三(三)–(四)): the list of 党员示范岗 with its 申报备案 form and the
授牌认定 buttons, the coverage table (每个学科要有1个党员示范岗) on screen and as XLSX, and the
示范课 / 观摩课 / 名家授课 the schools schedule and record."""

import openpyxl
from django.contrib.auth.decorators import login_required
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from forms.demo import DemoDecideForm, DemoPostForm, DemoRevokeForm, LessonCancelForm, LessonForm, LessonRecordForm
from forms.people import first_error
from workflows.access import demo as rules
from workflows.errors import GuardError
from workflows.models import DemoPostKind, DemoPostState, LessonState
from workflows.services import demo as svc
from workflows.spreadsheet import print_setup, xlsx_bytes

from .common import done, file_response, guarded, post_only

LIST_LIMIT = 500


def _ids(action: str, pk: int) -> str:
    """Field ids of a row's form, unique on the page (one form per row)."""
    return f"id_{action}{pk}_%s"


# --- 党员示范岗 ------------------------------------------------------------------------------


def _posts_page(request, *, form=None, error="", status=200, row_form=None, row_id=None, row_action=""):
    user = request.user
    state = request.GET.get("state", "")
    kind = request.GET.get("kind", "")
    posts = list(rules.demo_posts_for_user(user).filter(rules.posts_filter_q(state=state, kind=kind))[:LIST_LIMIT])
    for post in posts:
        post.can_decide = rules.may_decide(user, post)
        post.can_revoke = rules.may_revoke(user, post)
        post.decide_form = (
            row_form
            if (row_id == post.pk and row_action == "decide")
            else DemoDecideForm(auto_id=_ids("decide", post.pk))
        )
        post.revoke_form = (
            row_form
            if (row_id == post.pk and row_action == "revoke")
            else DemoRevokeForm(auto_id=_ids("revoke", post.pk))
        )
    can_declare = rules.may_declare(user)
    if form is None and can_declare:
        form = DemoPostForm(teachers=rules.declarable_teachers(user))
    return TemplateResponse(
        request,
        "inbox/demo_posts.html",
        {
            "posts": posts,
            "form": form if can_declare else None,
            "coverage": rules.coverage_for_user(user),
            "min_members": rules.COVERAGE_MIN_MEMBERS,
            "error": error,
            "states": DemoPostState.choices,
            "kinds": DemoPostKind.choices,
            "state": state,
            "kind": kind,
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
def demo_posts_page(request):
    """党员示范岗: the list, the coverage table; a POST is a 申报备案."""
    rules.check_can_read(request.user)
    if request.method != "POST":
        return _posts_page(request)
    form = DemoPostForm(request.POST, teachers=rules.declarable_teachers(request.user))
    if not form.is_valid():
        return _posts_page(request, form=form, error=first_error(form), status=400)
    data = form.cleaned_data
    try:
        post = svc.demo_post_declare(
            actor=request.user,
            teacher_id=data["teacher"],
            kind=data["kind"],
            subject=data["subject"],
            title=data["title"],
            commitment=data["commitment"],
        )
    except GuardError as error:
        return _refused(error, lambda **kw: _posts_page(request, form=form, **kw))
    return done(
        request,
        _("已申报备案：%(name)s 的“%(title)s”，待单位授牌认定。") % {"name": post.holder.name, "title": post.title},
        reverse("inbox:demo_posts"),
    )


@login_required
@post_only
@guarded
def demo_post_decide(request, post_id: int):
    """授牌认定 or 不予认定."""
    rules.demo_post_for_user(request.user, post_id)  # 404 before anything else for those outside
    form = DemoDecideForm(request.POST, auto_id=_ids("decide", post_id))
    page = lambda **kw: _posts_page(request, row_form=form, row_id=post_id, row_action="decide", **kw)  # noqa: E731
    if not form.is_valid():
        return page(error=first_error(form), status=400)
    certify = form.cleaned_data["decision"] == "certify"
    try:
        post = svc.demo_post_decide(
            actor=request.user, post_id=post_id, certify=certify, note=form.cleaned_data["note"]
        )
    except GuardError as error:
        return _refused(error, page)
    message = _("已授牌认定：%(title)s（%(name)s）。") if certify else _("已不予认定：%(title)s（%(name)s）。")
    return done(request, message % {"title": post.title, "name": post.holder.name}, reverse("inbox:demo_posts"))


@login_required
@post_only
@guarded
def demo_post_revoke(request, post_id: int):
    """撤销 a certified post."""
    rules.demo_post_for_user(request.user, post_id)
    form = DemoRevokeForm(request.POST, auto_id=_ids("revoke", post_id))
    page = lambda **kw: _posts_page(request, row_form=form, row_id=post_id, row_action="revoke", **kw)  # noqa: E731
    if not form.is_valid():
        return page(error=first_error(form), status=400)
    try:
        post = svc.demo_post_revoke(actor=request.user, post_id=post_id, reason=form.cleaned_data["reason"])
    except GuardError as error:
        return _refused(error, page)
    return done(
        request,
        _("已撤销示范岗：%(title)s（%(name)s）。") % {"title": post.title, "name": post.holder.name},
        reverse("inbox:demo_posts"),
    )


COVERAGE_TITLE = "党员示范岗学科覆盖情况表"


@login_required
@guarded
def demo_coverage_download(request):
    """The coverage table as XLSX, to print and stamp."""
    rules.check_can_read(request.user)
    coverage = rules.coverage_for_user(request.user)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = _("学科覆盖")
    header = [_("序号"), _("学校"), _("党员教师数"), _("学科"), _("该学科党员教师"), _("示范岗情况"), _("示范岗教师")]
    ws.append([_("党员示范岗学科覆盖情况表")])
    ws.append(
        [
            _("党员人数较多的学校（党员教师 %(n)d 人及以上）每个学科要有 1 个党员示范岗；截至 %(day)s。")
            % {"n": rules.COVERAGE_MIN_MEMBERS, "day": timezone.localdate().isoformat()}
        ]
    )
    ws.append(header)
    no = 0
    for row in coverage.schools:
        for cell in row.cells:
            no += 1
            ws.append(
                [no, row.school.name, row.members, cell.subject, cell.members, cell.label, "、".join(cell.holders)]
            )
    ws.append([])
    for counts in coverage.counts.values():
        ws.append(
            [
                "",
                counts["label"],
                _("申报备案 %(d)d 个，授牌认定 %(c)d 个，待认定 %(p)d 个，未予认定 %(r)d 个，已撤销 %(v)d 个")
                % {
                    "d": counts["declared"],
                    "c": counts["certified"],
                    "p": counts["pending"],
                    "r": counts["rejected"],
                    "v": counts["revoked"],
                },
            ]
        )
    for letter, width in zip("ABCDEFG", (6, 28, 10, 10, 12, 14, 24), strict=True):
        ws.column_dimensions[letter].width = width
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(header))
    print_setup(ws, header_rows=(3, 3), title_row=1, columns=len(header))
    filename = f"{COVERAGE_TITLE}-{timezone.localdate().isoformat()}.xlsx"
    return file_response(
        filename, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx_bytes(wb), no_store=True
    )


# --- 示范课 / 观摩课 / 名家授课 -------------------------------------------------------------


def _lesson_form(user, data=None) -> LessonForm:
    return LessonForm(data, schools=rules.officer_schools(user), teachers=rules.lesson_teachers(user))


def _lessons_page(request, *, form=None, error="", status=200, row_form=None, row_id=None, row_action=""):
    user = request.user
    lessons = list(rules.demo_lessons_for_user(user)[:LIST_LIMIT]) if rules.may_read(user) else []
    for lesson in lessons:
        lesson.can_handle = rules.may_handle_lesson(user, lesson)
        lesson.record_form = (
            row_form
            if (row_id == lesson.pk and row_action == "record")
            else LessonRecordForm(auto_id=_ids("record", lesson.pk))
        )
        lesson.cancel_form = (
            row_form
            if (row_id == lesson.pk and row_action == "cancel")
            else LessonCancelForm(auto_id=_ids("cancel", lesson.pk))
        )
    can_schedule = rules.may_schedule(user)
    if form is None and can_schedule:
        form = _lesson_form(user)
    return TemplateResponse(
        request,
        "inbox/demo_lessons.html",
        {
            "lessons": lessons,
            "my_lessons": list(rules.lessons_of_teacher(user)),
            "reader": rules.may_read(user),
            "form": form if can_schedule else None,
            "error": error,
            "held": LessonState.HELD,
            "scheduled": LessonState.SCHEDULED,
            "now": timezone.now(),
            "limit": LIST_LIMIT,
        },
        status=status,
    )


@login_required
@guarded
def demo_lessons_page(request):
    """示范课: the list; a POST schedules one. A teacher without a role sees the lessons they give."""
    user = request.user
    if not rules.may_read(user) and not rules.lessons_of_teacher(user).exists():
        rules.check_can_read(user)
    if request.method != "POST":
        return _lessons_page(request)
    form = _lesson_form(user, request.POST)
    if not form.is_valid():
        return _lessons_page(request, form=form, error=first_error(form), status=400)
    data = form.cleaned_data
    try:
        lesson = svc.demo_lesson_schedule(
            actor=user,
            school_id=data["school"],
            kind=data["kind"],
            teacher_id=data["teacher"],
            guest_name=data["guest_name"],
            subject=data["subject"],
            title=data["title"],
            scheduled_for=data["scheduled_for"],
            place=data["place"],
        )
    except GuardError as error:
        return _refused(error, lambda **kw: _lessons_page(request, form=form, **kw))
    return done(
        request,
        _("已安排%(kind)s“%(title)s”，%(at)s 于 %(place)s。")
        % {
            "kind": lesson.get_kind_display(),
            "title": lesson.title,
            "at": timezone.localtime(lesson.scheduled_for).strftime("%Y-%m-%d %H:%M"),
            "place": lesson.place,
        },
        reverse("inbox:demo_lessons"),
    )


@login_required
@post_only
@guarded
def demo_lesson_record(request, lesson_id: int):
    """记录 a lesson that was held."""
    rules.demo_lesson_for_user(request.user, lesson_id)
    form = LessonRecordForm(request.POST, auto_id=_ids("record", lesson_id))
    page = lambda **kw: _lessons_page(request, row_form=form, row_id=lesson_id, row_action="record", **kw)  # noqa: E731
    if not form.is_valid():
        return page(error=first_error(form), status=400)
    try:
        lesson = svc.demo_lesson_record(
            actor=request.user,
            lesson_id=lesson_id,
            attendees=form.cleaned_data["attendees"],
            record=form.cleaned_data["record"],
        )
    except GuardError as error:
        return _refused(error, page)
    return done(request, _("已记录“%(title)s”的开课情况。") % {"title": lesson.title}, reverse("inbox:demo_lessons"))


@login_required
@post_only
@guarded
def demo_lesson_cancel(request, lesson_id: int):
    """取消 a scheduled lesson."""
    rules.demo_lesson_for_user(request.user, lesson_id)
    form = LessonCancelForm(request.POST, auto_id=_ids("cancel", lesson_id))
    page = lambda **kw: _lessons_page(request, row_form=form, row_id=lesson_id, row_action="cancel", **kw)  # noqa: E731
    if not form.is_valid():
        return page(error=first_error(form), status=400)
    try:
        lesson = svc.demo_lesson_cancel(actor=request.user, lesson_id=lesson_id, reason=form.cleaned_data["reason"])
    except GuardError as error:
        return _refused(error, page)
    return done(request, _("已取消“%(title)s”。") % {"title": lesson.title}, reverse("inbox:demo_lessons"))

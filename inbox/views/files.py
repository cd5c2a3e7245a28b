"""一人一档 (seed 000 §三): the list of party-member teachers with their 业务档案 status (已建档 with
the target and the plan's progress, or 未建档, counted per school), on screen and as XLSX, and
one teacher's 档案: the 摸底 form, the 专业发展规划's goals, and the goal forms."""

import openpyxl
from django.contrib.auth.decorators import login_required
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from forms.files import FileForm, GoalForm, GoalUpdateForm
from forms.people import first_error
from workflows.access import files as rules
from workflows.errors import GuardError
from workflows.services import files as svc
from workflows.spreadsheet import print_setup, xlsx_bytes

from .common import done, file_response, guarded, post_only

LIST_LIMIT = 500
XLSX_TITLE = "党员教师业务档案建档情况表"


# --- the list ----------------------------------------------------------------------------


def _school_of(teacher, schools):
    """The nearest school-level organisation above the teacher, from the list's schools (no query)."""
    best = None
    for school in schools:
        if teacher.org.path.startswith(school.path) and (best is None or len(school.path) > len(best.path)):
            best = school
    return best


def _rows(user, *, school_id: str = "", missing: bool = False):
    """(rows, per-school counts, chosen school) for the list and the XLSX."""
    schools = rules.file_schools(user)
    chosen = next((s for s in schools if str(s.pk) == school_id), None)
    teachers = rules.member_teachers_for_user(user)
    if chosen is not None:
        teachers = teachers.filter(org__path__startswith=chosen.path)
    today = timezone.localdate()
    counts: dict[int, dict] = {}
    rows = []
    for teacher in teachers:
        school = _school_of(teacher, schools)
        file = getattr(teacher, "professional_file", None)
        key = school.pk if school else 0
        count = counts.setdefault(key, {"school": school, "members": 0, "missing": 0})
        count["members"] += 1
        if file is None:
            count["missing"] += 1
        if missing and file is not None:
            continue
        rows.append(
            {
                "teacher": teacher,
                "school": school,
                "file": file,
                "progress": rules.progress_of(file.goals.all(), today) if file else None,
            }
        )
    for count in counts.values():
        count["filed"] = count["members"] - count["missing"]
    return rows, list(counts.values()), chosen, schools


@login_required
@guarded
def files_page(request):
    """党员教师业务档案: who has a 档案 and how far the plan is; who has none yet."""
    user = request.user
    rules.check_can_read(user)
    school_id = request.GET.get("school", "")
    missing = request.GET.get("missing") == "1"
    rows, counts, chosen, schools = _rows(user, school_id=school_id, missing=missing)
    return TemplateResponse(
        request,
        "inbox/files.html",
        {
            "rows": rows[:LIST_LIMIT],
            "truncated": len(rows) > LIST_LIMIT,
            "limit": LIST_LIMIT,
            "counts": counts,
            "missing_total": sum(c["missing"] for c in counts),
            "members_total": sum(c["members"] for c in counts),
            "schools": schools,
            "school": chosen,
            "missing": missing,
            "query": request.GET.urlencode(),
        },
    )


@login_required
@guarded
def files_download(request):
    """The list as XLSX (the same filters), to print and stamp."""
    user = request.user
    rules.check_can_read(user)
    rows, counts, chosen, _schools = _rows(
        user, school_id=request.GET.get("school", ""), missing=request.GET.get("missing") == "1"
    )
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = _("建档情况")
    header = [
        _("序号"),
        _("学校"),
        _("姓名"),
        _("任教学科"),
        _("政治面貌"),
        _("建档情况"),
        _("摸底日期"),
        _("摸底结论"),
        _("培养方向"),
        _("目标完成"),
        _("逾期目标"),
        _("下一目标及计划完成日期"),
    ]
    ws.append([_("党员教师业务档案建档情况表")])
    ws.append(
        [
            _("%(scope)s；截至 %(day)s，党员教师 %(m)d 人，尚未建档 %(n)d 人。")
            % {
                "scope": chosen.name if chosen else _("全部学校"),
                "day": timezone.localdate().isoformat(),
                "m": sum(c["members"] for c in counts),
                "n": sum(c["missing"] for c in counts),
            }
        ]
    )
    ws.append(header)
    for no, row in enumerate(rows, start=1):
        teacher, file, progress = row["teacher"], row["file"], row["progress"]
        if file is None:
            ws.append(
                [
                    no,
                    row["school"].name if row["school"] else "",
                    teacher.name,
                    teacher.subject,
                    teacher.get_party_status_display(),
                    _("未建档"),
                ]
            )
            continue
        next_goal = progress.next_goal
        ws.append(
            [
                no,
                row["school"].name if row["school"] else "",
                teacher.name,
                teacher.subject,
                teacher.get_party_status_display(),
                _("已建档"),
                file.surveyed_on.isoformat(),
                file.get_level_display(),
                file.get_target_display(),
                f"{progress.done}/{progress.total}",
                progress.overdue,
                f"{next_goal.title}（{next_goal.due_on.isoformat()}）" if next_goal else "",
            ]
        )
    for letter, width in zip("ABCDEFGHIJKL", (6, 24, 10, 10, 10, 10, 12, 10, 10, 10, 10, 36), strict=True):
        ws.column_dimensions[letter].width = width
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(header))
    print_setup(ws, header_rows=(3, 3), title_row=1, columns=len(header))
    filename = f"{XLSX_TITLE}-{timezone.localdate().isoformat()}.xlsx"
    return file_response(
        filename, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx_bytes(wb), no_store=True
    )


# --- one teacher's 档案 ---------------------------------------------------------------------


def _goal_ids(pk: int) -> str:
    """Field ids of a goal row's form, unique on the page."""
    return f"id_goal{pk}_%s"


def _file_initial(file) -> dict:
    if file is None:
        return {}
    return {
        "surveyed_on": file.surveyed_on,
        "level": file.level,
        "strengths": file.strengths,
        "weaknesses": file.weaknesses,
        "target": file.target,
        "achieved": file.achieved,
        "achieved_on": file.achieved_on,
    }


def _detail_page(request, teacher, *, form=None, goal_form=None, row_form=None, row_id=None, error="", status=200):
    user = request.user
    file = rules.file_of(teacher)
    refusal = rules.write_refusal(user, teacher)
    can_write = not refusal
    goals = list(file.goals.all()) if file else []
    progress = rules.progress_of(goals) if file else None
    for goal in goals:
        if can_write:
            goal.form = (
                row_form
                if row_id == goal.pk
                else GoalUpdateForm(
                    auto_id=_goal_ids(goal.pk),
                    initial={
                        "title": goal.title,
                        "due_on": goal.due_on,
                        "achieved_on": goal.achieved_on,
                        "evidence": goal.evidence,
                    },
                )
            )
    if can_write and form is None:
        form = FileForm(initial=_file_initial(file), auto_id="id_file_%s")
    if can_write and file is not None and goal_form is None:
        goal_form = GoalForm(auto_id="id_newgoal_%s")
    return TemplateResponse(
        request,
        "inbox/file_detail.html",
        {
            "teacher": teacher,
            "file": file,
            "goals": goals,
            "progress": progress,
            "can_write": can_write,
            # A reader is told why there is no form only when it is not just their role.
            "not_member": not teacher.is_party_member,
            "form": form if can_write else None,
            "goal_form": goal_form if can_write and file is not None else None,
            "error": error,
        },
        status=status,
    )


def _refused(error: GuardError, page):
    """A 404 is the error page; anything else keeps the page and what was typed."""
    if error.status == 404:
        raise error
    return page(error=error.message, status=error.status)


@login_required
@guarded
def file_detail(request, teacher_id: int):
    """One teacher's 业务档案; a POST creates or updates it."""
    user = request.user
    rules.check_can_read(user)
    teacher = rules.teacher_for_user(user, teacher_id)
    if request.method != "POST":
        return _detail_page(request, teacher)
    form = FileForm(request.POST, auto_id="id_file_%s")
    page = lambda **kw: _detail_page(request, teacher, form=form, **kw)  # noqa: E731
    try:  # who may (and for whom) comes before what was typed
        rules.check_write(user, teacher)
    except GuardError as error:
        return _refused(error, lambda **kw: _detail_page(request, teacher, **kw))
    if not form.is_valid():
        return page(error=first_error(form), status=400)
    data = form.cleaned_data
    try:
        _file, outcome = svc.file_save(
            actor=user,
            teacher_id=teacher.pk,
            surveyed_on=data["surveyed_on"],
            level=data["level"],
            target=data["target"],
            strengths=data["strengths"],
            weaknesses=data["weaknesses"],
            achieved=data["achieved"],
            achieved_on=data["achieved_on"],
        )
    except GuardError as error:
        return _refused(error, page)
    message = {
        "created": _("已为 %(name)s 建立业务档案，请继续填写专业发展规划的目标。"),
        "updated": _("已保存 %(name)s 的业务档案。"),
        "": _("%(name)s 的业务档案没有改动。"),
    }[outcome]
    return done(request, message % {"name": teacher.name}, reverse("inbox:file_detail", args=[teacher.pk]))


@login_required
@post_only
@guarded
def goal_add(request, teacher_id: int):
    """Add a dated goal to the teacher's 专业发展规划."""
    user = request.user
    rules.check_can_read(user)
    teacher = rules.teacher_for_user(user, teacher_id)
    rules.check_write(user, teacher)  # 403 for a reader before anything is read from the form
    file = rules.file_of(teacher)
    if file is None:
        return _detail_page(
            request, teacher, error=_("请先建立业务档案（摸底结论和培养方向），再添加目标。"), status=400
        )
    form = GoalForm(request.POST, auto_id="id_newgoal_%s")
    page = lambda **kw: _detail_page(request, teacher, goal_form=form, **kw)  # noqa: E731
    if not form.is_valid():
        return page(error=first_error(form), status=400)
    try:
        goal = svc.goal_add(
            actor=user, file_id=file.pk, title=form.cleaned_data["title"], due_on=form.cleaned_data["due_on"]
        )
    except GuardError as error:
        return _refused(error, page)
    return done(
        request,
        _("已添加目标“%(title)s”，计划 %(due)s 前完成。") % {"title": goal.title, "due": goal.due_on.isoformat()},
        reverse("inbox:file_detail", args=[teacher.pk]),
    )


@login_required
@post_only
@guarded
def goal_update(request, goal_id: int):
    """Change a goal, or mark it achieved with the date and what shows it."""
    user = request.user
    rules.check_can_read(user)
    goal = rules.goal_for_user(user, goal_id)
    teacher = goal.file.teacher
    rules.check_write(user, teacher)
    form = GoalUpdateForm(request.POST, auto_id=_goal_ids(goal_id))
    page = lambda **kw: _detail_page(request, teacher, row_form=form, row_id=goal_id, **kw)  # noqa: E731
    if not form.is_valid():
        return page(error=first_error(form), status=400)
    data = form.cleaned_data
    try:
        goal, changed = svc.goal_update(
            actor=user,
            goal_id=goal_id,
            title=data["title"],
            due_on=data["due_on"],
            achieved_on=data["achieved_on"],
            evidence=data["evidence"],
        )
    except GuardError as error:
        return _refused(error, page)
    if not changed:
        message = _("目标“%(title)s”没有改动。")
    elif goal.achieved_on:
        message = _("已记录目标“%(title)s”完成。")
    else:
        message = _("已保存目标“%(title)s”。")
    return done(request, message % {"title": goal.title}, reverse("inbox:file_detail", args=[teacher.pk]))

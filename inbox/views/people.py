"""人员管理: the teachers, accounts and role holders of the user's subtree, and the XLSX import.

Anyone holding a role lists the people of their subtree (an auditor too: read-only); a
党务干部, 审核人 or 市级管理员 adds, edits and transfers teachers and appoints or ends role
holders there; a unit's 党务干部 or 审核人, or the city, imports the workbook.
"""

from django.contrib.auth.decorators import login_required
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from forms.people import ImportForm, RoleEndForm, RoleGrantForm, TeacherForm, TransferForm, first_error
from workflows import selectors
from workflows.errors import GuardError, NotPermitted
from workflows.models import OrgKind
from workflows.models.people import ACTING_ROLES
from workflows.selectors import ClampingPaginator
from workflows.services import people as svc
from workflows.services import people_import

from .common import done, file_response, guarded, post_only


def _teacher_orgs(user):
    return selectors.people_orgs(user, svc.MANAGERS, svc.TEACHER_ORG_KINDS)


def _check_manager(user) -> None:
    svc.check_can_read(user)
    if not svc.can_manage(user):
        raise NotPermitted(_("您的身份只能查看人员名单，不能修改。教师和任职由党务干部、审核人或市级管理员维护。"))


@login_required
@guarded
def people_list(request):
    """教师名单: the teachers of the user's subtree, searchable by 姓名 or 教师编号."""
    svc.check_can_read(request.user)
    q = request.GET.get("q", "")
    page = ClampingPaginator(selectors.people_teachers(request.user, q=q), 50).get_page(request.GET.get("page"))
    resettable = (
        svc.password_resettable(request.user, [t.user for t in page]) if svc.can_manage(request.user) else set()
    )
    for teacher in page:
        teacher.can_password = teacher.user_id in resettable
    return TemplateResponse(
        request,
        "inbox/people.html",
        {
            "page_obj": page,
            "q": q,
            "can_manage": svc.can_manage(request.user),
            "can_import": bool(selectors.people_import_roots(request.user)),
        },
    )


def _teacher_page(request, *, form, teacher=None, transfer_form=None, error="", status=200):
    return TemplateResponse(
        request,
        "inbox/people_teacher.html",
        {"form": form, "teacher": teacher, "transfer_form": transfer_form, "error": error},
        status=status,
    )


@login_required
@guarded
def teacher_add(request):
    _check_manager(request.user)
    orgs = _teacher_orgs(request.user)
    if request.method != "POST":
        return _teacher_page(request, form=TeacherForm(orgs=orgs))
    form = TeacherForm(request.POST, orgs=orgs)
    if not form.is_valid():
        return _teacher_page(request, form=form, error=first_error(form), status=400)
    data = form.cleaned_data
    try:
        teacher = svc.teacher_create(actor=request.user, org_id=data["org"], **{f: data[f] for f in svc.TEACHER_FIELDS})
    except GuardError as error:
        if error.status == 404:
            raise
        return _teacher_page(request, form=form, error=error.message, status=error.status)
    to = reverse("inbox:people_teacher", args=[teacher.pk])
    return done(request, _("已新增教师%(name)s。") % {"name": teacher.name}, to)


@login_required
@guarded
def teacher_edit(request, teacher_id: int):
    """A teacher's page: edit the record, or transfer (调动) within the subtree."""
    teacher = selectors.people_teacher(request.user, teacher_id)
    svc.check_can_manage(request.user, teacher.org)
    orgs = [o for o in _teacher_orgs(request.user) if o.pk != teacher.org_id]
    initial = {f: getattr(teacher, f) for f in svc.TEACHER_FIELDS}
    form = TeacherForm(initial=initial, with_org=False)
    transfer_form = TransferForm(orgs=orgs)
    if request.method != "POST":
        return _teacher_page(request, form=form, teacher=teacher, transfer_form=transfer_form)
    action = request.POST.get("action")
    try:
        if action == "transfer":
            transfer_form = TransferForm(request.POST, orgs=orgs)
            if not transfer_form.is_valid():
                raise GuardError(first_error(transfer_form))
            data = transfer_form.cleaned_data
            svc.teacher_transfer(actor=request.user, teacher_id=teacher.pk, org_id=data["org"], reason=data["reason"])
            message = _("已将%(name)s调动到新的学校或支部，其在培案例随之调动，并记入审计日志。")
        else:
            form = TeacherForm(request.POST, with_org=False)
            if not form.is_valid():
                raise GuardError(first_error(form))
            data = form.cleaned_data
            values = {f: data[f] for f in svc.TEACHER_FIELDS}
            svc.teacher_edit(actor=request.user, teacher_id=teacher.pk, reason=data["reason"], **values)
            message = _("已保存%(name)s的资料，修改内容已记入审计日志。")
    except GuardError as error:
        if error.status == 404:
            raise
        return _teacher_page(
            request, form=form, teacher=teacher, transfer_form=transfer_form, error=error.message, status=error.status
        )
    return done(request, message % {"name": teacher.name}, reverse("inbox:people_teacher", args=[teacher.pk]))


def _appoint_orgs(user):
    """Where the user may appoint: strictly below their own level (``svc.appointment_refusal``)."""
    return svc.appointable_orgs(user, selectors.people_orgs(user, svc.MANAGERS, OrgKind.values))


def _roles_page(request, *, form=None, error="", status=200, password=None):
    user = request.user
    today = timezone.localdate()
    manage = svc.can_manage(user)
    orgs = _appoint_orgs(user) if manage else []
    assignments = list(selectors.people_assignments(user))
    resettable = svc.password_resettable(user, {a.user for a in assignments}) if manage else set()
    for a in assignments:
        a.in_force = a.is_active_on(today)
        a.can_end = (
            manage
            and a.in_force
            and not svc.appointment_refusal(user, username=a.user.get_username(), org_path=a.org.path)
        )
        a.can_password = a.user_id in resettable
    return TemplateResponse(
        request,
        "inbox/people_roles.html",
        {
            "assignments": assignments,
            "form": form or (RoleGrantForm(orgs=orgs, initial={"start_date": today}) if manage else None),
            "end_form": RoleEndForm(initial={"end_date": today}),
            "can_manage": manage,
            "error": error,
            "password": password,
        },
        status=status,
    )


@login_required
@guarded
def roles_page(request):
    """账号与任职: who holds which role where, since when and until when; appoint someone."""
    svc.check_can_read(request.user)
    if request.method != "POST":
        return _roles_page(request)
    _check_manager(request.user)
    form = RoleGrantForm(request.POST, orgs=_appoint_orgs(request.user))
    if not form.is_valid():
        return _roles_page(request, form=form, error=first_error(form), status=400)
    data = form.cleaned_data
    try:
        granted = svc.role_grant(
            actor=request.user,
            username=data["username"],
            full_name=data["full_name"],
            org_id=data["org"],
            role=data["role"],
            start_date=data["start_date"],
            end_date=data["end_date"],
        )
    except GuardError as error:
        if error.status == 404:
            raise
        return _roles_page(request, form=form, error=error.message, status=error.status)
    return done(
        request,
        _("已任命%(user)s为“%(org)s”%(role)s。")
        % {"user": granted.user.username, "org": granted.org.name, "role": granted.get_role_display()},
        reverse("inbox:people_roles"),
    )


@login_required
@post_only
@guarded
def role_end(request, assignment_id: int):
    svc.check_can_read(request.user)
    form = RoleEndForm(request.POST)
    if not form.is_valid():
        return _roles_page(request, error=first_error(form), status=400)
    try:
        ended = svc.role_end(
            actor=request.user,
            assignment_id=assignment_id,
            end_date=form.cleaned_data["end_date"],
            reason=form.cleaned_data["reason"],
        )
    except GuardError as error:
        if error.status == 404:
            raise
        return _roles_page(request, error=error.message, status=error.status)
    return done(
        request,
        _("%(user)s在“%(org)s”的%(role)s任职自 %(date)s 起结束。")
        % {
            "user": ended.user.username,
            "org": ended.org.name,
            "role": ended.get_role_display(),
            "date": ended.end_date.isoformat(),
        },
        reverse("inbox:people_roles"),
    )


@login_required
@guarded
def account_password(request, user_id: int):
    """生成初始密码: shown once on this page, never stored in clear, never sent by mail.

    Two steps: the button (or a GET) shows who it is for and that the old password stops
    working; only 确认生成 (``confirm=1``) generates it."""
    svc.check_can_read(request.user)
    account, _owner = svc.account_for_password(actor=request.user, user_id=user_id)
    if request.method != "POST" or request.POST.get("confirm") != "1":
        return TemplateResponse(request, "inbox/people_password.html", {"account": account})
    account, password = svc.account_password_reset(actor=request.user, user_id=user_id)
    response = _roles_page(request, password={"username": account.username, "value": password})
    response["Cache-Control"] = "private, no-store"
    return response


def _import_page(request, *, form=None, errors=(), error="", status=200):
    roots = selectors.people_import_roots(request.user)
    return TemplateResponse(
        request,
        "inbox/people_import.html",
        {"form": form or ImportForm(roots=roots), "roots": roots, "errors": errors, "error": error},
        status=status,
    )


@login_required
@guarded
def people_import_page(request):
    """导入人员名单: upload the workbook; every bad cell is listed and nothing is imported."""
    svc.check_can_read(request.user)
    roots = selectors.people_import_roots(request.user)
    if not roots:
        raise NotPermitted(
            _(
                "人员名单由区县或直属单位的党务干部、审核人，或市级管理员导入；您没有导入权限，可在“人员管理”中查看人员。"
            )
        )
    if request.method != "POST":
        return _import_page(request)
    form = ImportForm(request.POST, request.FILES, roots=roots)
    if not form.is_valid():
        return _import_page(request, form=form, error=first_error(form), status=400)
    upload = form.cleaned_data["file"]
    try:
        result = people_import.import_people(
            actor=request.user, root_id=form.cleaned_data["root"], content=upload.read(), filename=upload.name
        )
    except people_import.ImportRejected as rejected:
        return _import_page(request, form=form, errors=rejected.errors, error=rejected.message, status=400)
    except GuardError as error:
        if error.status in (403, 404):
            raise
        return _import_page(request, form=form, error=error.message, status=error.status)
    return done(request, result.summary(), reverse("inbox:people_import"))


@login_required
@guarded
def people_template_download(request):
    svc.check_can_read(request.user)
    if not any(a.role in ACTING_ROLES for a in selectors.user_assignments(request.user)):
        raise NotPermitted(_("导入模板供党务干部、审核人和市级管理员使用。"))
    return file_response(*people_import.people_template())

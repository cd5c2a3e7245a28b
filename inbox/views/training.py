"""Training work outside a task: 培养人意见 from the case page, and serving uploaded files."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from forms.cases import OpinionForm, first_error
from workflows import selectors
from workflows.errors import GuardError, NotInScope
from workflows.services import training
from workflows.services.attachments import open_attachment

from .common import done, guarded, post_only


@login_required
@post_only
@guarded
def opinion_add(request, case_id: int):
    case = selectors.case_for_user(request.user, case_id)
    form = OpinionForm(request.POST)
    try:
        if not form.is_valid():
            training.check_can_opine(actor=request.user, case=case)
            raise GuardError(first_error(form))
        training.opinion_write(actor=request.user, case_id=case.pk, text=form.cleaned_data["text"])
    except GuardError as error:
        if error.status == 404:
            raise
        from .cases import _case_context

        context = _case_context(request, case, error=error.message, opinion_form=form)
        return TemplateResponse(request, "inbox/case_detail.html", context, status=error.status)
    return done(request, _("培养人意见已签名保存。"), reverse("inbox:case", args=[case.pk]))


@login_required
@guarded
def attachment_download(request, attachment_id: int):
    """The file's bytes, to users who can see its case; everyone else gets the same 404 as for no file."""
    attachment = selectors.attachment_for_user(request.user, attachment_id)
    try:
        handle = open_attachment(attachment)
    except FileNotFoundError:
        raise NotInScope(_("附件文件已不在存储中，请联系系统管理员。")) from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.name, content_type=attachment.mime_type)
    response["Cache-Control"] = "private, no-store"
    return response

"""培养记录: a mentor writes today's record from the case page, and corrects by a new version."""

from django.contrib.auth.decorators import login_required
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from forms.cases import CorrectRecordForm, RecordForm, first_error
from workflows import selectors
from workflows.errors import GuardError
from workflows.models import KINDS_FOR_CASE
from workflows.services import records as record_services

from .common import done, guarded, post_only


@login_required
@post_only
@guarded
def record_add(request, case_id: int):
    case = selectors.case_for_user(request.user, case_id)
    form = RecordForm(request.POST, kinds=KINDS_FOR_CASE[case.kind])
    try:
        if not form.is_valid():
            record_services.check_can_record(actor=request.user, case=case)
            raise GuardError(first_error(form))
        record_services.record_write(
            actor=request.user, case_id=case.pk, files=request.FILES.getlist("files"), **form.cleaned_data
        )
    except GuardError as error:
        if error.status == 404:
            raise
        from .cases import _case_context

        context = _case_context(request, case, error=error.message, record_form=form)
        return TemplateResponse(request, "inbox/case_detail.html", context, status=error.status)
    return done(request, _("培养记录已签名保存。"), reverse("inbox:case", args=[case.pk]))


@login_required
@guarded
def record_correct(request, record_id: int):
    record = selectors.record_for_user(request.user, record_id)
    kinds = KINDS_FOR_CASE[record.case.kind]
    initial = {"date": record.date, "kind": record.kind, "content": record.content}
    form = CorrectRecordForm(request.POST or None, kinds=kinds, initial=initial)
    context = {"record": record, "form": form, "history": selectors.record_history(record)}
    if request.method == "POST":
        try:
            if not form.is_valid():
                record_services.check_can_correct(actor=request.user, record=record)
                raise GuardError(first_error(form))
            record_services.record_correct(actor=request.user, record_id=record.pk, **form.cleaned_data)
        except GuardError as error:
            if error.status == 404:
                raise
            return TemplateResponse(
                request, "inbox/record_correct.html", {**context, "error": error.message}, status=error.status
            )
        return done(
            request, _("已保存更正后的新版本，原记录保留在历史中。"), reverse("inbox:case", args=[record.case_id])
        )
    return TemplateResponse(request, "inbox/record_correct.html", context)

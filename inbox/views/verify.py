"""核验: does the audit chain still hold the head a printed 核验码 names? Any signed-in user."""

from django.contrib.auth.decorators import login_required
from django.template.response import TemplateResponse

from forms.verify import VerifyCodeForm
from workflows import chain


@login_required
def verify_page(request):
    result = None
    status = 200
    if "code" in request.GET:
        form = VerifyCodeForm(request.GET)
        if form.is_valid():
            ok, message = chain.holds(form.cleaned_data["code"])
            result = {"ok": ok, "message": message, "code": form.cleaned_data["code"]}
        else:
            status = 400
    else:
        form = VerifyCodeForm()
    return TemplateResponse(
        request,
        "inbox/verify.html",
        {"form": form, "result": result, "current_code": chain.current_code()},
        status=status,
    )

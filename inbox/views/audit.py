"""The auditor's workspace: 审计检索 across cases, the trail's exports, and the city's 查阅记录.

Every answered search and export is itself logged (``workflows.services.trail``); a refused
request logs nothing, because the scope check comes first.
"""

from django.contrib.auth.decorators import login_required
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from viewflow.views import ListModelView

from forms.audit import FILTER_NAMES, AuditFilter
from workflows import selectors, visibility
from workflows.errors import GuardError, NotInScope, NotPermitted
from workflows.models import AuditEvent
from workflows.services import trail
from workflows.text import strip_bidi
from workflows.trail_export import trail_json, trail_pdf, trail_xlsx

from .common import error_page, file_response, guarded
from .lists import _filter_query

EXPORTS = {"pdf": trail_pdf, "xlsx": trail_xlsx, "json": trail_json}


class _EventColumns:
    """Columns shared by the search and the 查阅记录 list."""

    def at_label(self, event):
        return timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M:%S")

    at_label.short_description = _("时间")

    def actor_label(self, event):
        return strip_bidi(event.actor_name)

    actor_label.short_description = _("操作人")

    def role_org(self, event):
        return f"{event.role_label} · {event.org.name}" if event.org_id else event.role_label

    role_org.short_description = _("身份")

    def action_label(self, event):
        return event.action_label

    action_label.short_description = _("操作")

    def trainee(self, event):
        if event.case_id is None:
            return "—"
        return format_html(
            '<a href="{}?event={}">{}</a>',
            reverse("inbox:case_audit", args=[event.case_id]),
            event.pk,
            event.case.teacher.name,
        )

    trainee.short_description = _("培养案例")

    def changes_label(self, event):
        return strip_bidi(event.changes_text)

    changes_label.short_description = _("变更内容")

    def has_view_permission(self, user, obj=None):
        # Who may is decided in ``dispatch`` with a Chinese 404 / 403 (selectors).
        return user.is_authenticated

    def get_object_url(self, obj):
        return None


class _GuardedList(_EventColumns, ListModelView):
    model = AuditEvent
    template_name = "inbox/audit_list.html"
    paginator_class = selectors.ClampingPaginator
    paginate_by = 50
    list_title = ""

    def check(self, user) -> None:  # pragma: no cover - each list says who may
        raise NotImplementedError

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            try:
                self.check(request.user)
            except GuardError as error:
                return error_page(request, error)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(list_title=self.list_title, filter_query=_filter_query(self.request), **kwargs)


class AuditSearchView(_GuardedList):
    """审计检索: events across the cases (and the case-less events) of the user's subtree."""

    list_title = _("审计检索")
    filterset_class = AuditFilter
    columns = (
        "at_label",
        "trainee",
        "actor_label",
        "role_org",
        "action_label",
        "states",
        "reason_label",
        "changes_label",
    )

    def check(self, user) -> None:
        selectors.check_can_search_audit(user)

    def is_strict_filter(self):
        # A filter value outside the user's choices (another county's unit) lists nothing.
        return bool(self.request.GET)

    def get_filterset_kwargs(self, filterset_class):
        return {"data": self.request.GET or None, "request": self.request}

    def get_queryset(self):
        self.queryset = selectors.audit_events_in_scope(self.request.user).select_related("org", "case__teacher")
        return super().get_queryset()

    def get_page_data(self, page):
        # What the viewer may see of each event (workflows/visibility.py).
        shown = visibility.named(selectors.visible_search_events(self.request.user, getattr(page, "object_list", page)))
        yield from super().get_page_data(shown)

    def states(self, event):
        if not (event.from_state or event.to_state):
            return "—"
        return f"{event.from_state_label or '—'} → {event.to_state_label or '—'}"

    states.short_description = _("阶段变化")

    def reason_label(self, event):
        return strip_bidi(event.reason)

    reason_label.short_description = _("理由")

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        trail.audit_search_log(actor=request.user, filters=self._filters_as_read())
        return response

    def _filters_as_read(self) -> dict:
        """The search's conditions as the city will read them on 查阅记录: names, not ids."""
        form = self.filterset.form
        if not form.is_valid():  # an invalid choice: what was sent, cut short
            return {name: self.request.GET.get(name, "")[:100] for name in FILTER_NAMES}
        shown = {}
        for name in FILTER_NAMES:
            value = form.cleaned_data.get(name)
            if value in (None, ""):
                continue
            if name in ("action", "stage"):
                value = dict(form.fields[name].choices).get(value, value)
            shown[name] = str(value)
        return shown


class TrailAccessView(_GuardedList):
    """查阅记录: who opened, exported or searched the trail, for the city."""

    list_title = _("审计轨迹查阅记录")
    columns = ("at_label", "actor_label", "role_org", "action_label", "case_read", "what")

    def case_read(self, event):
        if event.case_id is None:
            return "—"
        url = reverse("inbox:case_audit", args=[event.case_id])
        return format_html('<a href="{}">{}</a>', url, event.case.teacher.name)

    case_read.short_description = _("培养案例")

    def what(self, event):
        return event.changes_text or "—"

    what.short_description = _("查阅内容")

    def check(self, user) -> None:
        selectors.trail_access_events(user)

    def get_queryset(self):
        self.queryset = selectors.trail_access_events(self.request.user)
        return super().get_queryset()


@login_required
@guarded
def case_trail_download(request, case_id: int, fmt: str):
    """A case's trail as PDF, XLSX or JSON, for the officials over the case (logged)."""
    case = selectors.case_for_user(request.user, case_id)
    if fmt not in EXPORTS:
        raise NotInScope("不支持该导出格式；可导出 PDF、XLSX 或 JSON。")
    if not visibility.case_view(request.user, case).is_official:
        raise NotPermitted("审计轨迹只能由管辖该案例的工作人员（含审计）导出；您可以在审计轨迹页面查阅。")
    events = selectors.case_events_for(request.user, case)
    content = EXPORTS[fmt](case, events)
    trail.trail_export_log(actor=request.user, case=case, fmt=fmt)
    return file_response(*content, no_store=True)

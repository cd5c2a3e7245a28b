"""我的待办 / 待认领 / 已办 / 案例: lists on viewflow's ListModelView."""

import html

from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from viewflow.views import ListModelView
from viewflow.views.list import DataSourceColumn

from forms.cases import ApproveForm
from forms.filters import TaskFilter
from workflows import access, selectors
from workflows.flows import OPEN_TASK_STATUSES
from workflows.kept import Kept
from workflows.models import Case, CaseKind, CaseState, CaseTask
from workflows.services.reports import report_tasks_for_user

from .common import request_counts

_URL_FORMATS: dict[tuple[str, str], str] = {}
_PK_MARK = 2**62 + 12345  # a number no pk reaches, marking where the pk goes in the URL


def row_url(name: str, pk: int) -> str:
    """``reverse(name, args=[pk])`` for a list's rows, resolved once per URL name (and script
    prefix) rather than once per row: 25 rows × several links a row added up (bench/inbox.py)."""
    key = (name, get_script_prefix())
    pattern = _URL_FORMATS.get(key)
    if pattern is None:
        pattern = _URL_FORMATS[key] = reverse(name, args=[_PK_MARK]).replace(str(_PK_MARK), "{}")
    return pattern.format(int(pk))


def _escape(value) -> str:
    """``conditional_escape`` without its test of every argument for a lazy string, which was a
    third of a list's rows (25 rows escape ~1,400 values): lazy strings are made text here."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def cell_html(format_string: str, *args) -> SafeString:
    """``format_html`` for the lists' cells: the same escaping, at a fraction of the cost."""
    return mark_safe(format_string.format(*map(_escape, args)))


class _ColumnCell:
    """What each cell of a column repeats (its class and header), worked out once per page."""

    __slots__ = ("css", "header")

    def __init__(self, css: str, header: str):
        self.css = css
        self.header = header


class LeanRowsMixin:
    """For inbox/_list_table.html (every list here uses it)."""

    def get_page_data(self, page):
        """viewflow's rows of (column, value), with each column's cell class and header resolved
        once per page (the template read them, and translated the header, once per cell)."""
        links = set(self.get_object_link_columns)
        columns = []
        for column in self.list_columns.values():
            header = column.header() if callable(column.header) else column.header
            css = f"vf-list__table-cell-{column.column_type()}" + (" sp-cell-link" if column.attr_name in links else "")
            # A column that is a method of this view returns its cell's text (or HTML) already.
            ready = (
                isinstance(column, DataSourceColumn) and column.data_source is self and not column._get_attr_boolean()
            )
            cell = _ColumnCell(mark_safe(_escape(css)), mark_safe(_escape(header)))
            columns.append((column, cell, column.attr_name in links, ready))
        for obj in page:
            cells = []
            for column, cell, link, ready in columns:
                value = column.get_value(obj)
                value = ("" if value is None else value) if ready else column.format_value(obj, value)
                if link:
                    value = cell_html('<a href="{}">{}</a>', self.get_object_url(obj), value)
                cells.append((cell, value))
            yield obj, cells

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        self._lean_page = context.get("page_obj") or context.get("object_list") or []
        return context

    def table_body(self):
        """The table's rows as HTML, built here rather than by the template's nested loops (the
        cells are ready-made; the template engine's loop over 25 × 9 cells was a third of the
        page). Called by the template once the context is complete (the tick boxes of
        ``ApproverListMixin.bulk_context`` are known then)."""
        rows = []
        for obj, cells in self.get_page_data(self._lean_page):
            tds = "".join(f'<td class="{c.css}" data-label="{c.header}">{_escape(v)}</td>' for c, v in cells)
            rows.append(f'<tr data-row-id="{int(obj.pk)}">{tds}</tr>')
        return mark_safe("\n".join(rows))


_FILTER_HTML = Kept(2000)


def _filter_query(request) -> str:
    """The current filters as a query-string prefix, so paging keeps them."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode() + "&" if params else ""


class TaskListView(LeanRowsMixin, ListModelView):
    model = CaseTask
    filterset_class = TaskFilter
    columns = ("task_title", "trainee", "kind", "unit", "stage_label", "org_label", "due")
    object_link_columns = ("task_title",)
    ordering = ("due_at", "id")
    template_name = "inbox/task_list.html"
    paginator_class = selectors.TaskPaginator
    title = ""
    selector = None

    def is_strict_filter(self):
        # A filter value outside the user's choices lists nothing rather than everything.
        return bool(self.request.GET)

    def has_view_permission(self, user, obj=None):
        # Everyone signed in has an inbox; what it lists is scoped by the selector.
        return user.is_authenticated

    def get_queryset(self):
        self.queryset = type(self).selector(self.request.user).order_by("due_at", "id")
        return super().get_queryset()

    def get_object_url(self, obj):
        return row_url("inbox:task", obj.pk)

    # The count of the unfiltered list, known already from the menu's counts (selectors.menu_counts).
    menu_count_key = ""
    FILTER_KEYS = ("kind", "unit", "stage", "overdue", "q")

    def get_paginator(self, queryset, *args, **kwargs):
        paginator = super().get_paginator(queryset, *args, **kwargs)
        if self.menu_count_key and not any(self.request.GET.get(key) for key in self.FILTER_KEYS):
            paginator.count = request_counts(self.request)[self.menu_count_key]
        # (viewflow adds the view's ordering to the queryset's own: the same fields twice)
        if self.list_source and list(dict.fromkeys(queryset.query.order_by)) == list(self.ordering):
            filters = self.list_filters()
            if filters is not None:
                paginator.list_query = selectors.ListQuery(self.request.user, self.list_source, filters)
        return paginator

    # The list as ``selectors.ListQuery`` knows it ("inbox", "queue", "waiting"); "": a queryset.
    list_source = ""

    def list_filters(self) -> dict | None:
        """The filters the list applied (TaskFilter), by name; None if the filter was refused
        (the list shows nothing then, and its queryset says so)."""
        filterset = getattr(self, "filterset", None)
        if filterset is None or not filterset.is_bound:
            return {}
        if not filterset.is_valid() and self.is_strict_filter():
            return None
        return dict(filterset.form.cleaned_data)  # as filterset.qs applies them

    def filter_html(self) -> str:
        """viewflow's filter drawer (viewflow/includes/list_filter.html), kept per language, unit
        choices and query string: what it renders is the filter form bound to the query string
        (its values, its errors) with the user's units to choose from, and the list's ordering.
        Rendering the form's five fields cost ~2 ms a page (bench/inbox.py)."""
        filterset = self.filterset
        choices = tuple(filterset.filters["unit"].extra["choices"])
        # Only what the drawer shows: its fields' values and the list's ordering (not the page).
        names = (*filterset.form.fields, self.ordering_kwarg)
        query = tuple((name, tuple(self.request.GET.getlist(name))) for name in names)
        key = (get_language(), type(self), choices, query)
        template = "viewflow/includes/list_filter.html"
        return _FILTER_HTML.get(key, lambda: get_template(template).render({"view": self, "request": self.request}))

    def get_filterset_kwargs(self, filterset_class):
        return {"data": self.request.GET or None, "request": self.request}

    def task_title(self, task):
        return task.title

    task_title.short_description = _("事项")

    @cached_property
    def kind_labels(self) -> dict[str, str]:
        """类别1 / 类别2, translated once per page rather than once per row."""
        return {kind: gettext("类别%(kind)s") % {"kind": kind} for kind in CaseKind.values}

    def trainee(self, task):
        return cell_html('<a href="{}">{}</a>', row_url("inbox:case", task.case_id), task.trainee_name)

    trainee.short_description = _("培养对象")

    def kind(self, task):
        return self.kind_labels.get(task.case_kind, task.case_kind)

    kind.short_description = _("类别")

    def unit(self, task):
        return task.unit.name if task.unit_id else ""

    unit.short_description = _("单位")

    @cached_property
    def stage_labels(self) -> dict[str, str]:
        return {value: str(label) for value, label in CaseState.choices}

    def stage_label(self, task):
        return self.stage_labels.get(task.stage, task.stage)

    stage_label.short_description = _("办理时阶段")

    def org_label(self, task):
        return task.org.name if task.org_id else ""

    org_label.short_description = _("承办组织")

    def due(self, task):
        if task.due_at is None:
            return ""
        text = timezone.localtime(task.due_at).strftime("%Y-%m-%d")
        if task.finished is None and task.due_at < self.now:  # CaseTask.is_overdue, one clock a page
            return cell_html('<span class="sp-overdue">{} {}</span>', text, self.overdue_label)
        return text

    @cached_property
    def now(self):
        return timezone.now()

    @cached_property
    def overdue_label(self) -> str:
        return gettext("已逾期")

    due.short_description = _("办理期限")

    def get_context_data(self, **kwargs):
        return super().get_context_data(list_title=self.title, filter_query=_filter_query(self.request), **kwargs)


def _csrf_token(request) -> str:
    """One masked CSRF token for every row's form (get_token masks afresh at each call)."""
    token = getattr(request, "_sp_csrf_token", None)
    if token is None:
        token = request._sp_csrf_token = get_token(request)
    return token


def _post_button(request, url: str, label: str, *, css: str = "", confirm: str = "") -> str:
    """A one-button form on a list row; it returns to the list it was pressed on."""
    return cell_html(
        '<form method="post" action="{}" class="{}"{}><input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<input type="hidden" name="next" value="{}">'
        '<button class="mdc-button mdc-button--outlined" type="submit">{}</button></form>',
        url,
        css,
        cell_html(' data-turbo-confirm="{}"', confirm) if confirm else "",
        _csrf_token(request),
        request.get_full_path(),
        label,
    )


class ApproverListMixin:
    """我的待办 and 待认领 for an approver (issue 11): a tick box on each row that may go into a
    批量同意 (``access.may_bulk_approve``: 支部审核/单位审核, opened before), the batch's form
    below the list, and “同意” on each row that needs no input (``access.may_quick_approve``)."""

    def _bulk_flags(self, tasks) -> set[int]:
        user = self.request.user
        opened = access.opened_task_ids(user, [t.pk for t in tasks if access.needs_no_input(t)])
        return {t.pk for t in tasks if access.may_bulk_approve(user, t, opened)}

    def pick(self, task):
        if task.pk not in getattr(self, "_pickable", ()):
            if task.flow_task in access.bulk.NO_INPUT_STEPS and task.status in OPEN_TASK_STATUSES:
                # Why there is no tick box yet: bulk approval takes only tasks the user has read.
                return cell_html('<span class="sp-muted">{}</span>', self.row_labels["unread"])
            return ""
        return cell_html(
            '<input type="checkbox" name="task" value="{}" form="sp-bulk-form" class="sp-bulk-pick" aria-label="{}">',
            task.pk,
            self.row_labels["pick"] % {"name": task.trainee_name},
        )

    @cached_property
    def row_labels(self) -> dict[str, str]:
        """The rows' words, translated once per page rather than once per row."""
        return {
            "unread": gettext("打开查看后可勾选"),
            "pick": gettext("选择 %(name)s"),
            "approve": gettext("同意"),
            "confirm": gettext("确定同意 %(name)s 的“%(step)s”？审核意见留空，案例将直接报上一级。"),
            "claim": gettext("认领"),
        }

    pick.short_description = _("选择")

    def actions(self, task):
        buttons = []
        if access.may_quick_approve(self.request.user, task):
            buttons.append(
                _post_button(
                    self.request,
                    row_url("inbox:task_quick_approve", task.pk),
                    self.row_labels["approve"],
                    css="sp-quick-approve",
                    confirm=self.row_labels["confirm"] % {"name": task.trainee_name, "step": task.flow_task.task_title},
                )
            )
        if access.may_claim(self.request.user, task):
            buttons.append(_post_button(self.request, row_url("inbox:task_claim", task.pk), self.row_labels["claim"]))
        if not buttons:
            return ""
        return mark_safe(f'<div class="sp-row-actions">{"".join(_escape(b) for b in buttons)}</div>')

    actions.short_description = _("操作")

    def bulk_context(self, tasks) -> dict:
        self._pickable = self._bulk_flags(tasks)
        if not self._pickable:
            return {}
        return {
            "bulk_form": ApproveForm(auto_id="id_bulk_%s"),
            "bulk_limit": access.BULK_LIMIT,
            "bulk_next": self.request.get_full_path(),
        }


class InboxView(ApproverListMixin, TaskListView):
    """我的待办, the front page: the user's own tasks and, below them, the first rows of their 待认领
    (without the steps 未到办理时间, counted with a link to them), each list with its count."""

    title = _("我的待办")
    selector = staticmethod(selectors.inbox_for_user)
    columns = ("pick",) + TaskListView.columns + ("actions",)
    queue_rows = 10  # the front page shows the head of 待认领; the rest is one click away
    menu_count_key = "inbox"
    list_source = "inbox"

    def get_paginator(self, *args, **kwargs):
        paginator = super().get_paginator(*args, **kwargs)
        if not self.request.GET and request_counts(self.request)["queue"]:
            user = self.request.user
            paginator.also_ids = selectors.ListQuery(user, "queue").ids(0, self.queue_rows)
        return paginator

    def task_title(self, task):
        if task.owner_id and task.owner_id != self.request.user.pk:
            # 代理人: the principal's step, in the deputy's 我的待办 (selectors.inbox_for_user).
            return cell_html(
                '{} <span class="sp-muted sp-acting-for">{}</span>',
                task.title,
                _("代%(who)s") % {"who": task.owner.get_full_name() or task.owner.get_username()},
            )
        if selectors.is_waiting(task):
            # An own step that waits for the calendar stays listed (it is the user's), marked.
            ready_on = selectors.ready_on_of(task.opens_on)
            when = ready_on.strftime("%Y-%m-%d") if ready_on else _("培养开始后")
            return cell_html(
                '{} <span class="sp-muted sp-not-yet">{}</span>',
                task.title,
                _("未到办理时间（%(when)s 起可办）") % {"when": when},
            )
        return task.title

    task_title.short_description = _("事项")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["list_title"] = _("我的待办（%(n)d）") % {"n": context["paginator"].count}
        tasks = list(context["object_list"])
        front = []
        if not self.request.GET:
            # The mentor's day (and the trainee's): on the front page of the inbox, above the list.
            context.update(selectors.mentor_day(user, request_counts(self.request)))
            # The unit's and the city's report rounds (附件2, 附件1 breakdown), with their countdown.
            if request_counts(self.request)["report"]:
                context["report_tasks"] = list(report_tasks_for_user(user)[:20])
            counts = request_counts(self.request)
            queue_count = counts["queue"]
            if not context["paginator"].count:
                # An empty 我的待办 while work waits to be claimed: say so, and where.
                context["queue_hint"] = queue_count
            front = context["paginator"].also_rows  # read with the page's rows (get_paginator)
            context["front_queue_count"] = queue_count
            context["front_queue_waiting"] = counts["queue_waiting"]
        context.update(self.bulk_context(tasks + front))
        if not self.request.GET:
            context["front_queue"] = [self._front_row(task) for task in front]
        return context

    def _front_row(self, task) -> dict:
        return {
            "task": task,
            "url": self.get_object_url(task),
            "pick": self.pick(task),
            "trainee": task.trainee_name,
            "unit": self.unit(task),
            "stage": self.stage_label(task),
            "due": self.due(task),
            "actions": self.actions(task),
        }


class QueueView(ApproverListMixin, TaskListView):
    """待认领 lists what can be done now; ``?waiting=1`` lists the steps 未到办理时间 (a training
    period not yet served, ``selectors.not_yet_due_ids``), each with the day it opens."""

    title = _("待认领")
    selector = staticmethod(selectors.actionable_queue_for_user)
    columns = ("pick",) + TaskListView.columns + ("actions",)

    @property
    def menu_count_key(self) -> str:
        return "queue_waiting" if self.waiting else "queue"

    @property
    def waiting(self) -> bool:
        return self.request.GET.get("waiting") == "1"

    def get_queryset(self):
        if self.waiting:
            self.queryset = selectors.not_yet_due_queue_for_user(self.request.user).order_by("due_at", "id")
            return super(TaskListView, self).get_queryset()
        return super().get_queryset()

    @property
    def list_source(self) -> str:
        return "waiting" if self.waiting else "queue"

    def is_strict_filter(self):
        return any(key != "waiting" for key in self.request.GET)

    def task_title(self, task):
        if self.waiting:
            ready_on = selectors.ready_on_of(task.opens_on)
            when = ready_on.strftime("%Y-%m-%d") if ready_on else _("培养开始后")
            return cell_html(
                '{} <span class="sp-muted">{}</span>', task.title, _("未到办理时间（%(when)s 起可办）") % {"when": when}
            )
        return task.title

    task_title.short_description = _("事项")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["list_title"] = _("待认领（%(n)d）") % {"n": context["paginator"].count}
        if self.waiting:
            context["list_title"] = _("待认领 · 未到办理时间（%(n)d）") % {"n": context["paginator"].count}
            context["queue_waiting_view"] = True
        else:
            context["queue_waiting"] = request_counts(self.request)["queue_waiting"]
            context.update(self.bulk_context(list(context["object_list"])))
        return context


class EscalatedView(TaskListView):
    """督办: overdue tasks escalated to the user's organisation, to 催办 or 改派."""

    title = _("督办")
    selector = staticmethod(selectors.escalated_for_user)
    columns = TaskListView.columns + ("handler",)

    def handler(self, task):
        if task.owner_id:
            return task.owner.get_full_name() or task.owner.get_username()
        return _("%(org)s，尚无人认领") % {"org": task.org.name}

    handler.short_description = _("承办人")


class ArchiveView(TaskListView):
    title = _("已办")
    selector = staticmethod(selectors.archive_for_user)
    columns = ("task_title", "trainee", "kind", "unit", "stage_label", "finished_at")
    ordering = ("-finished", "-id")

    def get_queryset(self):
        self.queryset = selectors.archive_for_user(self.request.user).order_by("-finished", "-id")
        return super(TaskListView, self).get_queryset()

    def finished_at(self, task):
        return timezone.localtime(task.finished).strftime("%Y-%m-%d %H:%M")

    finished_at.short_description = _("办理时间")


class CaseListView(LeanRowsMixin, ListModelView):
    model = Case
    columns = ("trainee", "kind_label", "state_label", "org_label", "unit_label", "registered")
    object_link_columns = ("trainee",)
    template_name = "inbox/task_list.html"
    paginator_class = selectors.ClampingPaginator
    search_fields = ("teacher__name",)

    def has_view_permission(self, user, obj=None):
        return user.is_authenticated

    def get_queryset(self):
        self.queryset = (
            selectors.cases_for_user(self.request.user).select_related("teacher", "org", "unit").order_by("-id")
        )
        return super().get_queryset()

    def get_object_url(self, obj):
        return reverse("inbox:case", args=[obj.pk])

    def trainee(self, case):
        return case.teacher.name

    trainee.short_description = _("培养对象")

    def kind_label(self, case):
        return _("类别%(kind)s") % {"kind": case.kind}

    kind_label.short_description = _("类别")

    def state_label(self, case):
        return case.get_state_display()

    state_label.short_description = _("阶段")

    def org_label(self, case):
        return case.org.name

    org_label.short_description = _("所在组织")

    def unit_label(self, case):
        return case.unit.name

    unit_label.short_description = _("单位")

    def registered(self, case):
        return timezone.localtime(case.registered_at).strftime("%Y-%m-%d")

    registered.short_description = _("培养建档时间")

    def get_context_data(self, **kwargs):
        return super().get_context_data(list_title=_("培养案例"), filter_query=_filter_query(self.request), **kwargs)

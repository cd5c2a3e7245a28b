"""The app's frontend: viewflow's Site with one Application holding the inbox pages."""

from django.template.loader import get_template
from django.urls import get_script_prefix, path
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application, Site

from workflows import access, selectors
from workflows.access import bulletins as bulletin_access
from workflows.kept import Kept
from workflows.models import OrgKind, Role
from workflows.services.security import can_release_lockouts

from .views import annex2, cases, completeness, jobs, lists, notifications, policy, records, reports, tasks, training
from .views import api_tokens as api_token_views
from .views import audit as audit_views
from .views import bulk as bulk_views
from .views import bulletins as bulletin_views
from .views import calendar as calendar_views
from .views import contest as contest_views
from .views import copies as copy_views
from .views import dashboard as dashboard_views
from .views import demo as demo_views
from .views import deputies as deputy_views
from .views import documents as document_views
from .views import files as file_views
from .views import forecast as forecast_views
from .views import forwarding as forwarding_views
from .views import outcomes as outcomes_views
from .views import pairs as pair_views
from .views import people as people_views
from .views import plans as plans_views
from .views import roster as roster_views
from .views import security as security_views
from .views import verify as verify_views
from .views.common import request_counts


class InboxApp(Application):
    title = _("双培工作台")
    icon = "inbox"
    app_name = "inbox"
    menu_template_name = "inbox/menu_cached.html"  # {{ menu_html }}: InboxApp.menu_html

    urlpatterns = [
        path("", lists.InboxView.as_view(), name="inbox"),
        path("queue/", lists.QueueView.as_view(), name="queue"),
        path("archive/", lists.ArchiveView.as_view(), name="archive"),
        path("tasks/<int:task_id>/", tasks.task_detail, name="task"),
        path("tasks/<int:task_id>/act/", tasks.task_act, name="task_act"),
        path("tasks/<int:task_id>/claim/", tasks.task_claim, name="task_claim"),
        path("tasks/<int:task_id>/approve/", bulk_views.quick_approve, name="task_quick_approve"),
        path("bulk/approve/", bulk_views.bulk_approve, name="bulk_approve"),
        path("tasks/<int:task_id>/unclaim/", tasks.task_unclaim, name="task_unclaim"),
        path("tasks/<int:task_id>/reassign/", tasks.task_reassign, name="task_reassign"),
        path("tasks/<int:task_id>/copy/", copy_views.task_copy, name="task_copy"),
        path("copies/<int:copy_id>/revoke/", copy_views.copy_revoke, name="copy_revoke"),
        path("tasks/<int:task_id>/comment/", copy_views.task_comment, name="task_comment"),
        path("tasks/<int:task_id>/forward/", forwarding_views.task_forward, name="task_forward"),
        path("tasks/<int:task_id>/countersign/", forwarding_views.task_countersign_ask, name="task_countersign_ask"),
        path(
            "tasks/<int:task_id>/countersign/answer/",
            forwarding_views.task_countersign_answer,
            name="task_countersign_answer",
        ),
        path("cases/", lists.CaseListView.as_view(), name="cases"),
        path("cases/new/", cases.case_register, name="case_register"),
        path("cases/<int:case_id>/", cases.case_detail, name="case"),
        path("cases/<int:case_id>/audit/", cases.case_audit, name="case_audit"),
        path("cases/<int:case_id>/audit/<str:fmt>/", audit_views.case_trail_download, name="case_trail_download"),
        path("audit/", audit_views.AuditSearchView.as_view(), name="audit_search"),
        path("audit/access/", audit_views.TrailAccessView.as_view(), name="audit_access"),
        path("cases/<int:case_id>/withdraw/", cases.case_withdraw, name="case_withdraw"),
        path("cases/<int:case_id>/pause/", cases.case_pause, name="case_pause"),
        path("cases/<int:case_id>/resume/", cases.case_resume, name="case_resume"),
        path("cases/<int:case_id>/exit/", cases.case_exit, name="case_exit"),
        path("cases/<int:case_id>/repair/", cases.case_repair, name="case_repair"),
        path("cases/<int:case_id>/records/", records.record_add, name="record_add"),
        path("records/<int:record_id>/correct/", records.record_correct, name="record_correct"),
        path("cases/<int:case_id>/opinion/", training.opinion_add, name="opinion_add"),
        path("attachments/<int:attachment_id>/", training.attachment_download, name="attachment"),
        path("tasks/<int:task_id>/urge/", tasks.task_urge, name="task_urge"),
        path("escalated/", lists.EscalatedView.as_view(), name="escalated"),
        path("notifications/", notifications.notification_list, name="notifications"),
        path("notifications/<int:notification_id>/open/", notifications.notification_open, name="notification_open"),
        path("notifications/read-all/", notifications.notification_read_all, name="notifications_read_all"),
        path("policy/", policy.policy_page, name="policy"),
        path("calendar/", calendar_views.calendar_page, name="calendar"),
        path("calendar/set/", calendar_views.calendar_set, name="calendar_set"),
        path("calendar/clear/", calendar_views.calendar_clear, name="calendar_clear"),
        path("plans/", plans_views.plans_page, name="plans"),
        path("plans/start/", plans_views.plan_start, name="plan_start"),
        path("forecast/", forecast_views.forecast_page, name="forecast"),
        path("completeness/", completeness.completeness_page, name="completeness"),
        path("completeness/download/", completeness.completeness_download, name="completeness_download"),
        path("roster/", roster_views.roster_page, name="roster"),
        path("roster/download/<str:fmt>/", roster_views.roster_download, name="roster_download"),
        path("dashboard/", dashboard_views.dashboard_page, name="dashboard"),
        path("dashboard/bulletin.pdf", dashboard_views.bulletin_download, name="dashboard_bulletin"),
        path("dashboard/assessment/", dashboard_views.assessment_page, name="assessment"),
        path("dashboard/assessment.xlsx", dashboard_views.assessment_download, name="assessment_xlsx"),
        path("dashboard/bulletins/issue/", bulletin_views.bulletin_issue, name="bulletin_issue"),
        path("bulletins/", bulletin_views.bulletin_list, name="bulletins"),
        path("bulletins/<int:bulletin_id>/", bulletin_views.bulletin_detail, name="bulletin"),
        path("bulletins/<int:bulletin_id>/pdf/", bulletin_views.bulletin_pdf, name="bulletin_pdf"),
        path("bulletins/receipts/<int:receipt_id>/sign/", bulletin_views.bulletin_sign, name="bulletin_sign"),
        path("outcomes/", outcomes_views.outcomes_page, name="outcomes"),
        path("reports/", reports.reports_page, name="reports"),
        path("reports/correct/", reports.report_correct, name="report_correct"),
        path("reports/tasks/<int:task_id>/", reports.report_task_page, name="report_task"),
        path("reports/tasks/<int:task_id>/act/", reports.report_task_act, name="report_task_act"),
        path("reports/<int:report_id>/", reports.report_detail, name="report"),
        path("reports/<int:report_id>/<str:fmt>/", reports.report_download, name="report_download"),
        path("annex2/", annex2.annex2_page, name="annex2"),
        path("annex2/download/<str:fmt>/", annex2.annex2_download, name="annex2_download"),
        path("annex2/city/<str:fmt>/", annex2.annex2_city_download, name="annex2_city_download"),
        path("cases/<int:case_id>/ledger.pdf", document_views.ledger_download, name="ledger_pdf"),
        path("exports/", jobs.exports_page, name="exports"),
        path("exports/new/", jobs.export_new, name="export_new"),
        path("exports/<int:job_id>/", jobs.export_job, name="export_job"),
        path("exports/<int:job_id>/download/", jobs.export_download, name="export_download"),
        path("security/lockouts/", security_views.lockouts_page, name="lockouts"),
        path("people/", people_views.people_list, name="people"),
        path("people/teachers/new/", people_views.teacher_add, name="people_teacher_add"),
        path("people/teachers/<int:teacher_id>/", people_views.teacher_edit, name="people_teacher"),
        path("people/roles/", people_views.roles_page, name="people_roles"),
        path("people/roles/<int:assignment_id>/end/", people_views.role_end, name="people_role_end"),
        path("people/accounts/<int:user_id>/password/", people_views.account_password, name="people_password"),
        path("people/import/", people_views.people_import_page, name="people_import"),
        path("people/import/template.xlsx", people_views.people_template_download, name="people_template"),
        path("security/lockouts/release/", security_views.lockout_release, name="lockout_release"),
        path("verify/", verify_views.verify_page, name="verify"),
        path("api-tokens/", api_token_views.api_tokens_page, name="api_tokens"),
        path("api-tokens/<int:token_id>/revoke/", api_token_views.api_token_revoke, name="api_token_revoke"),
        path("deputies/", deputy_views.deputies_page, name="deputies"),
        path("deputies/<int:deputy_id>/end/", deputy_views.deputy_end, name="deputy_end"),
        path("contest/", contest_views.contest_page, name="contest"),
        path("contest/open/", contest_views.contest_open, name="contest_open"),
        path("contest/<int:contest_id>/sync/", contest_views.contest_sync, name="contest_sync"),
        path("contest/<int:contest_id>/stage/", contest_views.contest_stage, name="contest_stage"),
        path("contest/<int:contest_id>/publish/", contest_views.contest_publish, name="contest_publish"),
        path("contest/<int:contest_id>/judges/", contest_views.contest_judge_add, name="contest_judge_add"),
        path("contest/<int:contest_id>/recommend/", contest_views.contest_recommend, name="contest_recommend"),
        path("contest/<int:contest_id>/judging/", contest_views.contest_judge_page, name="contest_judge"),
        path("contest/entries/<int:entry_id>/score/", contest_views.contest_score, name="contest_score"),
        path("contest/entries/<int:entry_id>/file/", contest_views.contest_entry_file, name="contest_entry_file"),
        path("files/", file_views.files_page, name="files"),  # 一人一档
        path("files.xlsx", file_views.files_download, name="files_download"),
        path("files/<int:teacher_id>/", file_views.file_detail, name="file_detail"),
        path("files/<int:teacher_id>/goals/", file_views.goal_add, name="goal_add"),
        path("files/goals/<int:goal_id>/", file_views.goal_update, name="goal_update"),
        path("demo-posts/", demo_views.demo_posts_page, name="demo_posts"),
        path("demo-posts/<int:post_id>/decide/", demo_views.demo_post_decide, name="demo_post_decide"),
        path("demo-posts/<int:post_id>/revoke/", demo_views.demo_post_revoke, name="demo_post_revoke"),
        path("demo-posts/coverage.xlsx", demo_views.demo_coverage_download, name="demo_coverage_download"),
        path("demo-lessons/", demo_views.demo_lessons_page, name="demo_lessons"),
        path("demo-lessons/<int:lesson_id>/record/", demo_views.demo_lesson_record, name="demo_lesson_record"),
        path("demo-lessons/<int:lesson_id>/cancel/", demo_views.demo_lesson_cancel, name="demo_lesson_cancel"),
        path("pairs/", pair_views.pairs_page, name="pairs"),
        path("pairs/<int:pair_id>/end/", pair_views.pair_end, name="pair_end"),
        path("pairs/<int:pair_id>/activities/", pair_views.pair_activity_add, name="pair_activity_add"),
        path("cases/<int:case_id>/measures/", pair_views.measure_submit, name="measure_submit"),
        path("measures/<int:measure_id>/review/", pair_views.measure_review, name="measure_review"),
    ]

    @property
    def index_path(self):
        return path("", lists.InboxView.as_view(), name="index")

    def get_context_data(self, request):
        if not request.user.is_authenticated:
            return {}
        # The bell beside the page's title shows the unread count too (inbox/_bell.html).
        return {"menu_html": self.menu_html(request), "unread_count": request_counts(request)["unread"]}

    def menu_html(self, request) -> str:
        """The menu (inbox/menu.html), rendered from exactly the values it shows and kept per
        distinct set of them: rendering its thirty links cost ~2 ms a page (bench/inbox.py). The
        template sees nothing but these values, so what it shows cannot go stale."""
        values = self.menu_values(request)
        key = (get_language(), get_script_prefix(), str(self.title), tuple(sorted(values.items())))
        return _MENUS.get(key, lambda: get_template("inbox/menu.html").render({"app": self, **values}))

    def menu_values(self, request) -> dict:
        assignments = selectors.user_assignments(request.user)
        counts = request_counts(request)  # one query, shared with the list's own count
        return {
            "inbox_count": counts["inbox"],
            "queue_count": counts["queue"],
            "escalated_count": counts["escalated"],
            "unread_count": counts["unread"],
            "report_count": counts["report"],
            "is_staff": request.user.is_staff,
            "can_completeness": bool(assignments),
            "can_people": bool(assignments),  # 人员管理: every role lists its subtree; only managers change it
            "can_lockouts": can_release_lockouts(request.user),
            "can_deputies": access.may_name_deputies(request.user)
            or any(getattr(a, "acting_for", None) for a in assignments),
            "can_roster": selectors.can_read_roster(request.user),
            "can_demo": access.demo.may_read(request.user),  # 示范岗 and 示范课
            "can_files": access.files.may_read(request.user),  # 一人一档
            "can_contest": access.contest.may_read(request.user),  # 双培论文评比
            "can_bulletins": bulletin_access.may_read(request.user),  # 半年通报 (签发, 签收)
            "can_pairs": access.pairs.may_read_pairs(request.user),  # 结对帮带
            "can_audit_search": bool(selectors.audit_scope_paths(request.user)),
            "can_audit_access": selectors.can_read_trail_access(request.user),
            # Only show the menu entries that lead somewhere for this user.
            "can_register": any(a.role == Role.OFFICER for a in assignments),
            "can_outcomes": any(a.role in (Role.OFFICER, Role.REVIEWER) for a in assignments),
            "can_annex2": any(a.org.kind in (OrgKind.CITY, OrgKind.COUNTY, OrgKind.DIRECT) for a in assignments),
        }


_MENUS = Kept(2000)


class ShuangpeiSite(Site):
    # One application: the site-level "Applications" menu would only repeat it.
    menu_template_name = None


site = ShuangpeiSite(title=_("益阳市教育系统“双培”工程"), viewsets=[InboxApp()])

"""The Django admin, in Chinese: where the bureau maintains organisations, people and roles.

Cases, tasks, the audit log and 附件2 rows are read-only here: they change only
through the services, so every change leaves its trace.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Annex2Row, AuditEvent, Case, CaseMentor, Organisation, RoleAssignment, Teacher

admin.site.site_header = _("益阳市教育系统“双培”工程 · 系统管理")
admin.site.site_title = _("双培工程管理")
admin.site.index_title = _("组织、人员与角色")


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "parent", "unit", "sort_order"]
    list_filter = ["kind"]
    search_fields = ["name"]
    autocomplete_fields = ["parent"]
    inlines = [RoleInline]


@admin.register(Teacher)
class TeacherAdmin(admin.ModelAdmin):
    list_display = ["name", "sex", "birth_date", "org", "party_status", "is_backbone", "user"]
    list_filter = ["party_status", "is_backbone", "sex"]
    search_fields = ["name"]
    autocomplete_fields = ["org", "user"]

    def save_model(self, request, obj, form, change):
        from .services.teachers import EDITABLE_FIELDS, teacher_record_admin_edit

        fields = [*EDITABLE_FIELDS, "org_id"]
        before = {}
        if change:
            stored = Teacher.objects.get(pk=obj.pk)
            before = {f: getattr(stored, f) for f in fields}
        super().save_model(request, obj, form, change)
        if change:
            teacher_record_admin_edit(actor=request.user, teacher=obj, before=before, reason="系统管理后台修改")


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "org"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__first_name", "org__name"]
    autocomplete_fields = ["user", "org"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MentorInline(admin.TabularInline):
    model = CaseMentor
    extra = 0
    can_delete = False
    readonly_fields = ["teacher", "status", "assigned_at", "responded_at", "ended_reason"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["teacher", "kind", "state", "org", "unit", "registered_at"]
    list_filter = ["kind", "state", "unit"]
    search_fields = ["teacher__name"]
    inlines = [MentorInline]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_name", "role", "org", "case", "action", "from_state", "to_state"]
    list_filter = ["action", "role"]
    search_fields = ["actor_name", "case__teacher__name"]


@admin.register(Annex2Row)
class Annex2RowAdmin(ReadOnlyAdmin):
    list_display = ["unit", "year", "kind", "name", "birth_month", "note"]
    list_filter = ["year", "kind", "unit"]

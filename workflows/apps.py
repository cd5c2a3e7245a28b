from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = _("双培工程")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.core import checks
        from django.db.models.signals import post_delete, post_save

        from .append_only import check_append_only_triggers
        from .models import WorkdayOverride
        from .workdays import overrides_changed

        # Not tagged "database": it runs on every ``check`` and at server start-up.
        checks.register(check_append_only_triggers)
        # The process's copy of the city's working-day table (workflows/workdays.py).
        post_save.connect(overrides_changed, sender=WorkdayOverride, dispatch_uid="workday_overrides_saved")
        post_delete.connect(overrides_changed, sender=WorkdayOverride, dispatch_uid="workday_overrides_deleted")

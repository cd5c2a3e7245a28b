from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = _("双培工程")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.core import checks

        from .append_only import check_append_only_triggers

        # Not tagged "database": it runs on every ``check`` and at server start-up.
        checks.register(check_append_only_triggers)

"""python manage.py audit_trail CASE_ID --format json"""

from django.core.management.base import BaseCommand, CommandError

from workflows.models import Case
from workflows.selectors import case_events
from workflows.trail_export import trail_json_text


class Command(BaseCommand):
    help = "按发生顺序输出一个培养案例的全部审计事件。"

    def add_arguments(self, parser):
        parser.add_argument("case_id", type=int)
        parser.add_argument("--format", choices=["json"], default="json", dest="fmt")

    def handle(self, *args, case_id, fmt, **options):
        case = Case.objects.select_related("teacher").filter(pk=case_id).first()
        if case is None:
            raise CommandError(f"找不到编号为 {case_id} 的培养案例。")
        # The same payload the trail page's JSON export serves (workflows/trail_export.py).
        self.stdout.write(trail_json_text(case, case_events(case)))

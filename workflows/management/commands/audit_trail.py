"""python manage.py audit_trail CASE_ID --format json"""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from workflows.models import Case
from workflows.selectors import case_events


class Command(BaseCommand):
    help = "按发生顺序输出一个培养案例的全部审计事件。"

    def add_arguments(self, parser):
        parser.add_argument("case_id", type=int)
        parser.add_argument("--format", choices=["json"], default="json", dest="fmt")

    def handle(self, *args, case_id, fmt, **options):
        case = Case.objects.select_related("teacher").filter(pk=case_id).first()
        if case is None:
            raise CommandError(f"找不到编号为 {case_id} 的培养案例。")
        events = [
            {
                "id": e.pk,
                "at": timezone.localtime(e.at).isoformat(),
                "actor": e.actor_name,
                "actor_id": e.actor_id,
                "role": e.role,
                "org": e.org.name if e.org_id else None,
                "action": e.action,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "reason": e.reason,
                "changes": e.changes,
                "task_id": e.task_id_ref,
            }
            for e in case_events(case)
        ]
        payload = {
            "case_id": case.pk,
            "teacher": case.teacher.name,
            "kind": case.kind,
            "state": case.state,
            "events": events,
        }
        self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))

"""python manage.py export_ledger CASE_ID --output PATH"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from workflows.documents import ledger_pdf
from workflows.models import Case


class Command(BaseCommand):
    help = "导出某培养案例的附件3培养台账（PDF），内容与导出时的审计记录一致。"

    def add_arguments(self, parser):
        parser.add_argument("case_id", type=int, help="培养案例编号")
        parser.add_argument("--output", required=True, help="输出文件路径（.pdf）")

    def handle(self, *args, case_id, output, **options):
        case = Case.objects.select_related("teacher").filter(pk=case_id).first()
        if case is None:
            raise CommandError(_("找不到编号为 %(id)s 的培养案例，请核对案例编号。") % {"id": case_id})
        _name, _mime, content = ledger_pdf(case)
        Path(output).write_bytes(content)
        self.stdout.write(_("已导出 %(name)s 的培养台账 → %(output)s") % {"name": case.teacher.name, "output": output})

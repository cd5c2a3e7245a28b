"""``python manage.py import_people PATH --unit NAME [--user USERNAME]``: load a unit's people.

The same import as the 人员管理 page: the workbook of the template (学校与支部 / 教师 / 账号与角色),
checked whole before anything is written. A file with errors prints every bad cell and exits
non-zero, having imported nothing; a clean one prints what it added and updated.

    python manage.py import_people 名单.xlsx --unit 赫山区教育局 --user heshan_reviewer
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from workflows.errors import GuardError
from workflows.management.command_input import acting_user, read_file
from workflows.models import Organisation, OrgKind
from workflows.models.organisations import UNIT_KINDS
from workflows.services.people_import import ImportRejected, import_people


class Command(BaseCommand):
    help = "导入人员名单（XLSX：学校与支部、教师、账号与角色），先检查全部内容，无误后一次写入。"

    def add_arguments(self, parser):
        parser.add_argument("path", help="人员名单文件路径（.xlsx，格式同导入模板）")
        parser.add_argument("--unit", required=True, help="导入到哪个单位：区县教育局、直属单位或市委教育工委的名称")
        parser.add_argument(
            "--user", help="以该用户的身份导入（须为该单位的党务干部、审核人或市级管理员）；不填则以“系统”身份导入"
        )

    def handle(self, *args, **options):
        path = Path(options["path"])
        content = read_file(path)
        units = list(Organisation.objects.filter(name=options["unit"], kind__in=(*UNIT_KINDS, OrgKind.CITY)))
        if len(units) != 1:
            raise CommandError(
                _("没有名为“%(name)s”的区县教育局、直属单位或市委教育工委，请核对单位名称。")
                % {"name": options["unit"]}
            )
        actor = acting_user(options["user"])
        try:
            result = import_people(
                actor=actor, root_id=units[0].pk, content=content, filename=path.name, system=actor is None
            )
        except ImportRejected as error:
            for line in error.errors:
                self.stderr.write(line)
            raise CommandError(error.message) from None
        except GuardError as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            self.style.SUCCESS(_("%(unit)s：%(summary)s") % {"unit": units[0].name, "summary": result.summary()})
        )

"""``python manage.py import_quota PATH``: import 附件1, the three-year quota table (XLSX or CSV).

Prints the totals computed from the rows, per block and per 类别, and each place where the
file's stated 合计 disagrees as a warning (the import still succeeds). If any row is bad,
it prints every bad row, imports nothing and exits with an error.

    python manage.py import_quota docs/samples/附件1_三年实施计划指导性任务表_2019-2021.xlsx
    python manage.py import_quota plan.csv --first-year 2022 --last-year 2024 --user city_admin
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from workflows.errors import GuardError
from workflows.management.command_input import acting_user, read_file
from workflows.services.quotas import KIND_HEADINGS, KINDS, import_quota, parse_quota_table


class Command(BaseCommand):
    help = "导入附件1（三年实施计划指导性任务表，XLSX 或 CSV），按各行计算合计并报告合计不一致之处。"

    def add_arguments(self, parser):
        parser.add_argument("path", help="附件1 文件路径（.xlsx 或 .csv）")
        parser.add_argument("--first-year", type=int, default=2019, help="起始年度（默认 2019）")
        parser.add_argument("--last-year", type=int, default=2021, help="截止年度（默认 2021）")
        parser.add_argument("--user", help="以该用户（须为市级管理员）的身份导入；不填则以“系统”身份导入")
        parser.add_argument("--title", default="", help="计划名称（默认取表格标题）")

    def handle(self, *args, **options):
        path = Path(options["path"])
        content = read_file(path)
        actor = acting_user(options["user"])
        try:
            parsed = parse_quota_table(content, path.name)
            plan = import_quota(
                actor=actor,
                content=content,
                filename=path.name,
                first_year=options["first_year"],
                last_year=options["last_year"],
                title=options["title"],
                system=actor is None,
            )
        except GuardError as error:
            raise CommandError(error.message) from None

        out = self.stdout
        out.write(
            _("已导入：%(plan)s（编号 %(pk)s），共 %(n)s 个单位。")
            % {"plan": plan, "pk": plan.pk, "n": len(parsed.rows)}
        )
        out.write(_("按各行计算的合计："))
        for block in parsed.blocks:
            computed = block.computed
            numbers = "，".join(f"{KIND_HEADINGS[kind]} {computed[kind]}" for kind in KINDS)
            label = block.label or _("表中")
            out.write(
                _("  %(label)s（第 %(row)s 行表头，%(n)s 个单位）：%(numbers)s")
                % {"label": label, "row": block.header_row, "n": len(block.rows), "numbers": numbers}
            )
        totals = parsed.totals
        out.write(
            _("  全部合计：%(numbers)s")
            % {"numbers": "，".join(f"{KIND_HEADINGS[kind]} {totals[kind]}" for kind in KINDS)}
        )
        for item in plan.inconsistencies:
            out.write(
                self.style.WARNING(
                    _("警告：合计不一致，%(message)s。以按各行计算的数为准。") % {"message": item["message"]}
                )
            )
        if not plan.inconsistencies:
            out.write(self.style.SUCCESS(_("文件中写明的合计与各行之和一致。")))

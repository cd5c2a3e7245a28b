"""python manage.py export_annex2 --unit NAME --year YYYY --format csv|xlsx --output PATH"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from workflows.documents import annex2_csv, annex2_xlsx
from workflows.models import Organisation
from workflows.selectors import annex2_rows


class Command(BaseCommand):
    help = "导出某单位某年度的附件2汇总表（单位名称按附件1填写）。"

    def add_arguments(self, parser):
        parser.add_argument("--unit", required=True, help="单位名称，如“赫山区教育局”")
        parser.add_argument("--year", required=True, type=int, help="完成年度，如 2026")
        parser.add_argument("--format", required=True, choices=["csv", "xlsx"], dest="fmt")
        parser.add_argument("--output", required=True, help="输出文件路径")

    def handle(self, *args, unit, year, fmt, output, **options):
        org = Organisation.objects.filter(name=unit.strip(), kind__in=["county", "direct"]).first()
        if org is None:
            names = "、".join(Organisation.objects.filter(kind__in=["county", "direct"]).values_list("name", flat=True))
            raise CommandError(f"找不到单位“{unit}”。请按附件1的写法填写单位名称：{names}")
        rows = annex2_rows(unit=org, year=year)
        if fmt == "csv":
            _name, _mime, content = annex2_csv(unit=org, year=year, rows=rows)
        else:
            _name, _mime, content = annex2_xlsx(unit=org, year=year, rows=rows, dated=timezone.localdate())
        Path(output).write_bytes(content)
        self.stdout.write(f"已导出 {org.name} {year} 年附件2：{len(rows)} 行 → {output}")

"""python manage.py export_annex2 --unit NAME --year YYYY --format csv|xlsx|pdf --output PATH
python manage.py export_annex2 --city --year YYYY --format xlsx|pdf --output PATH"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from workflows.documents import annex2_city_pdf, annex2_city_xlsx, annex2_csv, annex2_pdf, annex2_xlsx
from workflows.models import Organisation
from workflows.selectors import annex2_rows, city_annex2


class Command(BaseCommand):
    help = "导出某单位某年度的附件2汇总表（单位名称按附件1填写），或用 --city 导出全市汇总表。"

    def add_arguments(self, parser):
        parser.add_argument("--unit", help="单位名称，如“赫山区教育局”（使用 --city 时不填）")
        parser.add_argument("--city", action="store_true", help="导出全市汇总表（各单位依次列出，末尾为全市合计）")
        parser.add_argument("--year", required=True, type=int, help="完成年度，如 2026")
        parser.add_argument("--format", required=True, choices=["csv", "xlsx", "pdf"], dest="fmt")
        parser.add_argument("--output", required=True, help="输出文件路径")

    def handle(self, *args, unit, city, year, fmt, output, **options):
        today = timezone.localdate()
        if city:
            if unit:
                raise CommandError(_("--city 导出全市汇总表，不需要再填 --unit。"))
            if fmt == "csv":
                raise CommandError(_("全市汇总表只提供 XLSX 和 PDF 两种格式，请用 --format xlsx 或 --format pdf。"))
            units = city_annex2(year)
            render = annex2_city_pdf if fmt == "pdf" else annex2_city_xlsx
            _name, _mime, content = render(year=year, units=units, dated=today)
            Path(output).write_bytes(content)
            count = sum(len(rows) for _unit, rows in units)
            self.stdout.write(
                _("已导出 %(year)s 年附件2全市汇总表：%(units)d 个单位，%(count)d 行 → %(output)s")
                % {"year": year, "units": len(units), "count": count, "output": output}
            )
            return
        if not unit:
            raise CommandError(_("请用 --unit 填写单位名称，或用 --city 导出全市汇总表。"))
        org = Organisation.objects.filter(name=unit.strip(), kind__in=["county", "direct"]).first()
        if org is None:
            names = "、".join(Organisation.objects.filter(kind__in=["county", "direct"]).values_list("name", flat=True))
            raise CommandError(f"找不到单位“{unit}”。请按附件1的写法填写单位名称：{names}")
        rows = annex2_rows(unit=org, year=year)
        if fmt == "csv":
            _name, _mime, content = annex2_csv(unit=org, year=year, rows=rows)
        elif fmt == "pdf":
            _name, _mime, content = annex2_pdf(unit=org, year=year, rows=rows, dated=today)
        else:
            _name, _mime, content = annex2_xlsx(unit=org, year=year, rows=rows, dated=today)
        Path(output).write_bytes(content)
        self.stdout.write(f"已导出 {org.name} {year} 年附件2：{len(rows)} 行 → {output}")

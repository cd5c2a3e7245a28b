"""manage.py tick: open due training work, send reminders, mark overdue steps, escalate."""

import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from workflows.services.audit import checkpoint_write
from workflows.services.reminders import tick
from workflows.services.reports import annex2_rounds_sync, plan_rounds_sync


class Command(BaseCommand):
    help = (
        "定时任务：开启各单位年度附件2报送，按单位频次下发培养记录和学期成果任务，发送到期和逾期提醒，逾期超过规定天数的升级督办。"
        "可重复运行，多个进程同时运行也只发一次。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="每分钟运行一次，直到被中止")
        parser.add_argument("--interval", type=int, default=60, help="--loop 的间隔秒数（默认 60）")

    def handle(self, *args, loop: bool, interval: int, **options):
        while True:
            report = tick()
            # Each unit's 附件2 round for the year (due 10 September) opens on its first tick.
            rounds = annex2_rounds_sync()
            # And 附件1 breakdown rounds of units whose 审核人 was named after the import.
            plan_rounds = plan_rounds_sync()
            # A signed checkpoint of the audit chain's head, when it moved (workflows/chain.py).
            checkpoint = checkpoint_write()
            stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")
            self.stdout.write(f"[{stamp}] {report.summary()}")
            if rounds:
                self.stdout.write(f"[{stamp}] 开启年度附件2报送 {rounds} 个单位。")
            if plan_rounds:
                self.stdout.write(f"[{stamp}] 开启三年计划年度分解 {plan_rounds} 个单位。")
            if checkpoint is not None:
                self.stdout.write(f"[{stamp}] 审计链检查点：{checkpoint}。")
            if not loop:
                return
            time.sleep(max(1, interval))

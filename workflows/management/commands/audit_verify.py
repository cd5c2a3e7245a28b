"""manage.py audit_verify: recompute the audit hash chain, its evidence, head and checkpoints."""

import json
import time

from django.core.management.base import BaseCommand, CommandError

from workflows import chain


class Command(BaseCommand):
    # It must run precisely when the append-only check fails (it reports missing triggers itself).
    requires_system_checks = []
    help = (
        "核验审计链：重新计算每个审计事件的摘要、它所记录的证据（培养记录、培养人意见、学期成果、附件文件、"
        "附件2汇总行、年度报表）、链头和签名检查点。完整时退出码 0；否则退出码 1，并列出每个不符的事件。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="from_seq", type=int, default=1, help="从该序号开始核验（默认 1）")
        parser.add_argument("--format", choices=["text", "json"], default="text", help="输出格式（默认 text）")
        parser.add_argument("--no-files", action="store_true", help="不重新计算附件文件的 SHA-256")

    def handle(self, *args, from_seq: int, format: str, no_files: bool, **options):
        if from_seq < 1:
            raise CommandError("--from 应为正整数。")
        started = time.monotonic()
        result = chain.verify(from_seq, check_files=not no_files)
        elapsed = time.monotonic() - started
        if format == "json":
            self.stdout.write(json.dumps({**result.as_dict(), "seconds": round(elapsed, 3)}, ensure_ascii=False))
        else:
            self._text(result, elapsed)
        if not result.ok:
            raise SystemExit(1)

    def _text(self, result, elapsed):
        span = f"序号 {result.first_seq}–{result.last_seq}" if result.events else "无事件"
        self.stdout.write(
            f"核验 {result.events} 个审计事件（{span}），证据 {result.evidence_rows} 行，"
            f"检查点 {result.checkpoints} 个，用时 {elapsed:.2f} 秒。"
        )
        for p in result.problems:
            where = []
            if p.event_id is not None:
                where.append(f"事件 {p.event_id}")
            if p.seq is not None:
                where.append(f"序号 {p.seq}")
            if p.case_id is not None:
                where.append(f"案例 {p.case_id}")
            self.stdout.write(f"不符 [{p.kind}] {'，'.join(where) or '—'}：{p.detail}")
        if result.ok:
            self.stdout.write(self.style.SUCCESS(f"审计链完整。核验码 {chain.current_code()}"))
        else:
            self.stdout.write(self.style.ERROR(f"审计链未通过核验：{len(result.problems)} 处不符。"))

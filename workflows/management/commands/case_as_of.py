"""python manage.py case_as_of CASE_ID --at 2026-11-01 [--compare 2026-11-30] [--format json|text]

The case as it stood at a moment, rebuilt from the audit trail (``workflows.as_of``). ``--at``
takes a date (the end of that day, Asia/Shanghai) or an ISO datetime (with an offset, or taken
as local time). With ``--compare``, also what changed from ``--at`` to then.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from workflows import as_of
from workflows.errors import GuardError
from workflows.models import Case


class Command(BaseCommand):
    help = "输出一个培养案例在某一时刻的状态（根据审计轨迹重建）。"

    def add_arguments(self, parser):
        parser.add_argument("case_id", type=int)
        parser.add_argument("--at", required=True, help="2026-11-01（当天结束时）或 2026-11-01T10:00+08:00")
        parser.add_argument("--compare", default=None, help="对比至该时刻，列出期间的变化")
        parser.add_argument("--format", choices=["json", "text"], default="json", dest="fmt")

    def handle(self, *args, case_id, at, compare, fmt, **options):
        case = Case.objects.select_related("teacher").filter(pk=case_id).first()
        if case is None:
            raise CommandError(f"找不到编号为 {case_id} 的培养案例。")
        try:
            moment = as_of.parse_moment(at)
            until = as_of.parse_moment(compare) if compare else None
        except GuardError as error:
            raise CommandError(error.message) from None
        if until is not None and until <= moment:
            raise CommandError("--compare 的时间须晚于 --at。")
        view = as_of.case_as_of(case, moment)
        if not view.existed:
            raise CommandError(f"{as_of.moment_label(moment)} 时该案例尚未建档。")
        facts = view.facts()
        facts["teacher"] = case.teacher.name
        facts["kind"] = case.kind
        if until is not None:
            facts["diff"] = as_of.diff_facts(as_of.case_diff(case, moment, until))
        if fmt == "json":
            self.stdout.write(json.dumps(facts, ensure_ascii=False, indent=2))
            return
        self.stdout.write(self._text(view, facts))

    def _text(self, view, facts) -> str:
        lines = [
            f"培养案例 #{view.case.pk} {view.case.teacher.name}（类别{view.case.kind}）",
            f"以下为 {as_of.moment_label(view.at)} 时的状态",
            f"阶段：{view.state_label}" + (f"（暂停前：{view.paused_from_label}）" if view.paused_from else ""),
            "培养人：" + ("；".join(f"{m.name} · {m.status_label}" for m in view.mentors) or "尚未指定"),
            "待办：",
            *[f"  · {t.title} — {t.owner_username or '待认领'}" for t in view.open_tasks],
            "培养记录：",
            *[f"  · {r.date} {r.kind_label} 第{r.version}版 {r.mentor_name}：{r.content}" for r in view.records],
            *[f"  · （已被更正）{r.date} {r.kind_label} 第{r.version}版" for r in view.superseded],
            "学期成果：",
            *[f"  · {w.semester_label}{w.item_label}：{w.status_label} {w.title}" for w in view.works],
            "培养人意见：",
            *[f"  · {o.mentor_name}：{o.text}" for o in view.opinions],
        ]
        if view.gate is not None:
            lines.append("提交支部审核前的检查：" + ("" if view.gate else "已齐备"))
            lines.extend(f"  · {item}" for item in view.gate)
        if "diff" in facts:
            diff = facts["diff"]
            lines.append(f"至 {diff['to']} 的变化：")
            if diff["state"]:
                lines.append(f"  · 阶段：{diff['state'][0]} → {diff['state'][1]}")
            lines.extend(f"  · 培养人 {n}：{a or '—'} → {b}" for n, a, b in diff["mentors"])
            lines.extend(f"  · 新增待办：{t}" for t in diff["tasks_opened"])
            lines.extend(f"  · 办结或撤销：{t}" for t in diff["tasks_closed"])
            lines.append(f"  · 期间事件 {len(diff['events'])} 条")
        return "\n".join(lines)

"""A case's audit trail as files: the official PDF (培养案例审计轨迹), XLSX and JSON.

The JSON is exactly what ``manage.py audit_trail CASE_ID --format json`` prints: both call
:func:`trail_payload`. Each renderer returns ``(filename, mimetype, bytes)`` and takes the
events to print, so a view hands over the events its viewer may see (``visibility.events_for``)
and the command the whole trail. Reads only; the export is logged by ``services.trail``.
"""

import json

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from .documents import XLSX_MIME, _consistent_read, _pdf, cn_date, kind_boxes
from .models import Case
from .spreadsheet import print_setup, xlsx_bytes

TRAIL_TITLE = "培养案例审计轨迹"
TRAIL_HEADER = ["序号", "时间", "操作人", "身份", "所在组织", "操作", "原阶段", "新阶段", "理由", "变更内容"]


def trail_payload(case: Case, events) -> dict:
    """The trail as data: the case's facts and each event in order (the JSON export)."""
    return {
        "case_id": case.pk,
        "teacher": case.teacher.name,
        "kind": case.kind,
        "state": case.state,
        "events": [
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
            for e in events
        ],
    }


def trail_json_text(case: Case, events) -> str:
    return json.dumps(trail_payload(case, events), ensure_ascii=False, indent=2)


def _stem(case: Case) -> str:
    return f"{TRAIL_TITLE}_{case.teacher.name}_{case.pk}"


def trail_json(case: Case, events) -> tuple[str, str, bytes]:
    return f"{_stem(case)}.json", "application/json; charset=utf-8", trail_json_text(case, events).encode()


def trail_rows(events) -> list[list]:
    """One row per event, in order: what the PDF's table and the workbook hold."""
    return [
        [
            n,
            timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"),
            e.actor_name,
            str(e.role_label),
            e.org.name if e.org_id else "",
            e.action_label,
            str(e.from_state_label),
            str(e.to_state_label),
            e.reason,
            e.changes_text,
        ]
        for n, e in enumerate(events, 1)
    ]


def trail_facts(case: Case) -> list[tuple[str, str]]:
    """The case's facts printed above the events."""
    return [
        ("培养对象", case.teacher.name),
        ("案例编号", str(case.pk)),
        ("“双培”类别", kind_boxes(case.kind)),
        ("所在组织", case.org.name),
        ("单位", case.unit.name),
        ("培养建档时间", cn_date(timezone.localtime(case.registered_at))),
        ("当前阶段", str(case.get_state_display())),
    ]


def _read(case: Case, events) -> tuple[Case, list]:
    """The case and its events read together, so the facts and the table agree."""
    with _consistent_read():
        case = Case.objects.select_related("teacher", "org", "unit").get(pk=case.pk)
        return case, list(events)


def trail_xlsx(case: Case, events) -> tuple[str, str, bytes]:
    case, events = _read(case, events)
    wb = Workbook()
    ws = wb.active
    ws.title = "审计轨迹"
    ws.append([TRAIL_TITLE])
    ws["A1"].font = Font(size=14, bold=True)
    for label, value in trail_facts(case):
        ws.append([label, value])
    ws.append([])
    ws.append(TRAIL_HEADER)
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
    for row in trail_rows(events):
        ws.append(row)
    for line in ws.iter_rows(min_row=header_row + 1, max_row=ws.max_row):
        for cell in line:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    for column, width in zip("ABCDEFGHIJ", (6, 20, 14, 12, 20, 16, 12, 12, 36, 48), strict=True):
        ws.column_dimensions[column].width = width
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    print_setup(ws, title_row=1, header_rows=(header_row, header_row), columns=len(TRAIL_HEADER))
    return f"{_stem(case)}.xlsx", XLSX_MIME, xlsx_bytes(wb)


def _pairs(facts: list) -> list[list]:
    """Facts two to a table row; the last row padded with an empty pair."""
    padded = facts + [("", "")] * (len(facts) % 2)
    return [padded[i : i + 2] for i in range(0, len(padded), 2)]


def trail_pdf(case: Case, events) -> tuple[str, str, bytes]:
    case, events = _read(case, events)
    context = {
        "title": TRAIL_TITLE,
        "case": case,
        "fact_rows": _pairs(trail_facts(case)),
        "header": TRAIL_HEADER,
        "rows": trail_rows(events),
        "generated_at": timezone.localtime().strftime("%Y-%m-%d %H:%M:%S"),
        "last_event_id": events[-1].pk if events else None,
    }
    return f"{_stem(case)}.pdf", "application/pdf", _pdf("documents/trail.html", context)

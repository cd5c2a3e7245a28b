"""Model rows as the API's dicts. Only what the caller's standing lets the pages show them."""


def task_summary(task) -> dict:
    case = task.case
    return {
        "id": task.pk,
        "title": str(task.title),
        "node": task.flow_task.name,
        "stage": task.stage or "",
        "stage_label": str(task.get_stage_display() or ""),
        "status": task.status,
        "case_id": case.pk,
        "trainee": case.teacher.name,
        "kind": case.kind,
        "unit": case.unit.name,
        "org": task.org.name if task.org_id else "",
        "due_at": task.due_at,
        "overdue": bool(task.is_overdue),
    }


def case_summary(case) -> dict:
    return {
        "id": case.pk,
        "trainee": case.teacher.name,
        "kind": case.kind,
        "kind_label": str(case.get_kind_display()),
        "state": case.state,
        "state_label": str(case.get_state_display()),
        "org": case.org.name,
        "unit": case.unit.name,
    }


def work(work) -> dict:
    return {
        "id": work.pk,
        "item": str(work.get_item_display()),
        "semester": str(work.semester_label),
        "title": work.title,
        "summary": work.summary,
        "status": work.status,
        "status_label": str(work.get_status_display()),
        "review_note": work.review_note,
    }


def opinion(event) -> dict:
    return {
        "at": event.at,
        "actor": event.actor_name,
        "action": event.action,
        "action_label": event.action_label,
        "reason": event.reason,
    }


def event(event) -> dict:
    return {
        **opinion(event),
        "role": str(event.role_label or ""),
        "from_state": event.from_state,
        "to_state": event.to_state,
    }

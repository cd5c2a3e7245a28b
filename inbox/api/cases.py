"""A case's facts, as the case page shows them to the caller (workflows/visibility.py)."""

from ninja import Router

from workflows import selectors, visibility
from workflows.flows import OPEN_TASK_STATUSES

from .schemas import CaseDetail, Error, Id
from .shapes import case_summary, event

router = Router(tags=["培养案例"])


@router.get("/cases/{case_id}", response={200: CaseDetail, 401: Error, 404: Error, 422: Error}, summary="培养案例")
def case_detail(request, case_id: Id):
    user = request.user
    case = selectors.case_for_user(user, case_id)
    view = visibility.case_view(user, case)
    teacher = case.teacher
    tasks = selectors.tasks_in_scope(user).filter(case=case, status__in=OPEN_TASK_STATUSES).order_by("created", "id")
    open_tasks = visibility.open_tasks_for(user, case, tasks)
    return {
        **case_summary(case),
        "sex": str(teacher.get_sex_display()),
        "birth_month": teacher.birth_date.strftime("%Y.%m") if teacher.birth_date else "",
        "party_status": str(teacher.get_party_status_display()) if view.party_status else None,
        "is_backbone": teacher.is_backbone,
        "registered_at": case.registered_at,
        "note": case.note,
        "mentors": [
            {
                "name": m.teacher.name,
                "position": m.teacher.position or "",
                "status": m.status,
                "status_label": str(m.get_status_display()),
            }
            for m in selectors.mentors_of_case(case)
        ],
        "open_tasks": [
            {
                "id": t.pk,
                "title": str(t.title),
                "org": t.org.name if t.org_id else "",
                "owner": visibility.person_name(t.owner, view),
                "due_at": t.due_at,
            }
            for t in open_tasks
        ],
        "records": [
            {
                "id": r.pk,
                "date": r.date,
                "kind": r.kind,
                "kind_label": str(r.get_kind_display()),
                "content": r.content,
                "mentor": r.mentor.teacher.name,
            }
            for r in selectors.current_records(case)
        ],
        "events": [event(e) for e in selectors.case_events_for(user, case)],
    }

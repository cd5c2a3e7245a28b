"""我的待办, 待认领, a task, and acting on it: the task page's data and actions, as JSON."""

from typing import Annotated

from django.http import QueryDict
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from forms.cases import (
    ApproveForm,
    DeclineForm,
    FileForm,
    OpinionForm,
    PairForm,
    RecordForm,
    RejectForm,
    ReturnForm,
    WorkAcceptForm,
    WorkForm,
    WorkReturnForm,
    first_error,
)
from forms.copies import CommentForm, CopyForm
from forms.forwarding import CountersignAnswerForm, CountersignAskForm, ForwardForm
from inbox.views.copies import recipient_choices
from inbox.views.tasks import _mentor_candidates
from workflows import access, selectors, visibility
from workflows.access import forwarding as forwarding_rules
from workflows.errors import GuardError
from workflows.flows import OPEN_TASK_STATUSES, CaseFlow
from workflows.models import KINDS_FOR_CASE
from workflows.services import bulk as bulk_services
from workflows.services import cases as case_services
from workflows.services import copies as copy_services
from workflows.services import forwarding as forwarding_services
from workflows.services import records as record_services
from workflows.services import tasks as task_services
from workflows.services import training

from .schemas import MAX_ID, ActIn, ActOut, Done, Error, Id, Me, TaskDetail, TaskPage
from .shapes import case_summary, opinion, task_summary, work

router = Router(tags=["任务"])
ERRORS = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}
ACT_ERRORS = {400: Error, **ERRORS}

# Which decisions each step takes (the task page's buttons for the same step).
NODE_ACTIONS = {
    CaseFlow.pair: ("pair", "forward"),
    CaseFlow.accept: ("accept", "decline"),
    CaseFlow.submit: ("submit", "forward"),
    CaseFlow.branch_review: ("approve", "return", "reject", "forward", "countersign_ask"),
    CaseFlow.unit_review: ("approve", "return", "reject", "forward", "countersign_ask"),
    CaseFlow.city_filing: ("file", "return", "forward", "countersign_ask"),
    CaseFlow.record: ("record",),
    CaseFlow.submit_work: ("work_submit",),
    CaseFlow.review_work: ("work_accept", "work_return"),
    CaseFlow.opinion: ("opinion",),
    CaseFlow.countersign: ("countersign_answer",),
}
# 抄送 and 评论 take no decision: they go with any step, each by its own rule (access.copies).
ANY_STEP_ACTIONS = ("copy", "comment")


class Paging(Schema):
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


@router.get("/me", response={200: Me, 401: Error}, summary="当前用户")
def me(request):
    user = request.user
    return {"id": user.pk, "username": user.get_username(), "name": visibility.display_name(user)}


def _page(qs, paging: Paging) -> dict:
    qs = qs.order_by("due_at", "id")
    return {"count": qs.count(), "items": [task_summary(t) for t in qs[paging.offset : paging.offset + paging.limit]]}


@router.get("/tasks", response={200: TaskPage, **ERRORS}, summary="我的待办")
def my_tasks(request, paging: Query[Paging]):
    return _page(selectors.inbox_for_user(request.user), paging)


@router.get("/queue", response={200: TaskPage, **ERRORS}, summary="待认领")
def my_queue(request, paging: Query[Paging]):
    return _page(selectors.queue_for_user(request.user), paging)


# 转交 / 加签 are offered by their own rules (workflows.access.forwarding), as on the task page.
_OFFERED = {
    "forward": access.may_forward,
    "countersign_ask": access.may_countersign,
    "countersign_answer": access.may_answer_countersign,
}


def _offered(user, task, action) -> bool:
    rule = _OFFERED.get(action)
    return rule is None or rule(user, task)


def _detail(user, task) -> dict:
    is_open = task.status in OPEN_TASK_STATUSES
    can_act = is_open and access.may_act(user, task)
    view = visibility.case_view(user, task.case)
    node = task.flow_task
    data = {
        **task_summary(task),
        "is_open": is_open,
        "owner": visibility.person_name(task.owner, view),
        "can_act": can_act,
        "can_claim": access.may_claim(user, task),
        "can_unclaim": access.may_unclaim(user, task),
        "can_copy": access.may_copy(user, task),
        "can_comment": access.may_comment(user, task),
        "actions": [a for a in NODE_ACTIONS.get(node, ()) if _offered(user, task, a)] if can_act else [],
        "case": case_summary(task.case),
        "gate": training.gate_missing(task.case) if node == CaseFlow.submit and is_open else None,
        "work": work(task.work) if task.work_id else None,
        "mentor_candidates": None,
    }
    if can_act and node == CaseFlow.pair:
        data["mentor_candidates"] = [
            {"id": t.pk, "name": t.name, "org": t.org.name} for t in _mentor_candidates(user, task.case)
        ]
    opinions = (
        selectors.work_opinions_for(user, task.work) if task.work_id else selectors.case_opinions_for(user, task.case)
    )
    data["opinions"] = [opinion(e) for e in opinions]
    return data


@router.get("/tasks/{task_id}", response={200: TaskDetail, **ERRORS}, summary="任务详情")
def task_detail(request, task_id: Id):
    task = selectors.task_for_user(request.user, task_id)
    return _detail(request.user, task)


def _form_data(payload: ActIn, *names) -> QueryDict:
    data = QueryDict(mutable=True)
    for name in names:
        value = getattr(payload, name)
        if value is None:
            continue
        if isinstance(value, list):
            data.setlist(name, [str(v) for v in value])
        else:
            data[name] = str(value)
    return data


def _valid(form):
    if not form.is_valid():
        raise GuardError(first_error(form))
    return form.cleaned_data


@router.post("/tasks/{task_id}/act", response={200: ActOut, **ACT_ERRORS}, summary="办理任务")
def task_act(request, task_id: Id, payload: ActIn):
    """One decision on a task, as the task page takes it; ``action`` names it."""
    user = request.user
    task = selectors.task_for_user(user, task_id)
    action = payload.action
    if action not in ANY_STEP_ACTIONS:
        case_services.task_check_actor(user, task)
        if action not in NODE_ACTIONS.get(task.flow_task, ()):
            raise GuardError(_("此操作不适用于“%(title)s”任务。") % {"title": task.flow_task.task_title})
    message = _ACTIONS[action](user, task, payload)
    case = task.case
    case.refresh_from_db()
    return {
        "detail": message,
        "task_id": task.pk,
        "case_id": case.pk,
        "case_state": case.state,
        "case_state_label": case.get_state_display(),
    }


def _pair(user, task, payload):
    form = PairForm(
        _form_data(payload, "mentors"),
        candidates=_mentor_candidates(user, task.case),
        party_status_visible=visibility.party_status_visible(user),
    )
    case_services.case_pair(actor=user, task_id=task.pk, mentor_ids=_valid(form)["mentors"])
    return _("已指定培养人，等待培养人接受结对。")


def _accept(user, task, payload):
    case_services.mentor_accept(actor=user, task_id=task.pk)
    return _("已接受结对。")


def _decline(user, task, payload):
    reason = _valid(DeclineForm(_form_data(payload, "reason")))["reason"]
    case_services.mentor_decline(actor=user, task_id=task.pk, reason=reason)
    return _("已谢绝结对，党务干部将重新安排。")


def _submit(user, task, payload):
    case_services.case_submit(actor=user, task_id=task.pk)
    return _("已提交支部审核。")


def _approve(user, task, payload):
    reason = _valid(ApproveForm(_form_data(payload, "reason")))["reason"]
    case_services.case_approve(actor=user, task_id=task.pk, reason=reason)
    return _("审核通过，已报上一级。")


def _return(user, task, payload):
    data = _valid(ReturnForm(_form_data(payload, "reason", "to_state"), targets=access.return_targets(user, task)))
    case = case_services.case_return(actor=user, task_id=task.pk, reason=data["reason"], to_state=data["to_state"])
    return _("已退回到“%(step)s”。") % {"step": case.get_state_display()}


def _reject(user, task, payload):
    access.check_reject(user, task)
    data = _valid(RejectForm(_form_data(payload, "reason", "confirm")))
    case_services.case_reject(actor=user, task_id=task.pk, reason=data["reason"])
    return _("已不予通过，案例已结束。")


def _file(user, task, payload):
    data = _valid(FileForm(_form_data(payload, "year", "note")))
    case_services.case_file(actor=user, task_id=task.pk, **data)
    return _("已备案，案例完成并生成附件2汇总行。")


def _record(user, task, payload):
    data = _valid(RecordForm(_form_data(payload, "date", "kind", "content"), kinds=KINDS_FOR_CASE[task.case.kind]))
    record_services.record_write(actor=user, case_id=task.case_id, task_id=task.pk, files=[], **data)
    return _("培养记录已签名保存，本期记录任务已完成。")


def _work_submit(user, task, payload):
    # The file is required (the service checks its bytes); JSON carries none, so this answers the
    # form's own message unless a later version accepts multipart uploads here.
    data = _valid(WorkForm(_form_data(payload, "title", "summary")))
    training.work_submit(actor=user, task_id=task.pk, upload=data["file"], title=data["title"], summary=data["summary"])
    return _("已提交，等待培养人审阅。")


def _work_review(accept):
    def review(user, task, payload):
        form = (WorkAcceptForm if accept else WorkReturnForm)(_form_data(payload, "reason"))
        training.work_review(actor=user, task_id=task.pk, accept=accept, note=_valid(form)["reason"])
        return _("已审阅通过。") if accept else "已退回培养对象修改。"

    return review


def _opinion(user, task, payload):
    text = _valid(OpinionForm(_form_data(payload, "text")))["text"]
    training.opinion_write(actor=user, case_id=task.case_id, text=text)
    return _("培养人意见已签名保存。")


def _copy(user, task, payload):
    access.check_copy(user, task)
    data = _valid(CopyForm(_form_data(payload, "recipients", "note"), choices=recipient_choices(user, task.case)))
    copies = copy_services.case_copy(actor=user, task_id=task.pk, recipient_ids=data["recipients"], note=data["note"])
    return _("已抄送给 %(n)d 人。") % {"n": len(copies)}


def _comment(user, task, payload):
    # Text only: JSON carries no files (attachments are added on the task page).
    access.check_comment(user, task)
    text = _valid(CommentForm(_form_data(payload, "text")))["text"]
    copy_services.task_comment(actor=user, task_id=task.pk, text=text)
    return _("评论已发表。")


def _forward(user, task, payload):
    candidates = forwarding_rules.forward_candidates(task, user)
    form = ForwardForm(_form_data(payload, "to_user", "reason"), users=candidates)
    data = _valid(form)
    task = forwarding_services.task_forward(
        actor=user, task_id=task.pk, to_user_id=data["to_user"], reason=data["reason"]
    )
    return _("已转交给%(who)s。") % {"who": visibility.display_name(task.owner)}


def _countersign_ask(user, task, payload):
    form = CountersignAskForm(
        _form_data(payload, "to_user", "position", "reason"), users=forwarding_rules.countersign_candidates(task, user)
    )
    data = _valid(form)
    side = forwarding_services.countersign_ask(
        actor=user, task_id=task.pk, to_user_id=data["to_user"], position=data["position"], reason=data["reason"]
    )
    return _("已加签给%(who)s。") % {"who": visibility.display_name(side.owner)}


def _countersign_answer(user, task, payload):
    data = _form_data(payload, "reason")
    if payload.agree is not None:
        data["agree"] = "yes" if payload.agree else "no"
    cleaned = _valid(CountersignAnswerForm(data))
    forwarding_services.countersign_answer(
        actor=user, task_id=task.pk, agree=cleaned["agree"], opinion=cleaned["reason"]
    )
    return _("加签意见已提交，已通知发起人。")


_ACTIONS = {
    "pair": _pair,
    "accept": _accept,
    "decline": _decline,
    "submit": _submit,
    "approve": _approve,
    "return": _return,
    "reject": _reject,
    "file": _file,
    "record": _record,
    "work_submit": _work_submit,
    "work_accept": _work_review(True),
    "work_return": _work_review(False),
    "opinion": _opinion,
    "copy": _copy,
    "comment": _comment,
    "forward": _forward,
    "countersign_ask": _countersign_ask,
    "countersign_answer": _countersign_answer,
}


@router.post("/tasks/{task_id}/claim", response={200: Done, **ERRORS}, summary="认领")
def task_claim(request, task_id: Id):
    task_services.task_claim(actor=request.user, task_id=task_id)
    return {"detail": _("已认领，任务已进入“我的待办”。")}


@router.post("/tasks/{task_id}/unclaim", response={200: Done, **ERRORS}, summary="放回待认领")
def task_unclaim(request, task_id: Id):
    task_services.task_unclaim(actor=request.user, task_id=task_id)
    return {"detail": _("已放回待认领。")}


# --- 批量审批 (issue 11): the same service as the page's 批量同意 ------------------------------------


class BulkIn(Schema):
    task_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        max_length=200, description="同一步骤（支部审核或单位审核）的任务编号，一次最多 20 项，须已打开查看过"
    )
    reason: str = Field("", description="审核意见（选填，各项共用，最多 1000 字）")


class BulkItemOut(Schema):
    task_id: int
    case_id: int
    label: str
    ok: bool
    detail: str
    status: int = Field(description="该项的结果：200 已通过；403/409/400 未通过的原因类别")


class BulkOut(Schema):
    detail: str
    approved: int
    refused: int
    items: list[BulkItemOut]


@router.post("/bulk/approve", response={200: BulkOut, **ACT_ERRORS}, summary="批量同意")
def bulk_approve(request, payload: BulkIn):
    """Each task its own decision: one refused item (handled meanwhile, never opened) leaves the
    others approved; a batch that is empty, too large, out of scope or of mixed steps is refused
    whole, with nothing changed."""
    data = QueryDict(mutable=True)
    data["reason"] = payload.reason
    reason = _valid(ApproveForm(data))["reason"]
    results = bulk_services.bulk_approve(actor=request.user, task_ids=payload.task_ids, reason=reason)
    approved = sum(r.ok for r in results)
    return {
        "detail": _("共 %(n)d 项：已通过 %(ok)d 项，未通过 %(no)d 项。")
        % {"n": len(results), "ok": approved, "no": len(results) - approved},
        "approved": approved,
        "refused": len(results) - approved,
        "items": [
            {
                "task_id": r.task_id,
                "case_id": r.case_id,
                "label": r.label,
                "ok": r.ok,
                "detail": r.message,
                "status": r.status,
            }
            for r in results
        ],
    }

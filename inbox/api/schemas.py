"""What the API sends and accepts. Field names in English, values as the pages show them."""

import datetime
from typing import Annotated, Literal, get_args

from ninja import Path, Schema
from pydantic import Field, field_validator

# Ids are database keys: anything outside this range names nothing (and would overflow a column).
MAX_ID = 2_147_483_647
Id = Annotated[int, Path(ge=1, le=MAX_ID)]

Action = Literal[
    "pair",
    "accept",
    "decline",
    "submit",
    "approve",
    "return",
    "reject",
    "file",
    "record",
    "work_submit",
    "work_accept",
    "work_return",
    "opinion",
    "copy",
    "comment",
    "forward",
    "countersign_ask",
    "countersign_answer",
]
ACTIONS = get_args(Action)  # the same names as a tuple, for code that lists them


class Error(Schema):
    detail: str = Field(description="中文说明：哪里不对、该怎么做")


class Me(Schema):
    id: int
    username: str
    name: str


class TaskSummary(Schema):
    id: int
    title: str
    node: str
    stage: str
    stage_label: str
    status: str
    case_id: int
    trainee: str
    kind: str
    unit: str
    org: str
    due_at: datetime.datetime | None
    overdue: bool


class TaskPage(Schema):
    count: int
    items: list[TaskSummary]


class CaseSummary(Schema):
    id: int
    trainee: str
    kind: str
    kind_label: str
    state: str
    state_label: str
    org: str
    unit: str


class Candidate(Schema):
    id: int
    name: str
    org: str


class Work(Schema):
    id: int
    item: str
    semester: str
    title: str
    summary: str
    status: str
    status_label: str
    review_note: str


class Opinion(Schema):
    at: datetime.datetime
    actor: str
    action: str
    action_label: str
    reason: str


class TaskDetail(TaskSummary):
    is_open: bool
    owner: str
    can_act: bool
    can_claim: bool
    can_unclaim: bool
    actions: list[str] = Field(description="此刻可以提交给 /act 的办理 action（抄送、评论见 can_copy / can_comment）")
    can_copy: bool = Field(False, description="此刻可以 action=copy 抄送")
    can_comment: bool = Field(False, description="此刻可以 action=comment 评论")
    case: CaseSummary
    gate: list[str] | None = Field(None, description="提交支部审核前尚缺的事项")
    work: Work | None = None
    mentor_candidates: list[Candidate] | None = Field(None, description="指定培养人时可选的教师")
    opinions: list[Opinion]


def _no_surrogates(value):
    if isinstance(value, str) and any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ValueError("含有无效字符")
    return value


class ActIn(Schema):
    """One decision on a task; which fields count depends on ``action`` (as on the task page)."""

    action: Action
    reason: str | None = Field(None, description="审核意见 / 退回理由 / 不予通过理由 / 谢绝理由 / 审阅意见")
    to_state: str | None = Field(
        None, max_length=20, description="return：退回到哪一步（training / branch_review / unit_review），默认上一步"
    )
    confirm: bool | None = Field(None, description="reject：须为 true，确认不予通过，案例将结束")
    mentors: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(
        None, max_length=10, description="pair：培养人（教师 id，1–2 名）"
    )
    year: int | None = Field(None, description="file：完成年度")
    note: str | None = Field(None, description="file：备注")
    date: str | None = Field(None, description="record：日期，如 2026-11-21")
    kind: str | None = Field(None, description="record：培养形式")
    content: str | None = Field(None, description="record：培养内容及成效")
    title: str | None = Field(None, description="work_submit：题目")
    summary: str | None = Field(None, description="work_submit：摘要")
    text: str | None = Field(
        None, description="opinion：培养人意见；comment：评论内容（API 评论只带文字，附件请在任务页上传）"
    )
    to_user: int | None = Field(
        None, ge=1, le=MAX_ID, description="forward / countersign_ask：转交或加签给谁（用户 id）"
    )
    position: str | None = Field(
        None, max_length=10, description="countersign_ask：before 前加签（对方先审）/ after 后加签（我同意后对方再审）"
    )
    agree: bool | None = Field(None, description="countersign_answer：同意 true / 不同意 false（不同意时 reason 必填）")
    recipients: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(
        None, max_length=10, description="copy：抄送对象（用户 id，最多 10 人）；copy 的说明用 note"
    )

    _clean = field_validator(
        "reason", "to_state", "position", "note", "date", "kind", "content", "title", "summary", "text"
    )(_no_surrogates)


class ActOut(Schema):
    detail: str
    task_id: int
    case_id: int
    case_state: str
    case_state_label: str


class Mentor(Schema):
    name: str
    position: str
    status: str
    status_label: str


class OpenTask(Schema):
    id: int
    title: str
    org: str
    owner: str
    due_at: datetime.datetime | None


class Event(Schema):
    at: datetime.datetime
    actor: str
    role: str
    action: str
    action_label: str
    from_state: str
    to_state: str
    reason: str


class Record(Schema):
    id: int
    date: datetime.date
    kind: str
    kind_label: str
    content: str
    mentor: str


class CaseDetail(CaseSummary):
    sex: str
    birth_month: str
    party_status: str | None = Field(None, description="政治面貌：仅对可查看者给出")
    is_backbone: bool
    registered_at: datetime.datetime
    note: str
    mentors: list[Mentor]
    open_tasks: list[OpenTask]
    records: list[Record]
    events: list[Event]


class NotificationOut(Schema):
    id: int
    kind: str
    kind_label: str
    message: str
    task_id: int | None
    case_id: int | None
    created_at: datetime.datetime
    read_at: datetime.datetime | None


class NotificationPage(Schema):
    count: int
    unread: int
    items: list[NotificationOut]


class Done(Schema):
    detail: str

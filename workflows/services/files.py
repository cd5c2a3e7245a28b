"""一人一档 (seed 000 §三): the 业务档案 of each party-member teacher — the 摸底 result, the target
category (名师 / 名校长 / 骨干教师) — and its 专业发展规划, a list of dated goals marked achieved
with the date and what shows it.

Who may write is ``workflows.access.files``. Each write is one transaction: the teacher's (or the
file's) row is locked, the rule checked again, the row changed, and one audit event written with
``changes = {field: [old, new]}`` (no event when nothing changed). No case: ``case=None``, the
actor's role and organisation.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..access import files as rules
from ..errors import GuardError, NotInScope
from ..models import AuditAction, DevelopmentGoal, ProfessionalFile, SurveyLevel, TargetCategory, Teacher
from ..text import checked_text as _text
from .audit import audit_log

STRENGTHS_MAX = 1000
WEAKNESSES_MAX = 1000
GOAL_TITLE_MAX = 200  # DevelopmentGoal.title
EVIDENCE_MAX = 500  # DevelopmentGoal.evidence

# The file's fields and the keys their changes carry in the audit event (``CHANGE_LABELS``).
FILE_KEYS = {
    "surveyed_on": "surveyed_on",
    "level": "survey_level",
    "strengths": "strengths",
    "weaknesses": "weaknesses",
    "target": "target",
    "achieved": "achieved",
    "achieved_on": "achieved_on",
}
GOAL_KEYS = {"title": "goal_title", "due_on": "due_on", "achieved_on": "goal_done_on", "evidence": "evidence"}


def _not_future(label: str, day: datetime.date | None) -> None:
    today = timezone.localdate()
    if day is not None and day > today:
        raise GuardError(
            _("%(label)s（%(day)s）晚于今天（%(today)s），请填写已经发生的日期。")
            % {"label": label, "day": day.isoformat(), "today": today.isoformat()}
        )


def _shown(value) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    for choices in (SurveyLevel, TargetCategory):
        if value in choices.values:
            return str(choices(value).label)
    return str(value)


def _changes(obj, values: dict, keys: dict) -> dict:
    """``{key: [old, new]}`` for each field of ``values`` that differs, set on ``obj``."""
    changes = {}
    for field, new in values.items():
        old = getattr(obj, field)
        if old != new:
            changes[keys[field]] = [_shown(old), _shown(new)]
            setattr(obj, field, new)
    return changes


def file_save(
    *,
    actor,
    teacher_id: int,
    surveyed_on: datetime.date,
    level: str,
    target: str,
    strengths: str = "",
    weaknesses: str = "",
    achieved: str = "",
    achieved_on: datetime.date | None = None,
) -> tuple[ProfessionalFile, str]:
    """建立 or 修改 a party-member teacher's 业务档案: the 摸底 (date, conclusion, strengths,
    needs), the 培养方向, and once reached, the category achieved and when.

    Returns ``(file, "created" | "updated" | "")``."""
    strengths = _text(_("业务特长"), strengths, STRENGTHS_MAX)
    weaknesses = _text(_("不足与需求"), weaknesses, WEAKNESSES_MAX)
    if level not in SurveyLevel.values:
        raise GuardError(_("请选择摸底结论（优秀、良好、合格或需提升）。"))
    if target not in TargetCategory.values:
        raise GuardError(_("请选择培养方向（名师、名校长或骨干教师）。"))
    if achieved and achieved not in TargetCategory.values:
        raise GuardError(_("请选择已达成的类别，或留空。"))
    if surveyed_on is None:
        raise GuardError(_("请填写摸底日期。"))
    _not_future(_("摸底日期"), surveyed_on)
    if bool(achieved) != bool(achieved_on):
        raise GuardError(_("“已达成”和“达成日期”要一起填写（尚未达成时两项都留空）。"))
    _not_future(_("达成日期"), achieved_on)
    if achieved_on is not None and achieved_on < surveyed_on:
        raise GuardError(
            _("达成日期（%(on)s）早于摸底日期（%(surveyed)s），请核对。")
            % {"on": achieved_on.isoformat(), "surveyed": surveyed_on.isoformat()}
        )
    values = {
        "surveyed_on": surveyed_on,
        "level": level,
        "strengths": strengths,
        "weaknesses": weaknesses,
        "target": target,
        "achieved": achieved,
        "achieved_on": achieved_on,
    }
    with transaction.atomic():
        # The teacher's row: two officers creating the same 档案 wait for each other here.
        teacher = Teacher.objects.select_for_update().select_related("org").filter(pk=teacher_id).first()
        capacity = rules.check_write(actor, teacher)
        file = ProfessionalFile.objects.filter(teacher=teacher).first()
        if file is None:
            file = ProfessionalFile.objects.create(teacher=teacher, created_by=actor, **values)
            changes = {key: ["", _shown(values[field])] for field, key in FILE_KEYS.items() if values[field]}
            outcome = "created"
        else:
            # The plan's goals stay after the 摸底 (see ``_check_goal``) when its date moves.
            early = file.goals.filter(due_on__lte=surveyed_on).order_by("due_on").first()
            if early is not None:
                raise GuardError(
                    _(
                        "目标“%(title)s”的计划完成日期（%(due)s）不晚于新的摸底日期（%(surveyed)s）；"
                        "请先调整该目标，或核对摸底日期。"
                    )
                    % {"title": early.title, "due": early.due_on.isoformat(), "surveyed": surveyed_on.isoformat()}
                )
            done = file.goals.filter(achieved_on__lt=surveyed_on).order_by("achieved_on").first()
            if done is not None:
                raise GuardError(
                    _("目标“%(title)s”已于 %(on)s 完成，早于新的摸底日期（%(surveyed)s）；请核对摸底日期。")
                    % {"title": done.title, "on": done.achieved_on.isoformat(), "surveyed": surveyed_on.isoformat()}
                )
            changes = _changes(file, values, FILE_KEYS)
            if not changes:
                return file, ""
            file.save()
            outcome = "updated"
        audit_log(
            actor=actor,
            action=AuditAction.FILE_SAVE,
            case=None,
            role=capacity.role,
            org=capacity.org,
            changes={"professional_file": file.pk, "teacher": teacher.name, **changes},
        )
    return file, outcome


def _locked_file(file_id: int) -> ProfessionalFile:
    file = ProfessionalFile.objects.select_for_update().select_related("teacher__org").filter(pk=file_id).first()
    if file is None:
        raise NotInScope(_("未找到该业务档案，或它不在您的管辖范围内。"))
    return file


def _check_goal(file: ProfessionalFile, due_on: datetime.date | None, achieved_on: datetime.date | None, evidence):
    if due_on is None:
        raise GuardError(_("请填写计划完成日期。"))
    if due_on <= file.surveyed_on:
        raise GuardError(
            _("计划完成日期（%(due)s）须晚于摸底日期（%(surveyed)s）：规划的目标是摸底之后要达到的。")
            % {"due": due_on.isoformat(), "surveyed": file.surveyed_on.isoformat()}
        )
    _not_future(_("实际完成日期"), achieved_on)
    if achieved_on is not None and achieved_on < file.surveyed_on:
        raise GuardError(
            _("实际完成日期（%(on)s）早于摸底日期（%(surveyed)s），请核对。")
            % {"on": achieved_on.isoformat(), "surveyed": file.surveyed_on.isoformat()}
        )
    if achieved_on is not None and not evidence:
        raise GuardError(_("标记目标完成时请填写完成情况（如获奖、公开课、论文等可核实的成果）。"))
    if achieved_on is None and evidence:
        raise GuardError(_("填写了完成情况，请同时填写实际完成日期；尚未完成时请清空完成情况。"))


def goal_add(*, actor, file_id: int, title: str, due_on: datetime.date) -> DevelopmentGoal:
    """Add a dated goal to the 专业发展规划."""
    title = _text(_("目标"), title, GOAL_TITLE_MAX, required_message=_("请填写目标（如“两年内获评区级骨干教师”）。"))
    with transaction.atomic():
        file = _locked_file(file_id)
        capacity = rules.check_write(actor, file.teacher)
        _check_goal(file, due_on, None, "")
        goal = DevelopmentGoal.objects.create(file=file, title=title, due_on=due_on)
        audit_log(
            actor=actor,
            action=AuditAction.GOAL_SAVE,
            case=None,
            role=capacity.role,
            org=capacity.org,
            changes={
                "professional_file": file.pk,
                "goal": goal.pk,
                "teacher": file.teacher.name,
                "goal_title": ["", title],
                "due_on": ["", due_on.isoformat()],
            },
        )
    return goal


def goal_update(
    *,
    actor,
    goal_id: int,
    title: str,
    due_on: datetime.date,
    achieved_on: datetime.date | None = None,
    evidence: str = "",
) -> tuple[DevelopmentGoal, bool]:
    """Change a goal, or mark it achieved with the date and what shows it (or undo that).

    Returns ``(goal, changed)``."""
    title = _text(_("目标"), title, GOAL_TITLE_MAX, required_message=_("请填写目标（如“两年内获评区级骨干教师”）。"))
    evidence = _text(_("完成情况"), evidence, EVIDENCE_MAX)
    with transaction.atomic():
        file_id = DevelopmentGoal.objects.filter(pk=goal_id).values_list("file_id", flat=True).first()
        if file_id is None:
            raise NotInScope(_("未找到该发展目标，或它不在您的管辖范围内。"))
        file = _locked_file(file_id)  # the file first, then its goal: the order goal_add takes too
        goal = DevelopmentGoal.objects.select_for_update().get(pk=goal_id)
        capacity = rules.check_write(actor, file.teacher)
        _check_goal(file, due_on, achieved_on, evidence)
        values = {"title": title, "due_on": due_on, "achieved_on": achieved_on, "evidence": evidence}
        changes = _changes(goal, values, GOAL_KEYS)
        if not changes:
            return goal, False
        goal.save()
        audit_log(
            actor=actor,
            action=AuditAction.GOAL_SAVE,
            case=None,
            role=capacity.role,
            org=capacity.org,
            changes={"professional_file": file.pk, "goal": goal.pk, "teacher": file.teacher.name, **changes},
        )
    return goal, True

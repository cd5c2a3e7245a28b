"""一人一档 (seed 000 §三: 对每一个党员进行专业水平摸底，分类建立业务档案和专业发展规划，确定为
“名师”“名校长”“骨干教师”培养对象): who may read and who may write a party-member teacher's
业务档案, and the scoped reads of the list.

- Reading: the list is a list of party members, so it is for those who may see political status
  in their subtree (``visibility.PARTY_STATUS_ROLES``: 党务干部, 支部书记, 审核人, 市级管理员, 审计).
  A mentor, a trainee or an outsider has no page. The trainee sees their own 档案 read-only on
  their own 类别2 case page (``may_see_case_file``).
- Writing (建档, 修改, 目标): a 党务干部 or a 审核人 held at the teacher's school or above; an
  auditor, a 支部书记 or the 市级管理员 reads only.
- Only for a party member (正式党员 or 预备党员): a 群众 (or 积极分子 …) teacher is refused.
"""

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ..errors import GuardError, NotInScope, NotPermitted
from ..models import Case, CaseKind, DevelopmentGoal, Organisation, ProfessionalFile, Role, RoleAssignment, Teacher
from ..models.organisations import SCHOOL_LEVEL_KINDS
from ..models.people import PARTY_MEMBER_STATUSES
from ..selectors import _path_q, own_assignments
from ..visibility import PARTY_STATUS_ROLES

# Who builds and keeps the 档案 (the school's 党务干部, or a 审核人 above the school).
FILE_WRITERS = (Role.OFFICER, Role.REVIEWER)


# --- reading -----------------------------------------------------------------------------


def _read_paths(user) -> list[str]:
    return [a.org.path for a in own_assignments(user) if a.role in PARTY_STATUS_ROLES]


def may_read(user) -> bool:
    return bool(_read_paths(user))


def check_can_read(user) -> None:
    if not _read_paths(user):
        raise NotPermitted(
            _(
                "业务档案涉及教师的政治面貌，仅向党务干部、支部书记、审核人、市级管理员和审计人员开放；"
                "您没有在任的相应角色。"
            )
        )


def member_teachers_for_user(user) -> QuerySet[Teacher]:
    """The party-member teachers of the user's subtree, with their 档案 (if any) and its goals."""
    return (
        Teacher.objects.filter(_path_q("org__path", _read_paths(user)), party_status__in=PARTY_MEMBER_STATUSES)
        .select_related("org", "professional_file")
        .prefetch_related("professional_file__goals")
        .order_by("org__path", "name", "id")
    )


def teacher_for_user(user, teacher_id) -> Teacher:
    """One teacher of the user's subtree (any political status: the page then says why there is
    no 档案); 404 for anyone else."""
    teacher = (
        Teacher.objects.filter(_path_q("org__path", _read_paths(user)), pk=teacher_id).select_related("org").first()
    )
    if teacher is None:
        raise NotInScope(_("未找到该教师，或该教师不在您的管辖范围内。"))
    return teacher


def file_of(teacher: Teacher) -> ProfessionalFile | None:
    return ProfessionalFile.objects.filter(teacher=teacher).select_related("created_by").first()


def goal_for_user(user, goal_id) -> DevelopmentGoal:
    goal = (
        DevelopmentGoal.objects.filter(_path_q("file__teacher__org__path", _read_paths(user)), pk=goal_id)
        .select_related("file__teacher__org")
        .first()
    )
    if goal is None:
        raise NotInScope(_("未找到该发展目标，或它不在您的管辖范围内。"))
    return goal


def file_schools(user) -> list[Organisation]:
    """The schools (and direct units) of the user's subtree: the list's school filter."""
    return list(
        Organisation.objects.filter(_path_q("path", _read_paths(user)), kind__in=SCHOOL_LEVEL_KINDS).order_by(
            "unit__sort_order", "unit_id", "path"
        )
    )


# --- writing -----------------------------------------------------------------------------


def _writer_over(user, org: Organisation) -> RoleAssignment | None:
    for a in own_assignments(user):
        if a.role in FILE_WRITERS and org.path.startswith(a.org.path):
            return a
    return None


def check_write(user, teacher: Teacher | None) -> RoleAssignment:
    """建档 or change the 档案 of ``teacher``: 404 outside the subtree, 403 for a reader, 400 for
    a teacher who is not a party member. Returns the assignment the user acts in."""
    if teacher is None or not any(teacher.org.path.startswith(p) for p in _read_paths(user)):
        raise NotInScope(_("未找到该教师，或该教师不在您的管辖范围内。"))
    capacity = _writer_over(user, teacher.org)
    if capacity is None:
        raise NotPermitted(_("业务档案由教师所在学校（或上级单位）的党务干部、审核人建立和维护；您的角色只能查看。"))
    if not teacher.is_party_member:
        raise GuardError(
            _(
                "%(name)s 的政治面貌为“%(status)s”；业务档案和专业发展规划只为正式党员、预备党员建立，"
                "请另选一位党员教师。"
            )
            % {"name": teacher.name, "status": teacher.get_party_status_display()}
        )
    return capacity


def write_refusal(user, teacher: Teacher) -> str:
    """Why ``user`` may not write ``teacher``'s 档案 ('' when they may)."""
    try:
        check_write(user, teacher)
    except GuardError as error:
        return error.message
    return ""


def may_write(user, teacher: Teacher) -> bool:
    return not write_refusal(user, teacher)


def may_write_any(user) -> bool:
    return any(a.role in FILE_WRITERS for a in own_assignments(user))


# --- progress against the plan -----------------------------------------------------------


@dataclass
class Progress:
    total: int
    done: int
    due: int  # not achieved, due today or later
    overdue: int  # not achieved, due before today
    next_goal: DevelopmentGoal | None  # the earliest goal not achieved

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def progress_of(goals, today: datetime.date | None = None) -> Progress:
    today = today or timezone.localdate()
    goals = sorted(goals, key=lambda g: (g.due_on, g.pk or 0))
    open_goals = [g for g in goals if g.achieved_on is None]
    for goal in goals:
        goal.is_overdue = goal.achieved_on is None and goal.due_on < today
    return Progress(
        total=len(goals),
        done=len(goals) - len(open_goals),
        due=sum(1 for g in open_goals if g.due_on >= today),
        overdue=sum(1 for g in open_goals if g.due_on < today),
        next_goal=open_goals[0] if open_goals else None,
    )


# --- on a 类别2 case -----------------------------------------------------------------------


def may_see_case_file(user, case: Case) -> bool:
    """A 类别2 case (党员教师培养成教学骨干) shows the trainee's 档案 to those who read 档案 over
    the teacher, and to the trainee themself; not to a mentor nor a 抄送 reader."""
    if case.kind != CaseKind.CULTIVATE_BACKBONE or not user.is_authenticated:
        return False
    teacher = case.teacher
    if teacher.user_id == user.pk:
        return True
    return any(teacher.org.path.startswith(p) for p in _read_paths(user))


def case_file(user, case: Case) -> dict | None:
    """What the case page shows of a 类别2 trainee's 档案 (None: nothing to this viewer)."""
    if not may_see_case_file(user, case):
        return None
    teacher = case.teacher
    file = file_of(teacher)
    goals = list(file.goals.all()) if file else []
    reader = any(teacher.org.path.startswith(p) for p in _read_paths(user))
    return {
        "file": file,
        "goals": goals,
        "progress": progress_of(goals) if file else None,
        "reader": reader,  # may open the 档案 page (the trainee reads it here only)
        "can_write": reader and may_write(user, teacher),
    }

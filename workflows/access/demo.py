"""示范岗 and 示范课 (seed 000 §三(三)–(四); 长沙: 申报备案 → 授牌认定): who may declare, certify,
schedule and record, and what each user may read.

- 申报备案: a 党务干部 of the school (or of an organisation above it) declares a 党员示范岗 /
  示范班 / 责任区 for a party member (正式党员 or 预备党员) teaching at the school.
- 授牌认定: the 审核人 of the unit above the school (county bureau or direct unit) or the city's
  市级管理员 certifies it or not, and may revoke a certified one. Nobody decides on a
  declaration they made themself.
- 示范课 / 观摩课 / 名家授课: the school's 党务干部 schedules, records and cancels them.
- Reading: every role held at or above the school (an auditor too, read-only).

The reads live here beside the rules, scoped by the same paths (``demo_posts_for_user``,
``demo_lessons_for_user``, ``coverage_for_user``).
"""

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from ..errors import AlreadyHandled, GuardError, NotInScope, NotPermitted
from ..models import (
    DemoLesson,
    DemoPost,
    DemoPostKind,
    DemoPostState,
    LessonKind,
    LessonState,
    Organisation,
    Role,
    RoleAssignment,
    Teacher,
)
from ..models.organisations import SCHOOL_LEVEL_KINDS, UNIT_KINDS, OrgKind
from ..models.people import PARTY_MEMBER_STATUSES
from ..selectors import _path_q, own_assignments

# 党员人数较多的学校原则要求每个学科要有1个“党员示范岗” (seed 000 §三(三)): the schools the
# coverage table holds to the rule are those with at least this many party-member teachers.
COVERAGE_MIN_MEMBERS = 10

# Posts that stand (block a second one for the same holder and kind, and fill a coverage cell).
OPEN_POST_STATES = (DemoPostState.DECLARED, DemoPostState.CERTIFIED)


def _name(user) -> str:
    teacher = getattr(user, "teacher", None)
    if teacher is not None:
        return teacher.name
    return user.get_full_name() or user.get_username()


# --- reading -----------------------------------------------------------------------------


def _paths(user) -> list[str]:
    return [a.org.path for a in own_assignments(user)]


def check_can_read(user) -> None:
    """The pages are for role holders; a teacher without a role (a mentor, a trainee) has none."""
    if not _paths(user):
        raise NotPermitted(
            _("示范岗和示范课仅向学校、区县教育局、直属单位和市委教育工委的工作人员开放；您没有在任的角色。")
        )


def may_read(user) -> bool:
    return bool(_paths(user))


def demo_posts_for_user(user) -> QuerySet[DemoPost]:
    paths = _paths(user)
    return DemoPost.objects.filter(_path_q("school__path", paths) | _path_q("holder__org__path", paths)).select_related(
        "school", "holder", "holder__org", "declared_by", "decided_by"
    )


def demo_post_for_user(user, post_id) -> DemoPost:
    post = demo_posts_for_user(user).filter(pk=post_id).first()
    if post is None:
        raise NotInScope(_("未找到该示范岗，或它不在您的管辖范围内。"))
    return post


def demo_lessons_for_user(user) -> QuerySet[DemoLesson]:
    paths = _paths(user)
    return DemoLesson.objects.filter(_path_q("school__path", paths)).select_related(
        "school", "teacher", "scheduled_by", "recorded_by"
    )


def demo_lesson_for_user(user, lesson_id) -> DemoLesson:
    lesson = demo_lessons_for_user(user).filter(pk=lesson_id).first()
    if lesson is None:
        raise NotInScope(_("未找到该示范课，或它不在您的管辖范围内。"))
    return lesson


def lessons_of_teacher(user) -> QuerySet[DemoLesson]:
    """The lessons the user gives themself (their own page, whatever their roles)."""
    teacher = getattr(user, "teacher", None) if user.is_authenticated else None
    if teacher is None:
        return DemoLesson.objects.none()
    return DemoLesson.objects.filter(teacher=teacher).select_related("school")


# --- 申报备案, and the school's 党务干部 -------------------------------------------------


def _officer_over(user, org: Organisation) -> RoleAssignment | None:
    for a in own_assignments(user):
        if a.role == Role.OFFICER and org.path.startswith(a.org.path):
            return a
    return None


def officer_schools(user) -> list[Organisation]:
    """The schools (and direct units) where ``user`` may declare posts and schedule lessons."""
    paths = [a.org.path for a in own_assignments(user) if a.role == Role.OFFICER]
    if not paths:
        return []
    return list(Organisation.objects.filter(_path_q("path", paths), kind__in=SCHOOL_LEVEL_KINDS).order_by("path"))


def may_declare(user) -> bool:
    return bool(officer_schools(user))


def declarable_teachers(user) -> QuerySet[Teacher]:
    """Party-member teachers of the schools where the user is 党务干部 (the declaration form's choices)."""
    paths = [s.path for s in officer_schools(user)]
    return (
        Teacher.objects.filter(_path_q("org__path", paths), party_status__in=PARTY_MEMBER_STATUSES)
        .select_related("org")
        .order_by("org__path", "name")
    )


def lesson_teachers(user) -> QuerySet[Teacher]:
    paths = [s.path for s in officer_schools(user)]
    return Teacher.objects.filter(_path_q("org__path", paths)).select_related("org").order_by("org__path", "name")


def school_of(teacher: Teacher) -> Organisation | None:
    return teacher.org.school_level()


def check_school_officer(user, school: Organisation, *, what: str) -> RoleAssignment:
    """The 党务干部 assignment ``user`` acts in at ``school``: 404 outside their subtree, 403 for
    any other role in it."""
    if not any(school.path.startswith(p) for p in _paths(user)):
        raise NotInScope(_("未找到该学校，或它不在您的管辖范围内。"))
    capacity = _officer_over(user, school)
    if capacity is None:
        raise NotPermitted(_("只有%(school)s的党务干部可以%(what)s。") % {"school": school.name, "what": what})
    return capacity


def check_declare(user, teacher: Teacher | None, kind: str) -> tuple[Organisation, RoleAssignment]:
    """申报备案 for ``teacher``: their school, and the officer's assignment."""
    if teacher is None or not any(teacher.org.path.startswith(p) for p in _paths(user)):
        raise NotInScope(_("未找到该教师，或该教师不在您的管辖范围内。"))
    school = school_of(teacher)
    if school is None:
        raise GuardError(_("%(name)s 不在任何学校，不能申报示范岗。") % {"name": teacher.name})
    capacity = check_school_officer(user, school, what=_("申报党员示范岗"))
    if not teacher.is_party_member:
        raise GuardError(
            _("%(name)s 的政治面貌为“%(status)s”；党员示范岗只能由正式党员或预备党员承担，请另选一位党员教师。")
            % {"name": teacher.name, "status": teacher.get_party_status_display()}
        )
    if kind not in DemoPostKind.values:
        raise GuardError(_("请选择示范岗的类型（党员示范岗、党员示范班或党员责任区）。"))
    return school, capacity


def check_one_open(teacher: Teacher, kind: str) -> None:
    """One declared or certified post per holder and kind."""
    existing = DemoPost.objects.filter(holder=teacher, kind=kind, state__in=OPEN_POST_STATES).first()
    if existing is not None:
        raise GuardError(
            _("%(name)s 已有一个%(state)s的%(kind)s（%(title)s）；同一类型每人只能有一个，请先撤销原示范岗或另选教师。")
            % {
                "name": teacher.name,
                "state": existing.get_state_display(),
                "kind": existing.get_kind_display(),
                "title": existing.title,
            }
        )


# --- 授牌认定 -------------------------------------------------------------------------------


def _decider_over(user, school: Organisation) -> RoleAssignment | None:
    for a in own_assignments(user):
        if not school.path.startswith(a.org.path):
            continue
        if a.role == Role.REVIEWER and a.org.kind in UNIT_KINDS:
            return a
        if a.role == Role.CITY_ADMIN and a.org.kind == OrgKind.CITY:
            return a
    return None


def _check_decider(user, post: DemoPost) -> RoleAssignment:
    if not any(post.school.path.startswith(p) or post.holder.org.path.startswith(p) for p in _paths(user)):
        raise NotInScope(_("未找到该示范岗，或它不在您的管辖范围内。"))
    capacity = _decider_over(user, post.school)
    if capacity is None:
        raise NotPermitted(
            _("授牌认定由学校所属区县教育局或直属单位的审核人（或市委教育工委）办理，您的角色不能认定。")
        )
    if post.declared_by_id == user.pk:
        raise NotPermitted(_("这个示范岗是您本人申报的，不能由您认定；请由单位的另一位审核人或市委教育工委认定。"))
    return capacity


def check_decide(user, post: DemoPost) -> RoleAssignment:
    """认定 or 不予认定 a declared post."""
    capacity = _check_decider(user, post)
    if post.state != DemoPostState.DECLARED:
        raise AlreadyHandled(
            _("该示范岗当前为“%(state)s”，不在待认定状态，无需再次认定。请刷新页面。")
            % {"state": post.get_state_display()}
        )
    return capacity


def check_revoke(user, post: DemoPost) -> RoleAssignment:
    """撤销 a certified post (摘牌)."""
    capacity = _check_decider(user, post)
    if post.state != DemoPostState.CERTIFIED:
        raise AlreadyHandled(
            _("该示范岗当前为“%(state)s”，只有已授牌认定的示范岗可以撤销。请刷新页面。")
            % {"state": post.get_state_display()}
        )
    return capacity


def _allowed(check, *args) -> bool:
    try:
        check(*args)
    except GuardError:
        return False
    return True


def may_decide(user, post: DemoPost) -> bool:
    return _allowed(check_decide, user, post)


def may_revoke(user, post: DemoPost) -> bool:
    return _allowed(check_revoke, user, post)


# --- 示范课 / 观摩课 / 名家授课 -------------------------------------------------------------


def check_lesson_teacher(school: Organisation, kind: str, teacher: Teacher | None, guest_name: str) -> None:
    """Who gives it: 名家授课 a guest from outside the school; the others a teacher of the school
    (观摩课: a party-member teacher, §三(四) 党员教师观摩课)."""
    if kind not in LessonKind.values:
        raise GuardError(_("请选择课的类型（示范课、党员教师观摩课或校外名家授课）。"))
    if kind == LessonKind.GUEST:
        if teacher is not None:
            raise GuardError(_("校外名家授课请填写校外授课人姓名，不要选择本校教师。"))
        if not guest_name:
            raise GuardError(_("请填写校外授课人（名家、名师）的姓名。"))
        return
    if guest_name:
        raise GuardError(_("示范课和观摩课由本校教师授课，请选择授课教师，并清空校外授课人。"))
    if teacher is None:
        raise GuardError(_("请选择授课教师。"))
    if not teacher.org.path.startswith(school.path):
        raise NotInScope(_("未找到该教师，或该教师不在%(school)s。") % {"school": school.name})
    if kind == LessonKind.OBSERVATION and not teacher.is_party_member:
        raise GuardError(
            _("党员教师观摩课须由党员教师授课；%(name)s 的政治面貌为“%(status)s”，请另选教师或改为示范课。")
            % {"name": teacher.name, "status": teacher.get_party_status_display()}
        )


def check_lesson_officer(user, lesson: DemoLesson) -> RoleAssignment:
    if not any(lesson.school.path.startswith(p) for p in _paths(user)):
        raise NotInScope(_("未找到该示范课，或它不在您的管辖范围内。"))
    capacity = _officer_over(user, lesson.school)
    if capacity is None:
        raise NotPermitted(_("只有%(school)s的党务干部可以记录或取消这节课。") % {"school": lesson.school.name})
    if lesson.state != LessonState.SCHEDULED:
        raise AlreadyHandled(
            _("这节课当前为“%(state)s”，不能再记录或取消。请刷新页面。") % {"state": lesson.get_state_display()}
        )
    return capacity


def may_handle_lesson(user, lesson: DemoLesson) -> bool:
    return _allowed(check_lesson_officer, user, lesson)


def may_schedule(user) -> bool:
    return bool(officer_schools(user))


# --- the coverage table: 每个学科要有1个党员示范岗 ---------------------------------------------


@dataclass
class CoverageCell:
    subject: str
    members: int  # party-member teachers of the subject at the school
    status: str  # "certified" | "declared" | "gap"
    holders: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        if self.status == "gap" and not self.members:
            # Still a gap (the rule is per subject), but one a post of this subject cannot fill yet.
            return _("缺（本学科暂无党员教师）")
        return {"certified": _("已认定"), "declared": _("已申报待认定"), "gap": _("缺")}[self.status]


@dataclass
class CoverageSchool:
    school: Organisation
    members: int
    cells: list[CoverageCell]

    @property
    def gaps(self) -> int:
        return sum(1 for c in self.cells if c.status == "gap")


@dataclass
class Coverage:
    schools: list[CoverageSchool]
    exempt: int  # schools in scope with fewer party members than the rule asks for
    counts: dict  # per kind: declared (申报备案), certified (授牌认定), pending, rejected, revoked

    @property
    def gaps(self) -> int:
        return sum(s.gaps for s in self.schools)


def coverage_for_user(user) -> Coverage:
    """Per school in scope with at least ``COVERAGE_MIN_MEMBERS`` party-member teachers, one row
    per subject its teachers teach: the certified 党员示范岗 (holders), one declared and waiting,
    or the gap. Counts of 申报备案 (every declaration) and 授牌认定 (standing certified) by kind."""
    paths = _paths(user)
    schools = list(
        Organisation.objects.filter(_path_q("path", paths), kind__in=SCHOOL_LEVEL_KINDS).order_by(
            "unit__sort_order", "unit_id", "path"
        )
    )
    teachers = list(
        Teacher.objects.filter(_path_q("org__path", [s.path for s in schools])).values_list(
            "org__path", "subject", "party_status"
        )
    )
    posts = list(
        DemoPost.objects.filter(school__in=schools, kind=DemoPostKind.POST, state__in=OPEN_POST_STATES)
        .select_related("holder")
        .order_by("id")
    )
    rows, exempt = [], 0
    for school in schools:
        # A direct unit's schools are themselves: a teacher counts at the nearest school level only.
        inner = [s.path for s in schools if s.path != school.path and s.path.startswith(school.path)]
        mine = [t for t in teachers if t[0].startswith(school.path) and not any(t[0].startswith(p) for p in inner)]
        members = sum(1 for t in mine if t[2] in PARTY_MEMBER_STATUSES)
        if members < COVERAGE_MIN_MEMBERS:
            exempt += 1
            continue
        subjects = sorted({t[1] for t in mine if t[1]})
        cells = []
        for subject in subjects:
            here = [p for p in posts if p.school_id == school.pk and p.subject == subject]
            certified = [p.holder.name for p in here if p.state == DemoPostState.CERTIFIED]
            declared = [p.holder.name for p in here if p.state == DemoPostState.DECLARED]
            subject_members = sum(1 for t in mine if t[1] == subject and t[2] in PARTY_MEMBER_STATUSES)
            status = "certified" if certified else "declared" if declared else "gap"
            cells.append(
                CoverageCell(subject=subject, members=subject_members, status=status, holders=certified or declared)
            )
        rows.append(CoverageSchool(school=school, members=members, cells=cells))
    counts = {}
    by_state = demo_posts_for_user(user).order_by().values("kind", "state").annotate(n=Count("id"))
    for kind in DemoPostKind:
        counts[kind.value] = {
            "label": str(kind.label),
            "declared": 0,
            "certified": 0,
            "pending": 0,
            "rejected": 0,
            "revoked": 0,
        }
    for row in by_state:
        c = counts[row["kind"]]
        c["declared"] += row["n"]
        key = {
            DemoPostState.DECLARED: "pending",
            DemoPostState.CERTIFIED: "certified",
            DemoPostState.REJECTED: "rejected",
            DemoPostState.REVOKED: "revoked",
        }[row["state"]]
        c[key] += row["n"]
    return Coverage(schools=rows, exempt=exempt, counts=counts)


def posts_filter_q(*, state: str = "", kind: str = "") -> Q:
    q = Q()
    if state in DemoPostState.values:
        q &= Q(state=state)
    if kind in DemoPostKind.values:
        q &= Q(kind=kind)
    return q

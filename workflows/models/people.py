"""Teachers, and the roles users hold at an organisation."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .organisations import Organisation


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class PartyStatus(models.TextChoices):
    MASSES = "masses", _("群众")
    ACTIVIST = "activist", _("入党积极分子")
    DEVELOPMENT = "development", _("发展对象")
    PROBATIONARY = "probationary", _("预备党员")
    FULL = "full", _("正式党员")


PARTY_MEMBER_STATUSES = (PartyStatus.PROBATIONARY, PartyStatus.FULL)


class PlannedKind(models.TextChoices):
    """拟列入的“双培”类别 (the values of ``CaseKind``, which lives beside the cases)."""

    CULTIVATE_MEMBER = "1", _("类别1（骨干教师培养成共产党员）")
    CULTIVATE_BACKBONE = "2", _("类别2（党员教师培养成教学骨干）")


class Teacher(models.Model):
    # 教师编号 as the national 教师管理信息系统 assigns it: one per teacher, kept across
    # schools, unique city-wide. It is what identifies a teacher from one import to the next;
    # teachers entered before it existed have none (NULL, so the uniqueness ignores them).
    staff_no = models.CharField(_("教师编号"), max_length=32, unique=True, null=True, blank=True)
    name = models.CharField(_("姓名"), max_length=50, db_index=True)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("出生日期"))
    org = models.ForeignKey(
        Organisation,
        verbose_name=_("所在学校或支部"),
        on_delete=models.PROTECT,
        related_name="teachers",
    )
    subject = models.CharField(_("任教学科"), max_length=50, blank=True)
    position = models.CharField(_("职务"), max_length=50, blank=True)
    party_status = models.CharField(
        _("政治面貌"), max_length=20, choices=PartyStatus.choices, default=PartyStatus.MASSES
    )
    titles = models.CharField(_("职称"), max_length=100, blank=True)
    is_backbone = models.BooleanField(_("骨干教师"), default=False)
    # 名校长 (市级首席名校长、名校长): the Changsha measure counts party members among them.
    is_famous_principal = models.BooleanField(_("名校长"), default=False)
    honours = models.TextField(_("荣誉（名师、学科带头人、评优等）"), blank=True)
    planned_kind = models.CharField(_("拟列入“双培”类别"), max_length=1, choices=PlannedKind.choices, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("系统账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="teacher",
    )

    class Meta:
        verbose_name = _("教师")
        verbose_name_plural = _("教师")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def from_db(cls, db, field_names, values):
        teacher = super().from_db(db, field_names, values)
        teacher._saved_name = teacher.__dict__.get("name")
        return teacher

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        if getattr(self, "_saved_name", self.name) != self.name:
            # The inbox shows the trainee's name from the task row (CaseTask.trainee_name).
            from .tasks import CaseTask

            CaseTask.objects.filter(case__teacher=self).update(trainee_name=self.name)
        self._saved_name = self.name

    @property
    def is_party_member(self) -> bool:
        return self.party_status in PARTY_MEMBER_STATUSES


class Role(models.TextChoices):
    OFFICER = "officer", _("党务干部")
    BRANCH_SECRETARY = "branch_secretary", _("支部书记")
    REVIEWER = "reviewer", _("审核人")
    CITY_ADMIN = "city_admin", _("市级管理员")
    AUDITOR = "auditor", _("审计")


# Roles that can change data; an auditor only reads.
ACTING_ROLES = (Role.OFFICER, Role.BRANCH_SECRETARY, Role.REVIEWER, Role.CITY_ADMIN)


def active_assignment_q(on: datetime.date | None = None, prefix: str = "") -> Q:
    """THE definition of an assignment in force on ``on`` (today by default).

    It has begun (no start date recorded counts as "held since before records began") and has
    not ended: ``end_date`` is the first day it no longer grants anything. ``prefix`` reaches
    it through a relation (``"role_assignments__"`` from the user).
    """
    on = on or timezone.localdate()
    return (Q(**{f"{prefix}start_date__isnull": True}) | Q(**{f"{prefix}start_date__lte": on})) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gt": on})
    )


class RoleAssignmentQuerySet(models.QuerySet):
    def active(self, on: datetime.date | None = None) -> "RoleAssignmentQuerySet":
        """Assignments in force on ``on``: every place that asks "who holds a role" starts here."""
        return self.filter(active_assignment_q(on))


class RoleAssignment(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    org = models.ForeignKey(
        Organisation,
        verbose_name=_("组织"),
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    # Rows from before issue 9 have no start date; the import and the pages always set one.
    start_date = models.DateField(_("任职开始日期"), null=True, blank=True)
    end_date = models.DateField(_("任职结束日期（当日起不再任职）"), null=True, blank=True)

    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("角色任职")
        verbose_name_plural = _("角色任职")
        constraints = [
            models.UniqueConstraint(fields=["user", "org", "role"], name="role_unique_per_org"),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True) | Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="role_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["role", "org"], name="role_by_org")]

    def __str__(self) -> str:
        return f"{self.org} · {self.get_role_display()} · {self.user}"

    def is_active_on(self, on: datetime.date | None = None) -> bool:
        """The same rule as ``active_assignment_q``, for a row already in hand."""
        on = on or timezone.localdate()
        return (self.start_date is None or self.start_date <= on) and (self.end_date is None or self.end_date > on)

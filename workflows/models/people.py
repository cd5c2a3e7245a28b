"""Teachers, and the roles users hold at an organisation."""

from django.conf import settings
from django.db import models
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


class Teacher(models.Model):
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
    honours = models.TextField(_("荣誉（名师、学科带头人、评优等）"), blank=True)
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

    class Meta:
        verbose_name = _("角色任职")
        verbose_name_plural = _("角色任职")
        constraints = [
            models.UniqueConstraint(fields=["user", "org", "role"], name="role_unique_per_org"),
        ]
        indexes = [models.Index(fields=["role", "org"], name="role_by_org")]

    def __str__(self) -> str:
        return f"{self.org} · {self.get_role_display()} · {self.user}"

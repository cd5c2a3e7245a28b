"""The organisation tree: city → units (county bureaus, direct units) → schools → branches."""

from django.db import models, transaction
from django.db.models import Value
from django.db.models.functions import Replace
from django.utils.translation import gettext_lazy as _


class OrgKind(models.TextChoices):
    CITY = "city", _("市委教育工委")
    COUNTY = "county", _("区县教育局")
    DIRECT = "direct", _("直属单位")
    SCHOOL = "school", _("学校")
    BRANCH = "branch", _("党支部")


# Kinds that act as "the school" for a teacher: a direct unit is its own school level.
SCHOOL_LEVEL_KINDS = (OrgKind.SCHOOL, OrgKind.DIRECT)
UNIT_KINDS = (OrgKind.COUNTY, OrgKind.DIRECT)


class Organisation(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=10, choices=OrgKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path "/1/7/42/": a subtree is one indexed prefix match, so every
    # scope check is a single range scan rather than a recursive walk.
    path = models.CharField(_("路径"), max_length=255, db_index=True, editable=False, default="")
    # The first-level unit (one of the 19 of 附件1) this organisation belongs to.
    unit = models.ForeignKey(
        "self",
        verbose_name=_("所属单位"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
    )
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("组织")
        verbose_name_plural = _("组织")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="org_unique_name_in_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # path and unit are derived from the parent; keep them true on every save.
        with transaction.atomic():
            if self.pk is None:
                super().save(*args, **kwargs)
                kwargs.pop("force_insert", None)
                kwargs["force_update"] = True
            old_path = self.path
            parent_path = self.parent.path if self.parent_id else "/"
            self.path = f"{parent_path}{self.pk}/"
            if self.kind in UNIT_KINDS:
                self.unit_id = self.pk
            elif self.parent_id:
                self.unit_id = self.parent.unit_id
            else:
                self.unit_id = None
            super().save(*args, **kwargs)
            if old_path and old_path != self.path:
                self._move_subtree(old_path)

    def _move_subtree(self, old_path: str) -> None:
        """A school moved to another county: its subtree and its cases move with it.

        Cases keep their history; only where they live (path, unit) changes.
        """
        from .cases import Case

        moved_ids = list(
            Organisation.objects.filter(path__startswith=old_path).exclude(pk=self.pk).values_list("pk", flat=True)
        )
        moved = Organisation.objects.filter(pk__in=moved_ids)
        moved.update(path=Replace("path", Value(old_path), Value(self.path)))
        if self.kind not in UNIT_KINDS:
            moved.exclude(kind__in=UNIT_KINDS).update(unit_id=self.unit_id)
        Case.objects.filter(scope_path__startswith=old_path).update(
            scope_path=Replace("scope_path", Value(old_path), Value(self.path)), unit_id=self.unit_id
        )

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from this organisation up to the root, nearest first."""
        return [int(p) for p in reversed(self.path.strip("/").split("/")) if p]

    def is_within(self, other: "Organisation") -> bool:
        return self.path.startswith(other.path)

    def school_level(self) -> "Organisation | None":
        """The school (or direct unit) this organisation sits in."""
        ancestors = Organisation.objects.in_bulk(self.ancestor_ids)
        for org_id in self.ancestor_ids:
            if ancestors[org_id].kind in SCHOOL_LEVEL_KINDS:
                return ancestors[org_id]
        return None

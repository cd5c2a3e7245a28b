"""新建三年计划: the city starts the next three-year plan (after 2019—2021: 2022—2024, …).

The city's 市级管理员 names the first year and a title and takes the units' three-year numbers
either from an uploaded 附件1 file (the import of ``workflows/services/quotas.py``) or by
copying the previous plan's per-unit numbers as a starting point, to be adjusted through the
units' breakdowns. Either way each unit gets a draft breakdown (``UnitPlan`` with its
``QuotaYear`` cells) and its 年度分解 round opens (``plan_round_open``), and the start is one
audited event (``PLAN_START``) in the same transaction. Plans never overlap: a year belongs to
one plan, so the dashboard and the yearly quota have one answer.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from ..access.plans import check_can_start_plan
from ..errors import GuardError
from ..models import AuditAction, Organisation, Quota, QuotaPlan, QuotaYear, Role, UnitPlan
from .audit import audit_log
from .quotas import KIND_HEADINGS, KINDS, city_of, import_quota, plan_totals

PLAN_YEARS = 3
SOURCE_COPY = "copy"
SOURCE_FILE = "file"


def previous_plan() -> QuotaPlan | None:
    """The plan a new one follows: the one that ends last."""
    return QuotaPlan.objects.order_by("-last_year", "-id").first()


def next_first_year() -> int | None:
    plan = previous_plan()
    return plan.last_year + 1 if plan else None


def _check_years(first_year: int) -> int:
    if not 2000 <= first_year <= 2100 - PLAN_YEARS + 1:
        raise GuardError(_("起始年度“%(year)s”不正确：请填写四位年份，例如 2026。") % {"year": first_year})
    last_year = first_year + PLAN_YEARS - 1
    overlap = (
        QuotaPlan.objects.filter(first_year__lte=last_year, last_year__gte=first_year)
        .order_by("first_year", "id")
        .first()
    )
    if overlap is not None:
        following = next_first_year()
        raise GuardError(
            _(
                "%(first)s—%(last)s 年与已有的“%(plan)s”年度重叠，一个年度只能属于一个三年计划。"
                "请把起始年度改为 %(next)s 年或以后。"
            )
            % {"first": first_year, "last": last_year, "plan": overlap, "next": following}
        )
    return last_year


def _title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise GuardError(
            _(
                "请填写计划名称，例如“益阳市教育系统“双培”工程三年实施计划指导性任务表”（年度显示在名称之后，不必写入）。"
            )
        )
    return title[:200]


def _copy(*, actor, source: QuotaPlan, first_year: int, last_year: int, title: str) -> QuotaPlan:
    """The new plan with the source plan's per-unit three-year numbers and fresh breakdowns."""
    from .reports import plan_round_open

    plan = QuotaPlan.objects.create(
        title=title,
        first_year=first_year,
        last_year=last_year,
        source_name=(_("复制自“%(plan)s”") % {"plan": source})[:255],
        sha256="",
        imported_by=actor,
    )
    quotas = list(Quota.objects.filter(plan=source).order_by("source_row", "id"))
    Quota.objects.bulk_create(
        Quota(plan=plan, unit_id=q.unit_id, kind=q.kind, total=q.total, source_row=q.source_row) for q in quotas
    )
    unit_ids = list(dict.fromkeys(q.unit_id for q in quotas))
    unit_plans = [UnitPlan.objects.create(plan=plan, unit_id=unit_id) for unit_id in unit_ids]
    QuotaYear.objects.bulk_create(
        QuotaYear(unit_plan=unit_plan, year=year, kind=kind, proposed=0)
        for unit_plan in unit_plans
        for year in plan.years
        for kind in KINDS
    )
    for unit_plan in unit_plans:
        plan_round_open(unit_plan)
    return plan


def plan_start(
    *, actor, first_year: int, title: str, source: str, content: bytes | None = None, filename: str = ""
) -> QuotaPlan:
    """新建三年计划 from ``first_year`` (three years), its units' numbers from an uploaded 附件1
    (``source="file"``) or copied from the previous plan (``source="copy"``)."""
    check_can_start_plan(actor)
    title = _title(title)
    if source not in (SOURCE_COPY, SOURCE_FILE):
        raise GuardError(_("请选择各单位三年计划数的来源：上传附件1文件，或复制上一轮计划的数字。"))
    if source == SOURCE_FILE and not content:
        raise GuardError(_("请选择要导入的附件1文件，或改选“复制上一轮计划的各单位三年计划数”。"))
    city = city_of(actor)
    with transaction.atomic():
        # One start (or import) at a time: the overlap check sees every committed plan.
        Organisation.objects.select_for_update().filter(pk=city.pk).first()
        last_year = _check_years(first_year)
        if source == SOURCE_COPY:
            copied = previous_plan()
            if copied is None:
                raise GuardError(_("还没有可复制的三年计划，请上传附件1文件。"))
            plan = _copy(actor=actor, source=copied, first_year=first_year, last_year=last_year, title=title)
            how = _("复制“%(plan)s”的各单位三年计划数") % {"plan": copied}
        else:
            plan = import_quota(
                actor=actor,
                content=content,
                filename=filename,
                first_year=first_year,
                last_year=last_year,
                title=title,
            )
            how = _("导入附件1文件“%(name)s”") % {"name": plan.source_name}
        audit_log(
            actor=actor,
            action=AuditAction.PLAN_START,
            case=None,
            role=Role.CITY_ADMIN,
            org=city,
            changes={
                "plan": plan.pk,
                "plan_years": f"{first_year}—{last_year}",
                "title": plan.title,
                "plan_source": how,
                **({"copied_from": copied.pk} if source == SOURCE_COPY else {}),
                "rows": plan.unit_plans.count(),
                "totals": {KIND_HEADINGS[kind]: total for kind, total in plan_totals(plan).items()},
            },
        )
    return plan

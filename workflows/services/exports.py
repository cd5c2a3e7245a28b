"""批量导出: asking for a long export, which a background worker then builds (``workflows.jobs``).

A unit's reviewer or party-affairs officer (or the city) exports all the unit's 附件3 台账 at
once; the city exports its consolidated 附件2. Each request is an ``ExportJob`` row the
requester watches on a progress page, and only the requester may see or download it.
"""

import logging
import re

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ..errors import GuardError, NotInScope, NotPermitted
from ..models import Annex2Row, AuditAction, Case, ExportJob, ExportKind, JobStatus, Organisation, OrgKind
from ..models.people import ACTING_ROLES
from ..selectors import units_for_user, user_assignments, user_holds_over
from .audit import audit_log

logger = logging.getLogger(__name__)

MIN_YEAR = 2019  # the programme's first plan year (附件1: 2019–2021)


def can_export_city(user) -> bool:
    """The city's consolidated table is for those who hold a role at the city itself."""
    return any(a.org.kind == OrgKind.CITY for a in user_assignments(user))


def ledger_units(user) -> list[Organisation]:
    """The units whose ledgers ``user`` may export: in scope, and held by an acting role there or above."""
    return [u for u in units_for_user(user) if user_holds_over(user, ACTING_ROLES, u) is not None]


def export_years() -> list[int]:
    """Years to offer for the city table: those with 附件2 rows, and the current one."""
    years = set(Annex2Row.objects.values_list("year", flat=True).distinct())
    return sorted(years | {timezone.localdate().year}, reverse=True)


def jobs_for_user(user) -> QuerySet[ExportJob]:
    """A user's own export jobs; nobody else's, whatever their role (the files hold personal data)."""
    if not user.is_authenticated:
        return ExportJob.objects.none()
    return ExportJob.objects.filter(requested_by=user).select_related("unit")


def job_for_user(user, job_id: int) -> ExportJob:
    job = jobs_for_user(user).filter(pk=job_id).first()
    if job is None:
        raise NotInScope(_("未找到该导出任务，或它不是您申请的。"))
    return job


def _ledger_unit(actor, unit_id) -> Organisation:
    unit = units_for_user(actor).filter(pk=unit_id).first() if re.fullmatch(r"[0-9]{1,9}", str(unit_id or "")) else None
    if unit is None:
        raise NotInScope(_("未找到该单位，或它不在您的管辖范围内。"))
    if user_holds_over(actor, ACTING_ROLES, unit) is None:
        raise NotPermitted(
            _("只有%(unit)s的审核人、党务干部或市委教育工委的管理员可以批量导出该单位的培养台账。")
            % {"unit": unit.name}
        )
    if not Case.objects.filter(unit=unit).exists():
        raise GuardError(_("%(unit)s还没有培养案例，没有可导出的台账。") % {"unit": unit.name})
    return unit


def _city_year(actor, year) -> int:
    if not can_export_city(actor):
        raise NotPermitted(_("全市附件2汇总表只能由市委教育工委的工作人员导出。"))
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise GuardError(_("年度须为四位数字，例如 2026。")) from None
    this_year = timezone.localdate().year
    if not MIN_YEAR <= year <= this_year + 1:
        raise GuardError(_("年度须在 %(low)d 到 %(high)d 之间。") % {"low": MIN_YEAR, "high": this_year + 1})
    return year


def _enqueue(job: ExportJob) -> None:
    """Hand the committed job to the worker queue and remember django-tasks' result id."""
    from ..jobs import run_export

    try:
        result = run_export.enqueue(job.pk)
    except Exception:
        logger.exception("could not enqueue export job %s", job.pk)
        ExportJob.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
            status=JobStatus.FAILED,
            error=_("生成失败：无法加入后台队列。请稍后重新申请导出；如仍失败，请联系系统管理员。"),
            finished_at=timezone.now(),
        )
        job.refresh_from_db()
        return
    job.task_result_id = str(result.id)
    ExportJob.objects.filter(pk=job.pk).update(task_result_id=job.task_result_id)


def request_export(*, actor, kind: str, unit_id: int | None = None, year: int | None = None) -> ExportJob:
    """批量导出: queue a unit's ledgers (kind "ledgers") or the city's 附件2 (kind "city_annex2")."""
    if kind == ExportKind.LEDGERS:
        unit, year = _ledger_unit(actor, unit_id), None
    elif kind == ExportKind.CITY_ANNEX2:
        unit, year = None, _city_year(actor, year)
    else:
        raise GuardError(_("请选择导出内容：单位全部培养台账，或全市附件2汇总表。"))
    with transaction.atomic():
        job = ExportJob.objects.create(kind=kind, unit=unit, year=year, requested_by=actor)
        # A bulk export carries personal data out of the system: it is traced like any action.
        held = user_assignments(actor)
        audit_log(
            actor=actor,
            action=AuditAction.EXPORT,
            case=None,
            role=held[0].role if held else "",
            org=unit or (held[0].org if held else None),
            changes={"export": kind, "job": job.pk, **({"unit": unit.name} if unit else {"year": year})},
        )
        # Enqueued only once the job is committed: a worker elsewhere must never pick up a
        # task whose job row it cannot see yet.
        transaction.on_commit(lambda: _enqueue(job))
    return job

"""The half-year 通报 as an issued document (seed 000 §四(三): 每半年通报一次工作情况).

The city's 市级管理员 issues it: it is numbered 〔YEAR〕N号, its PDF is rendered once with the
文号 and the 核验码 (the chain's head as it is printed; /inbox/verify/ checks it like any printed
document's), the bytes are archived under ``PRIVATE_MEDIA_ROOT`` with their sha256 (kept in the
签发 event too, so the chain vouches for the archive), and each
区县教育局 / 直属单位 gets a receipt and its officials a notification. A unit's 党务干部 or 审核人
then signs the receipt (签收), once. Who may do each is ``workflows.access.bulletins``.
"""

import datetime
import hashlib
import uuid
from pathlib import Path

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import chain
from ..access import bulletins as rules
from ..bulletin_document import bulletin_title, issued_bulletin_pdf
from ..errors import AlreadyHandled, GuardError
from ..figures.board import dashboard
from ..figures.values import FIRST_YEAR, Dashboard
from ..models import AuditAction, Bulletin, BulletinReceipt, NotificationKind, Organisation, Role, RoleAssignment
from ..models.organisations import UNIT_KINDS
from ..selectors import own_assignments
from ..text import checked_text as _text
from .attachments import storage_root
from .audit import audit_log
from .notify import notify

TITLE_MAX = 200
REMARK_MAX = 2000


def check_period(year, half, *, today: datetime.date) -> tuple[int, int]:
    """A 通报 covers a half-year that has begun: 1 (上半年) or 2 (下半年) of a year up to this one."""
    if half not in (1, 2):
        raise GuardError(_("半年度只能是 1（上半年）或 2（下半年）。"))
    if not isinstance(year, int) or not FIRST_YEAR <= year <= today.year:
        raise GuardError(
            _("年度须为 %(first)d 至 %(this)d 之间的四位数字：通报只能通报已经开始的半年。")
            % {"first": FIRST_YEAR, "this": today.year}
        )
    if year == today.year and half == 2 and today.month <= 6:
        raise GuardError(_("%(year)d年下半年尚未开始，不能签发下半年通报。") % {"year": year})
    return year, half


def figures_snapshot(board: Dashboard) -> dict:
    """What the 通报 said, kept with it (the archived PDF is the document; this is for lists and checks)."""
    return {
        "year": board.year,
        "as_of": board.today.isoformat(),
        "total_quota": board.total_quota,
        "total_completed": board.total_completed,
        "minimums": {m.kind: m.completed for m in board.minimums},
        "targets": {t.key: [t.numerator, t.denominator] for t in board.targets},
        "measures": {m.key: [m.numerator, m.denominator] for m in board.measures},
        "units": [{"unit": r.org.pk, "name": r.name, "quota": r.quota, "completed": r.completed} for r in board.rows],
        "problems": board.problems,
    }


def _write(data: bytes) -> str:
    stored_name = f"bulletins/{uuid.uuid4().hex}.pdf"
    path = storage_root() / stored_name
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "xb") as out:
        out.write(data)
    return stored_name


def unit_officials(units) -> list:
    """The 党务干部 and 审核人 holding office at the units themselves (who receive the 通报)."""
    from django.contrib.auth import get_user_model

    holders = RoleAssignment.objects.active().filter(org__in=units, role__in=rules.SIGNING_ROLES).values("user_id")
    return list(get_user_model().objects.filter(pk__in=holders, is_active=True).order_by("pk"))


def bulletin_issue(
    *, actor, year: int, half: int, title: str = "", remark: str = "", today: datetime.date | None = None
) -> Bulletin:
    """签发: number the city's half-year 通报, archive its PDF, deliver it to every unit."""
    city = rules.check_can_issue(actor)
    today = today or timezone.localdate()
    year, half = check_period(year, half, today=today)
    remark = _text(_("按语"), remark, REMARK_MAX)
    title = _text(_("标题"), title, TITLE_MAX)
    stored: Path | None = None
    try:
        with transaction.atomic():
            # The city's row is the numbering lock: two 签发 at once wait here for each other,
            # so the second reads the first's number and takes the next one.
            Organisation.objects.select_for_update().filter(pk=city.pk).first()
            number = (Bulletin.objects.filter(year=year).aggregate(n=Max("number"))["n"] or 0) + 1
            board = dashboard(actor, year, today=today)
            title = title or bulletin_title(board, half)
            units = list(Organisation.objects.filter(kind__in=UNIT_KINDS, path__startswith=city.path))
            bulletin = Bulletin.objects.create(
                year=year,
                number=number,
                half=half,
                title=title,
                body=remark,
                figures=figures_snapshot(board),
                pdf_sha256="",
                stored_name=f"bulletins/pending-{uuid.uuid4().hex}",
                issued_by=actor,
            )
            BulletinReceipt.objects.bulk_create([BulletinReceipt(bulletin=bulletin, unit=u) for u in units])
            officials = unit_officials(units)
            # Printed as every document prints it: the chain's head at the moment of printing
            # (workflows/pdf.py), so /inbox/verify/ checks the paper like any other. The 签发
            # event, written after, holds the archived bytes' sha256 and that code: the chain
            # then vouches for the archive too (a swapped file no longer matches its event).
            code = chain.current_code()
            content = issued_bulletin_pdf(
                board, doc_no=bulletin.doc_no, title=title, remark=remark, half=half, verification_code=code
            )
            stored_name = _write(content)
            stored = storage_root() / stored_name
            bulletin.stored_name = stored_name
            bulletin.pdf_sha256 = hashlib.sha256(content).hexdigest()
            bulletin.figures = {**bulletin.figures, "verification_code": code}
            bulletin.save(update_fields=["stored_name", "pdf_sha256", "figures"])
            audit_log(
                actor=actor,
                action=AuditAction.BULLETIN_ISSUE,
                case=None,
                role=Role.CITY_ADMIN,
                org=city,
                reason=title,
                changes={
                    "doc_no": bulletin.doc_no,
                    "half": str(_("上半年") if half == 1 else _("下半年")),
                    "units": len(units),
                    "notified": len(officials),
                    "sha256": bulletin.pdf_sha256,
                    "verification_code": code,
                },
            )
            notify(
                officials,
                kind=NotificationKind.BULLETIN,
                message=_("市委教育工委印发《%(title)s》（%(no)s），请在“通报”中查阅并签收。")
                % {"title": title, "no": bulletin.doc_no},
            )
    except BaseException:
        if stored is not None:
            stored.unlink(missing_ok=True)
        raise
    return bulletin


def bulletin_file(bulletin: Bulletin) -> tuple[str, str, bytes]:
    """The archived PDF, the same bytes every time (checked against the sha256 kept at issue)."""
    try:
        content = (storage_root() / bulletin.stored_name).read_bytes()
    except OSError:
        content = None
    if content is None or hashlib.sha256(content).hexdigest() != bulletin.pdf_sha256:
        raise GuardError(_("通报存档文件缺失或与签发时的摘要不符，请联系市级管理员核查。"))
    return f"{bulletin.doc_no}{bulletin.title}.pdf", "application/pdf", content


def bulletin_sign(*, actor, receipt_id: int) -> BulletinReceipt:
    """签收: the unit's 党务干部 or 审核人 confirms the unit has received and read the 通报 (once)."""
    receipt = rules.receipt_for_user(actor, receipt_id)
    rules.check_can_sign(actor, receipt)
    with transaction.atomic():
        receipt = BulletinReceipt.objects.select_for_update().select_related("bulletin", "unit").get(pk=receipt.pk)
        if receipt.read_at is not None:
            raise AlreadyHandled(
                _("%(unit)s已于 %(at)s 签收该通报，无需再次签收。")
                % {"unit": receipt.unit.name, "at": timezone.localtime(receipt.read_at).strftime("%Y-%m-%d %H:%M")}
            )
        receipt.read_at = timezone.now()
        receipt.read_by = actor
        receipt.save(update_fields=["read_at", "read_by"])
        role = next(
            (a.role for a in own_assignments(actor) if a.org_id == receipt.unit_id and a.role in rules.SIGNING_ROLES),
            "",
        )
        audit_log(
            actor=actor,
            action=AuditAction.BULLETIN_READ,
            case=None,
            role=role,
            org=receipt.unit,
            reason=receipt.bulletin.title,
            changes={"doc_no": receipt.bulletin.doc_no},
        )
    return receipt

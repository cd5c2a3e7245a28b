"""The issued 半年通报 (seed 000 §四(三): 每半年通报一次工作情况): who issues, who reads, who signs.

- 签发: the 市级管理员 at the city (中共益阳市委教育工作委员会 issues it; a unit does not).
- Reading: the city's 市级管理员 and 审计 read every 通报 and who has signed it; a unit's
  officials (any role held at the 区县教育局 / 直属单位 itself, its 审计 included) read the
  通报 delivered to their unit. A school's officer, a 培养人 or a 培养对象 holds no unit: none.
- 签收: the unit's 党务干部 or 审核人 signs its receipt, once. An auditor only reads.

The reads live here beside the rules, scoped by the same units (``bulletins_for_user``,
``bulletin_for_user``, ``receipt_for_user``).
"""

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from ..errors import NotInScope, NotPermitted
from ..models import Bulletin, BulletinReceipt, Organisation, Role
from ..models.organisations import UNIT_KINDS, OrgKind
from ..selectors import own_assignments

# The officials of a unit who receive the 通报 and may sign it (an auditor reads only).
SIGNING_ROLES = (Role.OFFICER, Role.REVIEWER)
CITY_READING_ROLES = (Role.CITY_ADMIN, Role.AUDITOR)


def _city_assignment(user, roles) -> Organisation | None:
    for a in own_assignments(user):
        if a.role in roles and a.org.kind == OrgKind.CITY:
            return a.org
    return None


def issuing_city(user) -> Organisation | None:
    """The city the user issues 通报 for (市级管理员 at the city), else None."""
    return _city_assignment(user, (Role.CITY_ADMIN,))


def may_issue(user) -> bool:
    return issuing_city(user) is not None


def check_can_issue(user) -> Organisation:
    city = issuing_city(user)
    if city is None:
        raise NotPermitted(
            _("半年工作情况通报由市委教育工委签发，只有市级管理员可以签发；各单位请在“通报”中查收和签收。")
        )
    return city


def reads_all(user) -> bool:
    """The city's 市级管理员 and 审计: every 通报, and every unit's receipt."""
    return _city_assignment(user, CITY_READING_ROLES) is not None


def reader_unit_ids(user, roles=None) -> list[int]:
    """The units (区县教育局 / 直属单位) where the user holds a role (one of ``roles``) at the unit itself."""
    return sorted(
        {a.org_id for a in own_assignments(user) if a.org.kind in UNIT_KINDS and (roles is None or a.role in roles)}
    )


def may_read(user) -> bool:
    return reads_all(user) or bool(reader_unit_ids(user))


def check_can_read(user) -> None:
    if not may_read(user):
        raise NotPermitted(
            _(
                "半年工作情况通报印发给各区县教育局和直属单位，由单位的党务干部、审核人查收；"
                "您没有在单位或市委教育工委任职的角色。"
            )
        )


def bulletins_for_user(user) -> QuerySet[Bulletin]:
    """Every 通报 for the city's readers; the 通报 delivered to the user's units for a unit's officials."""
    check_can_read(user)
    bulletins = Bulletin.objects.select_related("issued_by")
    if reads_all(user):
        return bulletins
    return bulletins.filter(receipts__unit_id__in=reader_unit_ids(user)).distinct()


def bulletin_for_user(user, bulletin_id) -> Bulletin:
    bulletin = bulletins_for_user(user).filter(pk=bulletin_id).first()
    if bulletin is None:
        raise NotInScope(_("未找到该通报，或它没有印发给您所在的单位。"))
    return bulletin


def receipts_for_user(user, bulletin: Bulletin) -> QuerySet[BulletinReceipt]:
    """The receipts the user may see: all of them for the city, their own units' otherwise."""
    receipts = bulletin.receipts.select_related("unit", "read_by").order_by("unit__sort_order", "unit_id")
    if reads_all(user):
        return receipts
    return receipts.filter(unit_id__in=reader_unit_ids(user))


def receipt_for_user(user, receipt_id) -> BulletinReceipt:
    """A receipt of one of the user's units (another unit's is not found: 404)."""
    check_can_read(user)
    receipt = (
        BulletinReceipt.objects.select_related("bulletin", "unit", "read_by")
        .filter(pk=receipt_id, unit_id__in=reader_unit_ids(user))
        .first()
    )
    if receipt is None:
        raise NotInScope(_("未找到该通报的签收记录，或它不是发给您所在单位的。"))
    return receipt


def may_sign(user, receipt: BulletinReceipt) -> bool:
    return receipt.unit_id in reader_unit_ids(user, SIGNING_ROLES)


def check_can_sign(user, receipt: BulletinReceipt) -> None:
    if not may_sign(user, receipt):
        raise NotPermitted(
            _("通报由单位的党务干部或审核人签收；审计人员只能查阅。请联系%(unit)s的党务干部签收。")
            % {"unit": receipt.unit.name}
        )

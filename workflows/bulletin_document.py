"""The half-year 通报 as a PDF (§四(三): 每半年通报一次工作情况), beside the other documents.

Two ways out: the draft any unit or the city downloads from the 统计看板 (``bulletin_pdf``,
printed with the chain's 核验码 of the moment), and the issued 通报 (``issued_bulletin_pdf``,
called once by ``services.bulletins.bulletin_issue``: its 文号, 按语 and the 核验码 of the moment
it was issued; the bytes are archived and served as they are).
"""

import datetime

from django.utils.translation import gettext as _

from .errors import GuardError, NotPermitted
from .figures.board import dashboard
from .figures.values import Dashboard, date_text
from .selectors_figures import dashboard_scope

CITY_ISSUER = "中共益阳市委教育工作委员会"


def bulletin_title(board: Dashboard, half: int) -> str:
    half_text = _("上半年") if half == 1 else _("下半年")
    if board.scope.is_city:
        return _("益阳市教育系统“双培”工程%(year)d年%(half)s工作情况通报") % {"year": board.year, "half": half_text}
    return _("%(unit)s“双培”工程%(year)d年%(half)s工作情况通报") % {
        "unit": board.scope.label,
        "year": board.year,
        "half": half_text,
    }


def _context(board: Dashboard, *, title: str, issuer: str, half: int) -> dict:
    return {
        "board": board,
        "title": title,
        "issuer": issuer,
        "half": half,
        "dated": date_text(board.today),
        "due": date_text(board.due),
        "charts": board.charts,
        "problems": board.problems,
    }


def bulletin_pdf(user, *, year: int, half: int, today: datetime.date | None = None) -> tuple[str, str, bytes]:
    """每半年通报一次: the city's bulletin for city users, a unit's own for its users."""
    from .pdf import render_pdf

    if half not in (1, 2):
        raise GuardError(_("半年度只能是 1（上半年）或 2（下半年）。"))
    scope = dashboard_scope(user)
    if scope.level == "school":
        raise NotPermitted(_("半年工作情况通报由市委教育工委和各单位印发；学校党组织请在统计看板中查看本校情况。"))
    board = dashboard(user, year, today=today, scope=scope)
    issuer = CITY_ISSUER if scope.is_city else _("%(unit)s党组织") % {"unit": scope.label}
    title = bulletin_title(board, half)
    content = render_pdf("documents/bulletin.html", _context(board, title=title, issuer=issuer, half=half))
    return f"{title}.pdf", "application/pdf", content


def issued_bulletin_pdf(
    board: Dashboard, *, doc_no: str, title: str, remark: str, half: int, verification_code: str
) -> bytes:
    """The 通报 as issued: its 文号 above the title, the 按语, and the 核验码 it was issued under."""
    from .pdf import render_pdf

    context = _context(board, title=title, issuer=CITY_ISSUER, half=half)
    context.update(
        doc_no=doc_no,
        remark=remark,
        remark_lines=[line for line in remark.splitlines() if line.strip()],
        verification_code=verification_code,
    )
    return render_pdf("documents/bulletin.html", context)

"""长沙's measures beside ours (seed 002): shares of party members, with 长沙's figure as the reference.

- 新发展党员中骨干教师的比例 (长沙：286 名骨干教师发展成为党员，占党员发展总量的 21%);
- 骨干教师中党员的比例 (长沙：骨干教师、卓越教师中党员占比 80%);
- 名校长中党员的比例 (长沙：名校长中党员占比 97%).

Aggregate counts only: political status is sensitive, and the officials who see the dashboard
see these numbers, never who is behind them.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from .values import _pct, pct_text


@dataclass
class Share:
    """A count over a count, beside 长沙's percentage."""

    key: str
    title: str
    numerator: int
    denominator: int
    numerator_label: str
    denominator_label: str
    reference: int  # 长沙's percentage
    reference_text: str

    @property
    def share(self) -> float | None:
        return _pct(self.numerator, self.denominator)

    @property
    def has_data(self) -> bool:
        return self.denominator > 0

    @property
    def share_text(self) -> str:
        return pct_text(self.share) if self.has_data else str(_("无数据"))

    @property
    def reference_label(self) -> str:
        return _("长沙：%(pct)d%%") % {"pct": self.reference}

    @property
    def text(self) -> str:
        if not self.has_data:
            return _("%(title)s：无数据（%(den)s为 0）；%(ref)s") % {
                "title": self.title,
                "den": self.denominator_label,
                "ref": self.reference_label,
            }
        return _("%(title)s：%(num)d / %(den)d = %(pct)s；%(ref)s") % {
            "title": self.title,
            "num": self.numerator,
            "den": self.denominator,
            "pct": self.share_text,
            "ref": self.reference_label,
        }


def measure_shares(counts: dict[str, int]) -> list[Share]:
    """The three shares from the counts ``selectors_figures.measure_counts`` reads."""
    return [
        Share(
            "admitted_backbone",
            _("年度新发展教师党员中骨干教师的比例"),
            counts["admitted_backbone"],
            counts["admitted"],
            _("其中骨干教师"),
            _("年度新发展教师党员"),
            21,
            _("长沙：286 名骨干教师发展成为党员，占党员发展总量的 21%"),
        ),
        Share(
            "backbone_members",
            _("骨干教师中党员的比例"),
            counts["backbone_members"],
            counts["backbone"],
            _("其中党员"),
            _("骨干教师"),
            80,
            _("长沙：骨干教师、卓越教师中党员占比 80%"),
        ),
        Share(
            "principal_members",
            _("名校长中党员的比例"),
            counts["principal_members"],
            counts["principals"],
            _("其中党员"),
            _("名校长"),
            97,
            _("长沙：名校长中党员占比 97%"),
        ),
    ]

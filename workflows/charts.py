"""The 统计看板's charts as inline SVG, readable in black and white (hatching and dots, not colour).

Drawing only: each function takes the values of ``workflows.figures.values`` and returns
markup; the page and the 通报 PDF embed the same markup.
"""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .figures.values import KINDS, TARGET_PERCENT, Minimum, SliceFigures, Target

FONT = "Noto Sans CJK SC, Noto Serif CJK SC, sans-serif"
NAME_CHARS = 10  # characters of a unit's name that fit left of the bars on one line


def _patterns(prefix: str) -> str:
    """Hatching for 类别1, dots for 类别2, solid grey for the plan: told apart without colour."""
    return (
        "<defs>"
        f'<pattern id="{prefix}-hatch" patternUnits="userSpaceOnUse" width="6" height="6">'
        '<rect width="6" height="6" fill="#fff"/>'
        '<path d="M0,6 L6,0 M-1,1 L1,-1 M5,7 L7,5" stroke="#000" stroke-width="1.4"/></pattern>'
        f'<pattern id="{prefix}-dots" patternUnits="userSpaceOnUse" width="5" height="5">'
        '<rect width="5" height="5" fill="#fff"/><circle cx="2.5" cy="2.5" r="1.3" fill="#000"/></pattern>'
        "</defs>"
    )


def _text(x, y, text, *, size=12, anchor="start", weight="normal") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-family="{FONT}" font-size="{size}" fill="#000" '
        f'text-anchor="{anchor}" font-weight="{weight}">{escape(text)}</text>'
    )


def _svg(width: int, height: int, body: str, *, label: str) -> SafeString:
    return mark_safe(  # every text run is escaped by _text
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sp-chart" role="img" aria-label="{escape(label)}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">{body}</svg>'
    )


def svg_quota_bars(rows: list[SliceFigures]) -> SafeString:
    """Horizontal bars per unit and 类别: the plan as an outlined bar, completions filled over it."""
    label_w, bar_w, text_w, line_h, gap, top = 170, 270, 200, 17, 8, 34
    width = label_w + bar_w + text_w
    height = top + len(rows) * (2 * line_h + gap) + 6
    scale_max = max([1] + [max(k.quota or 0, k.completed) for r in rows for k in r.kinds.values()])
    fills = {"1": "url(#q-hatch)", "2": "url(#q-dots)"}
    parts = [_patterns("q")]
    # Legend: what each mark means, in words.
    parts.append('<rect x="0" y="6" width="22" height="12" fill="#fff" stroke="#000" stroke-width="1"/>')
    parts.append(_text(28, 16, _("年度计划数"), size=11))
    parts.append('<rect x="110" y="6" width="22" height="12" fill="url(#q-hatch)" stroke="#000" stroke-width="0.8"/>')
    parts.append(_text(138, 16, _("类别1已完成"), size=11))
    parts.append('<rect x="230" y="6" width="22" height="12" fill="url(#q-dots)" stroke="#000" stroke-width="0.8"/>')
    parts.append(_text(258, 16, _("类别2已完成"), size=11))
    parts.append(_text(width - 4, 16, _("单位：人"), size=11, anchor="end"))
    y = top
    for row in rows:
        # Long names (大通湖区教育和卫生健康局) take both lines rather than run into the bars.
        if len(row.name) > NAME_CHARS:
            parts.append(_text(0, y + 12, row.name[:NAME_CHARS], size=11, weight="bold"))
            parts.append(_text(0, y + line_h + 12, row.name[NAME_CHARS:], size=11, weight="bold"))
        else:
            parts.append(_text(0, y + line_h + 4, row.name, size=11, weight="bold"))
        for i, kind in enumerate(KINDS):
            figure = row.kinds[kind]
            by = y + i * line_h
            parts.append(_text(label_w - 6, by + 12, _("类别%(kind)s") % {"kind": kind}, size=10, anchor="end"))
            if figure.quota:
                w = bar_w * figure.quota / scale_max
                parts.append(
                    f'<rect x="{label_w}" y="{by + 1}" width="{w:.1f}" height="{line_h - 4}" '
                    'fill="#fff" stroke="#000" stroke-width="1"/>'
                )
            if figure.completed:
                w = bar_w * figure.completed / scale_max
                parts.append(
                    f'<rect x="{label_w}" y="{by + 4}" width="{w:.1f}" height="{line_h - 10}" '
                    f'fill="{fills[kind]}" stroke="#000" stroke-width="0.8"/>'
                )
            quota = figure.quota if figure.quota is not None else _("未分解")
            text = _("完成 %(n)s / 计划 %(q)s（%(pct)s）") % {"n": figure.completed, "q": quota, "pct": figure.pct_text}
            parts.append(_text(label_w + bar_w + 8, by + 12, text, size=11))
        parts.append(
            f'<line x1="0" y1="{y + 2 * line_h + gap / 2:.1f}" x2="{width}" y2="{y + 2 * line_h + gap / 2:.1f}" '
            'stroke="#bbb" stroke-width="0.5"/>'
        )
        y += 2 * line_h + gap
    return _svg(width, height, "".join(parts), label=_("各单位年度计划与完成情况"))


def _progress(parts, y, *, text, value, maximum, mark, mark_label, fill, width) -> None:
    """One titled progress bar: the track, the filled part, and a labelled tick at the mark."""
    track = width - 20
    parts.append(_text(0, y + 12, text, size=12))
    parts.append(f'<rect x="0" y="{y + 20}" width="{track}" height="16" fill="#fff" stroke="#000" stroke-width="1"/>')
    if value and maximum:
        w = track * min(value, maximum) / maximum
        parts.append(
            f'<rect x="0" y="{y + 20}" width="{w:.1f}" height="16" fill="{fill}" stroke="#000" stroke-width="0.8"/>'
        )
    if maximum:
        mx = track * mark / maximum
        parts.append(f'<line x1="{mx:.1f}" y1="{y + 16}" x2="{mx:.1f}" y2="{y + 40}" stroke="#000" stroke-width="2"/>')
        parts.append(_text(mx, y + 52, mark_label, size=10, anchor="middle"))


def svg_minimums(minimums: list[Minimum]) -> SafeString:
    """Two progress bars: this year's completions of each 类别 against the city-wide minimum."""
    width, step = 640, 62
    parts = [_patterns("m")]
    for i, minimum in enumerate(minimums):
        maximum = max(minimum.target, minimum.completed)
        _progress(
            parts,
            4 + i * step,
            text=minimum.text,
            value=minimum.completed,
            maximum=maximum,
            mark=minimum.target,
            mark_label=_("最低 %(n)d") % {"n": minimum.target},
            fill="url(#m-hatch)" if minimum.kind == "1" else "url(#m-dots)",
            width=width,
        )
    return _svg(width, 4 + len(minimums) * step, "".join(parts), label=_("年度最低完成数"))


def svg_targets(targets: list[Target]) -> SafeString:
    """Two bars from 0 to 100%, each with the 80% mark; 无数据 leaves the bar empty and says so."""
    width, step = 640, 62
    parts = [_patterns("t")]
    for i, target in enumerate(targets):
        _progress(
            parts,
            4 + i * step,
            text=target.text,
            value=target.share or 0,
            maximum=100,
            mark=TARGET_PERCENT,
            mark_label="80%",
            fill="url(#t-hatch)",
            width=width,
        )
    return _svg(width, 4 + len(targets) * step, "".join(parts), label=_("两个80%目标"))


def dashboard_charts(board) -> dict[str, SafeString]:
    """The three charts of a ``Dashboard``: plan vs completions, the minimums, the two 80% targets."""
    return {
        "quota": svg_quota_bars(board.rows),
        "minimums": svg_minimums(board.minimums),
        "targets": svg_targets(board.targets),
    }

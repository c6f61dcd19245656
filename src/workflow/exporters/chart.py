"""Server-rendered bar charts as SVG text (no JavaScript, no library).

`bar_chart` draws grouped bars: one group per category (e.g. a body type), one bar per series (e.g.
a year), each bar labelled with its value, a legend, and a <title>/<desc> plus role="img" so screen
readers get the figures in words.  Colours are presentation attributes (no style attribute: the
application's Content-Security-Policy forbids inline styles).  All text is XML-escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final
from xml.sax.saxutils import escape, quoteattr

# Colour-blind-safe, with enough contrast on white for the bars (text is drawn in dark grey).
COLOURS: Final = ("#1f5fa8", "#d9822b", "#2e8b57", "#8e44ad", "#7f7f7f")
TEXT: Final = "#222222"


@dataclass(frozen=True, slots=True)
class Group:
    label: str
    values: tuple[Decimal | int | None, ...]  # one per series; None = no data


def _fmt(v: Decimal | int) -> str:
    d = Decimal(v)
    return str(int(d)) if d == d.to_integral_value() else format(d.normalize(), "f")


def bar_chart(
    title: str,
    series: Sequence[str],
    groups: Sequence[Group],
    *,
    unit: str = "件",
    width: int = 640,
    bar_height: int = 18,
    chart_id: str = "chart",
) -> str:
    """Horizontal grouped bars (labels on the left read well in Chinese and on a phone)."""
    longest = max((len(g.label) for g in groups), default=4)
    label_w = min(width * 2 // 5, 13 * longest + 14)  # 13 px a character at font-size 13
    right_pad = min(70, width // 7)
    gap = 10
    top = 34 + 20  # title + legend
    plot_w = max(50, width - label_w - right_pad)
    values = [Decimal(v) for g in groups for v in g.values if v is not None]
    top_value = max(values, default=Decimal(0))
    scale = Decimal(plot_w) / top_value if top_value > 0 else Decimal(0)
    group_h = bar_height * max(1, len(series)) + gap
    height = top + group_h * max(1, len(groups)) + 10
    title_id = f"{chart_id}-title"
    desc_id = f"{chart_id}-desc"
    words = []
    for g in groups:
        parts = [
            f"{s}：{'无数据' if v is None else _fmt(v) + unit}"
            for s, v in zip(series, g.values, strict=False)
        ]
        words.append(f"{g.label}（{'，'.join(parts)}）")
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="{title_id} {desc_id}">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{escape("；".join(words) or "没有数据")}</desc>',
        f'<text x="0" y="18" font-size="15" font-weight="bold" fill="{TEXT}">{escape(title)}</text>',
    ]
    x = label_w
    for i, name in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        out.append(f'<rect x="{x}" y="28" width="12" height="12" fill="{colour}"/>')
        out.append(f'<text x="{x + 16}" y="39" font-size="12" fill="{TEXT}">{escape(name)}</text>')
        x += 16 + 14 * len(name) + 20
    if not groups:
        out.append(f'<text x="{label_w}" y="{top + 14}" font-size="13" fill="{TEXT}">没有数据</text>')
    for gi, g in enumerate(groups):
        y0 = top + gi * group_h
        mid = y0 + (bar_height * len(series)) / 2 + 4
        out.append(
            f'<text x="{label_w - 8}" y="{mid:.0f}" font-size="13" text-anchor="end" fill="{TEXT}">'
            f"{escape(g.label)}</text>"
        )
        for si, v in enumerate(g.values):
            y = y0 + si * bar_height
            colour = COLOURS[si % len(COLOURS)]
            if v is None:
                out.append(
                    f'<text x="{label_w + 4}" y="{y + bar_height - 5}" font-size="12" fill="{TEXT}">无数据</text>'
                )
                continue
            w = int(Decimal(v) * scale)
            label = escape(_fmt(v))
            out.append(
                f'<rect x="{label_w}" y="{y + 2}" width="{w}" height="{bar_height - 4}" fill="{colour}">'
                f"<title>{escape(series[si] if si < len(series) else '')} {escape(g.label)}：{label}{escape(unit)}</title></rect>"
            )
            out.append(
                f'<text x="{label_w + w + 4}" y="{y + bar_height - 5}" font-size="12" fill="{TEXT}">{label}</text>'
            )
    out.append("</svg>")
    return "".join(out)


def safe_id(text: str) -> str:
    """An id attribute value from arbitrary text (quoteattr-safe, no spaces)."""
    cleaned = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in text)
    return quoteattr(cleaned)[1:-1] or "chart"

"""The district summary as HTML fragments and SVG charts, for the office page and the public site.

Pure text (html.escape everywhere): the office's Jinja templates and the portal's both insert these
fragments, so the two show the same tables.  Wide tables sit in a `.table-scroll` box so that on a
phone only the table scrolls, never the page.  Differences from last year are words ("增加 5"), never
negative numbers.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape
from typing import Final

from workflow.domain.formats import FORMATS
from workflow.domain.summary import Summary, change_text, show, type_label
from workflow.exporters.chart import Group, bar_chart

# Key figures per body type: (table, row, column, label).
KEY_FIGURES: Final = (
    ("t2", "licensing", "decisions", "行政许可决定"),
    ("t2", "penalty", "decisions", "行政处罚决定"),
    ("t2", "enforcement", "decisions", "行政强制决定"),
    ("t3", "new", "total", "新收申请"),
    ("t3", "carried", "total", "上年结转申请"),
    ("t3", "granted", "total", "予以公开"),
    ("t3", "partial", "total", "部分公开"),
    ("t3", "total", "total", "办理总计"),
    ("t3", "forward", "total", "结转下年度"),
    ("t4", "review", "total", "行政复议"),
    ("t4", "direct", "total", "未经复议直接起诉"),
    ("t4", "after_review", "total", "复议后起诉"),
)


def _prev(previous: Summary | None, tid: str, row: str, col: str) -> Decimal | None:
    if previous is None or previous.count == 0:
        return None
    return previous.value(tid, row, col)


def _change(now: Decimal, before: Decimal | None) -> str:
    text = change_text(now, before)
    return f'<td class="change">{escape(text)}</td>'


def _group_runs(groups: list[str]) -> list[int]:
    """For each row, how many rows its group cell spans (0: covered by the cell above)."""
    runs = [0] * len(groups)
    i = 0
    while i < len(groups):
        j = i
        while j + 1 < len(groups) and groups[j + 1] == groups[i]:
            j += 1
        runs[i] = j - i + 1
        i = j + 1
    return runs


def _group_cell(group: str, run: int) -> str:
    if run == 0:
        return ""
    span = f' rowspan="{run}"' if run > 1 else ""
    return f"<td{span}>{escape(group)}</td>"


def tables_html(current: Summary, previous: Summary | None, *, id_prefix: str = "sum") -> str:
    """表二, 表三, 表四 summed, each beside last year's total."""
    spec = FORMATS[current.format]
    y, py = current.year, current.year - 1
    out: list[str] = []
    t2 = spec.table("t2")
    out.append(
        f'<h3 id="{id_prefix}-t2">表二 主动公开政府信息情况</h3><div class="table-scroll" tabindex="0" role="region" aria-labelledby="{id_prefix}-t2">'
    )
    out.append(
        f'<table class="grid summary" id="{id_prefix}-table-t2"><thead><tr><th scope="col">信息内容</th>'
        f'<th scope="col">项目</th><th scope="col">栏目</th><th scope="col">{y}年</th>'
        f'<th scope="col">{py}年</th><th scope="col">与上年比</th></tr></thead><tbody>'
    )
    for r in t2.rows:
        for i, c in enumerate(r.columns):
            now = current.value("t2", r.key, c.key)
            before = _prev(previous, "t2", r.key, c.key)
            group = f'<td rowspan="{len(r.columns)}">{escape(r.group)}</td>' if i == 0 else ""
            label = (
                f'<th scope="row" rowspan="{len(r.columns)}" class="rowlabel">{escape(r.label)}</th>'
                if i == 0
                else ""
            )
            out.append(
                f'<tr data-row="{r.key}" data-col="{c.key}">{group}{label}<td>{escape(c.label)}</td>'
                f'<td class="num">{show(now)}</td><td class="num">{"—" if before is None else show(before)}</td>'
                f"{_change(now, before)}</tr>"
            )
    out.append("</tbody></table></div>")
    for tid, title in (
        ("t3", "表三 收到和处理政府信息公开申请情况"),
        ("t4", "表四 政府信息公开行政复议、行政诉讼情况"),
    ):
        table = spec.table(tid)
        cols = table.rows[0].columns
        out.append(
            f'<h3 id="{id_prefix}-{tid}">{escape(title)}</h3><div class="table-scroll" tabindex="0" role="region" aria-labelledby="{id_prefix}-{tid}">'
        )
        head = "".join(f'<th scope="col">{escape(c.label)}</th>' for c in cols)
        out.append(
            f'<table class="grid summary" id="{id_prefix}-table-{tid}"><thead><tr><th scope="col">分组</th>'
            f'<th scope="col">项目</th>{head}<th scope="col">{py}年总计</th><th scope="col">与上年比</th>'
            "</tr></thead><tbody>"
        )
        runs = _group_runs([r.group for r in table.rows])
        for r, run in zip(table.rows, runs, strict=True):
            cells = "".join(
                f'<td class="num" data-col="{c.key}">{show(current.value(tid, r.key, c.key))}</td>'
                for c in cols
            )
            now = current.value(tid, r.key, "total")
            before = _prev(previous, tid, r.key, "total")
            out.append(
                f'<tr data-row="{r.key}">{_group_cell(r.group, run)}<th scope="row" class="rowlabel">{escape(r.label)}</th>'
                f'{cells}<td class="num">{"—" if before is None else show(before)}</td>{_change(now, before)}</tr>'
            )
        out.append("</tbody></table></div>")
    if current.unmapped:
        items = "".join(f"<li>{escape(u.body_name)}：{escape(u.what)}</li>" for u in current.unmapped)
        out.append(
            '<div class="notice" id="unmapped"><p>以下数字来自按 2019 年试行格式填写的报告，'
            f"在本年度的格式中没有对应栏目，未计入上面的合计：</p><ul>{items}</ul></div>"
        )
    return "".join(out)


def breakdown_html(current: Summary, *, id_prefix: str = "sum") -> str:
    """Key figures per body type (columns), with the number of bodies of each type."""
    types = current.types
    head = "".join(
        f'<th scope="col">{escape(type_label(t))}<br>（{current.type_counts[t]} 个单位）</th>' for t in types
    )
    rows = []
    for tid, row, col, label in KEY_FIGURES:
        if not any(r.key == row for r in FORMATS[current.format].table(tid).rows):
            continue
        cells = "".join(
            f'<td class="num" data-type="{t}">{show(current.value(tid, row, col, t))}</td>' for t in types
        )
        rows.append(
            f'<tr data-row="{tid}-{row}"><th scope="row" class="rowlabel">{escape(label)}</th>{cells}'
            f'<td class="num">{show(current.value(tid, row, col))}</td></tr>'
        )
    return (
        f'<div class="table-scroll" tabindex="0" role="region" aria-label="按单位类型">'
        f'<table class="grid summary" id="{id_prefix}-by-type"><thead><tr>'
        f'<th scope="col">项目</th>{head}<th scope="col">合计（{current.count} 个单位）</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _series(current: Summary, previous: Summary | None) -> list[str]:
    return [f"{current.year}年"] + ([f"{current.year - 1}年"] if previous and previous.count else [])


def _groups(
    current: Summary, previous: Summary | None, cells: tuple[tuple[str, str, str], ...]
) -> list[Group]:
    types = list(dict.fromkeys(current.types + (previous.types if previous else [])))
    with_previous = previous is not None and previous.count > 0
    out = []
    for t in types:
        values: list[Decimal | None] = [sum((current.value(*c, t) for c in cells), Decimal(0))]
        if with_previous and previous is not None:
            values.append(sum((previous.value(*c, t) for c in cells), Decimal(0)))
        out.append(Group(type_label(t), tuple(values)))
    return out


def requests_chart(
    current: Summary, previous: Summary | None, *, chart_id: str = "sum-chart-requests", width: int = 640
) -> str:
    """新收申请 per body type, this year beside last year."""
    return bar_chart(
        f"{current.year}年新收政府信息公开申请（按单位类型）",
        _series(current, previous),
        _groups(current, previous, (("t3", "new", "total"),)),
        chart_id=chart_id,
        width=width,
    )


def decisions_chart(
    current: Summary, previous: Summary | None, *, chart_id: str = "sum-chart-decisions", width: int = 640
) -> str:
    """行政许可、处罚、强制决定 per body type, this year beside last year."""
    cells = (
        ("t2", "licensing", "decisions"),
        ("t2", "penalty", "decisions"),
        ("t2", "enforcement", "decisions"),
    )
    return bar_chart(
        f"{current.year}年行政许可、处罚、强制决定（按单位类型）",
        _series(current, previous),
        _groups(current, previous, cells),
        chart_id=chart_id,
        width=width,
    )


def charts_svg(
    current: Summary, previous: Summary | None, *, id_prefix: str = "sum", width: int = 640
) -> str:
    """Both charts, each in its box (`width` 360 reads at full size on a phone)."""
    requests = requests_chart(current, previous, chart_id=f"{id_prefix}-chart-requests", width=width)
    decisions = decisions_chart(current, previous, chart_id=f"{id_prefix}-chart-decisions", width=width)
    return f'<div class="chart-box">{requests}</div><div class="chart-box">{decisions}</div>'

"""The report as a simple HTML page with real <table>s (the public page is issue 5's)."""

from __future__ import annotations

from html import escape

from workflow.domain.model import Report

from .layout import GRow, Part, parts

_STYLE = (
    "body{font-family:'SimSun','Songti SC',serif;max-width:60em;margin:2em auto;line-height:1.8}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #333;padding:.2em .5em;text-align:center}"
)


def to_html(report: Report) -> str:
    title = escape(report.header.title or "政府信息公开工作年度报告")
    body = "\n".join(_part(p) for p in parts(report))
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def _part(part: Part) -> str:
    if part.kind == "title":
        return f"<h1>{escape(part.text)}</h1>"
    if part.kind == "heading":
        return f"<h2>{escape(part.text)}</h2>"
    if part.kind == "table":
        return _table(list(part.grid))
    return f"<p>{escape(part.text)}</p>"


def _table(grid: list[GRow]) -> str:
    rows = []
    for row in grid:
        cells = []
        for cell in row:
            tag = "th" if cell.kind == "head" else "td"
            span = f' colspan="{cell.colspan}"' if cell.colspan > 1 else ""
            span += f' rowspan="{cell.rowspan}"' if cell.rowspan > 1 else ""
            cells.append(f"<{tag}{span}>{escape(cell.text)}</{tag}>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return "<table>\n" + "\n".join(rows) + "\n</table>"

"""Web pages: text outside tables becomes paragraphs, <tr>s become rows.

rowspan/colspan are laid out on a grid (covered positions are blank, as in .docx), one-cell
rows (layout tables, group captions) are read as paragraphs, and a table nested in a cell
yields its own rows.  html.parser is not recursive, so deep nesting cannot blow the stack.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

from .assemble import Block
from .decode import decode_text

_SKIP = frozenset({"script", "style", "head", "title", "noscript", "template", "svg", "math", "object"})
_BREAKS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article"}
    | {"blockquote", "pre", "header", "footer", "center", "dd", "dt", "hr", "caption"}
)
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")
_MAX_SPAN = 64
_MAX_COLUMNS = 256  # no report table is wider; spans must not multiply a hostile page into millions of cells


def html_blocks(data: bytes | str) -> Iterator[Block]:
    text = data if isinstance(data, str) else _decode(data)
    parser = _Parser()
    parser.feed(text)
    parser.close()
    parser.flush()
    return iter(parser.blocks)


def _decode(data: bytes) -> str:
    m = _CHARSET.search(data[:4096])
    if m is not None and m.group(1).lower() in (b"gb2312", b"gbk", b"gb18030"):
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            pass
    return decode_text(data)


@dataclass(slots=True)
class _Table:
    rows_pending: dict[int, int] = field(default_factory=dict)  # column -> rows still covered
    row: list[str] | None = None
    cell: list[str] | None = None
    colspan: int = 1
    rowspan: int = 1
    container: bool = False  # the current row holds a nested table: a layout row, not data


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.text: list[str] = []
        self.tables: list[_Table] = []
        self.skip = 0

    # ------------------------------------------------------------ events
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag == "table":
            self._end_text()
            self.tables.append(_Table())
        elif self.tables and tag == "tr":
            self._end_row()
            self.tables[-1].row = []
        elif self.tables and tag in ("td", "th"):
            self._start_cell(dict(attrs))
        elif tag in _BREAKS:
            self._break()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "hr"):
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag == "table" and self.tables:
            self._end_row()
            self.tables.pop()
        elif self.tables and tag == "tr":
            self._end_row()
        elif self.tables and tag in ("td", "th"):
            self._end_cell()
        elif tag in _BREAKS:
            self._break()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        table = self.tables[-1] if self.tables else None
        if table is not None and table.cell is not None:
            table.cell.append(data)
        else:
            self.text.append(data)

    def flush(self) -> None:
        while self.tables:
            self._end_row()
            self.tables.pop()
        self._end_text()

    # ------------------------------------------------------------ paragraphs
    def _break(self) -> None:
        table = self.tables[-1] if self.tables else None
        if table is not None and table.cell is not None:
            table.cell.append("\n")
        else:
            self._end_text()

    def _end_text(self) -> None:
        table = self.tables[-1] if self.tables else None
        if table is not None and table.cell is not None:
            # A table opens inside a cell: what the cell said so far is a paragraph of its own.
            self._paragraphs("".join(table.cell))
            table.cell = []
            table.container = True
        if self.text:
            self._paragraphs("".join(self.text))
            self.text = []

    def _paragraphs(self, text: str) -> None:
        for line in text.split("\n"):
            line = _SPACES.sub(" ", line).strip()
            if line:
                self.blocks.append(line)

    # ------------------------------------------------------------ table rows
    def _start_cell(self, attrs: dict[str, str | None]) -> None:
        table = self.tables[-1]
        if table.row is None:
            table.row = []
        if table.cell is not None:
            self._end_cell()
        table.cell = []
        table.colspan = _span(attrs.get("colspan"))
        table.rowspan = _span(attrs.get("rowspan"))

    def _end_cell(self) -> None:
        table = self.tables[-1]
        if table.cell is None or table.row is None:
            return
        row = table.row
        self._skip_covered(table)
        text = "".join(table.cell)
        start = len(row)
        if start >= _MAX_COLUMNS:
            table.cell = None
            return
        row.append(text)
        row.extend([""] * (table.colspan - 1))
        if table.rowspan > 1:
            for col in range(start, start + table.colspan):
                table.rows_pending[col] = table.rowspan - 1
        table.cell = None

    def _skip_covered(self, table: _Table) -> None:
        row = table.row
        assert row is not None
        while table.rows_pending.get(len(row), 0) > 0 and len(row) < _MAX_COLUMNS:
            row.append("")

    def _end_row(self) -> None:
        table = self.tables[-1] if self.tables else None
        if table is None or table.row is None:
            return
        if table.cell is not None:
            self._end_cell()
        row = table.row
        self._skip_covered(table)
        for col in list(table.rows_pending):
            table.rows_pending[col] -= 1
            if table.rows_pending[col] <= 0:
                del table.rows_pending[col]
        table.row = None
        container, table.container = table.container, False
        filled = [c for c in row if c.strip()]
        if container or len(row) == 1 or (len(filled) == 1 and "\n" in filled[0]):
            for text in filled:  # a layout row (one cell of text, or a wrapper of tables): paragraphs
                self._paragraphs(text)
            return
        cells = [_SPACES.sub(" ", c.replace("\n", "")).strip() for c in row]
        if any(cells):
            self.blocks.append(cells)


def _span(value: str | None) -> int:
    if value is None:
        return 1
    digits = value.strip()
    # ASCII digits and few of them: "²".isdigit() is true but int("²") fails.
    ok = digits.isascii() and digits.isdigit() and len(digits) <= 6
    return min(int(digits), _MAX_SPAN) if ok and int(digits) > 0 else 1

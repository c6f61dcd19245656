"""Turn a stream of blocks into a Report: the parsing every importer shares.

A block is a paragraph (str) or a table row (list of cell texts).  Text gives tab-separated
lines, .docx and HTML give real table rows; from here on they are treated alike.  The walk
collects raw rows per table first and maps cells to columns at the end, once the format
(2021 or 2019 试行, told apart by the labels) is known.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from workflow.domain.formats import FORMATS, TABLE_SECTION, FormatId
from workflow.domain.model import BLANK_MARKERS

from . import labels as L
from .finish import finish
from .grid import fit, where
from .header import body_from_title, is_body_name, joins_title, looks_like_title
from .types import ImportFailure, ImportNote, ImportResult, RawRow, Walk

Block = str | list[str]

_NUMERIC = re.compile(
    r"^[+\-－＋]?[0-9０-９]+(?:[,，][0-9０-９]{3})*(?:[.．][0-9０-９]+)?\s*(?:件|条|个|项|万元|元)?$"
)
_HEADING = re.compile(r"^([一二三四五六])\s*[、.．,，]\s*(\S.*)$")
_SECTION_KEYS = {
    1: ("总体", "基本情况", "概述", "概况"),
    2: ("主动公开",),
    3: ("申请",),
    4: ("复议", "诉讼"),
    5: ("问题", "改进"),
    6: ("其他", "事项"),
}
_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_SECTION_TABLE = {2: "t2", 3: "t3", 4: "t4"}
_INLINE_ROW = re.compile(r"^(\D{2,40}?)\s*((?:[+\-]?\d+(?:\.\d+)?\s*)+)$")
_T4_WIDTH = 15
_SPACED = re.compile(r"^[+\-]?\d[\d.]*(?:\s+[+\-]?\d[\d.]*)+$")  # "3 0 0 2": values in one cell
_DIGITS = re.compile(r"^[\d\s.+\-]+$")
_COMMENT = re.compile(r"^#+\s+[A-Za-z(\[-]")  # "# source: …", "#   - note": annotations, not report text
_ONE_CELL = re.compile(r"^([^|｜]+?)\s*[|｜]\s*$")
_BARS = re.compile(r"^[|｜\s]+$")
_PIPES = re.compile(r"[|｜][^|｜]*[|｜]|[|｜]\s*$")


_INLINE_HEADING = re.compile(
    r"(?<=[。\s])\s*([一二三四五六])\s*、\s*(?=[^。，,\s]{0,14}?(?:总体情况|主动公开政府信息|收到和处理|行政复议|存在的主要问题|其他需要报告))"
)


def _inline_headings(text: str) -> list[str]:
    """Split a paragraph before each section title inside it ("…组成。 一、总体情况 2022年，…")."""
    cuts = [m.start(1) for m in _INLINE_HEADING.finditer(text)]
    if not cuts:
        return [text]
    parts, start = [], 0
    for cut in cuts:
        parts.append(text[start:cut].strip())
        start = cut
    parts.append(text[start:].strip())
    out: list[str] = []
    for part in parts:
        m = re.match(
            r"^([一二三四五六]\s*、\s*\S{2,20}?情况|[一二三四五六]\s*、\s*\S{2,20}?事项)\s+(.*)$", part
        )
        out += [m.group(1), m.group(2)] if m else [part]
    return [p for p in out if p]


def _pipe_cells(text: str) -> list[str]:
    cells = [c.strip() for c in re.split(r"[|｜]", text)]
    if cells and not cells[0] and text.lstrip()[:1] in "|｜":
        cells.pop(0)  # "| a | b |": the outer bars frame the row
    if cells and not cells[-1]:
        cells.pop()
    return cells


def is_data(cell: str) -> bool:
    """A cell that holds a value (or a blank), not a label."""
    return cell in BLANK_MARKERS or _NUMERIC.match(cell) is not None


_LABEL, _BLANK, _VALUE = 0, 1, 2
_KINDS: dict[str, int] = {"": _BLANK}  # cell text -> kind; cells repeat across reports ("0", labels)


def _kind(cell: str) -> int:
    kind = _KINDS.get(cell)
    if kind is None:
        kind = _BLANK if cell in BLANK_MARKERS else _VALUE if _NUMERIC.match(cell) else _LABEL
        if len(_KINDS) > 50_000:
            _KINDS.clear()
            _KINDS[""] = _BLANK
        _KINDS[cell] = kind
    return kind


class _Walker:
    def __init__(self) -> None:
        self.w = Walk()
        self.section = 0
        self.table: str | None = None
        self.group = ""
        self.n = 0  # block counter, for notes
        self.pending: list[str] = []  # cells of a table rendered one cell per line
        self.blank_label: tuple[str, int, list[str]] | None = None  # a row with its label cell blank
        self.t2_header: list[str] = []  # 表二's last column header as written
        self.comment = False  # inside a block of annotation lines

    # ------------------------------------------------------------ paragraphs
    def para(self, text: str) -> None:
        if not text:
            return
        w = self.w
        if _COMMENT.match(text) or (self.comment and text.startswith("#")):
            self.comment = True  # an annotation ("# source: …") and the "#" lines that continue it
            return
        self.comment = False
        if len(text) > 120 and self.section == 0:
            parts = _inline_headings(text)
            if len(parts) > 1:  # a report pasted as one paragraph: its section titles inside it
                for part in parts:
                    self.para(part)
                return
        one = _ONE_CELL.match(text)
        if one is not None or _BARS.match(text):
            self._cell_line(one.group(1).strip() if one else None)
            return
        self._flush_cells()
        if _PIPES.search(text) and "。" not in text:
            self.row(_pipe_cells(text))  # a table row rendered as "a | b | c" (web page, markdown)
            return
        if (
            self.section == 0
            and w.title is not None
            and w.preamble
            and looks_like_title(text)
            and joins_title(w.preamble[-1], text)
            and not is_body_name(body_from_title(w.title))
        ):
            # The page's heading came first without the body ("2022年…年度报告"); the document's own
            # title follows on two lines ("桃江县松木塘镇人民政府" / "2022年…年度报告").
            w.title = w.preamble.pop() + text
            return
        if self.section == 0 and w.title is None and looks_like_title(text):
            if w.preamble and joins_title(w.preamble[-1], text):
                text = w.preamble.pop() + text  # a title wrapped over two lines
            if not w.preamble:
                w.title = text
                return
            if text.endswith("报告"):  # a web page's navigation came first: not part of the report
                w.notes.append(ImportNote("标题", f"标题之前的文字未导入：{' '.join(w.preamble)[:80]}"))
                w.preamble.clear()
                w.title = text
                return
        number = self._heading(text)
        if number:
            self._open(number, text)
            return
        if self._table_context() and len(text) <= 60:
            tid = L.token_table(text)
            if tid is not None:
                self._header_cell(text, tid)
                return
            if _DIGITS.match(text):  # a row of bare numbers, copied without tabs
                self.row(text.split())
                return
            inline = _INLINE_ROW.match(text)
            if inline and L.match_row(inline.group(1).strip(), self.group):
                self.row([inline.group(1).strip(), *inline.group(2).split()])
                return
        self._text(text)

    # ------------------------------------------------------------ one cell per line ("规章 |", "0 |", "||")
    def _cell_line(self, cell: str | None) -> None:
        pending = self.pending
        if cell is None:  # a line of bars ends the row
            self._flush_cells()
            return
        is_value = _kind(cell) != _LABEL
        if not is_value and any(_kind(c) != _LABEL for c in pending):
            self._flush_cells()  # a label after values starts the next row
        elif is_value and len(pending) >= 2 and all(_kind(c) == _LABEL for c in pending):
            head, last = pending[:-1], pending[-1]
            self.pending = []
            self.row(head)  # the labels before the row's own label: a header or group row
            self.pending = [last]
        self.pending.append(cell)

    def _flush_cells(self) -> None:
        if self.pending:
            cells, self.pending = self.pending, []
            self.row(cells)

    def _heading(self, text: str) -> int:
        if len(text) > 40 or text[0] not in _NUMERALS:
            return 0
        m = _HEADING.match(text)
        if m is None:
            return 0
        number = _NUMERALS[m.group(1)]
        if number <= self.section or not any(k in m.group(2) for k in _SECTION_KEYS[number]):
            return 0
        return 0 if L.is_exact_row_label(text) else number

    def _open(self, number: int, title: str | None) -> None:
        self.section = number
        self.w.titles[number] = title
        self.w.lines.setdefault(number, [])
        self.table = _SECTION_TABLE.get(number)
        self.group = ""

    def _text(self, text: str) -> None:
        if self.section:
            self.w.lines[self.section].append(text)
        else:
            self.w.preamble.append(text)

    def _table_context(self) -> bool:
        return self.table is not None or self.section in _SECTION_TABLE

    # ------------------------------------------------------------ rows
    def row(self, cells: list[str]) -> None:
        self.n += 1
        texts: list[int] = []
        has_value = False
        kinds = _KINDS
        for i, c in enumerate(cells):
            if c:
                kind = kinds.get(c)
                if kind is None:
                    kind = _kind(c)
                if kind == _LABEL:
                    texts.append(i)
                elif kind == _VALUE:
                    has_value = True
        if not texts:
            if has_value:
                self._unlabelled(cells)
            return
        if not has_value and len(texts) >= 2 and not any(_SPACED.match(cells[i]) for i in texts):
            tokens = [L.token_table(cells[i]) for i in texts]
            if self.table is None and all(t is None for t in tokens):
                self._text("\t".join(cells).strip())  # tabs in running text, not a table header
                return
            for i, tid in zip(texts, tokens, strict=True):
                self._header_cell(cells[i], tid)
            if self.table == "t2" and L.norm(cells[texts[0]]) == "信息内容":
                self.t2_header = [cells[i] for i in texts[1:]]  # the column labels as written
            return
        hit = self._find_label(cells, texts)
        if hit is not None:
            index, (tid, key) = hit
            self._record(tid, key, cells[index], cells[index + 1 :])
            return
        self._unknown(cells, texts, has_value)

    def _find_label(self, cells: list[str], texts: list[int]) -> tuple[int, L.RowRef] | None:
        # The row label is the last label cell that names a row; cells before it are groups.
        for pos in range(len(texts) - 1, -1, -1):
            group = self.group
            for i in texts[:pos]:
                prefix = L.group_prefix(cells[i])
                if prefix is not None:
                    group = prefix
            ref = L.match_row(cells[texts[pos]], group)
            if ref is not None:
                self.group = group
                return texts[pos], ref
        return None

    def _unknown(self, cells: list[str], texts: list[int], has_value: bool) -> None:
        label = cells[texts[-1]]
        if len(texts) == 1 and not has_value:
            tid = L.token_table(label)
            if tid is not None:
                self._header_cell(label, tid)
                return
        if self.table is None or len(label) > 60 or "。" in label:
            self._text("\t".join(cells).strip())
            return
        if has_value and self._near(cells, texts):
            return
        if not has_value and len(texts) == 1 and L.is_section_caption(label):
            self._text(label)  # the table's caption repeated inside it, not a row
            return
        self.w.extra.setdefault(self.table, []).append(label)
        self.w.seen.add(self.table)
        self._note(self.table, f"无法识别的行“{label}”，未计入表格，已列为多余行")

    def _near(self, cells: list[str], texts: list[int]) -> bool:
        """A misprinted row label ("三类内部信息"): the row it most likely is, when not already read."""
        assert self.table is not None
        group = self.group
        for i in texts[:-1]:
            prefix = L.group_prefix(cells[i])
            if prefix is not None:
                group = prefix
        index = texts[-1]
        ref = L.near_row(cells[index], self.table, group)
        if ref is None or any(r.table == ref[0] and r.key == ref[1] for r in self.w.rows):
            return False
        self.group = group
        self._record(ref[0], ref[1], cells[index], cells[index + 1 :])
        self._note(ref[0], f"行名“{cells[index]}”与国家格式的行名相近，按该行导入")
        return True

    def _header_cell(self, text: str, tid: str | None) -> None:
        prefix = L.group_prefix(text)
        if prefix is not None:
            self.group = prefix
        if tid:
            self._enter(tid)
            if tid == "t4":
                ref = L.match_row(text)
                if ref is not None and ref[0] == "t4":
                    self.w.t4_labels.setdefault(ref[1], text)
        self._marker(text)

    def _marker(self, text: str) -> None:
        fmt = L.marker_format(text)
        if fmt == "2019":
            if text not in self.w.markers19:
                self.w.markers19.append(text)
        elif fmt == "2021":
            self.w.markers21 += 1

    def _enter(self, tid: str) -> None:
        if tid == self.table and tid in self.w.seen:
            return  # still in the same table: the usual case, row after row
        if tid != self.table:
            self.group = ""
        self.table = tid
        self.w.seen.add(tid)
        section = TABLE_SECTION[tid]
        if section > self.section:
            self._open(section, None)  # the table shows the section is there; its title is not
            self.table = tid

    def _record(self, tid: str, key: str, label: str, cells: list[str]) -> None:
        self._enter(tid)
        if self.blank_label is not None:
            self._place_blank_label(tid, key)
        if tid == "t3" and key == "o":
            self._marker_2019_row(label)
        elif tid == "t3" and key.startswith("o"):
            self.w.markers21 += 1
        elif tid == "t2" and key in ("other_services", "procurement"):
            self._marker_2019_row(label)
        self.w.rows.append(RawRow(tid, key, label, cells, self.n))
        if tid == "t2" and self.t2_header:
            self.w.column_labels.setdefault(key, self.t2_header)

    def _place_blank_label(self, tid: str, key: str) -> None:
        """The row before `key` in the format, when the blank-labelled row came right before it."""
        table, n, cells = self.blank_label  # type: ignore[misc]
        self.blank_label = None
        keys = FORMATS[FormatId.F2021].table(tid).row_keys if tid == table else ()
        if key not in keys or keys.index(key) == 0 or n != self.n - 1:
            self.w.notes.append(
                ImportNote(where(table, n), "有一行数字没有行名称，无法判断属于哪一行，未导入")
            )
            return
        before = keys[keys.index(key) - 1]
        if any(r.table == tid and r.key == before for r in self.w.rows):
            return
        values = [c for c in cells if c.strip()]
        self.w.rows.append(RawRow(tid, before, "", values, n))
        self.w.notes.append(ImportNote(where(table, n), "有一行没有行名称，按位置当作格式中的上一行导入"))

    def _marker_2019_row(self, label: str) -> None:
        if label not in self.w.markers19:
            self.w.markers19.append(label)

    def _unlabelled(self, cells: list[str]) -> None:
        if self.table == "t4":
            self._t4_row(cells)
            return
        if self.table is not None and not cells[0].strip():
            # A row whose label cell is blank: kept until the next row tells which row it stands before.
            self.blank_label = (self.table, self.n, cells)
            return
        where = self._where(self.table) if self.table else "正文"
        self.w.notes.append(ImportNote(where, "有一行数字没有行名称，无法判断属于哪一行，未导入"))

    def _t4_row(self, cells: list[str]) -> None:
        fitted = fit(cells, _T4_WIDTH)
        self.w.seen.add("t4")
        if len(fitted) == 1 and len(fitted[0]) >= 5:  # five counts or more run together
            self._note("t4", "表四的数字连在一起，无法分列，未导入")
            return
        for i, key in enumerate(("review", "direct", "after_review")):
            part = fitted[i * 5 : i * 5 + 5]
            if part:
                label = self.w.t4_labels.get(key, FORMATS[FormatId.F2021].table("t4").row(key).label)
                self.w.rows.append(RawRow("t4", key, label, part, self.n))

    def _where(self, tid: str | None) -> str:
        return where(tid, self.n)

    def _note(self, tid: str, message: str) -> None:
        self.w.notes.append(ImportNote(self._where(tid), message))


def _bar_separated(blocks: Iterable[Block]) -> Iterator[Block]:
    """Tables rendered one cell per line with a line of one bar after each cell ("规章", "|", "0", "|"):
    each such cell becomes "规章 |", as the other one-cell-per-line rendering writes it."""
    held: str | None = None
    cells = 0  # cells seen in this rendering: once in it, a cell may wrap over two lines ("商业", "企业")
    for block in blocks:
        if held is not None:
            if isinstance(block, str) and block.strip() in ("|", "｜"):
                yield held + " |"
                held = None
                cells += 1
                continue
            if cells >= 3 and isinstance(block, str) and _wrapped_cell(held, block):
                held += block.strip()
                continue
            yield held
            held = None
            if isinstance(block, str) and _HEADING.match(block.strip()):
                cells = 0
        if isinstance(block, str) and _cell_candidate(block):
            held = block
            continue
        yield block
    if held is not None:
        yield held


def _cell_candidate(block: str) -> bool:
    """A short line that may be one cell of a table rendered with a bar line after each cell."""
    text = block.strip()
    return (
        bool(text)
        and len(block) <= 60
        and not (_HEADING.match(text) or _BARS.match(block) or _PIPES.search(block))
    )


def _wrapped_cell(head: str, tail: str) -> bool:
    """Two short label lines that are one cell's text wrapped ("商业" / "企业")."""
    head, tail = head.strip(), tail.strip()
    return (
        0 < len(head) <= 12
        and 0 < len(tail) <= 12
        and _kind(head) == _LABEL
        and _kind(tail) == _LABEL
        and not _PIPES.search(tail)
        and not _HEADING.match(tail)
    )


def walk(blocks: Iterable[Block]) -> Walk:
    walker = _Walker()
    for block in _bar_separated(blocks):
        if isinstance(block, str):
            walker.para(block)
        else:
            walker._flush_cells()
            walker.row(block)
    walker._flush_cells()
    if walker.blank_label is not None:
        table, n, _ = walker.blank_label
        walker.w.notes.append(ImportNote(where(table, n), "有一行数字没有行名称，无法判断属于哪一行，未导入"))
    return walker.w


def assemble(
    blocks: Iterable[Block],
    *,
    body_type: str | None = None,
    year: int | None = None,
    body_name: str | None = None,
) -> ImportResult:
    w = walk(blocks)
    if w.title is None and not w.titles and not w.rows:
        raise ImportFailure("这不是一份政府信息公开工作年度报告：没有找到报告标题、章节标题或统计表格。")
    return finish(w, body_type=body_type, year=year, body_name=body_name)

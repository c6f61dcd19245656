"""Published PDFs: text lines and ruled tables, read with pdfplumber, fed to the same block walk.

A PDF has no paragraphs and no table rows, only glyphs at positions, so this module rebuilds what
the other importers get for free:

* lines are rebuilt from the glyphs' gaps, not from the PDF's space characters alone: justified
  Chinese text spreads glyphs apart ("主 动 公 开") and letter-spaced digits come out as "1 2 3";
  a space is kept where the author typed one, or where the gap is wider than the line's usual gap;
* page numbers ("- 3 -", "第3页 共5页", "3/5") and running headers/footers (the same line in the
  top or bottom margin of several pages, or a line there set smaller than the body text) are dropped;
* lines are joined into paragraphs where a line runs to the right margin (less the width of what
  could not stay on it: a number, 开”) and the next one is not indented and is no heading, so a
  phrase wrapped over two lines is one phrase again; the first line (the title) stands alone;
* ruled tables come from pdfplumber cell by cell, a merged cell's text once at its origin (blanks
  where it spans, as the .docx importer does); a label wrapped inside a cell is joined back;
* a table that ends a page and one that starts the next page are one table: header rows repeated
  on the new page are dropped, and a row the page break cut in two is joined again, whether the
  cut went through its words (LibreOffice) or left its figures, unruled, under the table on the
  first page and its label on the next (WeasyPrint);
* a table drawn without lines is read by its column gaps: a line of labels then two figures or
  more, apart as columns are, is a row;
* a scan (no text), an encrypted file, a damaged one, one longer than MAX_PAGES, or one whose
  glyphs carry no character codes is refused with what to upload instead.

Pure: bytes in, blocks out; the caller reads the file.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from . import labels as L
from .assemble import Block, is_data
from .types import ImportFailure

MAX_PAGES = (
    60  # annual reports run to 5–15 pages; a longer file is not one (and would outlast the parse timeout)
)
_MARGIN = 0.11  # top and bottom share of a page where running headers, footers and page numbers sit

_PAGE_NUMBER = re.compile(
    r"^(?:"
    r"[-—–－_~·\s]*\d{1,4}[-—–－_~·\s]*"  # 3, - 3 -, — 3 —
    r"|第\s*\d{1,4}\s*页(?:\s*[,，/、]?\s*共\s*\d{1,4}\s*页)?"  # 第3页, 第3页 共5页
    r"|共\s*\d{1,4}\s*页\s*[,，/、]?\s*第\s*\d{1,4}\s*页"  # 共5页 第3页
    r"|\d{1,4}\s*/\s*\d{1,4}"  # 3/5
    r"|(?:page|p\.?)\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?"  # Page 3 of 5
    r")$",
    re.IGNORECASE,
)
_HEADING = re.compile(
    r"^(?:[一二三四五六七八九十]+\s*[、.．]|[（(]\s*[一二三四五六七八九十\d]+\s*[)）]|\d{1,2}\s*[、.．]"
    r"|第[一二三四五六七八九十]+[章节部分条])"
)
_WIDE = "\u2e80-\u9fff\u3000-\u303f\uff00-\uffef"
_SPREAD = re.compile(rf"(?<!\S)[{_WIDE}](?: [{_WIDE}]){{2,}}(?!\S)")  # "主 动 公 开": one word spread out
_CJK_SPACE = re.compile(rf"(?<=[{_WIDE}])\s+(?=[{_WIDE}])")
_SPACED_NUMBER = re.compile(r"^[+\-]?\d(?:[\d.,，．]|\s(?=[\d.,，．]))*$")
_DIGITS = re.compile(r"\d")
_CID = re.compile(r"\(cid:\d+\)")
_CLOSERS = frozenset("，。、；：？！”’）》」』】〕…—,.;:?!)]}%")
_OPENERS = frozenset("“‘（《「『【〔([{")


def is_wide(ch: str) -> bool:
    """A CJK character or full-width punctuation: no space belongs between two of them."""
    return bool(ch) and (
        "\u2e80" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"
    )


# ---------------------------------------------------------------- what a page holds
@dataclass(slots=True)
class _Line:
    text: str
    x0: float
    x1: float
    top: float  # points from the top of the page
    bottom: float
    size: float
    page: int
    height: float  # the page's
    lead: float = 0.0  # width of what could not have stayed on the line before (a word, 开”“)
    glyphs: tuple[tuple[float, str], ...] = ()  # (horizontal centre, text) of each glyph
    cells: list[str] | None = None  # a row of a table drawn without lines: its cells

    @property
    def in_margin(self) -> bool:
        return self.top < _MARGIN * self.height or self.bottom > (1 - _MARGIN) * self.height


@dataclass(slots=True)
class _Table:
    rows: list[list[str]]
    top: float
    bottom: float
    page: int
    spans: list[tuple[float, float]] = field(default_factory=list)  # each column's left and right
    columns: int = field(init=False)

    def __post_init__(self) -> None:
        self.columns = max((len(r) for r in self.rows), default=0)


_Item = _Line | _Table


def pdf_blocks(data: bytes) -> Iterator[Block]:
    pages = _read(data)
    if not any(pages):
        raise ImportFailure(
            "PDF 中没有可读取的文字（可能是扫描件或图片），请上传 Word（.docx）、网页或文本版本。"
        )
    if _garbled(pages):
        raise ImportFailure(
            "PDF 中的文字无法正确提取（字体没有文字编码，常见于部分 WPS 导出的 PDF），"
            "请上传 Word（.docx）、网页或文本版本，或用其他软件重新导出 PDF。"
        )
    pages = _drop_running_lines(pages)
    _split_rows(pages)
    yield from _blocks(pages)


def _garbled(pages: list[list[_Item]]) -> bool:
    """Glyphs without a character code come out as "(cid:123)": a tenth of the text or more is not text."""
    texts = [it.text for items in pages for it in items if isinstance(it, _Line)]
    texts += [c for items in pages for it in items if isinstance(it, _Table) for r in it.rows for c in r]
    codes = [m for t in texts for m in _CID.findall(t)]
    glyphs = sum(len(t) for t in texts) - sum(len(m) - 1 for m in codes)  # "(cid:123)" is one glyph
    return glyphs > 0 and len(codes) > 0.1 * glyphs


def _read(data: bytes) -> list[list[_Item]]:
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.psparser import PSException
    from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

    try:
        return _pages(data)
    except (PdfminerException, MalformedPDFException, PSException) as exc:
        cause = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc
        if isinstance(cause, (PDFPasswordIncorrect, PDFEncryptionError)):
            raise ImportFailure("PDF 文件已加密，无法读取，请上传未加密的版本。") from exc
        raise ImportFailure("PDF 文件已损坏或格式异常，无法读取，请重新导出 PDF 或上传 Word 版本。") from exc


def _pages(data: bytes) -> list[list[_Item]]:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        if len(pdf.pages) > MAX_PAGES:
            raise ImportFailure(f"PDF 超过 {MAX_PAGES} 页，不像是一份年度报告，请检查是否上传错了文件。")
        pages: list[list[_Item]] = []
        for number, page in enumerate(pdf.pages):
            pages.append(_page_items(page, number))
            page.close()  # drop the page's parsed objects: a long report must not pile them up
    return pages


def _page_items(page: Any, number: int) -> list[_Item]:
    tables = [t for t in page.find_tables() if t.bbox[2] > t.bbox[0] and t.bbox[3] > t.bbox[1]]
    boxes = [t.bbox for t in tables]
    items: list[_Item] = []
    for table in tables:
        rows = [[_cell_text(c) for c in row] for row in table.extract()]
        rows = [r for r in rows if any(r)]
        if rows:
            items.append(_Table(rows, table.bbox[1], table.bbox[3], number, _spans(table)))

    def outside(obj: dict[str, Any]) -> bool:
        if obj.get("object_type") != "char":
            return True
        cx, cy = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(b[0] <= cx <= b[2] and b[1] <= cy <= b[3] for b in boxes)

    text_page = page.filter(outside) if boxes else page
    for line in text_page.extract_text_lines(return_chars=True, strip=True):
        chars = [c for c in line["chars"] if c.get("upright", True)]
        text, cells = _line_text(chars)
        if text:
            size = max((c.get("size") or 0.0) for c in chars) or 10.0
            top, bottom, height = line["top"], line["bottom"], float(page.height)
            glyphs = tuple(((c["x0"] + c["x1"]) / 2, c["text"]) for c in chars if c["text"].strip())
            items.append(
                _Line(text, line["x0"], line["x1"], top, bottom, size, number, height, _lead(chars), glyphs)
            )
            if _is_row(cells):
                items[-1].cells = cells  # type: ignore[union-attr]
    items.sort(key=lambda it: it.top)
    return items


def _is_row(cells: list[str]) -> bool:
    """Labels then two figures or more, apart as columns are: a row of a table drawn without lines.
    (A sentence with a number in it goes on after the number, or has one number where it wraps.)"""
    kinds = [is_data(c) for c in cells if c]
    return sum(kinds) >= 2 and kinds[-1] and kinds == sorted(kinds)


def _spans(table: Any) -> list[tuple[float, float]]:
    """Each column's left and right edge, from the first row where the column has a cell of its own."""
    spans: list[tuple[float, float] | None] = []
    for row in table.rows:
        for i, cell in enumerate(row.cells):
            while len(spans) <= i:
                spans.append(None)
            if cell is not None and spans[i] is None:
                spans[i] = (cell[0], cell[2])
    return [s for s in spans if s is not None] if all(s is not None for s in spans) else []


def _line_text(chars: list[dict[str, Any]]) -> tuple[str, list[str]]:
    """A line's text from its glyphs, a space only where the gap is wide for that pair of characters;
    and the line cut at gaps of one and a half characters or more (a table's columns, drawn without
    lines)."""
    glyphs: list[tuple[dict[str, Any], bool]] = []  # (glyph, a space character came before it)
    spaced = False
    for c in sorted(chars, key=lambda c: c["x0"]):
        if not c["text"] or c["text"].isspace():
            spaced = True
            continue
        glyphs.append((c, spaced))
        spaced = False
    gaps = [b["x0"] - a["x1"] for (a, _), (b, _) in zip(glyphs, glyphs[1:], strict=False)]
    usual = sorted(gaps)[len(gaps) // 2] if gaps else 0.0  # justified text spreads every gap alike
    out: list[str] = []
    cells: list[str] = []
    start = 0  # where in `out` the current cell began
    for i, (c, spaced) in enumerate(glyphs):
        if i:
            prev = glyphs[i - 1][0]
            size = max(prev.get("size") or 0.0, c.get("size") or 0.0, 1.0)
            a, b = prev["text"][-1], c["text"][0]
            numeric = (
                (a.isdigit() or is_wide(a)) and (b.isdigit() or is_wide(b)) and (a.isdigit() or b.isdigit())
            )
            if gaps[i - 1] > 1.5 * size or (numeric and not spaced and gaps[i - 1] > 0.6 * size):
                cells.append(clean("".join(out[start:])))
                start = len(out) + 1  # after the space that stands for the gap in the text
            if _space_between(prev["text"][-1], c["text"][0], gaps[i - 1], size, spaced, usual):
                out.append(" ")
            elif start == len(out) + 1:
                start -= 1
        out.append(c["text"])
    cells.append(clean("".join(out[start:])))
    return "".join(out).strip(), cells


def _lead(chars: list[dict[str, Any]]) -> float:
    """The width of a line's first unbreakable piece: a Latin word or number, or a character with
    the punctuation that may not start a line ("开”“").  The line before ended short by about this."""
    glyphs = sorted((c for c in chars if c["text"].strip()), key=lambda c: c["x0"])
    if not glyphs:
        return 0.0
    i, n = 0, len(glyphs)
    while i < n and glyphs[i]["text"] in _OPENERS:
        i += 1
    if i < n and glyphs[i]["text"].isascii():
        while i < n and glyphs[i]["text"].isascii():
            i += 1
    elif i < n:
        i += 1
    while i < n and (glyphs[i]["text"] in _CLOSERS or glyphs[i]["text"] in _OPENERS):
        i += 1
    return float(glyphs[max(i, 1) - 1]["x1"] - glyphs[0]["x0"])


def _space_between(a: str, b: str, gap: float, size: float, spaced: bool, usual: float) -> bool:
    if spaced and gap > 0.12 * size:
        return True  # a space character the author typed
    if is_wide(a) or is_wide(b):
        # Next to a Chinese character a gap is a space only where it is wider than the line's
        # usual gap (a typed space the PDF does not spell out) or a character wide (columns of a
        # table drawn without lines); letter spacing and justification are not ("主 动 公 开").
        return gap > 1.2 * size or gap > usual + 0.2 * size
    return gap > 0.45 * size  # Latin and digits: a word space; not letter spacing ("1 2 3")


def _cell_text(raw: str | None) -> str:
    if not raw:
        return ""
    parts = [p.strip() for p in raw.split("\n")]
    text = ""
    for part in parts:
        if not part:
            continue
        if text and text[-1].isascii() and text[-1].isalpha() and part[0].isascii() and part[0].isalpha():
            text += " "  # a Latin word wrapped in a cell
        text += part
    return clean(text)


def clean(text: str) -> str:
    """Spaces the extraction put between Chinese characters go; a number spread out ("1 2 3") is joined."""
    text = _CJK_SPACE.sub("", text.strip())
    if " " in text and _SPACED_NUMBER.match(text):
        return text.replace(" ", "")
    return text


# ---------------------------------------------------------------- headers, footers, page numbers
def _running_key(text: str) -> str:
    """What repeats from page to page: a short line with its numbers (a page number in a header)
    taken out; a longer line as it is, so that body lines that differ only in figures stay."""
    key = unicodedata.normalize("NFKC", text).replace(" ", "")
    return _DIGITS.sub("#", key) if len(key) <= 20 else key


def _drop_running_lines(pages: list[list[_Item]]) -> list[list[_Item]]:
    """Page numbers in the margins; a line repeated in the margins of several pages, or set smaller
    than the body text there (a 页眉 or 页脚 of a one-page report)."""
    sizes = sorted(it.size for items in pages for it in items if isinstance(it, _Line))
    small = 0.85 * sizes[len(sizes) // 2] if sizes else 0.0
    seen: Counter[str] = Counter()
    for items in pages:
        keys = {_running_key(it.text) for it in items if isinstance(it, _Line) and it.in_margin}
        seen.update(keys)
    repeated = {k for k, n in seen.items() if n >= 2} if len(pages) >= 2 else set()
    kept: list[list[_Item]] = []
    for items in pages:
        kept.append(
            [
                it
                for it in items
                if not (
                    isinstance(it, _Line)
                    and it.in_margin
                    and (
                        _PAGE_NUMBER.match(it.text.strip())
                        or _running_key(it.text) in repeated
                        or it.size <= small
                    )
                )
            ]
        )
    return kept


# ---------------------------------------------------------------- paragraphs and tables
def _blocks(pages: list[list[_Item]]) -> Iterator[Block]:
    lines = [it for items in pages for it in items if isinstance(it, _Line)]
    left = min((ln.x0 for ln in lines), default=0.0)
    right = max((ln.x1 for ln in lines), default=0.0)
    paragraph: list[_Line] = []
    table: _Table | None = None  # the table still open (it may continue on the next page)
    for items in pages:
        for item in items:
            if isinstance(item, _Line):
                if table is not None:
                    yield from _rows(table)
                    table = None
                if item.cells is not None:  # a row of a table drawn without lines
                    if paragraph:
                        yield _join(paragraph)
                        paragraph = []
                    yield item.cells
                    continue
                if paragraph and (
                    paragraph[0] is lines[0] or not _continues(paragraph[-1], item, left, right)
                ):
                    yield _join(paragraph)
                    paragraph = []
                paragraph.append(item)
                continue
            if paragraph:
                yield _join(paragraph)
                paragraph = []
            if table is not None and item.page == table.page + 1 and item is items[0]:
                _continue(table, item)
                continue
            if table is not None:
                yield from _rows(table)
            table = item
    if paragraph:
        yield _join(paragraph)
    if table is not None:
        yield from _rows(table)


def _continues(prev: _Line, line: _Line, left: float, right: float) -> bool:
    """The next line is the same paragraph: the previous one ran to the margin, this one is not
    indented, not a heading, and in the same type size."""
    full = prev.x1 + line.lead >= right - 1.2 * prev.size
    indented = line.x0 > left + 0.8 * line.size
    same_size = abs(prev.size - line.size) < 0.6
    next_page = line.page == prev.page + 1
    return (
        full
        and not indented
        and same_size
        and (line.page == prev.page or next_page)
        and not _HEADING.match(line.text)
    )


def _join(lines: list[_Line]) -> str:
    text = lines[0].text
    for line in lines[1:]:
        a, b = text[-1:], line.text[:1]
        latin = a.isascii() and a.isalpha() and b.isascii() and b.isalpha()  # a Latin word wrapped
        text += (" " if latin else "") + line.text
    return _SPREAD.sub(lambda m: m.group(0).replace(" ", ""), text)


def _rows(table: _Table) -> Iterator[Block]:
    if table.columns <= 1:  # a frame around text, not a table
        for row in table.rows:
            for cell in row:
                if cell:
                    yield cell
        return
    for row in table.rows:
        yield row


def _continue(table: _Table, more: _Table) -> None:
    """`more` starts the next page where `table` ended: one table across the page break."""
    rows = list(more.rows)
    repeated = 0
    while (
        repeated < len(rows)
        and repeated < len(table.rows)
        and _filled(rows[repeated]) == _filled(table.rows[repeated])  # the columns may be cut otherwise
    ):
        repeated += 1
    if repeated and not any(is_data(c) and c for c in _flat(table.rows[:repeated])):
        rows = rows[repeated:]  # the header rows printed again on the new page
    if rows and table.rows and _is_fragment(rows[0], table):
        _append_fragment(table, rows.pop(0))
    table.rows.extend(rows)
    table.page = more.page
    table.columns = max(table.columns, more.columns)


def _filled(row: list[str]) -> list[str]:
    return [c for c in row if c]


def _flat(rows: list[list[str]]) -> list[str]:
    return [c for r in rows for c in r]


def _is_fragment(row: list[str], table: _Table) -> bool:
    """The first row on the new page is the rest of the row the page break cut: together they make
    one row (words cut in two, or the label on one side and the figures on the other), and it is
    no row of its own (no whole row label; no figure where the cut row has one)."""
    last = table.rows[-1]
    if len(row) != len(last) or not any(row) or any(L.is_exact_row_label(c) for c in row if c):
        return False
    touching = False
    for a, b in zip(last, row, strict=True):
        if a and b:
            if is_data(a) or is_data(b):
                return False
            touching = True  # a word cut by the page break
    if _has(last, data=True) and _has(row, data=True):
        return False
    return touching or not _has(last, data=False) or not _has(row, data=False)


def _has(row: list[str], *, data: bool) -> bool:
    return any(c and is_data(c) == data for c in row)


def _append_fragment(table: _Table, fragment: list[str]) -> None:
    last = table.rows[-1]
    for i, cell in enumerate(fragment):
        if cell:
            last[i] = clean(last[i] + cell)


def _split_rows(pages: list[list[_Item]]) -> None:
    """A row cut by the page break may leave its first part under the table without the table's
    ruling (our own renderer does this): lines right under the page's last table, when the next
    page starts with a table, are that row's first part, its glyphs put in the table's columns."""
    for items, following in zip(pages, pages[1:], strict=False):
        if not following or not isinstance(following[0], _Table):
            continue
        k = len(items)
        while k > 0 and isinstance(items[k - 1], _Line):
            k -= 1
        table = items[k - 1] if k > 0 else None
        tail = [it for it in items[k:] if isinstance(it, _Line)]
        if not isinstance(table, _Table) or not tail or len(table.spans) != table.columns:
            continue
        if not _right_under(table, tail):
            continue
        cells = [""] * table.columns
        for line in tail:
            for x, text in line.glyphs:
                cells[_column(table.spans, x)] += text
        table.rows.append([clean(c) for c in cells])
        del items[k:]


def _right_under(table: _Table, lines: list[_Line]) -> bool:
    left, right = table.spans[0][0], table.spans[-1][1]
    above = table.bottom
    for line in lines:
        if line.top - above > 1.5 * line.size or line.x0 < left - 2 or line.x1 > right + 2:
            return False
        above = line.bottom
    return True


def _column(spans: list[tuple[float, float]], x: float) -> int:
    for i, (x0, x1) in enumerate(spans):
        if x0 <= x <= x1:
            return i
    return min(range(len(spans)), key=lambda i: min(abs(x - spans[i][0]), abs(x - spans[i][1])))

"""Word (.docx): paragraphs and real tables, read from word/document.xml.

python-docx repeats a merged cell's text in every grid position it covers; reading the XML
ourselves gives each merged cell once (gridSpan → blanks after it, vMerge continue → blank),
which is what the shared row mapping expects.  Entities are not resolved and sizes are capped:
a .docx is a zip anyone can craft.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any, TypeGuard

from lxml import etree

from .archive import MAX_PART, check_zip, read_member
from .assemble import Block
from .types import ImportFailure

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_P, _TBL, _TR, _TC, _T = f"{_W}p", f"{_W}tbl", f"{_W}tr", f"{_W}tc", f"{_W}t"
_TAB, _BR, _CR = f"{_W}tab", f"{_W}br", f"{_W}cr"
_MAX_XML = MAX_PART  # uncompressed document.xml
_MAX_DEPTH = 64


def docx_blocks(data: bytes) -> Iterator[Block]:
    body = _body(_document_xml(data))
    if body is None:
        raise ImportFailure("Word 文件中没有正文，无法读取。")
    yield from _walk(body, 0)


def _document_xml(data: bytes) -> bytes:
    try:
        check_zip(data)  # the central directory first: nothing inflated yet
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            xml = read_member(zf, "word/document.xml", _MAX_XML)  # counted while inflating
    except KeyError as exc:
        raise ImportFailure("这是压缩文件，不是 Word（.docx）文档，无法读取。") from exc
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        raise ImportFailure("Word 文件已损坏，无法读取。") from exc
    return xml


def _body(xml: bytes) -> Any:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as exc:
        raise ImportFailure("Word 文件已损坏（正文不是有效的 XML），无法读取。") from exc
    return root.find(f"{_W}body")


def _walk(element: Any, depth: int) -> Iterator[Block]:
    if depth > _MAX_DEPTH:
        raise ImportFailure("Word 文件结构嵌套过深，无法读取。")
    for child in element:
        tag = child.tag
        if tag == _P:
            yield from _paragraph_blocks(child)
        elif tag == _TBL:
            yield from _table_blocks(child, depth)
        elif isinstance(tag, str):
            yield from _walk(child, depth + 1)  # w:sdt, w:customXml and the like wrap content


def _paragraph_text(p: Any) -> str:
    parts: list[str] = []
    for node in p.iter(_T, _TAB, _BR, _CR):
        if node.tag == _T:
            parts.append(node.text or "")
        elif node.tag == _TAB:
            parts.append("\t")
        else:
            parts.append("\n")
    return "".join(parts)


def _paragraph_blocks(p: Any) -> Iterator[Block]:
    for line in _paragraph_text(p).split("\n"):
        if "\t" in line.strip():
            yield [c.strip() for c in line.split("\t")]
        else:
            yield line.strip()


def _table_blocks(tbl: Any, depth: int) -> Iterator[Block]:
    nested: list[Any] = []
    for tr in tbl.iter(_TR):
        if _owner_table(tr) is not tbl:
            continue
        cells: list[str] = [""] * _grid_before(tr)
        for tc in tr.findall(_TC):
            cells.append("" if _continues(tc) else _cell_text(tc, nested))
            cells.extend([""] * (_span(tc) - 1))
        yield cells
    for inner in nested:
        yield from _table_blocks(inner, depth + 1)


def _owner_table(tr: Any) -> Any:
    node = tr.getparent()
    while node is not None and node.tag != _TBL:
        node = node.getparent()
    return node


def _cell_text(tc: Any, nested: list[Any]) -> str:
    parts = []
    for child in tc:
        if child.tag == _P:
            parts.append(_paragraph_text(child).replace("\t", " ").replace("\n", ""))
        elif child.tag == _TBL:
            nested.append(child)
    return "".join(parts).strip()


def _prop_val(el: Any, path: str) -> str | None:
    found = el.find(path)
    return None if found is None else found.get(f"{_W}val", "")


def _span(tc: Any) -> int:
    val = _prop_val(tc, f"{_W}tcPr/{_W}gridSpan")
    return min(int(val), 64) if _small_int(val) and int(val) > 0 else 1


def _continues(tc: Any) -> bool:
    val = _prop_val(tc, f"{_W}tcPr/{_W}vMerge")
    return val is not None and val in ("", "continue")


def _grid_before(tr: Any) -> int:
    val = _prop_val(tr, f"{_W}trPr/{_W}gridBefore")
    return min(int(val), 64) if _small_int(val) else 0


def _small_int(val: str | None) -> TypeGuard[str]:
    """ASCII digits only, and few: "²".isdigit() is true but int("²") fails, and a 5,000-digit
    attribute would exceed int's limit."""
    return val is not None and val.isascii() and val.isdigit() and 0 < len(val) <= 6

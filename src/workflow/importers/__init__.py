"""Importers: bytes (text, .docx, HTML) in, the report model plus import notes out.

`import_bytes` sniffs the kind; every importer feeds the same block walk (`assemble`), so text,
Word and web pages differ only in how they produce paragraphs and table rows.  Whatever the
input, the caller gets an ImportResult or an ImportFailure with a message a clerk understands.
"""

from __future__ import annotations

from typing import Any

from .assemble import assemble
from .decode import MAX_BYTES, decode_text, looks_like_html, sniff
from .types import ImportFailure, ImportNote, ImportResult

__all__ = [
    "MAX_BYTES",
    "ImportFailure",
    "ImportNote",
    "ImportResult",
    "import_bytes",
    "import_docx",
    "import_html",
    "import_text",
]


def import_text(text: str, **kw: Any) -> ImportResult:
    from .text import text_blocks

    return _guarded(lambda: assemble(text_blocks(text), **kw))


def import_docx(data: bytes, **kw: Any) -> ImportResult:
    from .docx import docx_blocks

    return _guarded(lambda: assemble(docx_blocks(data), **kw))


def import_html(data: bytes | str, **kw: Any) -> ImportResult:
    from .html import html_blocks

    return _guarded(lambda: assemble(html_blocks(data), **kw))


def import_bytes(
    data: bytes,
    filename: str = "",
    *,
    body_type: str | None = None,
    year: int | None = None,
    body_name: str | None = None,
) -> ImportResult:
    kw: dict[str, Any] = {"body_type": body_type, "year": year, "body_name": body_name}
    kind = _guarded(lambda: sniff(data, filename))
    if kind == "docx":
        return import_docx(data, **kw)
    text = _guarded(lambda: decode_text(data))
    if looks_like_html(text, named_html=kind == "html"):
        return import_html(text, **kw)
    return import_text(text, **kw)


def _guarded(fn: Any) -> Any:
    """Run fn; anything but ImportFailure becomes one — hostile input must not crash a worker."""
    try:
        return fn()
    except ImportFailure:
        raise
    except RecursionError as exc:
        raise ImportFailure("文件结构嵌套过深，无法读取。") from exc
    except MemoryError as exc:
        raise ImportFailure("文件过大或结构异常，无法读取。") from exc
    except Exception as exc:  # noqa: BLE001 - the contract: only ImportFailure leaves this package
        raise ImportFailure(f"文件无法读取为年度报告（{type(exc).__name__}）。") from exc

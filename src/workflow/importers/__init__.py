"""Importers: bytes (text, .docx, HTML, PDF) in, the report model plus import notes out.

`import_bytes` sniffs the kind; every importer feeds the same block walk (`assemble`), so text,
Word and web pages differ only in how they produce paragraphs and table rows.  Whatever the
input, the caller gets an ImportResult or an ImportFailure with a message a clerk understands.
"""

from __future__ import annotations

import os
from pathlib import Path
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
    "import_path",
    "import_pdf",
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


def import_pdf(data: bytes, **kw: Any) -> ImportResult:
    from .pdf import pdf_blocks

    return _guarded(lambda: assemble(pdf_blocks(data), **kw))


def import_path(path: str | os.PathLike[str], **kw: Any) -> ImportResult:
    """The report in a file, by path: the whole import as one plain call (the CLI, a sandboxed parser).

    Keyword arguments as for import_bytes; the size is checked before the file is read."""
    p = Path(path)
    if not p.is_file():
        raise ImportFailure(f"找不到文件“{p.name}”。")
    if p.stat().st_size > MAX_BYTES:
        raise ImportFailure(f"文件超过 {MAX_BYTES // (1024 * 1024)} MB，无法作为年度报告读取。")
    return import_bytes(p.read_bytes(), p.name, **kw)


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
    if kind == "pdf":
        return import_pdf(data, **kw)
    if kind == "xlsx":
        from .xlsx import import_xlsx

        return _guarded(lambda: import_xlsx(data))
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

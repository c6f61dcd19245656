"""Size limits, kind sniffing and text decoding (utf-8, utf-8-sig, gb18030, utf-16 with BOM)."""

from __future__ import annotations

import io
import re
import zipfile

from .archive import check_zip
from .types import ImportFailure

MAX_BYTES = 20 * 1024 * 1024
_HTML_HINT = re.compile(r"<\s*(?:table|html|!doctype\s+html|body)\b", re.IGNORECASE)
_ANY_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9]*[\s>/]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def sniff(data: bytes, filename: str = "") -> str:
    """'docx', 'pdf', 'html' or 'text'; ImportFailure for empty, too big or binary input."""
    if not data or not data.strip():
        raise ImportFailure("文件是空的，没有任何内容。")
    if len(data) > MAX_BYTES:
        raise ImportFailure(f"文件超过 {MAX_BYTES // (1024 * 1024)} MB，无法读取，请检查是否上传错了文件。")
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return _check_docx(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFailure("这是旧版 Word（.doc）文件，请在 Word 中另存为 .docx 后再上传。")
    if data[:1024].lstrip().startswith(b"%PDF"):
        return "pdf"
    return "html" if filename.lower().endswith((".html", ".htm", ".shtml", ".xhtml")) else "text"


def _check_docx(data: bytes) -> str:
    check_zip(data)  # entry count, declared inflated size and ratio, from the central directory only
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ImportFailure("Word 文件已损坏（压缩包不完整），无法读取。") from exc
    if "xl/workbook.xml" in names:
        return "xlsx"  # an Excel workbook: the tables downloaded from the form (importers/xlsx.py)
    if "word/document.xml" not in names:
        raise ImportFailure("这是压缩文件，不是 Word（.docx）文档，无法读取。")
    return "docx"


def decode_text(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        text = _try(data[3:], "utf-8")
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = _try(data, "utf-16")
    else:
        text = _try(data, "utf-8")
        if text is None and b"\x00" not in data:
            text = _try(data, "gb18030")
    if text is None or _binary(text):
        raise ImportFailure("文件不是文本、Word 文档或网页，无法读取（可能是图片或其他二进制文件）。")
    return text.replace("\x00", "")


def _try(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _binary(text: str) -> bool:
    sample = text[:4096]
    return len(_CONTROL.findall(sample)) > max(8, len(sample) // 100)


def looks_like_html(text: str, named_html: bool = False) -> bool:
    """A page by its content; a file named .html needs only some tag (text saved as .html stays text)."""
    if _HTML_HINT.search(text, 0, 4096) is not None:
        return True
    return named_html and _ANY_TAG.search(text, 0, 4096) is not None

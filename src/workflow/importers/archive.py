"""Zip containers (.docx, .xlsx) checked before anything is inflated, and read with a running count.

A .docx is a zip anyone can craft: a few hundred kilobytes may inflate to gigabytes.  `check_zip`
reads only the central directory (names and declared sizes, no data) and refuses too many entries,
too much declared inflated data, an implausible compression ratio, or a main part larger than any
report needs.  The central directory can lie about sizes, so `read_member` counts what it actually
inflates and stops at the limit.  A real report's .docx: 17 entries, 0.9 MB inflated, largest ratio
32 (平潭 2021).
"""

from __future__ import annotations

import io
import struct
import zipfile
from typing import Final

from .types import ImportFailure

MAX_ENTRIES: Final = 1000
MAX_TOTAL: Final = 100 * 1024 * 1024  # every entry's declared inflated size, together
MAX_PART: Final = 16 * 1024 * 1024  # the one part we inflate and parse (word/document.xml)
MAX_RATIO: Final = 200  # inflated ÷ compressed, for entries over RATIO_FLOOR
RATIO_FLOOR: Final = 1024 * 1024
_CHUNK: Final = 256 * 1024

_RESAVE: Final = "请检查文件是否损坏，或在 Word / WPS 中另存为普通 .docx 后重新上传"


def too_big(limit: int) -> ImportFailure:
    return ImportFailure(f"文件解压后过大（超过 {limit // (1024 * 1024)} MB），{_RESAVE}。")


def check_zip(data: bytes, main_part: str = "word/document.xml") -> None:
    """Refuse a zip whose central directory promises too much; inflates nothing."""
    if _declared_entries(data) > MAX_ENTRIES:  # before zipfile makes an object per entry
        raise ImportFailure(f"文件中的条目过多（超过 {MAX_ENTRIES} 个），{_RESAVE}。")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise ImportFailure("Word 文件已损坏（压缩包不完整），无法读取。") from exc
    if len(infos) > MAX_ENTRIES:
        raise ImportFailure(f"文件中的条目过多（超过 {MAX_ENTRIES} 个），{_RESAVE}。")
    total = 0
    for info in infos:
        if info.filename == main_part and info.file_size > MAX_PART:
            raise too_big(MAX_PART)
        total += info.file_size
        if total > MAX_TOTAL:
            raise too_big(MAX_TOTAL)
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ImportFailure(
                f"文件压缩比异常（“{info.filename[:60]}”解压后放大超过 {MAX_RATIO} 倍），{_RESAVE}。"
            )


def _declared_entries(data: bytes) -> int:
    """The entry count in the end-of-central-directory record (0 when there is none to read)."""
    at = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if at < 0 or at + 22 > len(data):
        return 0
    _sig, _disk, _cd_disk, _here, total, _size, _offset, _comment = struct.unpack_from("<4s4H2LH", data, at)
    return int(total)


def read_member(zf: zipfile.ZipFile, name: str, limit: int = MAX_PART) -> bytes:
    """A member's bytes, inflated a chunk at a time and refused past `limit`, whatever the
    directory declared (KeyError when absent, as zipfile's own)."""
    info = zf.getinfo(name)
    if info.file_size > limit:
        raise too_big(limit)
    parts: list[bytes] = []
    size = 0
    with zf.open(info) as fh:
        while chunk := fh.read(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise too_big(limit)
            parts.append(chunk)
    return b"".join(parts)

"""The CJK font the PDF embeds: the installed Noto Serif CJK SC face, cut down once to the characters
reports use.

WeasyPrint subsets the font of every PDF, keeping glyph ids (glyphs it does not use stay as empty
slots).  The Debian file is a collection of five faces sharing 65,535 glyphs, and the simplified-Chinese
forms sit near the end, so every PDF carried ~63,000 slots: ≈ 60 ms of subsetting and ≈ 25 ms of
compression per report.  Cut down once (HarfBuzz, well under a second, cached on disk) to the SC face's
GB 2312 characters plus ASCII and CJK punctuation, a report's glyphs sit below ≈ 7,800, so each PDF is
faster and about half the size.  The shapes are the same Noto Serif SC outlines; any character outside
the cut-down set (a rare character in a name) falls back to the full font file (see print.css).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# Debian's fonts-noto-cjk first (scripts/system-deps.sh installs it), then other common CJK fonts.
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
# The bold face of the same family, for the title and the headings (bold as on the web page).
BOLD_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
)
SUBSET_VERSION = 1  # bump when the character set or the options below change
# ASCII, Latin-1, general punctuation, CJK symbols and punctuation (、。「」〇…), full-width forms.
_RANGES = ((0x20, 0x7E), (0xA0, 0xFF), (0x2000, 0x206F), (0x3000, 0x303F), (0xFF00, 0xFFEF))
# Shaping features a horizontal zh-CN text uses.  Not `locl`: its closure pulls in the Japanese,
# Korean and traditional forms (≈ 30,000 glyphs); the SC face maps to simplified forms directly.
_FEATURES = ("kern", "liga", "ccmp", "calt", "mark", "mkmk")
_HB_SUBSET_SETS_LAYOUT_FEATURE_TAG = 6

_CDEF = """
typedef struct hb_blob_t hb_blob_t; typedef struct hb_face_t hb_face_t; typedef struct hb_set_t hb_set_t;
typedef struct hb_subset_input_t hb_subset_input_t; typedef uint32_t hb_codepoint_t;
hb_blob_t *hb_blob_create_from_file_or_fail(const char *file_name);
void hb_blob_destroy(hb_blob_t *blob);
const char *hb_blob_get_data(hb_blob_t *blob, unsigned int *length);
hb_face_t *hb_face_create(hb_blob_t *blob, unsigned int index);
void hb_face_destroy(hb_face_t *face);
hb_blob_t *hb_face_reference_blob(hb_face_t *face);
void hb_set_add(hb_set_t *set, hb_codepoint_t codepoint);
void hb_set_add_range(hb_set_t *set, hb_codepoint_t first, hb_codepoint_t last);
void hb_set_clear(hb_set_t *set);
uint32_t hb_tag_from_string(const char *str, int len);
hb_subset_input_t *hb_subset_input_create_or_fail(void);
void hb_subset_input_destroy(hb_subset_input_t *input);
hb_set_t *hb_subset_input_unicode_set(hb_subset_input_t *input);
hb_set_t *hb_subset_input_set(hb_subset_input_t *input, int set_type);
hb_face_t *hb_subset_or_fail(hb_face_t *source, const hb_subset_input_t *input);
"""


class FontMissing(RuntimeError):
    pass


@lru_cache(maxsize=1)
def cjk_font() -> Path:
    """The full font file: the first installed candidate (also the fallback for rare characters)."""
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    raise FontMissing("找不到中文字体（需要 fonts-noto-cjk，见 scripts/system-deps.sh），无法生成 PDF")


def _face_index(path: Path) -> int:
    """The simplified-Chinese face of a collection (Noto CJK: JP, KR, SC, TC, HK), else the first."""
    if path.suffix.lower() not in (".ttc", ".otc"):
        return 0
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(path), lazy=True)
    try:
        for index, font in enumerate(collection.fonts):
            if font["name"].getDebugName(1).endswith(" SC"):
                return index
    finally:
        collection.close()
    return 0


def _codepoints() -> list[int]:
    """GB 2312 (all 6,763 hanzi and its symbols): what official text and place names are written in."""
    out = []
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                out.append(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return out


def _subset(source: Path, index: int) -> bytes:
    import cffi

    ffi = cffi.FFI()
    ffi.cdef(_CDEF)
    hb: Any = ffi.dlopen("libharfbuzz.so.0")
    hb_subset: Any = ffi.dlopen("libharfbuzz-subset.so.0")
    blob = ffi.gc(hb.hb_blob_create_from_file_or_fail(str(source).encode()), hb.hb_blob_destroy)
    if blob == ffi.NULL:
        raise OSError(f"cannot read {source}")
    face = ffi.gc(hb.hb_face_create(blob, index), hb.hb_face_destroy)
    spec = ffi.gc(hb_subset.hb_subset_input_create_or_fail(), hb_subset.hb_subset_input_destroy)
    unicodes = hb_subset.hb_subset_input_unicode_set(spec)
    for first, last in _RANGES:
        hb.hb_set_add_range(unicodes, first, last)
    for codepoint in _codepoints():
        hb.hb_set_add(unicodes, codepoint)
    features = hb_subset.hb_subset_input_set(spec, _HB_SUBSET_SETS_LAYOUT_FEATURE_TAG)
    hb.hb_set_clear(features)
    for tag in _FEATURES:
        hb.hb_set_add(features, hb.hb_tag_from_string(tag.encode(), -1))
    result = hb_subset.hb_subset_or_fail(face, spec)
    if result == ffi.NULL:
        raise RuntimeError(f"HarfBuzz could not subset {source}")
    result = ffi.gc(result, hb.hb_face_destroy)
    out_blob = ffi.gc(hb.hb_face_reference_blob(result), hb.hb_blob_destroy)
    length = ffi.new("unsigned int *")
    data = hb.hb_blob_get_data(out_blob, length)
    return bytes(ffi.buffer(data, length[0]))


def _cache_path(source: Path) -> Path:
    stat = source.stat()
    key = f"{source}|{stat.st_size}|{stat.st_mtime_ns}|{SUBSET_VERSION}".encode()
    name = f"report-cjk-{hashlib.sha256(key).hexdigest()[:16]}.otf"
    return Path(tempfile.gettempdir()) / "workflow-fonts" / name


@lru_cache(maxsize=1)
def report_font() -> Path:
    """The font the PDF text uses: the cut-down SC face (built once, cached), or the full file."""
    return _cut_down(cjk_font())


@lru_cache(maxsize=1)
def report_bold_font() -> Path | None:
    """The bold face for headings, cut down the same way; None when no bold CJK face is installed
    (the headings are then printed in the regular face)."""
    for candidate in BOLD_CANDIDATES:
        if Path(candidate).is_file():
            return _cut_down(Path(candidate))
    return None


def _cut_down(source: Path) -> Path:
    try:
        target = _cache_path(source)
        if not target.is_file():
            data = _subset(source, _face_index(source))
            target.parent.mkdir(parents=True, exist_ok=True)
            # Written under a unique name then renamed: concurrent workers never see half a font.
            fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.chmod(tmp, 0o644)  # workers may run as other users
            os.replace(tmp, target)
        if not os.access(target, os.R_OK):
            raise PermissionError(f"cannot read {target}")
        return target
    except Exception:  # no harfbuzz-subset, unreadable file, read-only temp dir: slower, still right
        log.warning("could not cut down %s; PDFs embed from the full font", source, exc_info=True)
        return source

"""The report as an A4 PDF: WeasyPrint over the print variant of the HTML page.

A CJK font is loaded from one known file through @font-face, so WeasyPrint never asks fontconfig to
scan every font on the machine, and the stylesheets (with that font) are parsed once per process and
reused: re-reading a 20 MB font for every report would cost more than laying the report out.
The PDF embeds only the glyphs the report uses (WeasyPrint subsets).
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from workflow.domain.model import Report
from workflow.publish.html import TEMPLATES, PublicationMeta, environment, render_print_html

# Debian's fonts-noto-cjk first (scripts/system-deps.sh installs it), then other common CJK fonts.
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
_BETWEEN_TAGS = re.compile(r">\s+<")
_lock = threading.Lock()  # WeasyPrint's font configuration is not meant to be shared across threads


class FontMissing(RuntimeError):
    pass


@lru_cache(maxsize=1)
def cjk_font() -> Path:
    """The font file the PDF uses: the first installed candidate."""
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    raise FontMissing("找不到中文字体（需要 fonts-noto-cjk，见 scripts/system-deps.sh），无法生成 PDF")


def _warm_html_parser_cache() -> None:
    """Fill tinyhtml5's regex cache under the keys it looks up.

    tinyhtml5 (WeasyPrint's HTML parser) stores each compiled pattern under the wrong key
    (`characters = cache[(characters, opposite)] = regex` rebinds `characters` first), so it
    recompiles on every call: about a tenth of a PDF's time.  We store the same patterns, built the
    same way, under the keys it asks for.  Harmless if a later version fixes the bug.
    """
    try:
        from tinyhtml5 import inputstream
        from tinyhtml5.constants import ascii_letters, space_characters
    except ImportError:  # pragma: no cover - another parser version: nothing to warm
        return
    keys: list[tuple[Any, bool]] = [
        (space_characters, True),
        (ascii_letters, True),
        (frozenset(("&", ">", '"', "'", "=", "<", "`", "\u0000")) | space_characters, False),
    ]
    for chars in (("&", "<", "\u0000"), ("<", "\u0000"), ("'", "&", "\u0000"), ('"', "&", "\u0000"),
                  ("-", "\u0000"), ("<", "-", "\u0000"), "\u0000", ">", "]"):  # fmt: skip
        keys.append((chars, False))
    for chars, opposite in keys:
        body = "".join(f"\\x{ord(c):02x}" for c in chars)
        pattern = re.compile(f"[{body}]+" if opposite else f"[^{body}]+")
        inputstream.characters_until_regex.setdefault((chars, opposite), pattern)


@lru_cache(maxsize=1)
def _styles() -> tuple[Any, list[Any]]:
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    _warm_html_parser_cache()
    fonts = FontConfiguration()
    screen = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    printed = environment().get_template("print.css").render(font_url=cjk_font().as_uri())
    return fonts, [CSS(string=screen, font_config=fonts), CSS(string=printed, font_config=fonts)]


def render_pdf(report: Report, meta: PublicationMeta | None = None) -> bytes:
    from weasyprint import HTML  # heavy import, only where PDFs are made

    # Indentation between tags means nothing to the layout but costs the HTML parser time.
    html = _BETWEEN_TAGS.sub("><", render_print_html(report, meta, cjk_font().as_uri()))
    with _lock:
        fonts, stylesheets = _styles()
        pdf = HTML(string=html, base_url=str(TEMPLATES)).write_pdf(stylesheets=stylesheets, font_config=fonts)
    assert pdf is not None
    return pdf

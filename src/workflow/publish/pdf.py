"""The report as an A4 PDF: WeasyPrint over the print variant of the HTML page.

The CJK font is loaded from a known file through @font-face, so WeasyPrint never asks fontconfig to
scan every font on the machine, and the stylesheets (with that font) are parsed once per process and
reused: re-reading a 20 MB font for every report would cost more than laying the report out.  The
file is a cut-down Noto Serif SC (workflow.publish.fonts) with the full file as fallback; the PDF
embeds only the glyphs the report uses (WeasyPrint subsets).  Where the time goes and what was tried:
docs/publication.md.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

from workflow.domain.model import Report
from workflow.publish.fonts import FontMissing, cjk_font, report_bold_font, report_font
from workflow.publish.html import TEMPLATES, PublicationMeta, environment, render_print_html

__all__ = ["FontMissing", "cjk_font", "render_pdf"]

_BETWEEN_TAGS = re.compile(r">\s+<")
_lock = threading.Lock()  # WeasyPrint's font configuration is not meant to be shared across threads
# The default user-agent stylesheet gives every element six pseudo-elements (`::marker`,
# `::footnote-call`, `::note-call`, …: universal selectors), so WeasyPrint computed ≈ 2,400 pseudo
# styles for a report's ≈ 400 elements.  Reports have no lists and no footnotes.
_UNIVERSAL_MARKER = re.compile(r"^::marker \{", re.M)
_NOTE_RULES = re.compile(r"^::(?:footnote|note)-[a-z]+ \{[^}]*\}\n", re.M)


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
def _styles() -> tuple[Any, list[Any], type]:
    """Font configuration, stylesheets and the HTML class, built once per process."""
    from weasyprint import CSS, HTML
    from weasyprint.html import UA, UA_COUNTER_STYLE
    from weasyprint.text.fonts import FontConfiguration

    _warm_html_parser_cache()
    fonts = FontConfiguration()
    screen = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    font, full = report_font(), cjk_font()
    fallback = full.as_uri() if full != font else ""
    bold = report_bold_font()
    printed = (
        environment()
        .get_template("print.css")
        .render(font_url=font.as_uri(), fallback_url=fallback, bold_url=bold.as_uri() if bold else "")
    )
    ua_text = _NOTE_RULES.sub("", _UNIVERSAL_MARKER.sub("li::marker {", UA))
    ua = CSS(string=ua_text, counter_style=UA_COUNTER_STYLE)

    class ReportHTML(HTML):  # type: ignore[misc]
        # A private hook of WeasyPrint's; if a later version drops it, the default sheet applies (slower).
        def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
            return [ua, *super()._ua_stylesheets(forms)[1:]]

    return fonts, [CSS(string=screen, font_config=fonts), CSS(string=printed, font_config=fonts)], ReportHTML


def render_pdf(report: Report, meta: PublicationMeta | None = None) -> bytes:
    # Indentation between tags means nothing to the layout but costs the HTML parser time.
    html = _BETWEEN_TAGS.sub("><", render_print_html(report, meta, ""))
    with _lock:
        fonts, stylesheets, report_html = _styles()
        pdf = report_html(string=html, base_url=str(TEMPLATES)).write_pdf(
            stylesheets=stylesheets, font_config=fonts
        )
    assert pdf is not None
    return pdf

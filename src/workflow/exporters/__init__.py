"""Writers: the report model back out as text, .docx and HTML (for round trips and downloads)."""

from __future__ import annotations

from .docx import to_docx
from .html import to_html
from .text import to_text

__all__ = ["to_docx", "to_html", "to_text"]

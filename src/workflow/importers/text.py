"""Plain text: tab-separated table cells, as copied out of Word or a web page."""

from __future__ import annotations

from collections.abc import Iterator

from .assemble import Block


def text_blocks(text: str) -> Iterator[Block]:
    for line in text.splitlines():
        if "\t" in line:
            yield [c.strip() for c in line.split("\t")]
        else:
            yield line.strip()

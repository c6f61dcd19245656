"""What every importer returns, and the one exception it may raise."""

from __future__ import annotations

from dataclasses import dataclass, field

from workflow.domain.model import Report


class ImportFailure(Exception):
    """The input cannot be read as a report; str(e) is a Chinese message a clerk understands."""


@dataclass(slots=True)
class ImportNote:
    where: str  # e.g. "表三 第12行"
    message: str  # what could not be mapped (Chinese)


@dataclass(slots=True)
class ImportResult:
    report: Report
    notes: list[ImportNote] = field(default_factory=list)

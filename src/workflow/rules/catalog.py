"""The rule catalog: every rule, in catalog order, and `validate()`.

CATALOG_VERSION changes whenever a rule is added or changes meaning; a validation run made
under an older version is stale and must be re-checked before approval.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from workflow.domain.model import Report
from workflow.rules import cells, structure, t2, t3, t4, text, years
from workflow.rules.engine import Context, Rule, ValidationResult, run_rules

CATALOG_VERSION: Final = "2026.2"  # 2026.2: issue #14 (G10, G3 scope, A1 grouping, header reading)

CATALOG: Final[tuple[Rule, ...]] = tuple(
    cells.RULES + t3.RULES + t4.RULES + t2.RULES + years.RULES + text.RULES + structure.RULES
)
RULES_BY_ID: Final[dict[str, Rule]] = {r.id: r for r in CATALOG}


def validate(
    report: Report,
    previous: Report | None = None,
    *,
    previous_imported: bool = False,
    today: date | None = None,
) -> ValidationResult:
    ctx = Context(
        report=report, previous=previous, previous_imported=previous_imported, today=today or date.today()
    )
    return run_rules(CATALOG, ctx, CATALOG_VERSION)

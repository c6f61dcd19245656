"""Family F of the rule catalog (shared/domain/RULES.md)."""

from __future__ import annotations

from workflow.rules.engine import Rule

RULES: list[Rule] = []

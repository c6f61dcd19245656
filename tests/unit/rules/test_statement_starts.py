"""F1–F10's statement regex skips positions by a look-ahead on first characters: it must miss none."""

from __future__ import annotations

import re

from workflow.rules import text

_parser = re._parser  # type: ignore[attr-defined]
_c = _parser  # constants (LITERAL, BRANCH, ...) live in the parser's namespace


def _firsts(items: list) -> set[str] | None:  # type: ignore[type-arg]
    """Characters a sequence of parsed nodes can start with; None when it can start with anything."""
    for op, av in items:
        if op is _c.LITERAL:
            return {chr(av)}
        if op is _c.SUBPATTERN:
            return _firsts(list(av[-1]))
        if op is _c.BRANCH:
            out: set[str] = set()
            for alt in av[1]:
                got = _firsts(list(alt))
                if got is None:
                    return None
                out |= got
            return out
        if op is _c.IN and all(
            o is _c.LITERAL or (o is _c.CATEGORY and a is _c.CATEGORY_DIGIT) for o, a in av
        ):
            return {chr(a) if o is _c.LITERAL else "0123456789" for o, a in av}
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and av[0] >= 1:
            return _firsts(list(av[2]))
        if op is _c.ASSERT:
            continue  # the look-ahead under test
        return None
    return None


def test_every_statement_branch_starts_with_a_character_of_the_look_ahead() -> None:
    body = text._STATEMENTS.pattern[len(f"(?=[{text._STARTS}])(?:") : -1]
    starts = _firsts(list(_parser.parse(body)))
    assert starts is not None
    allowed = set(re.sub("0-9", "", text._STARTS)) | set("0123456789")
    firsts = {c for s in starts for c in s}
    assert firsts <= allowed
    assert text._STATEMENTS.pattern.startswith(f"(?=[{text._STARTS}])")

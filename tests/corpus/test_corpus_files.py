"""The real-report corpus is well formed: every report says where it comes from, and has an
expectation file, written by hand before any checker run, that parses and names real rule ids."""

from __future__ import annotations

import re
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bench.corpus import CUT_MARK, LOCATOR_KEYS, SHARED, expectation_path
from workflow.domain.bodies import BodyType
from workflow.domain.formats import FORMATS, FormatId
from workflow.rules.catalog import RULES_BY_ID

HERE = Path(__file__).resolve().parent
REPORTS = sorted((HERE / "reports").glob("*.txt"))
BODY_LINE = re.compile(r"^# body: .+\| report year: (\d{4})\b.*\| format: (2019|2021)\b")
SEVERITIES = {"error", "warning", "notice"}
RULES_MD = SHARED.parent / "domain" / "RULES.md"
# Rule ids of the catalog, and of the spec (RULES.md lists some the catalog does not run, e.g. I1).
RULE_IDS = set(RULES_BY_ID) | (
    set(re.findall(r"^\| ([A-Z]\d+) \|", RULES_MD.read_text(encoding="utf-8"), re.M))
    if RULES_MD.is_file()
    else set()
)


def _toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _all_cases() -> list[tuple[Path, Path]]:
    cases = [(p, expectation_path(HERE / "expected", p)) for p in REPORTS]
    if SHARED.is_dir():
        cases += [
            (p, expectation_path(HERE / "expected" / "shared", p))
            for p in sorted(SHARED.iterdir())
            if p.suffix in (".txt", ".docx")
        ]
        cases += [
            (p, expectation_path(HERE / "expected" / "shared" / "partial", p))
            for p in sorted((SHARED / "partial").glob("*.txt"))
        ]
    return cases


@pytest.mark.parametrize("report", REPORTS, ids=lambda p: p.stem)
def test_report_has_a_header(report: Path) -> None:
    lines = report.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# source: http"), "first line: # source: URL"
    body = BODY_LINE.match(lines[1])
    assert body, "second line: # body: NAME (type) | report year: Y | format: 2019|2021"
    assert lines[2].startswith(("# PARTIAL:", "# WHOLE PAGE TEXT:")), "third line says what was kept"
    partial = lines[2].startswith("# PARTIAL:")
    assert (CUT_MARK in lines) == partial, "a partial page ends with the cut mark, a whole one has none"
    expected = _toml(expectation_path(HERE / "expected", report))
    assert expected["year"] == int(body.group(1))
    assert expected["partial"] is partial


@pytest.mark.parametrize("report,expectation", _all_cases(), ids=lambda p: p.name)
def test_expectation_parses(report: Path, expectation: Path) -> None:
    assert expectation.is_file(), f"no expectation for {report.name}"
    exp = _toml(expectation)
    assert exp["file"] == report.name
    assert exp["written_before_run"] is True
    datetime.strptime(exp["written_at"], "%Y-%m-%dT%H:%MZ")
    assert exp["body_type"] in {t.value for t in BodyType}
    assert 2019 <= exp["year"] <= 2026 and exp["format"] in ("2019", "2021")
    if exp["partial"]:
        assert 1 <= exp["cut"]["section"] <= 6
        if "row" in exp["cut"]:
            _assert_row(exp["cut"]["table"], exp["cut"]["row"])
    if "previous" in exp:
        assert (report.parent / exp["previous"]).is_file()
    for kind in ("expect", "allow", "clean"):
        for entry in exp.get(kind, []):
            rules = entry["rule"] if isinstance(entry["rule"], list) else [entry["rule"]]
            assert all(r in RULE_IDS for r in rules), f"{kind}: unknown rule id {entry['rule']}"
            assert entry.get("why", "").strip(), f"{kind} {entry['rule']}: a line of why"
            assert set(entry.get("where", {})) <= set(LOCATOR_KEYS)
            where = entry.get("where", {})
            if "table" in where:
                assert where["table"] in ("t2", "t3", "t4")
                if "row" in where:
                    _assert_row(where["table"], where["row"])
            if kind == "expect" or "severity" in entry:
                assert entry["severity"] in SEVERITIES
    for entry in exp.get("unscored", []):
        assert entry["why"].strip()


def _assert_row(table: str, row: str) -> None:
    keys = {k for f in FormatId for k in FORMATS[f].table(table).row_keys}
    assert row in keys, f"{table} has no row {row!r}"


def test_corpus_is_diverse() -> None:
    exps = [_toml(expectation_path(HERE / "expected", p)) for p in REPORTS]
    assert len(exps) >= 20
    assert len({e["province"] for e in exps}) >= 5
    assert {"township", "street", "county_department", "county_government"} <= {e["body_type"] for e in exps}
    assert set(range(2020, 2026)) <= {e["year"] for e in exps}
    assert sum(e["format"] == "2019" for e in exps) >= 3
    assert any(not e["partial"] for e in exps) or SHARED.is_dir()

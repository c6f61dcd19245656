"""Benchmark: the checker on real published reports, scored against findings written by hand.

    .venv/bin/python bench/corpus.py [--json] [--file NAME] [--verbose]

Reads every report of tests/corpus/reports (and, when present, ../shared/corpus and its partial/
beginnings), runs the same code path as `workflow validate` (import_bytes, then rules.catalog.validate,
with last year's report when the expectation names one), and compares the findings with the
expectation file written for that report before any run (tests/corpus/expected/…toml):

- recall: expected findings matched by rule id and locator, at the granularity the expectation
  states (an expectation at table level is met by any finding of that rule in the table; one at
  row level by that row or by a table-level finding of that rule);
- false errors: findings of severity error that match no expectation and no allowance, plus
  "over-severe" ones (an error where the expectation or allowance says warning);
- false warnings: unexpected warnings (informative);
- flooding: the largest number of findings of one rule id in one report (target: at most 10);
- not assessed: the checks the checker said it could not run;
- beyond the cut (partial files only): findings about what the kept beginning does not contain
  (sections, tables and rows after the cut, the absence of what follows it).  A published page kept
  only in part is fed to the checker as text without its header lines and notes; the checker is not
  told where the page was cut, so these findings are listed and counted apart, not as false ones.

Exit status 0 always: it is a benchmark.  Prints PASS/FAIL against the targets.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from workflow.domain.formats import FORMATS, TABLE_SECTION, FormatId
from workflow.importers import ImportFailure, import_bytes
from workflow.rules.catalog import validate
from workflow.rules.engine import Finding, Severity, ValidationResult

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
SHARED = ROOT.parent / "shared" / "corpus"
CUT_MARK = "[the kept part ends here]"

TARGET_RECALL = 0.95
TARGET_FALSE_ERRORS = 0
TARGET_MAX_PER_RULE = 10

SEVERITY_RANK = {"notice": 0, "warning": 1, "error": 2}
LOCATOR_KEYS = ("section", "table", "row", "column")
# Rules whose finding at table level (no row) is about the table as a whole and can be judged on the
# kept rows of a cut table; any other table-level finding in the cut table needs the rest of it.
JUDGED_ON_KEPT_ROWS = frozenset({"A3", "A4", "A5", "D2", "D3", "D4", "D5"})
# Rules that report something absent: in the section where the page was cut, the absence is the cut's.
ABSENCE_RULES = frozenset({"A1", "G1", "G2", "G3", "G4", "G9", "E3"})


# ---------------------------------------------------------------------------------------- cases
@dataclass
class Case:
    name: str  # as shown: reports/<file>, shared/<file>, partial/<file>
    path: Path
    expectation: dict[str, Any]
    origin: str  # "corpus", "shared" or "partial"

    @property
    def partial(self) -> bool:
        return bool(self.expectation.get("partial"))


def load_cases(only: str | None = None) -> list[Case]:
    """Every report with its expectation; the shared corpus only when it is there."""
    cases: list[Case] = []
    for path in sorted((CORPUS / "reports").glob("*.txt")):
        cases.append(Case(f"reports/{path.name}", path, _expectation(CORPUS / "expected", path), "corpus"))
    if SHARED.is_dir():
        for path in sorted(p for p in SHARED.iterdir() if p.suffix in (".txt", ".docx")):
            exp = _expectation(CORPUS / "expected" / "shared", path)
            cases.append(Case(f"shared/{path.name}", path, exp, "shared"))
        for path in sorted((SHARED / "partial").glob("*.txt")):
            exp = _expectation(CORPUS / "expected" / "shared" / "partial", path)
            cases.append(Case(f"partial/{path.name}", path, exp, "partial"))
    if only:
        cases = [c for c in cases if only in (c.name, c.path.name, c.path.stem) or c.name.endswith(only)]
    return cases


def expectation_path(folder: Path, report: Path) -> Path:
    stem = report.name.removesuffix(".txt")
    return folder / f"{stem}.toml"


def _expectation(folder: Path, report: Path) -> dict[str, Any]:
    path = expectation_path(folder, report)
    if not path.is_file():
        return {"missing": str(path)}
    with path.open("rb") as fh:
        return tomllib.load(fh)


def report_bytes(path: Path) -> bytes:
    """What the checker reads: a .docx as it is; a text file without the corpus's own header lines
    ("# source: …") and, for a partial page, without the cut mark and the notes after it."""
    data = path.read_bytes()
    if path.suffix != ".txt" or not data.startswith(b"# "):
        return data  # exactly what `workflow validate FILE` reads
    lines = data.decode("utf-8").splitlines()
    start = 0
    while start < len(lines) and (lines[start].startswith("# ") or not lines[start].strip()):
        start += 1
    body = lines[start:]
    if CUT_MARK in body:
        body = body[: body.index(CUT_MARK)]
    return ("\n".join(body).rstrip() + "\n").encode("utf-8")


def run_checker(path: Path, previous: Path | None = None) -> tuple[Any, ValidationResult]:
    """The `workflow validate` code path: import the bytes, then the rule catalog."""
    current = import_bytes(report_bytes(path), path.name)
    prev = import_bytes(report_bytes(previous), previous.name) if previous else None
    result = validate(
        current.report,
        prev.report if prev else None,
        previous_imported=prev is not None,
        today=date.today(),
    )
    return current, result


# ---------------------------------------------------------------------------------------- scoring
def _rules(entry: dict[str, Any]) -> set[str]:
    r = entry.get("rule", "")
    return set(r) if isinstance(r, list) else {r}


def matches(entry: dict[str, Any], finding: Finding) -> bool:
    """Rule id equal, and the locator agrees at the granularity the entry states: every field it
    names is equal in the finding, except that a finding one level coarser inside a table (the whole
    table for a row, the whole row for a column) also covers it."""
    if finding.rule not in _rules(entry):
        return False
    where = entry.get("where", {})
    w = finding.where
    for key in LOCATOR_KEYS:
        if key not in where:
            continue
        want, got = where[key], getattr(w, key)
        if got == want:
            continue
        if got is None and key == "column":
            continue
        if got is None and key == "row" and "table" in where and w.table == where["table"]:
            continue
        return False
    return True


def _row_index(fmt: FormatId, table: str, row: str) -> int | None:
    for f in (fmt, FormatId.F2021 if fmt is FormatId.F2019 else FormatId.F2019):
        try:
            keys = FORMATS[f].table(table).row_keys
        except (KeyError, AttributeError):
            continue
        if row in keys:
            return keys.index(row)
    return None


def beyond_cut(cut: dict[str, Any], finding: Finding, fmt: FormatId) -> bool:
    """Does the finding speak of what a partial page's kept beginning does not contain?"""
    w, rule = finding.where, finding.rule
    cut_section = int(cut.get("section", 6))
    if w.section is None and w.table is None:
        if rule == "G6" and not cut.get("title_kept", True):
            return True
        return rule in ("H1", "H2")  # the 落款 and the date are at the end
    if w.table is not None:
        tsec = TABLE_SECTION.get(w.table, 0)
        if tsec != cut_section:
            return tsec > cut_section
        if cut.get("table") != w.table:
            return True  # the page stops in this section's text, before its table
        if w.row is None:
            return rule not in JUDGED_ON_KEPT_ROWS
        last = _row_index(fmt, w.table, str(cut.get("row", "")))
        here = _row_index(fmt, w.table, w.row)
        if last is None or here is None:
            return False
        return here > last
    section = int(w.section or 0)
    if section > cut_section:
        return True
    return section == cut_section and rule in ABSENCE_RULES


@dataclass
class FileScore:
    name: str
    origin: str
    partial: bool
    expected: int = 0
    found: int = 0
    missed: list[str] = field(default_factory=list)
    false_errors: list[str] = field(default_factory=list)
    false_warnings: list[str] = field(default_factory=list)
    over_severe: list[str] = field(default_factory=list)
    trap_hits: list[str] = field(default_factory=list)
    beyond_cut: list[str] = field(default_factory=list)
    allowed: int = 0
    notices: int = 0
    findings: int = 0
    max_rule: str = ""
    max_rule_count: int = 0
    not_assessed: list[str] = field(default_factory=list)
    unscored: int = 0
    header: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    @property
    def recall(self) -> float | None:
        return None if not self.expected else self.found / self.expected

    def as_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["recall"] = self.recall
        d["flooding"] = self.max_rule_count > TARGET_MAX_PER_RULE
        return d


def _describe(f: Finding) -> str:
    return f"{f.rule} {f.severity.value} @{f.where.key}: {f.message}"


def score_case(case: Case) -> FileScore:
    exp = case.expectation
    s = FileScore(case.name, case.origin, case.partial)
    if "missing" in exp:
        s.error = f"no expectation file ({exp['missing']})"
        return s
    expects = list(exp.get("expect", []))
    allows = list(exp.get("allow", []))
    cleans = list(exp.get("clean", []))
    s.expected = len(expects)
    s.unscored = len(exp.get("unscored", []))
    previous = case.path.parent / exp["previous"] if exp.get("previous") else None
    try:
        imported, result = run_checker(case.path, previous)
    except ImportFailure as exc:
        s.error = f"could not be read: {exc}"
        s.missed = [f"{e['rule']} {_where_text(e)}: {e.get('why', '')}" for e in expects]
        return s
    report = imported.report
    h = report.header
    s.header = {
        "body_name": h.body_name,
        "body_type": h.body_type,
        "year": h.year,
        "format": report.format.value,
    }
    s.findings = len(result.findings)
    s.not_assessed = [f"{n.rule}: {n.reason}" for n in result.not_assessed]
    counts = Counter(f.rule for f in result.findings)
    if counts:
        s.max_rule, s.max_rule_count = counts.most_common(1)[0]
    met = [False] * len(expects)
    cut = exp.get("cut", {})
    for f in result.findings:
        sev = f.severity.value
        hit = [i for i, e in enumerate(expects) if matches(e, f)]
        if hit:  # an expected finding is judged even when it also speaks of what lies past a cut
            for i in hit:
                met[i] = True
            if sev == "error" and all(expects[i].get("severity", "error") != "error" for i in hit):
                s.over_severe.append(_describe(f))
            continue
        if case.partial and beyond_cut(cut, f, report.format):
            s.beyond_cut.append(_describe(f))
            continue
        allow = [a for a in allows if matches(a, f)]
        if allow:
            s.allowed += 1
            ceiling = max(SEVERITY_RANK.get(a.get("severity", "error"), 2) for a in allow)
            if SEVERITY_RANK[sev] > ceiling:
                s.over_severe.append(_describe(f))
            continue
        if any(matches(c, f) for c in cleans):
            s.trap_hits.append(_describe(f))
        if f.severity is Severity.ERROR:
            s.false_errors.append(_describe(f))
        elif f.severity is Severity.WARNING:
            s.false_warnings.append(_describe(f))
        else:
            s.notices += 1
    s.found = sum(met)
    s.missed = [
        f"{e['rule']} {_where_text(e)}: {e.get('why', '')}"
        for e, ok in zip(expects, met, strict=True)
        if not ok
    ]
    return s


def _where_text(entry: dict[str, Any]) -> str:
    where = entry.get("where", {})
    return "@" + "/".join(f"{k}={where[k]}" for k in LOCATOR_KEYS if k in where) if where else "@(any)"


# ---------------------------------------------------------------------------------------- totals
@dataclass
class Totals:
    files: int
    expected: int
    found: int
    false_errors: int
    over_severe: int
    false_warnings: int
    beyond_cut: int
    beyond_cut_errors: int
    flooding_files: list[str]
    unreadable: list[str]
    missed_by_rule: dict[str, int]
    false_errors_by_rule: dict[str, int]
    false_warnings_by_rule: dict[str, int]

    @property
    def recall(self) -> float:
        return self.found / self.expected if self.expected else 1.0

    @property
    def errors_false(self) -> int:
        return self.false_errors + self.over_severe

    def verdicts(self) -> dict[str, bool]:
        return {
            f"recall >= {TARGET_RECALL}": self.recall >= TARGET_RECALL,
            "0 false errors": self.errors_false <= TARGET_FALSE_ERRORS,
            f"no rule > {TARGET_MAX_PER_RULE} times in one report": not self.flooding_files,
        }

    @property
    def passed(self) -> bool:
        return all(self.verdicts().values())

    def as_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["recall"] = self.recall
        d["false_errors_total"] = self.errors_false
        d["verdicts"] = self.verdicts()
        d["pass"] = self.passed
        return d


def _rule_of(line: str) -> str:
    return line.split(" ", 1)[0]


def totals(scores: list[FileScore]) -> Totals:
    return Totals(
        files=len(scores),
        expected=sum(s.expected for s in scores),
        found=sum(s.found for s in scores),
        false_errors=sum(len(s.false_errors) for s in scores),
        over_severe=sum(len(s.over_severe) for s in scores),
        false_warnings=sum(len(s.false_warnings) for s in scores),
        beyond_cut=sum(len(s.beyond_cut) for s in scores),
        beyond_cut_errors=sum(1 for s in scores for b in s.beyond_cut if " error @" in b),
        flooding_files=[
            f"{s.name} ({s.max_rule} ×{s.max_rule_count})" for s in scores if s.max_rule_count > 10
        ],
        unreadable=[f"{s.name}: {s.error}" for s in scores if s.error],
        missed_by_rule=dict(Counter(_rule_of(m) for s in scores for m in s.missed).most_common()),
        false_errors_by_rule=dict(
            Counter(_rule_of(e) for s in scores for e in s.false_errors + s.over_severe).most_common()
        ),
        false_warnings_by_rule=dict(
            Counter(_rule_of(w) for s in scores for w in s.false_warnings).most_common()
        ),
    )


def score_all(only: str | None = None) -> tuple[list[FileScore], Totals]:
    scores = [score_case(c) for c in load_cases(only)]
    return scores, totals(scores)


# ---------------------------------------------------------------------------------------- output
def _pct(v: float | None) -> str:
    return "  —  " if v is None else f"{v:5.2f}"


def render(scores: list[FileScore], tot: Totals, verbose: bool = False) -> str:
    out = [
        f"corpus: {tot.files} reports ({sum(1 for s in scores if s.partial)} partial), "
        f"{tot.expected} expected findings",
        "",
        f"{'file':<52} {'exp':>3} {'hit':>3} {'recall':>6} {'fErr':>4} {'fWarn':>5} {'cut':>4} "
        f"{'max rule':>10} {'n/a':>4}",
    ]
    for s in scores:
        flood = f"{s.max_rule}×{s.max_rule_count}" if s.max_rule else "-"
        if s.max_rule_count > TARGET_MAX_PER_RULE:
            flood += "!"
        out.append(
            f"{s.name:<52} {s.expected:>3} {s.found:>3} {_pct(s.recall):>6} "
            f"{len(s.false_errors) + len(s.over_severe):>4} {len(s.false_warnings):>5} {len(s.beyond_cut):>4} "
            f"{flood:>10} {len(s.not_assessed):>4}"
        )
    out.append("")
    for s in scores:
        lines = []
        if s.error:
            lines.append(f"  !! {s.error}")
        lines += [f"  miss      {m}" for m in s.missed]
        lines += [f"  FALSE ERR {e}" for e in s.false_errors]
        lines += [f"  OVERSEV   {e}" for e in s.over_severe]
        if verbose:
            lines += [f"  false w   {w}" for w in s.false_warnings]
            lines += [f"  cut       {b}" for b in s.beyond_cut]
            lines += [f"  n/a       {n}" for n in s.not_assessed]
        if lines:
            head = s.header
            out.append(
                f"{s.name}  [read as: {head.get('body_name') or '?'} / {head.get('body_type')} / "
                f"{head.get('year')} / format {head.get('format')}]"
            )
            out += lines
    out += [
        "",
        "totals",
        f"  recall            {tot.found}/{tot.expected} = {tot.recall:.3f}   (target >= {TARGET_RECALL})",
        f"  false errors      {tot.errors_false} ({tot.false_errors} unexpected + {tot.over_severe} over-severe)"
        "   (target 0)",
        f"  false warnings    {tot.false_warnings}   (informative)",
        f"  beyond the cut    {tot.beyond_cut} findings on partial pages ({tot.beyond_cut_errors} errors),"
        " not scored",
        f"  flooding (>10)    {len(tot.flooding_files)} reports"
        + (": " + ", ".join(tot.flooding_files) if tot.flooding_files else ""),
        f"  unreadable        {len(tot.unreadable)}",
        f"  missed by rule    {_by_rule(tot.missed_by_rule)}",
        f"  false err by rule {_by_rule(tot.false_errors_by_rule)}",
        f"  false warn by rule {_by_rule(tot.false_warnings_by_rule)}",
        "",
    ]
    for name, ok in tot.verdicts().items():
        out.append(f"  {'PASS' if ok else 'FAIL'}  {name}")
    out.append(f"overall: {'PASS' if tot.passed else 'FAIL'}")
    return "\n".join(out)


def _by_rule(d: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in d.items()) or "-"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="machine-readable output")
    ap.add_argument("--file", help="only this report (file name, stem, or reports/… / partial/… / shared/…)")
    ap.add_argument("--verbose", "-v", action="store_true", help="also list false warnings, cut and n/a")
    args = ap.parse_args(argv)
    scores, tot = score_all(args.file)
    if args.json:
        print(
            json.dumps(
                {"files": [s.as_dict() for s in scores], "totals": tot.as_dict()},
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        print(render(scores, tot, args.verbose))
    return 0


if __name__ == "__main__":
    sys.exit(main())

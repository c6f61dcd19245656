"""The sum rules as data (workflow.rules.sums, embedded in the report form for the browser) are the
rules the server checks: for every sum, a wrong total gets the server's finding with exactly the text
the browser shows."""

from __future__ import annotations

from helpers import check, clean_report

from workflow.domain.formats import FORMATS, FormatId
from workflow.rules.sums import sum_rules


def test_every_sum_of_the_form_is_a_server_rule_with_the_same_text() -> None:
    rules = sum_rules(FormatId.F2021)
    assert len(rules) == len(FORMATS[FormatId.F2021].table("t3").rows) + 7 + 3
    for rule in rules:
        report = clean_report()
        tid, row, col = rule["target"].split(".")
        table = report.table(tid)
        parts = sum(table.value(*p.split(".")[1:]) for p in rule["parts"])
        assert parts == table.value(row, col), rule  # a clean report adds up
        table.set(row, col, parts + 1)
        text = rule["message"].replace("{expected}", str(parts)).replace("{actual}", str(parts + 1))
        found = [f for f in check(report).findings if f.rule == rule["rule"]]
        assert text in {f.message for f in found}, (text, [f.message for f in found])


def test_the_2019_format_sums_its_own_rows() -> None:
    rules = {r["target"]: r for r in sum_rules(FormatId.F2019) if r["rule"] == "B2"}
    parts = rules["t3.total.natural"]["parts"]
    assert "t3.o.natural" in parts and "t3.o1.natural" not in parts

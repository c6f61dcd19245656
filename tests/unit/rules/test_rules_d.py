"""Family D: 表二 (RULES.md § D)."""

from __future__ import annotations

from helpers import TOWNSHIP, add_text, clean_pair, clean_report, corpus_report, findings, skipped

from workflow.domain.formats import FormatId
from workflow.domain.model import Report, Table
from workflow.rules.engine import Locator, Severity


def _docs(r: Report, row: str, issued: int, repealed: int, in_force: int) -> None:
    t2 = r.tables["t2"]
    t2.set(row, "issued", issued)
    t2.set(row, "repealed", repealed)
    t2.set(row, "in_force", in_force)


def _as_2019(r: Report, made: int, published: int, total_public: int) -> None:
    r.format = FormatId.F2019
    r.tables["t2"] = t2 = Table()
    for row in ("regulations", "normative"):
        t2.set(row, "made", 0 if row == "regulations" else made)
        t2.set(row, "published", 0 if row == "regulations" else published)
        t2.set(row, "total_public", 0 if row == "regulations" else total_public)


# ---------------------------------------------------------------- D1


def test_D1_passes_on_clean_pair() -> None:
    prev, cur = clean_pair()
    assert findings(cur, "D1", prev) == []


def test_D1_passes_on_pingtan_2021_to_2022_figures() -> None:
    prev, cur = clean_pair()
    _docs(prev, "normative", 69, 3, 665)
    _docs(cur, "normative", 88, 55, 698)  # 665 + 88 − 55 = 698
    assert findings(cur, "D1", prev) == []


def test_D1_fires_when_in_force_does_not_follow_from_last_year() -> None:
    prev, cur = clean_pair()
    _docs(prev, "normative", 5, 0, 40)
    _docs(cur, "normative", 3, 1, 45)
    got = findings(cur, "D1", prev)
    assert [f.where for f in got] == [Locator(2, "t2", "normative", "in_force")]
    assert (got[0].expected, got[0].actual, got[0].difference) == (42, 45, 3)
    assert got[0].severity is Severity.WARNING


def test_D1_is_not_assessed_without_previous_report() -> None:
    assert findings(clean_report(), "D1") == [] and skipped(clean_report(), "D1")


# ---------------------------------------------------------------- D2


def test_D2_passes_on_clean_report() -> None:
    assert findings(clean_report(), "D2") == []


def test_D2_fires_when_in_force_below_issued_minus_repealed() -> None:
    r = clean_report()
    _docs(r, "normative", 10, 2, 5)
    got = findings(r, "D2")
    assert [f.where for f in got] == [Locator(2, "t2", "normative", "in_force")]
    assert (got[0].expected, got[0].actual) == (8, 5)


# ---------------------------------------------------------------- D3


def test_D3_passes_on_clean_report() -> None:
    assert findings(clean_report(), "D3") == []


def test_D3_fires_as_error_for_a_township() -> None:
    r = clean_report(body_name=TOWNSHIP)
    _docs(r, "regulations", 1, 0, 1)
    got = findings(r, "D3")
    assert {f.where.column for f in got} == {"issued", "in_force"}
    assert all(f.severity is Severity.ERROR for f in got)


def test_D3_fires_as_warning_for_a_city_department() -> None:
    r = clean_report(body_name="西宁市教育局")
    assert r.header.body_type == "city_department"
    _docs(r, "regulations", 0, 0, 2)
    got = findings(r, "D3")
    assert len(got) == 1 and got[0].severity is Severity.WARNING


def test_D3_passes_for_a_city_government_with_regulations() -> None:
    r = clean_report(body_name="西宁市人民政府")
    assert r.header.body_type == "city_government"
    _docs(r, "regulations", 2, 1, 30)
    assert findings(r, "D3") == []


# ---------------------------------------------------------------- D4


def test_D4_passes_on_a_township_without_normative_documents() -> None:
    assert findings(clean_report(body_name=TOWNSHIP), "D4") == []


def test_D4_fires_on_a_township_issuing_normative_documents() -> None:
    r = clean_report(body_name=TOWNSHIP)
    in_force = r.tables["t2"].value("normative", "in_force")
    _docs(r, "normative", 3, 0, in_force + 3)
    got = findings(r, "D4")
    assert [f.where for f in got] == [Locator(2, "t2", "normative", "issued")]
    assert got[0].severity is Severity.WARNING


def test_D4_passes_on_a_department_issuing_normative_documents() -> None:
    r = clean_report()
    _docs(r, "normative", 3, 0, 30)
    assert findings(r, "D4") == []


# ---------------------------------------------------------------- D5


def test_D5_passes_on_consistent_2019_table() -> None:
    r = clean_report(year=2020)
    _as_2019(r, 4, 4, 30)
    assert findings(r, "D5") == []


def test_D5_fires_when_published_differs_from_made() -> None:
    r = clean_report(year=2020)
    _as_2019(r, 4, 3, 30)
    assert [f.where for f in findings(r, "D5")] == [Locator(2, "t2", "normative", "published")]


def test_D5_fires_when_total_public_below_new_published() -> None:
    r = clean_report(year=2020)
    _as_2019(r, 4, 4, 2)
    got = findings(r, "D5")
    assert [f.where for f in got] == [Locator(2, "t2", "normative", "total_public")]
    assert (got[0].expected, got[0].actual) == (4, 2)


# ---------------------------------------------------------------- D6


def test_D6_passes_on_clean_report() -> None:
    assert findings(clean_report(), "D6") == []


def test_D6_passes_on_pingtan_2022_statement() -> None:
    r = clean_report()
    _docs(r, "normative", 88, 55, 698)
    add_text(
        r, 1, "设立规范性文件库，集中公开现行有效行政规范性文件698件，动态更新本年度制发的规范性文件88件。"
    )
    assert findings(r, "D6") == []


def test_D6_fires_when_text_count_differs_from_table() -> None:
    r = clean_report()
    _docs(r, "normative", 8, 1, 60)
    add_text(r, 1, "全年制发行政规范性文件 9 件，现行有效行政规范性文件60件。")
    got = findings(r, "D6")
    assert [f.where for f in got] == [Locator(2, "t2", "normative", "issued")]
    assert (got[0].expected, got[0].actual) == (8, 9)
    assert got[0].severity is Severity.ERROR


def test_D6_fires_on_in_force_statement() -> None:
    r = clean_report()
    _docs(r, "normative", 8, 1, 60)
    add_text(r, 2, "我局行政规范性文件现行有效 61 件。")
    assert [f.where.column for f in findings(r, "D6")] == ["in_force"]


def test_D6_passes_on_counts_mixed_with_regulations_or_last_year() -> None:
    r = clean_report()
    _docs(r, "normative", 8, 1, 60)
    add_text(r, 1, "制发规章和行政规范性文件12件。较上年制发行政规范性文件增加3件。")
    assert findings(r, "D6") == []


# ---------------------------------------------------------------- the corpus


def test_D1_passes_on_pingtan_2021_to_2022(corpus) -> None:
    prev, cur = corpus_report(corpus, "pingtan_2021"), corpus_report(corpus, "pingtan_2022")
    assert findings(cur, "D1", prev) == [] and not skipped(cur, "D1", prev)


def test_D6_passes_on_pingtan_2022_and_fires_once_its_table_disagrees(corpus) -> None:
    r = corpus_report(corpus, "pingtan_2022")
    assert findings(r, "D6") == []  # 现行有效…698件, 本年度制发的规范性文件88件
    r.tables["t2"].set("normative", "in_force", 699)
    got = findings(r, "D6")
    assert [(f.where.column, f.expected, f.actual) for f in got] == [("in_force", 699, 698)]

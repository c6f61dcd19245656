"""Family A: cells and format (RULES.md § A)."""

from __future__ import annotations

from decimal import Decimal

from helpers import TOWNSHIP, check, clean_report, corpus_report, family_findings, findings, skipped

from workflow.domain.formats import FORMATS, FormatId
from workflow.domain.model import Table
from workflow.rules.engine import Locator, Severity

# ---------------------------------------------------------------- A1


def test_A1_passes_on_clean_report() -> None:
    assert findings(clean_report(), "A1") == []


def test_A1_fires_on_each_blank_cell_with_its_locator() -> None:
    r = clean_report()
    r.tables["t3"].set("granted", "natural", "")
    r.tables["t4"].set("review", "pending", "/")
    r.tables["t2"].set("licensing", "decisions", "—")
    got = {f.where for f in findings(r, "A1")}
    assert got == {
        Locator(3, "t3", "granted", "natural"),
        Locator(4, "t4", "review", "pending"),
        Locator(2, "t2", "licensing", "decisions"),
    }


def test_A1_fires_once_per_missing_row_not_per_cell() -> None:
    r = clean_report()
    del r.tables["t3"].rows["new"]
    got = findings(r, "A1")
    assert len(got) == 1
    f = got[0]
    assert f.where == Locator(3, "t3", "new", None)
    assert f.severity is Severity.ERROR
    assert "一、本年新收政府信息公开申请数量" in f.message and "缺少" in f.message


def test_A1_fires_once_for_an_absent_table() -> None:
    r = clean_report()
    r.tables["t4"] = Table(present=False)
    got = findings(r, "A1")
    assert [f.where for f in got] == [Locator(4, "t4", None, None)]
    assert "表四" in got[0].message


def test_A1_fires_on_missing_trailing_cells() -> None:
    r = clean_report()
    del r.tables["t3"].rows["forward"]["total"]
    got = findings(r, "A1")
    assert [f.where for f in got] == [Locator(3, "t3", "forward", "total")]
    assert got[0].actual == "缺失"


def test_A1_passes_on_zero_written_as_zero() -> None:
    r = clean_report()
    r.tables["t4"].set("review", "pending", "0")
    r.tables["t4"].set("review", "other", "０")  # full width is still zero
    assert findings(r, "A1") == []


def test_A1_fires_on_missing_rows_of_the_2019_format() -> None:
    r = clean_report()
    r.format = FormatId.F2019
    r.tables["t2"] = t2 = Table()
    for col in ("made", "published", "total_public"):
        t2.set("regulations", col, 0)
    got = findings(r, "A1")
    t2_rows = {f.where.row for f in got if f.where.table == "t2"}
    assert t2_rows == {row.key for row in FORMATS[FormatId.F2019].table("t2").rows} - {"regulations"}


# ---------------------------------------------------------------- A2


def test_A2_passes_on_clean_report() -> None:
    assert findings(clean_report(), "A2") == []


def test_A2_fires_on_negative_fraction_and_text_counts() -> None:
    r = clean_report()
    r.tables["t3"].set("granted", "natural", "-1")
    r.tables["t3"].set("partial", "natural", "2.5")
    r.tables["t4"].set("review", "upheld", "三件")
    got = {f.where.row: f for f in findings(r, "A2")}
    assert set(got) == {"granted", "partial", "review"}
    assert "负数" in got["granted"].message
    assert "整数" in got["partial"].message
    assert got["review"].actual == "三件"


def test_A2_passes_on_decimal_amount_and_signed_change() -> None:
    r = clean_report()
    r.tables["t2"].set("fees", "amount", "24252.311082")
    assert findings(r, "A2") == []
    r.format = FormatId.F2019
    r.tables["t2"] = t2 = Table()
    t2.set("licensing", "change", "-3")  # 本年增/减 may be negative
    assert findings(r, "A2") == []


# ---------------------------------------------------------------- A3


def test_A3_passes_on_clean_report() -> None:
    assert findings(clean_report(), "A3") == []


def test_A3_passes_on_large_amount_of_a_county_body() -> None:
    r = clean_report()
    r.tables["t2"].set("fees", "amount", "24252.311082")  # pingtan_2021, 万元
    assert findings(r, "A3") == []


def test_A3_fires_when_unit_is_written_as_yuan() -> None:
    r = clean_report()
    r.tables["t2"].labels["@amount"] = "本年收费金额（单位：元）"
    got = findings(r, "A3")
    assert len(got) == 1 and got[0].where == Locator(2, "t2", "fees", "amount")
    assert got[0].severity is Severity.WARNING


def test_A3_fires_on_implausible_amount_for_a_township() -> None:
    r = clean_report(body_name=TOWNSHIP)
    r.tables["t2"].set("fees", "amount", "1250000")  # 1.25 million 万元 = 125 亿元
    got = findings(r, "A3")
    assert len(got) == 1
    assert got[0].actual == 1250000 and got[0].expected == Decimal(100000)


def test_A3_skips_a_blank_amount() -> None:
    r = clean_report()
    r.tables["t2"].set("fees", "amount", "")
    assert findings(r, "A3") == [] and skipped(r, "A3")


# ---------------------------------------------------------------- A4


def test_A4_passes_on_labels_differing_only_in_width_spaces_and_punctuation() -> None:
    r = clean_report()
    t3 = r.tables["t3"]
    t3.labels["partial"] = "(二) 部分公开(区分处理的, 只计这一情形, 不计其他情形)"
    t3.labels["d3"] = "3. 危及\u201c三安全一稳定\u201d"
    t3.labels["d1"] = "（三）不予公开\t1.属于国家秘密"  # group written in front
    r.tables["t4"].labels["review"] = "行 政 复 议"
    r.tables["t2"].labels["@issued"] = "本年制发件数"
    assert findings(r, "A4") == []


def test_A4_fires_on_known_alias_with_warning() -> None:
    r = clean_report()
    r.tables["t2"].labels["normative"] = "规范性文件"
    r.tables["t2"].labels["@issued"] = "本年(2023)制发件数"
    got = {f.where: f for f in findings(r, "A4")}
    assert set(got) == {Locator(2, "t2", "normative", None), Locator(2, "t2", None, "issued")}
    assert all(f.severity is Severity.WARNING for f in got.values())
    assert got[Locator(2, "t2", "normative", None)].expected == "行政规范性文件"


def test_A4_fires_on_reworded_label() -> None:
    r = clean_report()
    r.tables["t3"].labels["new"] = "一、本年新收政府信息公开申请数量（含网上申请）"
    got = findings(r, "A4")
    assert [f.where for f in got] == [Locator(3, "t3", "new", None)]
    assert got[0].actual == "一、本年新收政府信息公开申请数量（含网上申请）"


def test_A4_fires_once_per_extra_row() -> None:
    r = clean_report()
    r.tables["t3"].extra_rows += ["其中：网上申请", "其中：当面申请"]
    got = findings(r, "A4")
    assert len(got) == 2
    assert {f.actual for f in got} == {"其中：网上申请", "其中：当面申请"}


# ---------------------------------------------------------------- A5


def test_A5_passes_on_clean_report() -> None:
    assert findings(clean_report(), "A5") == []


def test_A5_fires_once_on_the_2019_format_in_a_2024_report_listing_markers() -> None:
    r = clean_report(year=2024)
    r.format = FormatId.F2019
    r.format_markers = ["本年新制作数量", "（六）其他处理"]
    got = findings(r, "A5")
    assert len(got) == 1
    assert got[0].severity is Severity.ERROR
    assert "本年新制作数量" in got[0].actual and "（六）其他处理" in got[0].actual


def test_A5_fires_as_warning_on_the_2021_format_for_2020() -> None:
    r = clean_report(year=2020)
    got = findings(r, "A5")
    assert len(got) == 1 and got[0].severity is Severity.WARNING


def test_A5_passes_on_the_2019_format_for_2020() -> None:
    r = clean_report(year=2020)
    r.format = FormatId.F2019
    assert findings(r, "A5") == []


def test_A5_skips_without_a_year() -> None:
    r = clean_report()
    r.header.year = None
    assert findings(r, "A5") == [] and skipped(r, "A5")


# ---------------------------------------------------------------- the corpus (families A–D together)


def test_A5_fires_on_lushaer_2024_and_A1_points_at_each_gap(corpus) -> None:
    r = corpus_report(corpus, "lushaer_2024", year=2024)
    result = check(r)
    a5 = result.by_rule("A5")
    assert len(a5) == 1 and "本年新制作数量" in a5[0].actual
    a1 = {(f.where.table, f.where.row, f.where.column) for f in result.by_rule("A1")}
    missing_t2 = {(("t2", row.key, None)) for row in r.spec.table("t2").rows if row.key != "regulations"}
    blank_review = {
        ("t4", "review", None)
    }  # the whole row blank: one finding for the row (issue #14 class 7)
    assert a1 == missing_t2 | {("t3", "new", None)} | blank_review
    assert len(result.by_rule("C4")) == 1
    errors = {f.rule for f in family_findings(result) if f.severity is Severity.ERROR}
    assert errors == {"A1", "A5"}
    assert {f.rule for f in family_findings(result)} == {"A1", "A5", "C4"}


def test_A_to_D_pass_on_pingtan_2021_and_2022(corpus) -> None:
    prev = corpus_report(corpus, "pingtan_2021")
    cur = corpus_report(corpus, "pingtan_2022")
    assert family_findings(check(prev)) == []
    result = check(cur, prev)
    assert family_findings(result) == []
    assert not [n for n in result.not_assessed if n.rule[0] in "ABCD"]

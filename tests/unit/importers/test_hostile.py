"""Whatever arrives, import_bytes returns an ImportResult or raises ImportFailure: nothing else."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workflow.domain.formats import T2_2021, T3_2021, T4
from workflow.importers import MAX_BYTES, ImportFailure, ImportResult, import_bytes

CORPUS = Path(__file__).resolve().parents[4] / "shared" / "corpus"


def _outcome(data: bytes, filename: str = "") -> ImportResult | ImportFailure:
    try:
        result = import_bytes(data, filename)
    except ImportFailure as exc:
        assert str(exc)  # a message a clerk can read
        return exc
    assert isinstance(result, ImportResult)
    result.report.to_dict()  # the model is whole enough to serialise
    return result


def _zip(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _fails(data: bytes, words: str, filename: str = "") -> None:
    with pytest.raises(ImportFailure, match=words):
        import_bytes(data, filename)


def test_empty_binary_and_oversized_inputs_fail_clearly() -> None:
    _fails(b"", "空")
    _fails(b"  \r\n\t\n", "空")
    _fails(random.Random(1).randbytes(4096), "不是文本")
    _fails(b"a" * (MAX_BYTES + 1), "20 MB")
    _fails(b"%PDF-1.7\n" + b"0" * 100, "PDF")
    _fails(b"\xd0\xcf\x11\xe0" + b"\0" * 100, r"\.doc")
    _fails("今天天气很好。\n我们去公园散步。\n".encode(), "不是一份政府信息公开工作年度报告")


def test_truncated_and_crafted_zips_fail_clearly() -> None:
    docx = (CORPUS / "pingtan_2021.docx").read_bytes()
    for cut in (10, 100, len(docx) // 2, len(docx) - 10):
        _outcome(docx[:cut])
    _fails(_zip({"a.txt": b"hello"}), "不是 Word")
    bomb = _zip({"word/document.xml": b"<a>" + b"\0" * (80 * 1024 * 1024)})
    assert len(bomb) < MAX_BYTES
    _fails(bomb, "过大")
    nested = _zip({"x": b"0" * 1_000_000})
    for _ in range(3):
        nested = _zip({"word/document.xml": nested, "inner.zip": nested})
    _fails(nested, "Word")
    _fails(_zip({"word/document.xml": b"<w:document><w:body>"}), "XML")


def test_entities_are_not_expanded() -> None:
    lol = "".join(f'<!ENTITY l{i + 1} "{f"&l{i};" * 10}">' for i in range(8))
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY l0 "lol">{lol}]>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>&l8;</w:t></w:r></w:p></w:body></w:document>"
    )
    _outcome(_zip({"word/document.xml": xml.encode()}))


def test_huge_line_nul_bytes_and_hostile_html() -> None:
    _outcome(b"x" * (5 * 1024 * 1024))
    _outcome(("一、总体情况\t" * 200_000).encode())
    lushaer = (CORPUS / "lushaer_2024.txt").read_bytes()
    _outcome(lushaer.replace(b"\n", b"\x00\n"))
    _outcome(b"\x00" * 64 + lushaer)
    _outcome(b"<html><script>" + b"<table>" * 1000 + b"</script>" + b"<table><tr><td>" * 20_000)
    _outcome(b"<table>" + b"<tr><td rowspan=99999 colspan=99999>1</td>" * 2000 + b"</table>")
    deep = b"<div>" * 50_000 + "平潭综合实验区2021年政府信息公开工作年度报告".encode() + b"</div>" * 50_000
    assert isinstance(_outcome(deep, "x.html"), ImportResult)


def test_other_encodings_read_the_same() -> None:
    text = (CORPUS / "lushaer_2024.txt").read_text(encoding="utf-8")
    expected = import_bytes(text.encode("utf-8")).report.to_dict()
    for data in (text.encode("utf-8-sig"), text.encode("gb18030"), text.encode("utf-16")):
        assert import_bytes(data).report.to_dict() == expected


# Fragments a report is made of, shuffled by hypothesis into almost-reports.
_WORDS = [r.label for t in (T2_2021, T3_2021, T4) for r in t.rows]
_WORDS += [
    "一、总体情况",
    "二、主动公开政府信息情况",
    "四、政府信息公开行政复议、行政诉讼情况",
    "六、其他需要报告的事项",
]
_WORDS += [
    "某某镇人民政府2024年政府信息公开工作年度报告",
    "统计期限为2024年1月1日至2024年12月31日",
    "2025年1月14日",
]
_WORDS += [
    "0",
    "12",
    "-3",
    "1.5",
    "/",
    "",
    "\t",
    "\n",
    "\t\t",
    "６４",
    "二〇二五年二月三十日",
    "<table>",
    "<tr>",
    "<td>",
]
_fragments = st.lists(st.sampled_from(_WORDS) | st.text(max_size=8), max_size=80).map("".join)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_fragments, st.sampled_from(["utf-8", "gb18030", "utf-16"]), st.sampled_from(["", "a.txt", "a.html"]))
def test_fuzz_almost_reports(text: str, encoding: str, filename: str) -> None:
    _outcome(text.encode(encoding, errors="ignore"), filename)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["lushaer_2024.txt", "pingtan_2021.txt", "pingtan_2021.docx"]), st.data())
def test_fuzz_mutated_corpus(name: str, data: st.DataObject) -> None:
    raw = bytearray((CORPUS / name).read_bytes())
    for _ in range(data.draw(st.integers(0, 6))):
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(len(raw) // 4, len(raw)))
    _outcome(bytes(raw[:cut]), name)


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=2048))
def test_fuzz_random_bytes(data: bytes) -> None:
    _outcome(data)

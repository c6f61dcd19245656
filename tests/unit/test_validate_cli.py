"""`workflow validate` as a user runs it: on the real corpus, in text and JSON, with its exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from workflow.cli import main


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code = main(["validate", *argv, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def _errors(doc: dict) -> list[dict]:
    return [f for f in doc["findings"] if f["severity"] == "error"]


def test_lushaer_2024_reports_each_known_problem_at_its_place(corpus: Path, capsys) -> None:
    code, doc = _json(capsys, str(corpus / "lushaer_2024.txt"))
    assert code == 1
    assert doc["report"]["year"] == 2024
    assert doc["report"]["body_type"] == "township"
    errors = _errors(doc)
    by_rule: dict[str, list[dict]] = {}
    for f in errors:
        by_rule.setdefault(f["rule"], []).append(f)
    # 2019 试行 table labels in a 2024 report
    assert by_rule["A5"], "A5 must fire"
    a1 = {(f["where"]["table"], f["where"]["row"], f["where"]["column"]) for f in by_rule["A1"]}
    # the missing 表二 rows (only 规章 arrived)
    assert ("t2", "normative", None) in a1
    # the missing 一、本年新收 row of 表三
    assert ("t3", "new", None) in a1
    # the blank 行政复议 row of 表四: one finding for the row, not one per cell (issue #14 class 7)
    assert ("t4", "review", None) in a1
    # section 三's title is missing
    assert any(f["where"]["section"] == 3 for f in by_rule["G1"])
    # no 信息处理费 statement in 六
    assert any(f["where"]["section"] == 6 for f in by_rule["G4"])
    # a lawsuit while no requests were received (warning in the catalog; present either way)
    assert any(f["rule"] == "C4" for f in doc["findings"])
    # no false error: every error belongs to one of the known problems
    assert {f["rule"] for f in errors} <= {"A5", "A1", "G1", "G4"}, sorted({f["rule"] for f in errors})
    for f in doc["findings"]:
        assert set(f) >= {"rule", "severity", "message", "where", "expected", "actual"}


def test_lushaer_text_output_is_grouped_by_section_in_chinese(corpus: Path, capsys) -> None:
    code = main(["validate", str(corpus / "lushaer_2024.txt")])
    out = capsys.readouterr().out
    assert code == 1
    assert "鲁沙尔镇人民政府" in out
    assert "【二、主动公开政府信息情况】" in out
    assert "【四、政府信息公开行政复议、行政诉讼情况】" in out
    assert "错误" in out and "警告" in out


@pytest.mark.parametrize("name", ["pingtan_2021.txt", "pingtan_2022.txt", "pingtan_2021.docx"])
def test_pingtan_reports_have_no_error(corpus: Path, capsys, name: str) -> None:
    code, doc = _json(capsys, str(corpus / name))
    assert _errors(doc) == [], _errors(doc)
    assert code == 0


def test_cross_year_checks_run_with_previous(corpus: Path, capsys) -> None:
    code, doc = _json(
        capsys, str(corpus / "pingtan_2022.txt"), "--previous", str(corpus / "pingtan_2021.txt")
    )
    assert code == 0
    assessed_out = {n["rule"] for n in doc["not_assessed"]}
    assert "E1" not in assessed_out and "D1" not in assessed_out
    assert not [f for f in doc["findings"] if f["rule"] in {"E1", "D1"}]


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "空"), (b"\x00\x01\x02\xff\xfe" * 100, ""), ("今天天气很好。".encode(), "")],
    ids=["empty", "binary", "not-a-report"],
)
def test_unreadable_input_exits_2_with_a_message(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "input.txt"
    path.write_bytes(content)
    proc = subprocess.run(
        [sys.executable, "-m", "workflow.cli", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "无法读取报告" in proc.stderr and message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_oversized_file_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as fh:
        fh.truncate(21 * 1024 * 1024)
    proc = subprocess.run(
        [sys.executable, "-m", "workflow.cli", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "20 MB" in proc.stderr


def test_missing_file_exits_2(tmp_path: Path) -> None:
    assert main(["validate", str(tmp_path / "nope.txt")]) == 2

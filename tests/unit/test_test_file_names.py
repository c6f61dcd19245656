"""pytest imports test modules by their base name (the test folders are not packages): two test files
with one name in different folders stop the whole run at collection ("import file mismatch")."""

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_every_test_file_name_is_unique() -> None:
    # A folder with __init__.py is a package: its modules are imported under the package's name.
    names = Counter(p.name for p in TESTS.rglob("test_*.py") if not (p.parent / "__init__.py").exists())
    assert [n for n, count in names.items() if count > 1] == []

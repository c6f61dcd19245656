"""Compile the rule engine and the report model to C extensions with mypyc (`make native`).

Validate-only must check thousands of reports a second on one core (bench/validate.py); compiled,
the same Python source runs about 1.5 times faster.  The .py files stay the source of truth: the
extensions are built next to them (git ignores them), and `native-manifest.json` records the hash
of every source they were built from, so a stale build is caught (tests/conftest.py) instead of
silently running old rules.  Without a C compiler the build is skipped and everything runs as
plain Python.

    python scripts/build_native.py            build (only when a source changed)
    python scripts/build_native.py --check    exit 1 when the build is missing or stale
    python scripts/build_native.py --clean    remove the extensions (back to plain Python)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
BUILD = ROOT / "build" / "native"
MANIFEST = SRC / "workflow" / "native-manifest.json"
GROUP = "workflow.native"  # the shared library lands in the package: workflow/native__mypyc*.so

# The hot path of validation: the model it reads and every rule module; and the text importer's
# block walk (not the .docx/HTML readers, which spend their time in lxml).
MODULES = [
    "workflow/domain/formats.py",
    "workflow/domain/model.py",
    *(
        f"workflow/importers/{m}.py"
        for m in ("assemble", "finish", "grid", "header", "labels", "text", "types")
    ),
    *sorted(
        str(p.relative_to(SRC)) for p in (SRC / "workflow" / "rules").glob("*.py") if p.name != "__init__.py"
    ),
]


def source_hashes() -> dict[str, str]:
    return {m: hashlib.sha256((SRC / m).read_bytes()).hexdigest() for m in MODULES}


def built_extensions() -> list[Path]:
    return sorted((SRC / "workflow").rglob("*.so"))


def status() -> str:
    """'fresh', 'absent' (plain Python) or 'stale' (extensions built from other sources)."""
    if not MANIFEST.exists():
        return "stale" if built_extensions() else "absent"
    recorded = json.loads(MANIFEST.read_text(encoding="utf-8")).get("sources", {})
    return "fresh" if recorded == source_hashes() else "stale"


def clean() -> None:
    for so in built_extensions():
        so.unlink()
    MANIFEST.unlink(missing_ok=True)
    shutil.rmtree(BUILD, ignore_errors=True)


def build() -> int:
    if status() == "fresh":
        print("native: compiled rule engine is up to date")
        return 0
    if shutil.which(os.environ.get("CC", "cc")) is None:
        print("native: no C compiler; the rule engine runs as plain Python (slower)", file=sys.stderr)
        clean()
        return 0
    clean()
    from mypyc.build import mypycify  # the dev extra installs mypy, which ships mypyc
    from setuptools import setup

    print(f"native: compiling {len(MODULES)} modules with mypyc (about a minute)…")
    cwd = Path.cwd()
    os.chdir(SRC)  # mypyc derives module names from paths relative to here
    try:
        setup(
            name="workflow-native",
            ext_modules=mypycify(
                [f"--cache-dir={BUILD / 'mypy-cache'}", *MODULES],
                group_name=GROUP,
                target_dir=str(BUILD / "c"),
            ),
            script_args=[
                "-q",
                "build_ext",
                "--inplace",
                "--build-temp",
                str(BUILD / "tmp"),
                "--build-lib",
                str(BUILD / "lib"),
            ],
        )
    finally:
        os.chdir(cwd)
    MANIFEST.write_text(json.dumps({"sources": source_hashes()}, indent=1) + "\n", encoding="utf-8")
    print(f"native: built {len(built_extensions())} extensions")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 when the build is stale")
    ap.add_argument("--clean", action="store_true", help="remove the compiled extensions")
    args = ap.parse_args()
    if args.clean:
        clean()
        return 0
    if args.check:
        got = status()
        print(f"native: {got}")
        return 1 if got == "stale" else 0
    return build()


if __name__ == "__main__":
    sys.exit(main())

# One Makefile for people and CI.  `make run` starts everything; `make test` runs the suite.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck unit integration bench clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (Python >= 3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@bash scripts/system-deps.sh
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/workflow run

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check src tests workers bench

typecheck: install
	$(BIN)/mypy

test: install lint typecheck
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

unit: install
	$(BIN)/python -m pytest -q tests/unit

bench: install
	$(BIN)/python bench/validate.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

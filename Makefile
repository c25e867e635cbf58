# Two commands on a fresh machine:  make run   (the main job)   and   make test   (the test suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 600
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export PYTHONUNBUFFERED := 1

.PHONY: run test test-fast pytest lint bench accuracy serve docs clean

$(STAMP): pyproject.toml scripts/ensure-java.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	./scripts/ensure-java.sh
	touch $(STAMP)

## the main job, offline: replay server on 127.0.0.1 + the ad-hoc flow → outputs/*.xlsx
run: $(STAMP)
	$(BIN)/python -m flows run --replay

## test workers (pytest-xdist): two for two cores; PYTEST_WORKERS=0 runs the suite in one process.
## worksteal: a worker that runs out of tests takes the other's, so a long test does not end the run alone
PYTEST_WORKERS ?= 2
PYTEST := $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal

## lint, type-check and the whole test suite (what .ci/run calls)
test: $(STAMP) lint
	$(PYTEST)

pytest: $(STAMP)
	$(PYTEST)

## the quick lane while working: everything but the slow, Prefect and Java tests (CI runs them all)
test-fast: $(STAMP)
	$(PYTEST) -q -m "not slow and not prefect and not java"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy core scrapers extractors llm run flows replay report

bench: $(STAMP)
	$(BIN)/python benchmarks/extract_bench.py

## patent rows and competitor names against the hand-read answer keys in benchmarks/keys
accuracy: $(STAMP)
	$(BIN)/python benchmarks/accuracy.py

## the documentation site (docs/ → site/), strict: a broken link or a page missing from the nav fails
docs: $(STAMP)
	$(BIN)/python scripts/gen_config_docs.py --check
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

## daily runs: a local Prefect server (UI on http://127.0.0.1:4200, scheduler, SQLite under PREFECT_HOME)
## unless PREFECT_API_URL is set, and the daily cron PP_DAILY_CRON; Ctrl-C stops both (docs/operations.md)
serve: $(STAMP)
	$(BIN)/python -m flows serve

clean:
	rm -rf $(VENV) data site .pytest_cache .mypy_cache .ruff_cache

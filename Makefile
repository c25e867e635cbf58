# Two commands on a fresh machine:  make run   (the main job)   and   make test   (the test suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 600
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export PYTHONUNBUFFERED := 1

.PHONY: run test pytest lint bench accuracy serve clean

$(STAMP): pyproject.toml scripts/ensure-java.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	./scripts/ensure-java.sh
	touch $(STAMP)

## the main job, offline: replay server on 127.0.0.1 + the ad-hoc flow → outputs/*.xlsx
run: $(STAMP)
	$(BIN)/python -m flows run --replay

## lint, type-check and the whole test suite (what .ci/run calls)
test: $(STAMP) lint
	$(BIN)/python -m pytest

pytest: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy core scrapers extractors llm flows replay report

bench: $(STAMP)
	$(BIN)/python benchmarks/extract_bench.py

## patent rows and competitor names against the hand-read answer keys in benchmarks/keys
accuracy: $(STAMP)
	$(BIN)/python benchmarks/accuracy.py

## daily runs: a local Prefect server (UI on http://127.0.0.1:4200, scheduler, SQLite under PREFECT_HOME)
## unless PREFECT_API_URL is set, and the daily cron PP_DAILY_CRON; Ctrl-C stops both (docs/operations.md)
serve: $(STAMP)
	$(BIN)/python -m flows serve

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache

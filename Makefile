# Community Pulse: every task a developer or CI runs.
# `make demo` and `make test` install what they need on a fresh Debian/Ubuntu machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT ?= out

.PHONY: help install browser demo test test-unit check lint fmt typecheck cfn serve bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[render,dev]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv with the project and its CLI (.venv/bin/pulse)

browser: ## Install Chromium (Debian package) when no Chrome/Chromium is found
	@bash scripts/ensure-chromium.sh

demo: install browser ## Generate every demo brand's report into ./out (archive + outbox)
	$(BIN)/pulse demo --out $(OUT)

test: install browser ## Run the whole test suite
	$(BIN)/pytest -q

test-unit: install ## Run only the fast unit tests
	$(BIN)/pytest -q tests/unit

lint: install ## ruff lint + format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: install ## Format the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install ## mypy (strict) on the project's code
	$(BIN)/mypy

cfn: install ## cfn-lint on the SAM template
	$(BIN)/cfn-lint template.yaml

check: lint typecheck cfn ## What reviewers run: lint, types, cfn-lint

serve: install browser ## Run the HTTP API locally on http://127.0.0.1:8080
	$(BIN)/pulse serve --port 8080

bench: install ## Benchmarks (KPIs vs DuckDB, report generation)
	$(BIN)/python -m benchmarks.run

clean: ## Remove generated output
	rm -rf $(OUT) .pytest_cache .mypy_cache .ruff_cache

# Used by `sam build` (BuildMethod: makefile) to build the core layer from the same pins.
build-CoreLayer:
	$(PYTHON) -m pip install --quiet --target "$(ARTIFACTS_DIR)/python" .

# Community Pulse: every task a developer or CI runs.
# `make demo` and `make test` install what they need on a fresh Debian/Ubuntu machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT ?= out

IMAGE ?= community-pulse:local
SAM_VENV := .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed
# aws-sam-cli pins its own boto3 and jinja2 ranges: it lives in its own virtual environment.
SAM_CLI_VERSION ?= 1.170.0
RIE = $(firstword $(wildcard $(SAM_VENV)/lib/python3*/site-packages/samcli/local/rapid/aws-lambda-rie-x86_64))

.PHONY: help install browser demo test test-unit check lint fmt typecheck cfn sam sam-validate image image-test serve bench clean

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

$(SAM_STAMP):
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/pip install --quiet 'aws-sam-cli==$(SAM_CLI_VERSION)'
	touch $(SAM_STAMP)

sam: $(SAM_STAMP) ## Install the SAM CLI (and the Lambda emulator it ships) in .venv-sam

sam-validate: sam ## sam validate --lint (offline)
	SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=eu-west-3 $(SAM_VENV)/bin/sam validate --lint --template template.yaml

image: ## Build the Lambda image (tag $(IMAGE)); builds a Debian base when no registry answers
	IMAGE=$(IMAGE) nice bash scripts/build-image.sh

image-test: install sam ## Run every function in the built image through the Lambda emulator, against moto
	@bash scripts/ensure-docker.sh
	@docker image inspect $(IMAGE) >/dev/null 2>&1 || { echo "no image $(IMAGE): run make image first"; exit 1; }
	PULSE_IMAGE_UNDER_TEST=$(IMAGE) PULSE_RIE=$(abspath $(RIE)) $(BIN)/pytest -q tests/image -p no:cacheprovider

serve: install browser ## Run the HTTP API locally on http://127.0.0.1:8080
	$(BIN)/pulse serve --port 8080

bench: install ## Benchmarks (KPIs vs DuckDB, report generation)
	$(BIN)/python -m benchmarks.run

clean: ## Remove generated output
	rm -rf $(OUT) .pytest_cache .mypy_cache .ruff_cache

# Used by `sam build` (BuildMethod: makefile) to build the core layer from the same pins.
build-CoreLayer:
	$(PYTHON) -m pip install --quiet --target "$(ARTIFACTS_DIR)/python" .

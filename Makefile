# Caveat — `make help` lists the targets.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
DEMO_DIR ?= var/demo

.DEFAULT_GOAL := help
.PHONY: help install browser demo serve test test-postgres lint format bench clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(BIN)/caveat: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(BIN)/caveat ## Create .venv with Caveat and its development tools

demo: install ## Run a demo node with a multinational scenario at http://127.0.0.1:8000
	$(BIN)/caveat --data-dir $(DEMO_DIR) demo

serve: install ## Serve the node in $$CAVEAT_DATA_DIR (default var/caveat)
	$(BIN)/caveat serve

browser: ## Make sure Debian's Chromium is there for the browser tests (installs it if not)
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

test: install browser ## Run the tests (SQLite; PostgreSQL too when CAVEAT_TEST_DATABASE_URL is set)
	$(BIN)/pytest -q

test-postgres: install browser ## Run the tests on the local PostgreSQL
	CAVEAT_TEST_DATABASE_URL=$${CAVEAT_TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} $(BIN)/pytest -q

lint: install ## Ruff, mypy (strict) and the import contracts
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install ## Format and autofix
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: install ## Run the benchmarks (installs wrk) and write benchmarks/results/*.json
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	CAVEAT_BENCH_POSTGRES_URL=$${CAVEAT_BENCH_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres} \
		$(BIN)/python -m benchmarks.run

clean: ## Remove the virtualenv, caches and local data
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache var build *.egg-info src/*.egg-info

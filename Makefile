# Caveat — `make help` lists the targets.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
DEMO_DIR ?= var/demo
FEDERATION_DIR ?= var/demo-federation
FEDERATION_PORT ?= 8443
LOCK    = requirements/lock.txt

.DEFAULT_GOAL := help
.PHONY: help install lock audit dist wheel-smoke browser demo demo-federation serve test test-postgres lint format errors-doc bench mutate clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# Exactly the locked, hash-checked set (never an upgrade), then Caveat itself on top. pip
# installs uv alone from the lock (its hashes checked), and uv the whole set: about 10 s
# where pip took over 3 minutes. `uv pip sync` also removes what the lock does not list,
# and compiles the bytecode once (every test process would otherwise compile its imports).
$(BIN)/caveat: pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	sed -n '/^uv==/,/[^\\]$$/p' $(LOCK) >$(VENV)/uv-requirement.txt
	$(BIN)/python -m pip install --quiet --require-hashes -r $(VENV)/uv-requirement.txt
	$(BIN)/uv pip sync --quiet --require-hashes --compile-bytecode --python $(BIN)/python $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@$(BIN)/python -m pip check >/dev/null || { $(BIN)/python -m pip check; \
		echo "pyproject.toml needs something $(LOCK) lacks: run 'make lock'"; exit 1; }
	@touch $@

install: $(BIN)/caveat ## Create .venv with Caveat and its development tools, as locked

lock: ## Re-resolve requirements/*.txt from pyproject.toml (keeps pins; UPGRADE=1 takes the newest)
	@test -x $(BIN)/uv || { $(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install --quiet uv; }
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --quiet \
		--python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
		--custom-compile-command "make lock" $(if $(UPGRADE),--upgrade) -o $(LOCK)
	$(BIN)/uv pip compile pyproject.toml --generate-hashes --quiet --constraint $(LOCK) \
		--python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
		--custom-compile-command "make lock" -o requirements/runtime.txt

audit: install ## Known vulnerabilities in the locked set (pip-audit; requirements/audit-ignore.txt)
	$(BIN)/python .ci/audit.py

dist: install ## Build the sdist and wheel into dist/, each wheel with its CycloneDX SBOM
	.ci/dist

wheel-smoke: dist ## Install the wheel in a clean virtualenv elsewhere and smoke-test it
	.ci/wheel-smoke

demo: install ## Run a demo node with a multinational scenario at http://127.0.0.1:8000
	$(BIN)/caveat --data-dir $(DEMO_DIR) demo

demo-federation: install ## Three peered demo nodes (USA, GBR, FRA) at https://127.0.0.1:8443-8445
	$(BIN)/caveat --data-dir $(FEDERATION_DIR) demo --federation --base-port $(FEDERATION_PORT)

serve: install ## Serve the node in $$CAVEAT_DATA_DIR (default var/caveat)
	$(BIN)/caveat serve

AXE = tests/web/axe/node_modules/axe-core/axe.min.js

browser: $(AXE) ## Make sure Debian's Chromium is there for the browser tests (installs it if not), and axe-core
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# axe-core for the accessibility test, exactly as locked (integrity-checked) by npm.
$(AXE): tests/web/axe/package-lock.json
	@command -v npm >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm)
	npm ci --prefix tests/web/axe --no-audit --no-fund --silent
	@touch $@

# Every core (a file's tests stay on one worker, so its module fixtures are built once),
# in a new random order each run (pytest-randomly prints the seed: -p randomly
# --randomly-seed=N repeats it; PYTEST_ARGS="-p no:randomly" keeps file order).
PYTEST = $(BIN)/pytest -q -n auto --dist loadfile $(PYTEST_ARGS)

test: install browser ## Run the tests (SQLite; PostgreSQL too when CAVEAT_TEST_DATABASE_URL is set)
	$(PYTEST)

test-postgres: install browser ## Run the tests on the local PostgreSQL
	CAVEAT_TEST_DATABASE_URL=$${CAVEAT_TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} $(PYTEST)

mutate: install ## Mutation testing of the domain core (ONLY="caveat.domain.ledger*" for one package; docs/testing.md)
	# Tests that start `python -m caveat` must import the mutated tree, not src/.
	CAVEAT_HYPOTHESIS_PROFILE=mutation PYTHONPATH=$(CURDIR)/mutants/src $(BIN)/mutmut run --max-children $${MUTMUT_CHILDREN:-2} $(ONLY)
	$(BIN)/python .ci/mutation_report.py

lint: install ## Ruff, mypy (strict) and the import contracts
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install ## Format and autofix
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

errors-doc: install ## Regenerate docs/errors.md from the error catalogue
	$(BIN)/python scripts/error_docs.py

bench: install ## Run the benchmarks (installs wrk) and write benchmarks/results/*.json
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	CAVEAT_BENCH_POSTGRES_URL=$${CAVEAT_BENCH_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres} \
		$(BIN)/python -m benchmarks.run

clean: ## Remove the virtualenv, caches and local data
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache var build dist *.egg-info src/*.egg-info tests/web/axe/node_modules

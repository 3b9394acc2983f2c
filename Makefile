# The two commands of the README: `make run` starts the system, `make test` checks it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PACKAGES := workflows activities api database temporal_connection terminal worker.py stack.py demo.py cli.py
# The API tests run a second time on PostgreSQL (trust auth on 127.0.0.1, as in CI).
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: install run demo test lint typecheck pytest bench-business-hours bench-api clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy --strict $(PACKAGES)

pytest: $(STAMP)
	$(BIN)/pytest -q
	SLA_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -q tests/api tests/activities/test_handlers.py

test: lint typecheck pytest

run: $(STAMP)
	$(BIN)/python stack.py

demo: $(STAMP)
	$(BIN)/python -m demo run

bench-business-hours: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,benchmark]'
	$(BIN)/python benchmarks/business_hours.py

bench-api: $(STAMP)
	$(BIN)/python benchmarks/api.py

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache .hypothesis

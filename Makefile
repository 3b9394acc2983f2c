# The two commands of the README: `make run` starts the system, `make test` checks it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PACKAGES := workflows activities api worker.py

.PHONY: install run test lint typecheck pytest bench-business-hours clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy --strict $(PACKAGES)

pytest: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck pytest

run: $(STAMP)
	$(BIN)/python -m worker --dev-server

bench-business-hours: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,benchmark]'
	$(BIN)/python benchmarks/business_hours.py

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache .hypothesis

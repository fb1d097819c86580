# Carepath: `make serve` and `make test` work on a fresh clone.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install serve worker test lint format typecheck bench schema demo clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (Python 3.11+) on PATH"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

serve: install
	$(BIN)/carepath serve

worker: install
	$(BIN)/carepath worker

demo: install
	$(BIN)/carepath demo

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

.typecheck/carepath:
	mkdir -p .typecheck && ln -sfn ../src .typecheck/carepath

typecheck: install .typecheck/carepath
	$(BIN)/mypy -p carepath

lint: install .typecheck/carepath
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy -p carepath

format: install
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

schema: install
	$(BIN)/carepath export-schema --output schema.graphql

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .typecheck .mypy_cache .ruff_cache .pytest_cache

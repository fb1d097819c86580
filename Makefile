# Carepath: `make serve` and `make test` work on a fresh clone.
# Any Python 3.11+ on PATH: the first of these names that runs and is new enough.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && { echo $$p; break; }; \
	done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes --quiet

.PHONY: install serve worker test lint format typecheck bench schema demo lock client clean

# The locked tree (hashes checked), then Carepath itself, editable, without resolving again.
$(STAMP): pyproject.toml requirements-dev.lock
	@test -n "$(PYTHON)" || { echo "need Python 3.11+ on PATH (python3.13, python3.12, python3.11 or python3)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# Re-resolve after changing pyproject.toml's dependencies: runtime (Docker) and dev trees.
lock: install
	$(BIN)/uv pip compile pyproject.toml $(LOCK_FLAGS) -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev $(LOCK_FLAGS) -o requirements-dev.lock
	$(BIN)/uv pip compile examples/python_client/codegen.in $(LOCK_FLAGS) \
		-o examples/python_client/codegen.lock

serve: install
	$(BIN)/carepath serve

worker: install
	$(BIN)/carepath worker

demo: install
	$(BIN)/carepath demo

# One pytest worker per core (pytest-xdist); each has its own database and SMTP server.
PYTEST_WORKERS ?= auto
test: install
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

.typecheck/carepath:
	mkdir -p .typecheck && ln -sfn ../src .typecheck/carepath

typecheck: install .typecheck/carepath
	$(BIN)/mypy -p carepath

lint: install .typecheck/carepath
	$(BIN)/ruff check src tests scripts examples setup.py
	$(BIN)/ruff format --check src tests scripts examples setup.py
	$(BIN)/mypy -p carepath

format: install
	$(BIN)/ruff format src tests scripts examples setup.py
	$(BIN)/ruff check --fix src tests scripts examples setup.py

schema: install
	$(BIN)/carepath export-schema --output schema.graphql

# The example's typed client, generated again from schema.graphql by ariadne-codegen in a
# venv of its own (it needs graphql-core < 3.3, Carepath 3.3).
client: install
	$(BIN)/python examples/python_client/generate.py

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .venv-codegen .typecheck .mypy_cache .ruff_cache .pytest_cache

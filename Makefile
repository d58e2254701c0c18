# Two entry points: `make run` (whole pipeline on the bundled data) and `make test`.
# Both set up everything first, from the project's own files (pyproject.toml + uv.lock).
SHELL := /bin/bash
PYTHON ?= python3
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
STAMP := $(VENV)/.installed
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy

.PHONY: setup run test lint clean airflow bench breaks mutation

setup: $(STAMP)

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==0.13.9"

$(STAMP): $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/tariff-etl run

# Random order (pytest-randomly prints the seed; replay one with --randomly-seed=N)
# on every core, a test file per worker (module fixtures are built once).
test: $(STAMP)
	$(VENV)/bin/pytest -n auto --dist loadfile

# Each deliberate break of tests/breaks/ re-applied in a temp copy: its tests must fail (~10 min).
breaks: $(STAMP)
	$(VENV)/bin/python -m tests.breaks.run

# Mutation testing of the modules that decide published numbers and safety (slow; see docs/mutation/).
mutation: $(STAMP)
	$(VENV)/bin/python bench/mutation.py

airflow: $(STAMP)
	$(VENV)/bin/tariff-etl airflow

lint: $(STAMP)
	$(VENV)/bin/ruff check etl expectations dags tests bench
	$(VENV)/bin/ruff format --check etl expectations dags tests bench
	$(VENV)/bin/sqlfluff lint sql
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) $(TOOLS) warehouse

# The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/roundtable
HOST_PORT ?= 127.0.0.1:8000

.PHONY: install install-dev run test test-pg lint format bench mutation lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Exact versions from the lock files, then the project itself without touching them.
$(VENV)/.installed: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24.2"
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo
	@echo "Roundtable runs at http://$(HOST_PORT)/admin/ (Ctrl-C stops it)."
	$(BIN)/python manage.py runserver $(HOST_PORT)

test: install-dev
	$(BIN)/pytest

test-pg: install-dev
	DATABASE_URL=$(PG_URL) $(BIN)/pytest

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install-dev
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} $(BIN)/python -m benchmarks

# Mutation testing of the financial maths, each module against its own tests (slow, not in CI).
mutation: install-dev
	$(BIN)/python -m mutation $(MODULES)

# Re-resolve the lock files after changing the ranges in pyproject.toml.
lock: install-dev
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links \
		-o requirements.txt pyproject.toml
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links \
		--extra dev -o requirements-dev.txt pyproject.toml

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles

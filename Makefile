# make run  - the whole platform on this machine (web, worker, beat), nothing external needed
# make test - lint, migration check and the test suite (SQLite + filesystem broker)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# CI's second pass: the same suite against PostgreSQL and Redis on loopback.
SERVICES_ENV := DATABASE_URL=postgres://postgres@127.0.0.1:5432/fleet_ci \
	CELERY_BROKER_URL=redis://127.0.0.1:6379/13 CACHE_URL=redis://127.0.0.1:6379/14

.PHONY: run test test-services test-faults bench lint format lock clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.base-installed: requirements/base.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/base.txt
	touch $@

$(VENV)/.dev-installed: requirements/base.txt requirements/dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/base.txt -r requirements/dev.txt
	touch $@ $(VENV)/.base-installed

run: $(VENV)/.base-installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py register_periodic_tasks
	$(BIN)/python manage.py bootstrap_admin
	$(BIN)/python manage.py register_sandbox_account
	$(BIN)/honcho start -f Procfile

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=tests.settings
	$(BIN)/pytest -m "not services"

test-services: $(VENV)/.dev-installed
	$(SERVICES_ENV) $(BIN)/python -m tests.services_reachable
	$(SERVICES_ENV) $(BIN)/pytest

# The fault-injection suite alone (it is also part of test-services): docs/reliability.md.
test-faults: $(VENV)/.dev-installed
	$(SERVICES_ENV) $(BIN)/python -m tests.services_reachable
	$(SERVICES_ENV) $(BIN)/pytest -m faults -v

# Figures for the configured database (DATABASE_URL; SQLite by default), in a database of their own.
bench: $(VENV)/.dev-installed
	$(BIN)/python -m tests.benchmarks.run

format: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lock: $(VENV)/.dev-installed
	$(BIN)/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links --allow-unsafe --no-header requirements/base.in -o requirements/base.txt
	$(BIN)/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links --allow-unsafe --no-header requirements/dev.in -o requirements/dev.txt

clean:
	rm -rf var/test .pytest_cache .ruff_cache

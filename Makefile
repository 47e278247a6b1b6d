# partyreg: `make run` serves the embedded site with demo data, `make test` lints and tests.
# Everything runs from .venv, which `uv sync --frozen` keeps equal to uv.lock.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv must use the machine's Python 3.11, never download one of its own.
export UV_PYTHON_DOWNLOADS ?= never
PYTHON_VERSION := 3.11
UV := $(or $(shell command -v uv 2>/dev/null),$(HOME)/.local/bin/uv)
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
# Extra pytest arguments, e.g. `make test PYTEST_ARGS="tests/members -x"`.
PYTEST_ARGS ?=
# No single test may hang CI: pytest-timeout fails it after this many seconds.
PYTEST_TIMEOUT ?= 300

.PHONY: help run test pytest lint bench load messages compilemessages worker beat clean venv \
	venv-dev system-packages test-system-packages e2e-tools

# Debian packages: what the site needs to run (WeasyPrint's libraries, HarfBuzz's subsetter,
# without which PDFs render 2.5 times slower), and what the tests need beside them (pdftotext
# and pdftoppm, Chromium for the browser tests, fonts for screenshots).
RUNTIME_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
# pdfsig (poppler-utils), softhsm2 and certutil (libnss3-tools) serve the signing tests.
TEST_PACKAGES := $(RUNTIME_PACKAGES) poppler-utils chromium fonts-liberation2 gettext softhsm2 \
	libnss3-tools

help:
	@echo "make run              install, migrate, load the demo data, serve http://$(HOST):$(PORT)"
	@echo "make test             make lint, then the whole test suite (make pytest: the suite only)"
	@echo "make lint             ruff check, ruff format --check, lint-imports, makemigrations --check"
	@echo "make bench            run the benchmarks (bench/; BENCH=pages for one)"
	@echo "make load             load test: 50 users for 60 s on gunicorn + PostgreSQL + Redis"
	@echo "make messages         extract strings to locale/vi/LC_MESSAGES/django.po (needs gettext)"
	@echo "make compilemessages  compile locale/**/*.po to .mo (polib, no gettext needed)"
	@echo "make worker | beat    Celery worker / scheduler (needs REDIS_URL)"
	@echo "make clean            remove caches, compiled catalogues and collected static files"

$(UV):
	@echo "uv not found: installing it with pip for this user"
	@# Debian's own Python refuses --user installs (PEP 668) unless told it may.
	python3 -m pip install --user --quiet uv 2>/dev/null \
		|| python3 -m pip install --user --quiet --break-system-packages uv

# The site's environment leaves the dev group (tests, lint, load tools) out; --inexact keeps
# what `make test` installed, so switching between the two does not reinstall anything.
venv: | $(UV)
	$(UV) sync --frozen --no-dev --inexact --python $(PYTHON_VERSION)

venv-dev: | $(UV)
	$(UV) sync --frozen --python $(PYTHON_VERSION)

# Missing Debian packages are installed when run as root (apt-get), else named in the one
# `apt install` line to run; on a machine without dpkg nothing is checked here.
system-packages:
	@.ci/system-packages $(RUNTIME_PACKAGES)

test-system-packages:
	@.ci/system-packages $(TEST_PACKAGES)

# axe-core (accessibility rules), which the browser tests inject into pages: from the npm
# registry, pinned by tests/e2e/package-lock.json. Without npm the axe test skips (fails in CI).
e2e-tools:
	@if [ ! -f tests/e2e/node_modules/axe-core/axe.min.js ]; then \
		if command -v npm >/dev/null; then npm ci --prefix tests/e2e --no-audit --no-fund; \
		else echo "npm not found: the accessibility test will skip (apt install npm)"; fi; \
	fi

compilemessages: venv
	$(MANAGE) compile_translations

run: system-packages compilemessages
	@# The partyreg checks only: the full check loads the URLs, which import WeasyPrint.
	$(MANAGE) check --tag partyreg --fail-level ERROR
	$(MANAGE) migrate --no-input
	$(MANAGE) load_demo
	PARTYREG_SITE_URL=$${PARTYREG_SITE_URL:-http://$(HOST):$(PORT)} $(MANAGE) runserver $(HOST):$(PORT)

test: lint pytest

# The suite alone; `make -k test` (as CI runs it) still runs it when the lint fails.
pytest: test-system-packages venv-dev compilemessages e2e-tools
	$(PY) -m pytest --timeout=$(PYTEST_TIMEOUT) $(PYTEST_ARGS)

# All three run, so one report shows every problem; any failure fails the target.
lint: venv-dev
	@status=0; \
	for command in "$(VENV)/bin/ruff check ." "$(VENV)/bin/ruff format --check ." \
			"$(VENV)/bin/lint-imports" "$(MANAGE) makemigrations --check --dry-run"; do \
		echo "$$command"; $$command || status=1; \
	done; \
	exit $$status

# One benchmark or a few: `make bench BENCH=pages`, `make bench BENCH="pages national"`.
BENCH ?=
bench: venv-dev compilemessages
	$(PY) -m bench $(BENCH)

# Not part of `make test`: it takes about two minutes. Needs PostgreSQL and Redis on 127.0.0.1
# (DATABASE_URL, REDIS_URL; defaults in bench/load.py). LOAD_ARGS="--users 5 --seconds 5".
LOAD_ARGS ?=
load: venv-dev compilemessages
	$(PY) -m bench.load $(LOAD_ARGS)

messages: venv
	@command -v xgettext >/dev/null || { echo "makemessages needs gettext: apt install gettext"; exit 1; }
	$(MANAGE) makemessages -l vi --no-obsolete --ignore=var --ignore=tests --ignore=bench

worker: compilemessages
	@test -n "$$REDIS_URL" || { echo "Set REDIS_URL, e.g. REDIS_URL=redis://127.0.0.1:6379/0"; exit 1; }
	$(VENV)/bin/celery -A partyreg worker -Q default,printing --loglevel INFO

beat: venv
	@test -n "$$REDIS_URL" || { echo "Set REDIS_URL, e.g. REDIS_URL=redis://127.0.0.1:6379/0"; exit 1; }
	mkdir -p var
	$(VENV)/bin/celery -A partyreg beat --loglevel INFO --schedule var/celerybeat-schedule

clean:
	rm -rf .pytest_cache .ruff_cache var/staticfiles
	find . -path ./.venv -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
	find locale -name '*.mo' -delete

# Twofold development tasks; `make help` lists them. docs/development.md explains the legs.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
SERVICES_ENV := $(VENV)/services.env
LEGS ?= sqlite postgresql
PYTEST_ARGS ?=
BENCH_ARGS ?=
BENCH ?= mfa_otp
# BENCH=webauthn runs bench/webauthn_http.py: a bench/webauthn.py would shadow the py_webauthn
# package for every script there (a script's own directory comes first on the path).
BENCH_SCRIPT = $(if $(filter webauthn,$(BENCH)),webauthn_http,$(BENCH))
LINT_PATHS := src tests $(wildcard bench) $(wildcard examples)

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
.ONESHELL:
.PHONY: help install run lint format test services bench migration clean distclean

help:
	@echo "make run        install, then serve on the embedded database (initialises on first run)"
	@echo "make lint       ruff format check, ruff, mypy --strict, import-linter contracts"
	@echo "make test       lint, make sure PostgreSQL/Redis/Chromium are up, then pytest on each leg"
	@echo "                (LEGS=\"$(LEGS)\", PYTEST_ARGS=\"...\" passed to pytest)"
	@echo "make format     ruff format + ruff check --fix"
	@echo "make services   report (and start/install, if allowed) PostgreSQL, Redis, Chromium"
	@echo "make migration m=\"add x\"   write the next Alembic revision (autogenerate)"
	@echo "make bench      the MFA step under load, SQLite then PostgreSQL (BENCH_ARGS=\"...\");"
	@echo "                BENCH=oidc_code: the code and refresh grants and silent SSO instead"
	@echo "                BENCH=webauthn_verify: WebAuthn assertion verifications/s, in process"
	@echo "                BENCH=policy_decide: policy decisions/s with 50 rules, in process"
	@echo "                BENCH=policy_http: the password grant over HTTP with 0 and 50 rules"
	@echo "                BENCH=webauthn: the WebAuthn challenge and answer over HTTP"
	@echo "make clean      remove caches and build output (keeps .venv and var/)"
	@echo "make distclean  clean, and remove .venv"

# The virtual environment, reinstalled whenever pyproject.toml changes. `run` needs only the
# server's own dependencies (quicker on a fresh machine); `test` and `lint` add the dev tools.
$(RUN_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(RUN_STAMP)

install: $(STAMP)

run: $(RUN_STAMP)
	$(BIN)/twofold serve

lint: $(STAMP)
	@echo "== ruff format --check"; $(BIN)/ruff format --check $(LINT_PATHS)
	echo "== ruff check"; $(BIN)/ruff check $(LINT_PATHS)
	echo "== mypy --strict"; $(BIN)/mypy $(LINT_PATHS)
	echo "== import-linter"; $(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format $(LINT_PATHS)
	$(BIN)/ruff check --fix $(LINT_PATHS)

services:
	$(PYTHON) scripts/services ensure --env-file $(SERVICES_ENV)

# Each leg runs the whole suite on one database. Redis tests (marker `redis`) run when Redis
# answers, browser tests (marker `browser`) when Chromium is installed; otherwise they are
# deselected and reported, except under CI=true, where scripts/services has already failed
# the run.
test: lint services
	@set -a; source $(SERVICES_ENV); set +a
	ran=(); missed=(); failed=0; marks=(); without=()
	if [[ $$TWOFOLD_TEST_REDIS_UP != 1 ]]; then
	  without+=("not redis")
	  missed+=("redis tests, every leg: Redis $$TWOFOLD_TEST_REDIS_STATUS")
	fi
	if [[ $$TWOFOLD_TEST_BROWSER_UP != 1 ]]; then
	  without+=("not browser")
	  missed+=("browser tests, every leg: Chromium $$TWOFOLD_TEST_BROWSER_STATUS")
	fi
	if [[ $${#without[@]} -gt 0 ]]; then
	  expression=$$(printf ' and %s' "$${without[@]}"); marks=(-m "$${expression# and }")
	fi
	for leg in $(LEGS); do
	  if [[ $$leg == postgresql && $$TWOFOLD_TEST_PG_UP != 1 ]]; then
	    missed+=("postgresql leg: PostgreSQL $$TWOFOLD_TEST_PG_STATUS")
	    continue
	  fi
	  echo "== pytest: $$leg leg =="
	  if TWOFOLD_TEST_DATABASE=$$leg $(BIN)/pytest "$${marks[@]}" $(PYTEST_ARGS); then
	    ran+=("$$leg leg: passed")
	  else
	    ran+=("$$leg leg: FAILED"); failed=1
	  fi
	done
	if [[ $${CI:-} == true && $${#missed[@]} -gt 0 ]]; then failed=1; fi
	echo "== test legs =="
	for line in "$${ran[@]}"; do echo "ran:     $$line"; done
	for line in "$${missed[@]}"; do echo "NOT RUN: $$line"; done
	exit $$failed

bench: $(STAMP)
	$(BIN)/python bench/$(BENCH_SCRIPT).py $(BENCH_ARGS)

migration: $(STAMP)
	@if [[ -z "$(m)" ]]; then echo 'usage: make migration m="what it changes"'; exit 2; fi
	$(BIN)/python -m twofold.store.migrations "$(m)"

clean:
	rm -rf build dist src/*.egg-info .mypy_cache .ruff_cache .pytest_cache .import_linter_cache \
	  .hypothesis .coverage htmlcov
	find src tests $(wildcard bench) -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)

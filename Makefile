# Baton — see README.md. `make run` and `make test` are the two commands.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/baton_test
# The browser tests (tests/e2e) drive Debian's Chromium; Playwright never
# downloads a browser. See docs/e2e.md.
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test api-fuzz e2e chromium install translations lint migrate demo messages clean bench screenshots prod-check

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

install: $(BIN)/.installed

# .po catalogues are the source; .mo files are built, never committed.
translations: install
	DEBUG=1 $(BIN)/python manage.py compile_translations --verbosity 0

run: translations
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py seed_demo
	@echo
	@echo "Baton is starting on http://$(HOST):$(PORT)/"
	@echo "  Admin (HR, IT):     http://$(HOST):$(PORT)/admin/"
	@echo "  Participants:       http://$(HOST):$(PORT)/"
	@echo "  API docs:           http://$(HOST):$(PORT)/api/v1/docs/"
	@echo "  Health:             http://$(HOST):$(PORT)/healthz"
	@echo "  Demo logins (password baton-demo): hr, hrhead, it, manager, sales, dev, successor"
	@echo
	DEBUG=1 bash -c 'trap "kill 0" EXIT; \
		$(BIN)/python manage.py run_huey & \
		$(BIN)/python manage.py runserver $(HOST):$(PORT)'

# The layer contracts (pyproject.toml, docs/architecture.md) with the style.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache --no-logo

chromium:
	@test -x $(CHROMIUM) || { echo "Installing Debian's chromium for the browser tests"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

# The whole suite, browser tests (tests/e2e) included, and the API fuzz run:
# tests/test_api_fuzz.py drives schemathesis over /api/v1/schema/ with each demo
# role's token (bounded and derandomized; `make api-fuzz` runs it alone).
# Suites that share nothing with the rest (the connectors with their own
# servers and consumers, the browser, the fuzzer, the notification and
# certificate suites) run alongside it in two more pytest processes, each on a
# database and a var folder of its own: the suites wait on PostgreSQL and the
# browser often enough that three processes keep two cores busy. Their output
# follows the main run's.
ALONGSIDE = tests/connectors tests/test_api_fuzz.py \
	tests/intake tests/test_intake_admin.py tests/test_people_search.py
ALONGSIDE2 = tests/e2e tests/notifications tests/test_notifications.py \
	tests/test_certificate_issue.py tests/test_certificate_pdf.py \
	tests/test_demo_history.py tests/test_participant_pages.py \
	tests/test_participant_big_handover.py tests/test_participant_assignment.py \
	tests/test_template_designer.py tests/test_blocks_roundtrip.py \
	tests/test_blocks_schema.py tests/test_blocks_validation.py \
	tests/test_chinese_admin.py tests/test_chinese_everywhere.py \
	tests/sso tests/test_config_checks.py tests/test_chinese_papers.py
ALONGSIDE_VAR ?= $(or $(TMPDIR),/tmp)/baton-test-var-alongside

test: translations lint chromium
	DJANGO_SETTINGS_MODULE=config.settings_test $(BIN)/python manage.py check
	DJANGO_SETTINGS_MODULE=config.settings_test $(BIN)/python manage.py makemigrations --check --dry-run
	@db=$${DATABASE_URL:-$(TEST_DATABASE_URL)}; mkdir -p var; \
	DATABASE_URL=$${db}_side BATON_VAR_DIR=$(ALONGSIDE_VAR) BATON_E2E_CHROMIUM=$(CHROMIUM) \
		$(BIN)/pytest -p no:cacheprovider $(ALONGSIDE) > var/test-alongside.log 2>&1 & alongside=$$!; \
	DATABASE_URL=$${db}_side2 BATON_VAR_DIR=$(ALONGSIDE_VAR)2 BATON_E2E_CHROMIUM=$(CHROMIUM) \
		$(BIN)/pytest -p no:cacheprovider $(ALONGSIDE2) > var/test-alongside2.log 2>&1 & alongside2=$$!; \
	DATABASE_URL=$$db BATON_E2E_CHROMIUM=$(CHROMIUM) \
		$(BIN)/pytest $(addprefix --ignore=,$(ALONGSIDE) $(ALONGSIDE2)); main=$$?; \
	wait $$alongside; other=$$?; wait $$alongside2; other2=$$?; \
	echo; echo "==== run alongside: $(ALONGSIDE)"; cat var/test-alongside.log; \
	echo; echo "==== run alongside: $(ALONGSIDE2)"; cat var/test-alongside2.log; \
	exit $$(( main || other || other2 ))

# The production stack of docs/deploy.md on this machine: gunicorn
# (deploy/gunicorn.conf.py, several workers), two huey consumers on Redis, nginx
# (deploy/nginx/baton.conf, TLS), PostgreSQL, DEBUG=0 and a clean `check
# --deploy`; a handover played through it over HTTPS, then everything stopped
# and the throwaway database dropped. Needs nginx, and PostgreSQL and Redis on
# 127.0.0.1 (PROD_CHECK_POSTGRES, PROD_CHECK_REDIS to change).
prod-check: translations
	$(BIN)/python deploy/prod_check.py

# Only the API fuzz run (schemathesis): no server error, every answer documented.
api-fuzz: translations
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(BIN)/pytest tests/test_api_fuzz.py $(ARGS)

# Only the browser tests: `make e2e HEADED=1 SLOWMO=300 ARGS="-k leaver"`.
e2e: translations chromium
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} BATON_E2E_CHROMIUM=$(CHROMIUM) \
		$(if $(HEADED),BATON_E2E_HEADED=$(HEADED)) $(if $(SLOWMO),BATON_E2E_SLOWMO=$(SLOWMO)) \
		$(BIN)/pytest tests/e2e $(ARGS)

# Each role's main pages, phone (360 px) and desk, English and 简体中文, into
# docs/screenshots/ (the README shows them): the demo served as `make run` does.
screenshots: translations chromium
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} BATON_E2E_CHROMIUM=$(CHROMIUM) \
		$(BIN)/pytest tests/e2e/screens.py -p no:cacheprovider -q $(ARGS)

# Benchmarks at enterprise scale (docs/performance.md): a PostgreSQL database
# of their own, seeded once by seed_scale (20,000 employees, 5,000 handovers,
# 600,000 items), then tests/benchmarks/ prints one table and writes
# var/bench/latest.json. BENCH_SCALE=small seeds and uses a tenth of it.
BENCH_SCALE ?= full
BENCH_PG ?= postgres://postgres@127.0.0.1:5432
ifeq ($(BENCH_SCALE),small)
BENCH_DB ?= baton_bench_small
BENCH_SEED_ARGS ?= --employees 2000 --handovers 500 --items 120
else
BENCH_DB ?= baton_bench
BENCH_SEED_ARGS ?=
endif
BENCH_ENV = DJANGO_SETTINGS_MODULE=config.settings_test \
	DATABASE_URL=$(BENCH_PG)/$(BENCH_DB) BATON_VAR_DIR=$(CURDIR)/var/bench-state

bench: translations
	psql "$(BENCH_PG)/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$(BENCH_DB)'" \
		| grep -q 1 || psql "$(BENCH_PG)/postgres" -qc 'CREATE DATABASE "$(BENCH_DB)"'
	$(BENCH_ENV) $(BIN)/python manage.py migrate --noinput -v 0
	$(BENCH_ENV) $(BIN)/python manage.py seed_scale $(BENCH_SEED_ARGS)
	$(BENCH_ENV) $(BIN)/pytest tests/benchmarks -p no:cacheprovider -q

# Refresh the .po catalogues after changing user-visible strings (needs gettext).
messages: install
	for app in checklist_blocks cms config connectors reports; do \
		(cd $$app && DEBUG=1 ../$(BIN)/python ../manage.py makemessages -l zh_Hans --no-obsolete); \
	done

clean:
	rm -rf var/ .pytest_cache

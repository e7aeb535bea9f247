# The two commands: `make run` (set up everything and serve) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test migrate seed clean bench browser-deps serve fuzz

# Idempotent: re-installs only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput
	# Geocoding: build the offline gazetteer index once per machine (a no-op when it exists).
	$(BIN)/python manage.py geocoding_cache build-index

seed: migrate
	$(BIN)/python manage.py seed_demo

run: seed
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# The browser tests need Debian's chromium: installed once (as root, e.g. in CI), then skipped.
browser-deps:
	.ci/install-chromium

test: install browser-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache

.PHONY: install run test migrate seed clean bench browser-deps serve fuzz

# The two commands: `make run` (set up everything and serve) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test migrate seed clean

# Idempotent: re-installs only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

run: seed
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache

# --- Bulk import benchmark (issue 6): import rate vs the API's sequential rate, peak memory. ---
# Needs PostgreSQL; the database is created if missing. BENCH_ARGS e.g. "--rows 20000".
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/invites_bench
.PHONY: bench-import
bench-import: install
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python bench/import_invites.py $(BENCH_ARGS)

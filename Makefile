# The two commands: `make run` (set up everything and serve) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Where customers reach this server: the links in messages and the demo's printed URLs.
PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)

.PHONY: install run test migrate seed clean bench bench-geocode bench-import bench-booking bench-limits bench-notifications bench-pages browser-deps serve fuzz

# Idempotent: re-installs only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Our translations (locale/): a catalogue is compiled again whenever its .po is newer than its .mo.
MESSAGES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/*.po))
%.mo: %.po
	command -v msgfmt >/dev/null || (apt-get update -qq && apt-get install -y -qq gettext)
	msgfmt --check -o $@ $<

install: $(STAMP) $(MESSAGES)

migrate: install
	$(BIN)/python manage.py migrate --noinput
	# Geocoding: build the offline gazetteer index once per machine (a no-op when it exists).
	$(BIN)/python manage.py geocoding_cache build-index

seed: migrate
	PUBLIC_BASE_URL=$(PUBLIC_BASE_URL) $(BIN)/python manage.py seed_demo

# The server, with a background worker (db_worker: the messages, mail printed on its console) and
# the sweep (reminders, retries) beside it; Ctrl-C stops all three. Links in messages point here.
run: seed
	@export PUBLIC_BASE_URL=$(PUBLIC_BASE_URL); \
	$(BIN)/python manage.py db_worker --no-reload --no-startup-delay & worker=$$!; \
	$(BIN)/python manage.py send_due_messages --every 60 & sweep=$$!; \
	trap 'kill $$worker $$sweep 2>/dev/null; wait' EXIT INT TERM; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# The browser tests need Debian's chromium: installed once (as root, e.g. in CI), then skipped.
browser-deps:
	.ci/install-chromium

test: install browser-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Everything the commands above write: the virtualenv, the SQLite database, collected static files,
# the compiled translations, the geocoding index (var/), the package metadata and the test tools'
# caches.
clean:
	rm -rf $(VENV) db.sqlite3 staticfiles var build *.egg-info .pytest_cache .hypothesis .schemathesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	find locale -name "*.mo" -delete

# --- Production server and API fuzzing ------------------------------------------------------------
# `make serve`: gunicorn (config/gunicorn.py; workers = WEB_CONCURRENCY or cores + 1) on the
# database DATABASE_URL names, after migrations and static files (the API docs).
serve: migrate
	$(BIN)/python manage.py collectstatic --noinput -v 0
	HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn -c config/gunicorn.py config.wsgi

# `make fuzz`: schemathesis against throwaway live servers, on PostgreSQL and on SQLite, or on the
# one FUZZ_DATABASES names (bounded; see tests/fuzz/__main__.py).
FUZZ_DATABASES ?= postgresql sqlite
fuzz: install
	$(BIN)/python -m tests.fuzz $(FUZZ_DATABASES)

# --- Benchmarks (tools/bench/) --------------------------------------------------------------------
# Offline geocoding: cold first lookup, memory, warm lookup, cache hit rate.
bench-geocode: install
	$(BIN)/python tools/bench/geocode_offline.py

# Invite throughput and latency against a one-row-insert baseline (PostgreSQL, gunicorn, wrk), with
# tools.bench.settings. BENCH_ARGS e.g. "--breakdown" or "--against REV".
bench: install
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python tools/bench/invite_load.py $(BENCH_ARGS)

# Bulk import rate vs the API's sequential rate, and peak memory. Needs PostgreSQL; the database is
# created if missing. BENCH_ARGS e.g. "--rows 20000".
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/invites_bench
bench-import: install
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python tools/bench/import_invites.py $(BENCH_ARGS)

# Booking: concurrent bookings of one slot (exactly the capacity succeeds) and free slots' speed
# against GET one appointment. Needs PostgreSQL (BENCH_DATABASE_URL). BENCH_ARGS e.g. "--repeat 5".
bench-booking: install
	$(BIN)/python tools/bench/booking.py --database-url $(BENCH_DATABASE_URL) $(BENCH_ARGS)

# The rate limits and the staff login limit with 3 workers, as an attacker meets them, and the CPU
# of the worst Accept-Language header. Needs PostgreSQL: a throwaway database, created and dropped.
LIMITS_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/invites_limits
bench-limits: install
	LIMITS_DATABASE_URL=$(LIMITS_DATABASE_URL) $(BIN)/python tools/bench/limits.py $(BENCH_ARGS)

# Messages: 2,000 invites waiting for 2 workers (each e-mail once, also when the SMTP server refuses
# for a minute), on the database's worker and on RQ, and their rate against send_mail in a loop.
# PostgreSQL: BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/invites_bench_notify
# (created if missing); RQ on BENCH_REDIS_URL (default database 15). BENCH_ARGS e.g. "--count 500".
bench-notifications: install
	$(BIN)/python tools/bench/notifications.py $(BENCH_ARGS)

# The customer's slot page against the back office's page of the same appointment (staff logged in):
# medians taken alternately, their ratio (target ≤ 3), and the customer's page's queries with 0 and
# 2,000 bookings. PostgreSQL: BENCH_DATABASE_URL, default
# postgres://postgres@127.0.0.1:5432/invites_bench_pages (created if missing). BENCH_ARGS e.g. "--pairs 400".
bench-pages: install
	$(BIN)/python tools/bench/customer_pages.py $(BENCH_ARGS)

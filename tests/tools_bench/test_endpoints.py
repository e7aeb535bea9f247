"""The benchmark endpoints: served under tools.bench.settings only, each doing what its figures
claim to measure. The tests run with production's settings and switch to the benchmark's
INSTALLED_APPS and ROOT_URLCONF, creating the benchmark's table for the test."""

import json

import pytest
from django.apps import apps
from django.db import connection

from tools.bench import settings as bench_settings


def test_production_settings_do_not_serve_them(client):
    assert not apps.is_installed("tools.bench")
    assert client.post("/bench/baseline", "{}", content_type="application/json").status_code == 404


@pytest.fixture
def baseline_rows(settings, transactional_db):
    """The benchmark settings' apps and URLs, and the benchmark's table (created outside a
    transaction: SQLite cannot create it inside one)."""
    settings.INSTALLED_APPS = bench_settings.INSTALLED_APPS
    settings.ROOT_URLCONF = bench_settings.ROOT_URLCONF
    from tools.bench.models import BaselineWrite

    with connection.schema_editor() as editor:
        editor.create_model(BaselineWrite)
    yield BaselineWrite.objects
    with connection.schema_editor() as editor:
        editor.delete_model(BaselineWrite)


def test_the_baseline_inserts_one_row(baseline_rows, client):
    response = client.post("/bench/baseline", "{}", content_type="application/json")
    assert response.status_code == 201
    assert response.json() == {"data": {"id": str(baseline_rows.get().pk)}}


def test_api_noop_checks_the_token_and_writes_nothing(baseline_rows, acme, globex, api, client):
    assert api.post("/bench/api-noop/acme", {}, format="json").status_code == 201
    assert client.post("/bench/api-noop/acme", {}, content_type="application/json").status_code == 401
    assert api.post("/bench/api-noop/globex", {}, format="json").status_code == 403
    assert not baseline_rows.exists()


def test_api_write_reads_the_body_and_inserts_one_row(baseline_rows, acme, api):
    response = api.post("/bench/api-write/acme", acme.invite_body(), format="json")
    assert response.status_code == 201
    assert response.json() == {"data": {"id": str(baseline_rows.get().pk)}}
    malformed = api.post("/bench/api-write/acme", "{", content_type="application/json")
    assert malformed.status_code == 400 and json.loads(malformed.content)["errors"]
    assert baseline_rows.count() == 1

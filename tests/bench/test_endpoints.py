"""The benchmark's own endpoints (served only with BENCHMARK_ENDPOINTS): each does what its
figures claim to measure."""

import json

import pytest

from bench.models import BaselineWrite


@pytest.fixture(autouse=True)
def bench_urls(settings):
    settings.ROOT_URLCONF = "tests.bench.urls"


def test_they_are_not_served_by_default(client, settings):
    settings.ROOT_URLCONF = "config.urls"
    assert client.post("/bench/baseline").status_code == 404


def test_the_baseline_inserts_one_row(db, client):
    response = client.post("/bench/baseline", "{}", content_type="application/json")
    assert response.status_code == 201
    assert response.json() == {"data": {"id": str(BaselineWrite.objects.get().pk)}}


def test_api_noop_checks_the_token_and_writes_nothing(acme, globex, api, client):
    assert api.post("/bench/api-noop/acme", {}, format="json").status_code == 201
    assert client.post("/bench/api-noop/acme").status_code == 401
    assert api.post("/bench/api-noop/globex", {}, format="json").status_code == 403
    assert not BaselineWrite.objects.exists()


def test_api_write_parses_the_body_and_inserts_one_row(acme, api):
    response = api.post("/bench/api-write/acme", acme.invite_body(), format="json")
    assert response.status_code == 201
    assert response.json() == {"data": {"id": str(BaselineWrite.objects.get().pk)}}
    malformed = api.post("/bench/api-write/acme", "{", content_type="application/json")
    assert malformed.status_code == 400 and json.loads(malformed.content)["errors"]
    assert BaselineWrite.objects.count() == 1

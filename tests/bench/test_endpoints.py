"""The benchmark's own endpoints (served only with BENCHMARK_ENDPOINTS): each does what its
figures claim to measure."""

import json

import pytest
from django.db import connection

from appointments.models import Appointment, AppointmentParticipant
from bench.models import BaselineWrite
from bench.views import ApiStatement


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


@pytest.mark.skipif(connection.vendor != "postgresql", reason="an invite is one statement on PostgreSQL only")
def test_api_statement_writes_the_invites_rows_with_the_invites_statement(acme, api, monkeypatch):
    monkeypatch.setattr(ApiStatement, "captured", None)  # captured per process: this test's data
    body = acme.invite_body(
        meetingType="ON_LOCATION",
        location={"countryCode": "BE", "geolocation": {"latitude": 51.05, "longitude": 3.72},
                  "translations": {"city": [{"language": "en", "value": "Ghent"}]}},
    )
    for written in (2, 3):  # the first request makes a real invite to capture its statement, then runs it
        response = api.post("/bench/api-statement/acme", body, format="json")
        assert response.status_code == 201
        assert Appointment.objects.count() == written
    first, second, third = Appointment.objects.order_by("id")
    assert first.subject_id == second.subject_id == third.subject_id and third.location_id not in (None, first.location_id)
    assert AppointmentParticipant.objects.filter(appointment=third).count() == len(body["appointmentParticipants"])
    assert api.post("/bench/api-statement/acme", "{", content_type="application/json").status_code == 400
    assert Appointment.objects.count() == 3

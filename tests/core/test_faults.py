"""Faults: the database or the geocoder is down. The client always gets the 503 envelope (never an
HTML page), and nothing is half-written."""

import json
import secrets
import threading
import time

import psycopg
import pytest
from django.db import connection

from appointments.idempotency import IdempotencyKey
from appointments.models import Appointment, AppointmentParticipant
from locations.models import Location
from tests.live_server import free_port, gunicorn, http, production_env
from tests.support import post_invite

GEOCODED = {"countryCode": "BE", "translations": {"city": [{"language": "en", "value": "Ghent"}]}}


def written_rows() -> tuple[int, int, int]:
    return Appointment.objects.count(), AppointmentParticipant.objects.count(), Location.objects.count()


def assert_unavailable(response, code: str):
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert int(response["Retry-After"]) >= 1
    (entry,) = response.json()["errors"]
    assert (entry["code"], entry["statusCode"], entry["type"]) == (code, "503", "SERVICE_UNAVAILABLE")


# --- Geocoder outage ---------------------------------------------------------------------------


@pytest.mark.parametrize("outage", ["http 503", "timeout", "connection refused"])
def test_geocoder_outage_is_503_and_writes_nothing(acme, api, nominatim, settings, outage):
    if outage == "http 503":
        nominatim.status = 503
    elif outage == "timeout":
        nominatim.delay = settings.GEOCODER_TIMEOUT + 0.5
    else:
        settings.GEOCODER_DOMAIN = f"127.0.0.1:{free_port()}"
    before = written_rows()

    response = post_invite(api, acme.invite_body(meetingType="ON_LOCATION", location=GEOCODED))

    assert_unavailable(response, "GEOCODING_UNAVAILABLE")
    assert response["Retry-After"] == str(settings.GEOCODER_RETRY_AFTER)
    assert written_rows() == before


def test_a_retry_with_the_same_idempotency_key_succeeds_once_the_geocoder_is_back(acme, api, nominatim):
    body = acme.invite_body(meetingType="ON_LOCATION", location=GEOCODED)
    nominatim.status = 503
    assert post_invite(api, body, HTTP_IDEMPOTENCY_KEY="retry-me").status_code == 503
    assert not IdempotencyKey.objects.exists()

    nominatim.status = 200
    nominatim.answer(51.05, 3.72)
    retried = post_invite(api, body, HTTP_IDEMPOTENCY_KEY="retry-me")

    assert retried.status_code == 201
    assert Appointment.objects.count() == 1


# --- Database unreachable ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server_without_database():
    """A production server whose database (PostgreSQL on a closed port) is unreachable."""
    env = production_env(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{free_port()}/invites",
        DJANGO_SECURE_SSL_REDIRECT="false",
        LOG_FORMAT="json",
    )
    with gunicorn(env) as server:
        yield server


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("GET", "/api/health", None),
        ("GET", "/api/enterprises/acme/appointments", None),
        ("GET", "/api/enterprises/acme/appointments/1", None),
        ("POST", "/api/enterprises/acme/appointments/_actions/invite", b'{"subjectId": "1"}'),
    ],
)
def test_database_unreachable_is_503_in_the_envelope(server_without_database, method, path, body):
    correlation_id = secrets.token_hex(8)
    headers = {"Authorization": "Bearer some-token", "Content-Type": "application/json", "X-Correlation-Id": correlation_id}

    response = http(method, server_without_database.url + path, body, headers)

    assert response.status == 503, response.body
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Correlation-Id"] == correlation_id
    assert int(response.headers["Retry-After"]) >= 1
    (entry,) = response.json()["errors"]
    assert (entry["code"], entry["statusCode"]) == ("DATABASE_UNAVAILABLE", "503")
    assert "connection" not in entry["message"].lower()  # no driver detail reaches the client
    # ...while the log says what happened, under the request's correlation id.
    logged = [json.loads(line) for line in server_without_database.log().splitlines() if line.startswith("{")]
    assert any(line.get("correlation_id") == correlation_id and line["level"] == "ERROR" for line in logged)


def test_the_token_endpoint_answers_json_while_the_database_is_unreachable(server_without_database):
    body = b"grant_type=client_credentials&client_id=acme-read-write&client_secret=x"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}

    response = http("POST", server_without_database.url + "/o/token/", body, headers)

    assert response.status == 503, response.body
    assert response.headers["Content-Type"] == "application/json"
    assert int(response.headers["Retry-After"]) >= 1
    assert response.json()["error"] == "temporarily_unavailable"


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="cuts the server side of a PostgreSQL connection (pg_terminate_backend)"
)
def test_database_lost_in_the_middle_of_an_invite_is_503_and_writes_nothing(transactional_db, acme, api, nominatim):
    """The connection dies while the invite geocodes, i.e. after its reads and before its writes."""
    nominatim.answer(51.05, 3.72)
    nominatim.delay = 0.5
    before = written_rows()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    params = connection.get_connection_params()
    dsn = {key: params[key] for key in ("host", "port", "user", "dbname") if params.get(key)}

    def cut_the_connection_during_geocoding():
        deadline = time.monotonic() + 10
        while not nominatim.requests and time.monotonic() < deadline:
            time.sleep(0.01)
        with psycopg.connect(**dsn, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [backend])

    killer = threading.Thread(target=cut_the_connection_during_geocoding)
    killer.start()
    response = post_invite(api, acme.invite_body(meetingType="ON_LOCATION", location=GEOCODED))
    killer.join()

    assert_unavailable(response, "DATABASE_UNAVAILABLE")
    assert nominatim.requests  # the cut happened where intended
    assert written_rows() == before  # a new connection sees nothing half-written

"""Idempotency-Key on the invite: a retry never creates a second appointment."""

import importlib
import json
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone
from rest_framework.test import APIClient

from django.apps import apps

from appointments.idempotency import IdempotencyKey, body_fingerprint, request_fingerprint
from appointments.models import Appointment
from participants.models import ApiClient
from tests.support import invite_url, on_another_connection, post_invite


def invite(client, body, key, **extra):
    return post_invite(client, body, HTTP_IDEMPOTENCY_KEY=key, **extra)


def claimed_elsewhere(body, key, locked_at):
    """The key as another app server leaves it while it works on the request (or after it died)."""
    return IdempotencyKey.objects.create(
        api_client=ApiClient.objects.latest("id"),  # the `api` fixture's client
        key=key,
        request_hash=request_fingerprint("POST", invite_url(), body),
        owner="00000000-0000-0000-0000-000000000001",
        locked_at=locked_at,
    )


def test_same_key_and_body_replays_the_original_201(acme, api):
    first = invite(api, acme.invite_body(), "key-1")
    again = invite(api, acme.invite_body(), "key-1")

    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in first
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Appointment.objects.count() == 1


def test_the_body_is_compared_as_json_not_as_bytes(acme, api):
    body = acme.invite_body()
    invite(api, body, "key-1")
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=4)
    again = api.post(invite_url(), reordered, content_type="application/json", HTTP_IDEMPOTENCY_KEY="key-1")

    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert Appointment.objects.count() == 1


def test_same_key_with_another_body_is_refused(acme, api):
    invite(api, acme.invite_body(), "key-1")
    other = invite(api, acme.invite_body(meetingType="PHONE"), "key-1")

    assert other.status_code == 422
    assert other.json()["errors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert Appointment.objects.count() == 1


def test_without_a_key_every_request_creates(acme, api):
    post_invite(api, acme.invite_body())
    post_invite(api, acme.invite_body())
    assert Appointment.objects.count() == 2


def test_keys_are_scoped_per_api_client(acme):
    one, other = acme.api(), acme.api()  # two API clients of the same enterprise
    first = invite(one, acme.invite_body(), "shared-key")
    second = invite(other, acme.invite_body(), "shared-key")

    assert first.status_code == second.status_code == 201
    assert first.json()["data"]["id"] != second.json()["data"]["id"]


def test_a_failed_request_does_not_use_up_the_key(acme, api):
    failed = invite(api, acme.invite_body(subjectId="999999"), "key-1")
    assert failed.status_code == 422
    assert not IdempotencyKey.objects.exists()

    retried = invite(api, acme.invite_body(subjectId="999999"), "key-1")
    assert retried.json()["errors"][0]["code"] == "SUBJECT_NOT_FOUND"  # checked again, not replayed
    created = invite(api, acme.invite_body(), "key-1")
    assert created.status_code == 201
    assert "Idempotent-Replayed" not in created


def test_a_key_held_by_a_request_in_flight_answers_409(acme, api):
    body = acme.invite_body()
    claimed_elsewhere(body, "key-1", locked_at=timezone.now())
    busy = invite(api, body, "key-1")

    assert busy.status_code == 409
    assert busy.json()["errors"][0]["code"] == "IDEMPOTENCY_KEY_IN_USE"
    assert not Appointment.objects.exists()


def test_a_key_abandoned_by_a_dead_worker_is_taken_over(acme, api, settings):
    body = acme.invite_body()
    claimed_elsewhere(body, "key-1", locked_at=timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_LOCK_SECONDS + 1))
    response = invite(api, body, "key-1")

    assert response.status_code == 201
    assert Appointment.objects.count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite lets one writer in at a time: no other worker can take the key over while this "
    "request's transaction is open",
)
def test_a_key_taken_over_mid_request_creates_nothing(transactional_db, acme, api, nominatim):
    """This worker stalled (here: on the geocoder) past the lock timeout and another took its key
    over: its appointment is written in the transaction that binds the key, so it is rolled back
    with the failed binding."""

    def another_worker_takes_the_key_over():
        IdempotencyKey.objects.update(owner="00000000-0000-0000-0000-000000000002")

    nominatim.answer(51.05, 3.72)
    nominatim.on_request = lambda: on_another_connection(another_worker_takes_the_key_over)
    location = {"countryCode": "BE", "translations": {"city": [{"language": "nl", "value": "Gent"}]}}
    response = invite(api, acme.invite_body(meetingType="ON_LOCATION", location=location), "key-1")

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "IDEMPOTENCY_KEY_IN_USE"
    assert not Appointment.objects.exists()
    assert IdempotencyKey.objects.get().appointment_id is None


def test_a_created_appointment_is_replayed_even_if_its_response_was_never_stored(acme, api):
    """The worker died between creating the appointment and storing its response."""
    first = invite(api, acme.invite_body(), "key-1")
    IdempotencyKey.objects.update(response_status=None, response_body=None)

    again = invite(api, acme.invite_body(), "key-1")

    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["data"]["id"] == first.json()["data"]["id"]
    assert Appointment.objects.count() == 1


def test_the_key_is_bound_to_its_appointment(acme, api):
    created = invite(api, acme.invite_body(), "key-1")
    assert str(IdempotencyKey.objects.get().appointment_id) == created.json()["data"]["id"]


def test_keys_expire_after_the_ttl(acme, api, settings):
    invite(api, acme.invite_body(), "key-1")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS, seconds=1))

    again = invite(api, acme.invite_body(), "key-1")

    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    assert Appointment.objects.count() == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "naïve", "with space"])
def test_an_invalid_key_is_a_400(acme, api, key):
    response = invite(api, acme.invite_body(), key)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "IDEMPOTENCY_KEY_INVALID"
    assert not Appointment.objects.exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises writers with one database lock, so it cannot show concurrent app "
    "servers racing; the guarantee comes from PostgreSQL's unique index and row locks",
)
def test_16_concurrent_requests_with_one_key_create_exactly_one_appointment(transactional_db, acme, nominatim):
    nominatim.answer(51.05, 3.72)
    nominatim.delay = 0.3  # the winner is still geocoding while the others arrive
    token = acme.token()
    body = acme.invite_body(
        meetingType="ON_LOCATION",
        location={"countryCode": "BE", "translations": {"city": [{"language": "en", "value": "Ghent"}]}},
    )
    start = threading.Barrier(16)
    responses = [None] * 16

    def request(index):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        start.wait()
        try:
            responses[index] = invite(client, body, "the-one-key")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=request, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    statuses = sorted(r.status_code for r in responses)
    assert Appointment.objects.count() == 1, statuses
    assert set(statuses) <= {201, 409}, statuses
    assert statuses.count(201) >= 1 and 409 in statuses
    created_ids = {r.json()["data"]["id"] for r in responses if r.status_code == 201}
    assert created_ids == {str(Appointment.objects.get().pk)}
    assert len(nominatim.requests) == 1  # only the winner did the work


def test_a_key_stored_with_the_body_alone_still_replays_after_the_migration(acme, api):
    """Keys stored before they covered the method and path hold the body's hash: the migration
    gives them the invite's method and path, so a retry across the upgrade is still a replay."""
    first = invite(api, acme.invite_body(), "key-1")
    IdempotencyKey.objects.update(request_hash=body_fingerprint(acme.invite_body()))  # as stored before
    migration = importlib.import_module("appointments.migrations.0007_idempotency_key_covers_method_and_path")
    migration.add_method_and_path(apps, schema_editor=None)

    again = invite(api, acme.invite_body(), "key-1")

    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()

"""Many API clients booking the same time at once: the slot is filled exactly, never overbooked,
and every other request gets the documented 422 (PostgreSQL: a server database, one connection
per request, as behind several app servers)."""

import threading

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from appointments.models import Appointment
from availability.models import BusyTime
from tests.availability.support import invite, local, next_weekday, open_every_day, rules

REQUESTS = 32
MONDAY = next_weekday(0)


def reschedule_concurrently(token: str, appointments, body) -> list:
    """POST the same reschedule body for every appointment at once, one thread and connection
    each; the responses, in the appointments' order."""
    barrier = threading.Barrier(len(appointments))
    responses = [None] * len(appointments)

    def run(index, appointment):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_IDEMPOTENCY_KEY=f"book-{appointment.pk}")
        path = f"/api/enterprises/acme/appointments/{appointment.pk}/_actions/reschedule"
        try:
            barrier.wait()
            responses[index] = client.post(path, body, format="json")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(appointments)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need a server database")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("capacity", [1, 3])
def test_concurrent_api_bookings_of_one_slot_fill_it_exactly(acme, capacity):
    open_every_day(acme.office, weekdays=range(5))
    rules(acme, max_concurrent_appointments=capacity)
    appointments = [invite(acme) for _ in range(REQUESTS)]
    start = local(MONDAY, 10)

    responses = reschedule_concurrently(acme.token(), appointments, {"start": start.isoformat()})

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * capacity + [422] * (REQUESTS - capacity), statuses
    refused = {response.json()["errors"][0]["code"] for response in responses if response.status_code == 422}
    assert refused == {"APPOINTMENT_NO_AVAILABILITY"}
    booked = {response.json()["data"]["id"] for response in responses if response.status_code == 200}
    assert booked == {str(pk) for pk in Appointment.objects.filter(status="ACCEPTED").values_list("pk", flat=True)}
    assert BusyTime.objects.filter(start=start).count() == capacity
    assert Appointment.objects.filter(status="OUTGOING_INVITE", start__isnull=True).count() == REQUESTS - capacity

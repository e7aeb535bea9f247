"""GET …/appointments/{id}/time-slots: the times a reschedule would take, in a bounded window."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from appointments.models import Appointment
from tests.availability.support import book, invite, local, next_weekday, open_every_day, rules
from tests.schema_support import assert_matches_schema

pytestmark = pytest.mark.django_db
PATH = "/api/enterprises/{enterprise}/appointments/{id}/time-slots"
MONDAY = next_weekday(0)
TUESDAY = next_weekday(1)


def url(appointment, slug="acme") -> str:
    pk = appointment if isinstance(appointment, str) else appointment.pk
    return f"/api/enterprises/{slug}/appointments/{pk}/time-slots"


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def stamp(moment: datetime) -> str:
    """As the API writes times: UTC, milliseconds, Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def day_of(moment: datetime) -> dict:
    return {"from": rfc3339(moment), "to": rfc3339(moment + timedelta(days=1))}


def errors(response, status=400) -> list[tuple[str, dict]]:
    assert response.status_code == status, response.content
    return [(entry["code"], entry["arguments"]) for entry in response.json()["errors"]]


@pytest.fixture
def office_hours(acme):
    open_every_day(acme.office, weekdays=range(5))  # 09:00–17:00 in Brussels, Monday to Friday
    rules(acme)  # 60 minutes on a 30-minute grid, bookable from now on


def test_the_free_times_of_a_day_in_utc_with_the_offices_zone(acme, api, office_hours):
    response = api.get(url(invite(acme)), day_of(local(MONDAY, 0)))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["meta"] == {"timeZone": "Europe/Brussels"}
    assert len(body["data"]) == 15  # 09:00 to 16:00, every half hour
    first, last = body["data"][0], body["data"][-1]
    assert first == {"start": stamp(local(MONDAY, 9)), "end": stamp(local(MONDAY, 10))}
    assert last["start"] == stamp(local(MONDAY, 16))
    assert all(slot["start"].endswith("Z") and slot["end"].endswith("Z") for slot in body["data"])
    assert_matches_schema(body, PATH, "get", 200)


def test_an_offset_in_the_window_is_honoured(acme, api, office_hours):
    # 10:00 in Brussels written as 10:00+01:00 or +02:00 (by season): the first slot is then 10:00.
    start = local(MONDAY, 10)
    window = {"from": start.isoformat(), "to": (start + timedelta(hours=1)).isoformat()}
    data = api.get(url(invite(acme)), window).json()["data"]
    assert [slot["start"] for slot in data] == [stamp(start), stamp(local(MONDAY, 10, 30))]


def test_booked_times_of_its_employees_are_not_offered(acme, api, office_hours):
    book(acme, local(MONDAY, 10))  # the same employee, 10:00–11:00
    data = api.get(url(invite(acme)), day_of(local(MONDAY, 0))).json()["data"]
    starts = {slot["start"] for slot in data}
    taken = {stamp(local(MONDAY, hour, minute)) for hour, minute in ((9, 30), (10, 0), (10, 30))}
    assert not starts & taken
    assert stamp(local(MONDAY, 9)) in starts and len(data) == 12


def test_a_booked_appointment_sees_its_own_time_as_free(acme, api, office_hours):
    booked = book(acme, local(MONDAY, 10))
    data = api.get(url(booked), day_of(local(MONDAY, 0))).json()["data"]
    assert len(data) == 15


def test_by_default_from_now_for_14_days(acme, api):
    open_every_day(acme.office)
    rules(acme)
    before = timezone.now()
    response = api.get(url(invite(acme)))
    after = timezone.now()

    starts = [datetime.fromisoformat(slot["start"]) for slot in response.json()["data"]]
    assert starts and min(starts) >= before
    assert max(starts) < after + timedelta(days=14)
    assert max(starts) > before + timedelta(days=13)  # open every day: the last day has slots


def test_from_alone_is_followed_by_14_days(acme, api):
    open_every_day(acme.office)
    rules(acme)
    start = local(MONDAY, 0)
    starts = [datetime.fromisoformat(s["start"]) for s in api.get(url(invite(acme)), {"from": rfc3339(start)}).json()["data"]]
    assert min(starts) == local(MONDAY, 9)
    assert max(starts) == local(MONDAY + timedelta(days=13), 16)


def test_a_read_only_token_may_read_them(acme, office_hours):
    response = acme.api(scope="engage:appointments:readOnly").get(url(invite(acme)), day_of(local(MONDAY, 0)))
    assert response.status_code == 200
    assert len(response.json()["data"]) == 15


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"from": "tomorrow"}, [("INVALID_FORMAT", {"pointer": "/from"})]),
        ({"from": "2030-03-10"}, [("INVALID_FORMAT", {"pointer": "/from"})]),
        ({"to": "2030-03-10T09:00:00"}, [("INVALID_FORMAT", {"pointer": "/to"})]),  # no offset
        ({"from": "2030-03-10T09:00:00 01:00"}, [("INVALID_FORMAT", {"pointer": "/from"})]),  # + not encoded
        ({"from": "2030-02-30T09:00:00Z"}, [("INVALID_FORMAT", {"pointer": "/from"})]),
        ({"from": "9999-06-01T00:00:00Z"}, [("TOO_LARGE", {"pointer": "/from"})]),
        ({"from": "x", "to": "y"}, [("INVALID_FORMAT", {"pointer": "/from"}), ("INVALID_FORMAT", {"pointer": "/to"})]),
        ({"from": "2030-03-10T09:00:00Z", "to": "2030-03-10T09:00:00Z"}, [("TOO_SMALL", {"pointer": "/to"})]),
        ({"from": "2030-03-10T09:00:00Z", "to": "2030-03-10T08:00:00Z"}, [("TOO_SMALL", {"pointer": "/to"})]),
        ({"to": "2020-01-01T00:00:00Z"}, [("TOO_SMALL", {"pointer": "/to"})]),  # before now, the default from
        ({"from": "2030-01-01T00:00:00Z", "to": "2030-03-04T00:00:01Z"}, [("TOO_LARGE", {"pointer": "/to"})]),
        ({"to": "2099-01-01T00:00:00Z"}, [("TOO_LARGE", {"pointer": "/to"})]),
    ],
)
def test_the_window_is_checked(acme, api, params, expected):
    response = api.get(url(invite(acme)), params)
    assert errors(response) == expected
    assert_matches_schema(response.json(), PATH, "get", 400)


def test_the_window_may_be_62_days(acme, api, office_hours):
    start = local(MONDAY, 0)
    window = {"from": rfc3339(start), "to": rfc3339(start + timedelta(days=62))}
    response = api.get(url(invite(acme)), window)
    assert response.status_code == 200
    assert len({slot["start"][:10] for slot in response.json()["data"]}) >= 35  # weekdays within the 60-day limit


def test_an_appointment_that_cannot_be_rescheduled_has_no_slots_to_offer(acme, api, office_hours):
    cancelled = invite(acme)
    Appointment.objects.filter(pk=cancelled.pk).update(status=Appointment.Status.CANCELLED)
    response = api.get(url(cancelled))
    assert_matches_schema(response.json(), PATH, "get", 422)
    [(code, arguments)] = errors(response, 422)
    assert code == "APPOINTMENT_STATUS_INVALID"
    assert arguments == {
        "status": "CANCELLED",
        "allowedStates": ["OUTGOING_INVITE", "INCOMING_REQUEST", "ACCEPTED", "ALTERNATIVE_DATE_REQUESTED"],
    }


@pytest.mark.parametrize("missing", ["999999", "abc", "-1"])
def test_an_unknown_appointment_is_a_404(acme, api, missing):
    [(code, _arguments)] = errors(api.get(url(missing)), 404)
    assert code == "APPOINTMENT_NOT_FOUND"


def test_another_enterprises_appointment_is_a_404(acme, globex, api):
    open_every_day(globex.office)
    theirs = invite(globex)
    [(code, arguments)] = errors(api.get(url(theirs)), 404)
    assert (code, arguments) == ("APPOINTMENT_NOT_FOUND", {"id": str(theirs.pk)})
    # and acme's token does not reach it through globex's path either
    assert errors(api.get(url(theirs, slug="globex")), 403)[0][0] == "FORBIDDEN_ENTERPRISE"


def test_the_number_of_queries_does_not_grow_with_the_window_or_the_bookings(acme, api, office_hours):
    appointment = invite(acme, acme.employees[0], acme.employees[1])

    def count(days: int) -> int:
        caches["tokens"].clear()  # the token's lookup counted too
        start = local(MONDAY, 0)
        with CaptureQueriesContext(connection) as queries:
            response = api.get(url(appointment), {"from": rfc3339(start), "to": rfc3339(start + timedelta(days=days))})
        assert response.status_code == 200
        return len(queries)

    one_day = count(1)
    assert one_day == 8  # the token, the appointment, its participants, its rules, hours twice, closures, bookings
    for day in range(5):
        book(acme, local(TUESDAY + timedelta(days=7 * day), 10))
        book(acme, local(TUESDAY + timedelta(days=7 * day), 14), acme.employees[1])
    assert count(62) == one_day

"""The list's lifecycle filters: ``status[]`` with the seven statuses, and the ``from``/``to`` time
window (appointments whose time overlaps it)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appointments.models import Appointment
from appointments.services import appointment_cancel
from tests.availability.support import STAFF, book, invite, local, next_weekday, open_every_day, rules
from tests.schema_support import published_schema

pytestmark = pytest.mark.django_db
LIST = "/api/enterprises/acme/appointments"
MONDAY = next_weekday(0)
TUESDAY = next_weekday(1)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {int(item["id"]) for item in response.json()["data"]}


@pytest.fixture
def booked(acme):
    """Monday 10–11 and 14–15, Tuesday 10–11 (Brussels), and an invite without a time."""
    open_every_day(acme.office, weekdays=range(5))
    rules(acme)
    return {
        "monday_10": book(acme, local(MONDAY, 10)).pk,
        "monday_14": book(acme, local(MONDAY, 14)).pk,
        "tuesday_10": book(acme, local(TUESDAY, 10)).pk,
        "invite": invite(acme).pk,
    }


def test_every_status_can_be_filtered_on(acme, api):
    made = {}
    for status in Appointment.Status.values:
        appointment = invite(acme)
        Appointment.objects.filter(pk=appointment.pk).update(status=status)
        made[status] = appointment.pk
    for status, pk in made.items():
        assert ids(api.get(LIST, {"status[]": status})) == {pk}, status
    assert ids(api.get(LIST, {"status[]": ["CANCELLED", "NO_SHOW"]})) == {made["CANCELLED"], made["NO_SHOW"]}
    # ...and the schema offers exactly these seven.
    parameters = published_schema()["paths"]["/api/enterprises/{enterprise}/appointments"]["get"]["parameters"]
    statuses = next(p for p in parameters if p["name"] == "status[]")
    assert statuses["schema"]["items"]["enum"] == Appointment.Status.values and len(Appointment.Status.values) == 7


@pytest.mark.parametrize(
    "window, expected",
    [
        ({}, {"monday_10", "monday_14", "tuesday_10", "invite"}),
        ({"from": (MONDAY, 10, 30), "to": (MONDAY, 14)}, {"monday_10"}),  # 14:00 is past the window: [from, to)
        ({"from": (MONDAY, 10, 30), "to": (MONDAY, 14, 1)}, {"monday_10", "monday_14"}),
        ({"from": (MONDAY, 11)}, {"monday_14", "tuesday_10"}),  # ending at from is not overlapping it
        ({"from": (MONDAY, 10, 59)}, {"monday_10", "monday_14", "tuesday_10"}),
        ({"to": (MONDAY, 10)}, set()),
        ({"to": (MONDAY, 10, 1)}, {"monday_10"}),
        ({"from": (TUESDAY, 0), "to": (TUESDAY, 23)}, {"tuesday_10"}),
        ({"from": (MONDAY, 12), "to": (MONDAY, 12)}, set()),  # an empty window holds nothing
        ({"from": (TUESDAY, 0), "to": (MONDAY, 0)}, set()),
    ],
)
def test_from_and_to_list_the_appointments_overlapping_the_window(api, booked, window, expected):
    params = {name: rfc3339(local(*moment)) for name, moment in window.items()}
    assert ids(api.get(LIST, params)) == {booked[name] for name in expected}


def test_the_window_takes_any_offset(api, booked):
    # Monday 10:30 in Brussels, written in New York's offset.
    start = local(MONDAY, 10, 30).astimezone(ZoneInfo("America/New_York"))
    assert ids(api.get(LIST, {"from": start.isoformat(), "to": rfc3339(local(MONDAY, 12))})) == {booked["monday_10"]}


def test_the_window_combines_with_the_other_filters(acme, api, booked):
    appointment_cancel(enterprise=acme.enterprise, appointment_id=booked["monday_14"], actor=STAFF)
    params = {"from": rfc3339(local(MONDAY, 0)), "to": rfc3339(local(TUESDAY, 23)), "status[]": "ACCEPTED"}
    assert ids(api.get(LIST, params)) == {booked["monday_10"], booked["tuesday_10"]}
    assert api.get(LIST, params).json()["meta"]["totalCount"] == 2


@pytest.mark.parametrize(
    "params, code, pointer",
    [
        ({"from": "2030-03-10"}, "INVALID_FORMAT", "/from"),
        ({"from": ""}, "INVALID_FORMAT", "/from"),
        ({"to": "2030-03-10T10:00:00"}, "INVALID_FORMAT", "/to"),
        ({"to": "2030-03-10T10:00:00 01:00"}, "INVALID_FORMAT", "/to"),  # + not written as %2B
        ({"to": "9999-12-31T00:00:00Z"}, "TOO_LARGE", "/to"),
    ],
)
def test_a_date_time_that_is_not_rfc_3339_is_a_400(api, params, code, pointer):
    response = api.get(LIST, params)
    assert response.status_code == 400
    assert [(e["code"], e["arguments"]) for e in response.json()["errors"]] == [(code, {"pointer": pointer})]
    if code == "INVALID_FORMAT":
        assert "RFC 3339" in response.json()["errors"][0]["message"] and "%2B" in response.json()["errors"][0]["message"]


def test_the_window_costs_no_query_of_its_own(acme, api, booked):
    def count(params) -> int:
        caches["tokens"].clear()
        with CaptureQueriesContext(connection) as queries:
            assert api.get(LIST, params).status_code == 200
        return len(queries)

    window = {"from": rfc3339(local(MONDAY, 0)), "to": rfc3339(local(MONDAY, 0) + timedelta(days=30))}
    assert count(window) == count({})

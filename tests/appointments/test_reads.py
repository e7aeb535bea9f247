"""GET one appointment and the filtered, paginated list."""

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appointments.models import Appointment
from tests.support import post_invite

LIST = "/api/enterprises/acme/appointments"


@pytest.fixture
def invites(acme, api):
    """Four invites with different attributes; returns their ids in creation order."""
    e, c = acme.employees, acme.customers
    bodies = [
        acme.invite_body(externalId="A", meetingType="OFFICE"),
        acme.invite_body(externalId="B", meetingType="PHONE", listingId=str(acme.listing.pk)),
        acme.invite_body(externalId="C", meetingType="VIDEO", leadSegmentId=str(acme.lead_segment.pk),
                         callbackRequestId=str(acme.callback_request.pk)),
        acme.invite_body(meetingType="PHONE"),
    ]
    bodies[2]["appointmentParticipants"] = [
        {"role": "PRIMARY", "participantId": str(e[1].pk), "type": "EMPLOYEE"},
        {"role": "PRIMARY", "participantId": str(c[1].pk), "type": "CUSTOMER"},
    ]
    return [post_invite(api, body).json()["data"]["id"] for body in bodies]


def ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["data"]]


def test_get_one(acme, api, invites):
    response = api.get(f"{LIST}/{invites[0]}")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["id"] == invites[0] and data["externalId"] == "A" and len(data["appointmentParticipants"]) == 2
    assert data["location"]["timeZone"] == "Europe/Brussels"


def test_get_one_equals_what_the_invite_returned(acme, api):
    created = post_invite(api, acme.invite_body(meetingType="VIDEO")).json()["data"]
    assert api.get(f"{LIST}/{created['id']}").json()["data"] == created


@pytest.mark.parametrize("missing", ["999999", "abc", "-1", "1.0"])
def test_get_unknown_is_a_404(api, invites, missing):
    response = api.get(f"{LIST}/{missing}")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "APPOINTMENT_NOT_FOUND"


def test_get_another_enterprises_appointment_is_a_404(acme, globex, invites):
    other = post_invite(globex.api(), globex.invite_body(), slug="globex").json()["data"]["id"]
    assert acme.api().get(f"{LIST}/{other}").status_code == 404
    assert other not in ids(acme.api().get(LIST))


def test_list_newest_first_with_meta(api, invites):
    response = api.get(LIST)
    assert ids(response) == list(reversed(invites))
    assert response.json()["meta"] == {"offset": 0, "limit": 25, "totalCount": 4}


def test_list_pagination(api, invites):
    response = api.get(LIST, {"offset": 1, "limit": 2})
    assert ids(response) == list(reversed(invites))[1:3]
    assert response.json()["meta"] == {"offset": 1, "limit": 2, "totalCount": 4}
    assert ids(api.get(LIST, {"offset": 10})) == []


@pytest.mark.parametrize(
    "params, code",
    [
        ({"limit": 0}, "TOO_SMALL"),
        ({"limit": 1001}, "TOO_LARGE"),
        ({"limit": "9" * 5000}, "TOO_LARGE"),
        ({"limit": "x"}, "INVALID_TYPE"),
        ({"offset": -1}, "TOO_SMALL"),
        ({"offset": "1e3"}, "INVALID_TYPE"),
    ],
)
def test_list_rejects_bad_pagination_with_the_documented_codes(api, params, code):
    response = api.get(LIST, params)
    assert response.status_code == 400
    (entry,) = response.json()["errors"]
    assert (entry["code"], entry["arguments"]) == (code, {"pointer": f"/{next(iter(params))}"})


@pytest.mark.parametrize(
    "name, value", [("status[]", "CANCELLED_BY_MOON"), ("meeting-type[]", "office"), ("meeting-type[]", "")]
)
def test_an_unknown_enum_value_in_a_filter_is_a_400(api, invites, name, value):
    response = api.get(LIST, {name: value})
    assert response.status_code == 400
    assert {entry["code"] for entry in response.json()["errors"]} == {"INVALID_ENUM"}


@pytest.mark.parametrize("name", ["meeting-type", "status", "id"])
def test_a_filter_without_brackets_is_a_400_not_ignored(api, invites, name):
    response = api.get(LIST, {name: "OFFICE"})
    assert response.status_code == 400
    (entry,) = response.json()["errors"]
    assert (entry["code"], entry["arguments"]) == ("INVALID_FORMAT", {"pointer": f"/{name}"})


@pytest.mark.parametrize("name", ["id[]", "external-id[]", "status[]", "customer-id[]"])
def test_a_filter_takes_at_most_10_values(api, invites, name):
    values = ["OUTGOING_INVITE"] * 10 if name == "status[]" else [str(n) for n in range(10)]
    assert api.get(LIST, {name: values}).status_code == 200

    response = api.get(LIST, {name: [*values, values[0]]})

    assert response.status_code == 400
    (entry,) = response.json()["errors"]
    assert (entry["code"], entry["arguments"]) == ("TOO_LONG", {"pointer": f"/{name[:-2]}"})
    assert entry["message"] == "At most 10 values."


@pytest.mark.parametrize(("name", "longest"), [("id[]", "9" * 18), ("external-id[]", "é" * 255)])
def test_a_filter_value_may_be_as_long_as_what_it_matches(api, invites, name, longest):
    assert api.get(LIST, {name: longest}).status_code == 200
    response = api.get(LIST, {name: longest + "9"})
    assert response.status_code == 400
    assert [entry["code"] for entry in response.json()["errors"]] == ["TOO_LONG"]


def test_list_limit_up_to_1000(api, invites):
    assert api.get(LIST, {"limit": 1000}).json()["meta"]["limit"] == 1000


def test_list_filters(acme, api, invites):
    a, b, c, d = invites
    e, cu = acme.employees, acme.customers
    cases = {
        "id[]": ([a, c, "nope"], [c, a]),
        "external-id[]": (["A", "B"], [b, a]),
        "status[]": (["OUTGOING_INVITE"], [d, c, b, a]),
        "meeting-type[]": (["PHONE"], [d, b]),
        "subject-id[]": ([str(acme.subject.pk)], [d, c, b, a]),
        "office-id[]": (["0"], []),
        "customer-id[]": ([str(cu[1].pk)], [c]),
        "employee-id[]": ([str(e[0].pk)], [d, b, a]),
        "listing-id[]": ([str(acme.listing.pk)], [b]),
        "lead-segment-id[]": ([str(acme.lead_segment.pk)], [c]),
        "callback-request-id[]": ([str(acme.callback_request.pk)], [c]),
    }
    for name, (values, expected) in cases.items():
        response = api.get(LIST, {name: values})
        assert ids(response) == expected, name
        assert response.json()["meta"]["totalCount"] == len(expected)


def test_list_filters_combine(acme, api, invites):
    a, b, c, d = invites
    assert ids(api.get(LIST, {"meeting-type[]": ["PHONE", "VIDEO"], "employee-id[]": [str(acme.employees[0].pk)]})) == [d, b]


def test_participant_filter_returns_each_appointment_once(acme, api, invites):
    everyone = [str(p.pk) for p in acme.customers]
    assert ids(api.get(LIST, {"customer-id[]": everyone})) == list(reversed(invites))


def test_list_query_count_does_not_grow_with_items(acme, api, invites):
    every_filter = {
        "id[]": [str(pk) for pk in Appointment.objects.values_list("pk", flat=True)] + ["999999"],
        "external-id[]": ["A", "B", "C", "bench"],
        "status[]": ["OUTGOING_INVITE"],
        "meeting-type[]": ["OFFICE", "PHONE", "VIDEO"],
        "subject-id[]": [str(acme.subject.pk)],
        "office-id[]": [str(acme.office.pk)],
        "customer-id[]": [str(c.pk) for c in acme.customers],
        "employee-id[]": [str(e.pk) for e in acme.employees],
    }

    def count(limit, **filters):
        caches["tokens"].clear()  # the token's lookup counted too
        with CaptureQueriesContext(connection) as queries:
            response = api.get(LIST, {"limit": limit, **filters})
        assert response.status_code == 200
        return len(queries), len(response.json()["data"])

    assert count(1, **every_filter) == (4, 1)  # token, total, page, participants
    for n in range(30):
        post_invite(api, acme.invite_body(meetingType="VIDEO", externalId="bench"))
    every_filter["id[]"] = [str(pk) for pk in Appointment.objects.values_list("pk", flat=True)[:10]]
    assert count(25, **every_filter) == (4, 10)
    del every_filter["id[]"]
    assert count(25, **every_filter) == (4, 25)
    assert count(25, **{"listing-id[]": str(acme.listing.pk), "lead-segment-id[]": "0", "callback-request-id[]": "0"}) == (3, 0)



def test_filters_with_brackets_as_curl_sends_them(api, invites):
    """Brackets left unencoded in the query string (curl, browsers) read like encoded ones."""
    response = api.get("/api/enterprises/acme/appointments?status[]=OUTGOING_INVITE&status[]=ACCEPTED&limit=5")
    assert response.wsgi_request.META["QUERY_STRING"].startswith("status[]=")
    assert response.status_code == 200
    assert response.json()["meta"]["totalCount"] == Appointment.objects.filter(status="OUTGOING_INVITE").count() > 0

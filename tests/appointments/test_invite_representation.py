"""The 201 representation: the documented example, timestamps, translated properties and
Accept-Language negotiation."""

import json
import re
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from appointments.api.serializers import appointment_representation, timestamp
from appointments.models import Appointment
from core.languages import LanguagePreference
from tests.support import post_invite

DATA = Path(__file__).parent / "data"
DOCUMENTED_REQUEST = json.loads((DATA / "documented_request.json").read_text())
DOCUMENTED_RESPONSE = json.loads((DATA / "documented_response.json").read_text())
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def documented_body(acme, participants: int = 2) -> dict:
    """The original documentation's request example, with ids from this test's data."""
    body = json.loads(json.dumps(DOCUMENTED_REQUEST))
    body.update(
        subjectId=str(acme.subject.pk),
        officeId=str(acme.office.pk),
        callbackRequestId=str(acme.callback_request.pk),
        listingId=str(acme.listing.pk),
        leadSegmentId=str(acme.lead_segment.pk),
    )
    body["appointmentParticipants"] = [
        {"role": "PRIMARY", "participantId": str(acme.employees[0].pk), "type": "EMPLOYEE"},
        {"role": "PRIMARY", "participantId": str(acme.customers[0].pk), "type": "CUSTOMER"},
    ][:participants]
    return body


def key_paths(value, prefix=""):
    """Every key path of a JSON value; list items are described by their first item."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield f"{prefix}.{key}"
            yield from key_paths(item, f"{prefix}.{key}")
    elif isinstance(value, list) and value:
        yield from key_paths(value[0], f"{prefix}[]")


def test_documented_example_as_written_is_a_400_naming_participants(acme, api):
    response = post_invite(api, documented_body(acme, participants=1))
    assert response.status_code == 400
    assert [e["arguments"]["pointer"] for e in response.json()["errors"]] == ["/appointmentParticipants"]


def test_documented_example_with_two_participants_returns_every_documented_key(acme, api):
    response = post_invite(api, documented_body(acme), HTTP_ACCEPT_LANGUAGE="en *")
    assert response.status_code == 201
    body = response.json()
    # Invites carry no questionnaire answers yet: "answers" is documented and always [].
    documented = {path for path in key_paths(DOCUMENTED_RESPONSE) if not path.startswith(".data.answers[]")}
    assert documented - set(key_paths(body)) == set()
    data = body["data"]
    assert data["answers"] == []
    assert data["messageForCustomer"] == "Let's chat!"
    assert (data["start"], data["end"], data["status"]) == (None, None, "OUTGOING_INVITE")
    assert data["externalId"] == "ABCD1234" and data["hybrid"] is True and data["trailingBufferTime"] == 5
    assert data["internalNotes"] == "Lorem ipsum"
    assert data["subject"] == {"id": str(acme.subject.pk)} and data["office"] == {"id": str(acme.office.pk)}
    assert data["callbackRequest"] == {"id": str(acme.callback_request.pk)}
    assert data["listing"] == {"id": str(acme.listing.pk)}
    assert data["leadSegment"] == {"id": str(acme.lead_segment.pk)}
    assert data["appointmentParticipants"] == [
        {"role": "PRIMARY", "participant": {"id": str(acme.employees[0].pk)}, "type": "EMPLOYEE", "videoUrl": None, "videoTestUrl": None},
        {"role": "PRIMARY", "participant": {"id": str(acme.customers[0].pk)}, "type": "CUSTOMER", "videoUrl": None, "videoTestUrl": None},
    ]
    location = data["location"]
    assert location["city"] == {"language": "en", "value": "Lorem ipsum"}
    assert location["postalCode"] == "9000" and location["countryCode"] == "BE"
    assert location["geolocation"] == {"latitude": 51.0479466, "longitude": 3.6912248}
    assert location["timeZone"] == "Europe/Brussels"
    assert location["translations"]["street2"] == [{"language": "en", "value": "Lorem ipsum"}]
    assert isinstance(location["formattedAddress"], str) and "Lorem ipsum" in location["formattedAddress"]


def test_ids_are_strings_and_timestamps_are_utc_milliseconds(acme, api):
    data = post_invite(api, documented_body(acme)).json()["data"]
    assert isinstance(data["id"], str) and data["id"].isdigit()
    assert TIMESTAMP.match(data["createdAt"]) and TIMESTAMP.match(data["updatedAt"])
    # A new appointment was created and last updated at the same instant, to the microsecond.
    assert data["createdAt"] == data["updatedAt"]
    stored = Appointment.objects.get(pk=data["id"])
    assert stored.created_at == stored.updated_at


def test_absent_references_are_null(acme, api):
    data = post_invite(api, acme.invite_body(meetingType="PHONE")).json()["data"]
    assert data["callbackRequest"] is None and data["listing"] is None and data["leadSegment"] is None
    assert data["externalId"] is None and data["hybrid"] is None and data["internalNotes"] is None
    assert data["messageForCustomer"] is None and data["location"] is None


TRANSLATED = {
    "countryCode": "BE",
    "geolocation": {"latitude": 51.05, "longitude": 3.72},
    "translations": {
        "city": [{"language": "nl", "value": "Gent"}, {"language": "fr", "value": "Gand"}, {"language": "no", "value": "Gent (no)"}],
        "street1": [{"language": "fr", "value": "Rue 1"}],
    },
}


@pytest.mark.parametrize(
    "header, city, street1",
    [
        ("en *", ("nl", "Gent"), ("fr", "Rue 1")),  # no English: fallback to the enterprise default (nl), then any
        ("fr-BE, en;q=0.5", ("fr", "Gand"), ("fr", "Rue 1")),
        ("en;q=0.5, fr-BE", ("fr", "Gand"), ("fr", "Rue 1")),
        ("de", None, None),
        ("de *", ("nl", "Gent"), ("fr", "Rue 1")),
        ("nl, fr", ("nl", "Gent"), ("fr", "Rue 1")),
        ("nl", ("nl", "Gent"), None),
        ("no", ("no", "Gent (no)"), None),
        ("nb-NO", ("no", "Gent (no)"), None),
        ("fr;q=0, nl", ("nl", "Gent"), None),
        (None, ("nl", "Gent"), ("fr", "Rue 1")),
    ],
)
def test_accept_language_negotiation(acme, header, city, street1):
    acme.enterprise.default_language = "nl"
    acme.enterprise.save()
    headers = {"HTTP_ACCEPT_LANGUAGE": header} if header is not None else {}
    response = post_invite(acme.api(), acme.invite_body(meetingType="ON_LOCATION", location=TRANSLATED), **headers)
    location = response.json()["data"]["location"]
    as_pair = lambda v: v and (v["language"], v["value"])  # noqa: E731
    assert (as_pair(location["city"]), as_pair(location["street1"])) == (city, street1)
    assert location["state"] is None and location["street2"] is None
    # translations list every stored language, in the API's codes, whatever was negotiated
    assert location["translations"]["city"] == [
        {"language": "fr", "value": "Gand"}, {"language": "nl", "value": "Gent"}, {"language": "no", "value": "Gent (no)"}
    ]


def test_wildcard_falls_back_to_the_enterprise_default_language_first(acme):
    acme.enterprise.default_language = "fr"
    acme.enterprise.save()
    response = post_invite(acme.api(), acme.invite_body(meetingType="ON_LOCATION", location=TRANSLATED), HTTP_ACCEPT_LANGUAGE="*")
    assert response.json()["data"]["location"]["city"] == {"language": "fr", "value": "Gand"}


def test_norwegian_is_stored_as_nb_and_spoken_as_no(acme, api):
    post_invite(api, acme.invite_body(meetingType="ON_LOCATION", location=TRANSLATED))
    from locations.models import Location

    assert Location.objects.latest("pk").city_nb == "Gent (no)"


@pytest.mark.parametrize(
    "moment, written",
    [
        (datetime(2026, 3, 29, 3, 30, 15, 123999, tzinfo=ZoneInfo("Europe/Brussels")), "2026-03-29T01:30:15.123Z"),
        (datetime(999, 1, 2, 3, 4, 5, tzinfo=timezone.utc), "0999-01-02T03:04:05.000Z"),  # RFC 3339: four digits
        (None, None),
    ],
)
def test_timestamps_are_written_in_utc_to_the_millisecond(moment, written):
    assert timestamp(moment) == written


def test_participants_not_prefetched_are_read_through_their_manager(acme, api):
    data = post_invite(api, documented_body(acme)).json()["data"]
    appointment = Appointment.objects.select_related("location").get(pk=data["id"])
    assert appointment_representation(appointment, LanguagePreference()) == data

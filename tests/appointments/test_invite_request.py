"""The body's shape (contract: fields, types, enums, ranges, lengths, additionalProperties) → 400
with one entry per violation and a JSON pointer. Nothing is written on a 400."""

import copy

import pytest

from appointments.models import Appointment
from tests.support import post_invite


def violations(response):
    assert response.status_code == 400, response.content
    entries = response.json()["errors"]
    for entry in entries:
        assert entry["type"] == "VALIDATION" and entry["statusCode"] == "400"
        assert isinstance(entry["message"], str) and entry["message"]
    return {(e["arguments"]["pointer"], e["code"]) for e in entries}


def full_body(acme):
    return acme.invite_body(
        callbackRequestId=str(acme.callback_request.pk),
        listingId=str(acme.listing.pk),
        leadSegmentId=str(acme.lead_segment.pk),
        location={
            "countryCode": "BE",
            "postalCode": "9000",
            "geolocation": {"latitude": 51.05, "longitude": 3.72},
            "translations": {
                "city": [{"language": "en", "value": "Ghent"}],
                "state": [],
                "street1": [{"language": "nl", "value": "Korenmarkt 1"}],
                "street2": [],
            },
        },
        externalId="EXT-1",
        hybrid=True,
        trailingBufferTime=5,
        internalNotes="Staff only",
        message="Hello",
    )


def put(body, pointer, value):
    """Set (or with value=DELETE remove) the value at a JSON pointer."""
    *parents, last = pointer.strip("/").split("/")
    target = body
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    key = int(last) if isinstance(target, list) else last
    if value is DELETE:
        del target[key]
    else:
        target[key] = value
    return body


DELETE = object()


def test_full_body_is_accepted(acme, api):
    assert post_invite(api, full_body(acme)).status_code == 201


@pytest.mark.parametrize(
    "pointer",
    [
        "/subjectId",
        "/officeId",
        "/appointmentParticipants",
        "/meetingType",
        "/appointmentParticipants/0/role",
        "/appointmentParticipants/0/participantId",
        "/appointmentParticipants/1/type",
        "/location/countryCode",
        "/location/translations",
        "/location/translations/city",
        "/location/geolocation/latitude",
        "/location/geolocation/longitude",
        "/location/translations/city/0/language",
        "/location/translations/city/0/value",
    ],
)
def test_required_property_missing(acme, api, pointer):
    body = put(full_body(acme), pointer, DELETE)
    assert violations(post_invite(api, body)) == {(pointer, "REQUIRED")}
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    "pointer",
    ["/location/translations/state", "/location/translations/street1", "/location/translations/street2",
     "/location/postalCode", "/location/geolocation", "/callbackRequestId", "/listingId", "/leadSegmentId",
     "/location", "/externalId", "/hybrid", "/trailingBufferTime", "/internalNotes", "/message"],
)
def test_optional_property_may_be_absent(acme, api, pointer, nominatim):
    nominatim.answer(51.05, 3.72)  # without geolocation the address is geocoded
    body = put(full_body(acme), pointer, DELETE)
    assert post_invite(api, body).status_code == 201


@pytest.mark.parametrize(
    "pointer",
    ["/callbackRequestId", "/listingId", "/leadSegmentId", "/location", "/externalId", "/hybrid",
     "/trailingBufferTime", "/internalNotes", "/message", "/location/postalCode", "/location/geolocation"],
)
def test_nullable_property_accepts_null(acme, api, pointer, nominatim):
    nominatim.answer(51.05, 3.72)
    response = post_invite(api, put(full_body(acme), pointer, None))
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize(
    "pointer",
    ["/subjectId", "/officeId", "/meetingType", "/appointmentParticipants", "/appointmentParticipants/0/role",
     "/appointmentParticipants/0/participantId", "/appointmentParticipants/0/type", "/location/countryCode",
     "/location/translations", "/location/translations/city", "/location/translations/state",
     "/location/translations/city/0/value", "/location/geolocation/latitude"],
)
def test_non_nullable_property_refuses_null(acme, api, pointer):
    assert violations(post_invite(api, put(full_body(acme), pointer, None))) == {(pointer, "NOT_NULLABLE")}


def test_a_number_with_a_zero_fraction_is_an_integer(acme, api):
    """As JSON Schema reads the schema's "integer" (found by fuzzing: 259.0 was refused)."""
    response = post_invite(api, {**full_body(acme), "trailingBufferTime": 15.0})
    assert response.status_code == 201, response.content
    assert response.json()["data"]["trailingBufferTime"] == 15


@pytest.mark.parametrize(
    "pointer, value",
    [
        ("/subjectId", 123),
        ("/officeId", ["1"]),
        ("/externalId", 5),
        ("/hybrid", "true"),
        ("/hybrid", 1),
        ("/trailingBufferTime", "5"),
        ("/trailingBufferTime", 5.5),
        ("/trailingBufferTime", True),
        ("/internalNotes", {"a": 1}),
        ("/message", False),
        ("/appointmentParticipants/0/participantId", 7),
        ("/location/postalCode", 9000),
        ("/location/geolocation/latitude", "51.0"),
        ("/location/geolocation/longitude", True),
        ("/location/translations/city/0/value", 1),
        ("/callbackRequestId", 1),
    ],
)
def test_wrong_json_type(acme, api, pointer, value):
    assert violations(post_invite(api, put(full_body(acme), pointer, value))) == {(pointer, "INVALID_TYPE")}


@pytest.mark.parametrize(
    "pointer, value",
    [("/meetingType", "IN_PERSON"), ("/meetingType", "office"), ("/appointmentParticipants/0/role", "HOST"),
     ("/appointmentParticipants/0/type", "PERSON"), ("/location/translations/city/0/language", "it"),
     ("/location/translations/city/0/language", "nb"), ("/meetingType", 1)],
)
def test_enum_values(acme, api, pointer, value):
    assert violations(post_invite(api, put(full_body(acme), pointer, value))) == {(pointer, "INVALID_ENUM")}


@pytest.mark.parametrize("meeting_type", ["OFFICE", "ON_LOCATION", "PHONE", "VIDEO"])
def test_every_meeting_type_is_accepted(acme, api, meeting_type):
    assert post_invite(api, {**full_body(acme), "meetingType": meeting_type}).status_code == 201


@pytest.mark.parametrize(
    "pointer, value, code",
    [
        ("/location/geolocation/latitude", 90.0001, "TOO_LARGE"),
        ("/location/geolocation/latitude", -90.5, "TOO_SMALL"),
        ("/location/geolocation/longitude", 180.01, "TOO_LARGE"),
        ("/location/geolocation/longitude", -181, "TOO_SMALL"),
        ("/trailingBufferTime", -1, "TOO_SMALL"),
        ("/trailingBufferTime", 2**31, "TOO_LARGE"),
    ],
)
def test_numeric_ranges(acme, api, pointer, value, code):
    assert violations(post_invite(api, put(full_body(acme), pointer, value))) == {(pointer, code)}


@pytest.mark.parametrize(
    "pointer, value",
    [("/location/geolocation/latitude", 90), ("/location/geolocation/latitude", -90),
     ("/location/geolocation/longitude", 180), ("/location/geolocation/longitude", -180),
     ("/trailingBufferTime", 0)],
)
def test_numeric_bounds_are_inclusive(acme, api, pointer, value):
    body = put(full_body(acme), pointer, value)
    # The poles and the antimeridian are valid input; there may be no time zone there.
    assert post_invite(api, body).status_code in (201, 422)
    assert post_invite(api, body).status_code != 400


@pytest.mark.parametrize(
    "pointer, value, code",
    [
        ("/subjectId", "", "TOO_SHORT"),
        ("/officeId", "", "TOO_SHORT"),
        ("/callbackRequestId", "", "TOO_SHORT"),
        ("/listingId", "", "TOO_SHORT"),
        ("/leadSegmentId", "", "TOO_SHORT"),
        ("/externalId", "", "TOO_SHORT"),
        ("/externalId", "x" * 256, "TOO_LONG"),
        ("/internalNotes", "", "TOO_SHORT"),
        ("/message", "", "TOO_SHORT"),
        ("/appointmentParticipants/0/participantId", "", "TOO_SHORT"),
        ("/location/countryCode", "B", "TOO_SHORT"),
        ("/location/countryCode", "BEL", "TOO_LONG"),
        ("/location/postalCode", "", "TOO_SHORT"),
        ("/location/translations/city", [], "TOO_SHORT"),
        ("/location/translations/city/0/value", "", "TOO_SHORT"),
    ],
)
def test_lengths(acme, api, pointer, value, code):
    assert violations(post_invite(api, put(full_body(acme), pointer, value))) == {(pointer, code)}


def test_lengths_at_their_limits_are_accepted(acme, api):
    body = full_body(acme)
    body["externalId"] = "x" * 255
    body["message"] = body["internalNotes"] = " "  # min length 1, whitespace counts
    assert post_invite(api, body).status_code == 201


def test_country_code_must_be_letters(acme, api):
    assert violations(post_invite(api, put(full_body(acme), "/location/countryCode", "B1"))) == {
        ("/location/countryCode", "INVALID_FORMAT")
    }


def test_documented_example_with_one_participant_is_a_400_naming_participants(acme, api):
    body = full_body(acme)
    body["appointmentParticipants"] = body["appointmentParticipants"][:1]
    assert violations(post_invite(api, body)) == {("/appointmentParticipants", "TOO_SHORT")}


def test_more_than_fifty_participants_is_a_400_without_checking_each(acme, api):
    body = full_body(acme)
    body["appointmentParticipants"] = [{"role": "HOST", "participantId": "", "type": "?"}] * 10_000
    assert violations(post_invite(api, body)) == {("/appointmentParticipants", "TOO_LONG")}


def test_too_few_participants_and_a_bad_item_are_both_reported(acme, api):
    body = full_body(acme)
    body["appointmentParticipants"] = [{"role": "HOST", "participantId": "1", "type": "EMPLOYEE"}]
    assert violations(post_invite(api, body)) == {
        ("/appointmentParticipants", "TOO_SHORT"),
        ("/appointmentParticipants/0/role", "INVALID_ENUM"),
    }


@pytest.mark.parametrize(
    "pointer",
    ["/color", "/appointmentParticipants/0/email", "/location/city", "/location/geolocation/altitude",
     "/location/translations/country", "/location/translations/city/0/script"],
)
def test_additional_properties_are_refused_at_every_level(acme, api, pointer):
    body = put(full_body(acme), pointer, "x")
    assert violations(post_invite(api, body)) == {(pointer, "UNKNOWN_PROPERTY")}


@pytest.mark.parametrize("part", ["city", "state", "street1", "street2"])
def test_a_language_appears_at_most_once_per_array(acme, api, part):
    body = full_body(acme)
    body["location"]["translations"][part] = [
        {"language": "en", "value": "A"},
        {"language": "fr", "value": "B"},
        {"language": "en", "value": "C"},
    ]
    assert violations(post_invite(api, body)) == {(f"/location/translations/{part}/2/language", "NOT_UNIQUE")}


@pytest.mark.parametrize("value", [[], "body", 5, [{"subjectId": "1"}]])
def test_body_must_be_an_object(api, value):
    assert violations(post_invite(api, value)) == {("", "INVALID_TYPE")}


@pytest.mark.parametrize("pointer", ["/location", "/location/geolocation", "/location/translations",
                                     "/appointmentParticipants/0", "/location/translations/city/0"])
def test_nested_objects_must_be_objects(acme, api, pointer):
    assert violations(post_invite(api, put(full_body(acme), pointer, "x"))) == {(pointer, "INVALID_TYPE")}


def test_every_violation_is_reported_at_once(acme, api):
    body = copy.deepcopy(full_body(acme))
    del body["subjectId"]
    body["meetingType"] = "NOPE"
    body["trailingBufferTime"] = -5
    body["location"]["geolocation"]["latitude"] = 100
    body["unknown"] = 1
    assert violations(post_invite(api, body)) == {
        ("/subjectId", "REQUIRED"),
        ("/meetingType", "INVALID_ENUM"),
        ("/trailingBufferTime", "TOO_SMALL"),
        ("/location/geolocation/latitude", "TOO_LARGE"),
        ("/unknown", "UNKNOWN_PROPERTY"),
    }


def test_pointer_escapes_special_characters(acme, api):
    body = {**full_body(acme), "a/b~c": 1}
    assert violations(post_invite(api, body)) == {("/a~1b~0c", "UNKNOWN_PROPERTY")}


def test_malformed_json_is_a_400(api):
    response = api.post("/api/enterprises/acme/appointments/_actions/invite", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "MALFORMED_JSON"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_malformed_json(acme, api, constant):
    import json

    raw = json.dumps(full_body(acme)).replace('"latitude": 51.05', f'"latitude": {constant}')
    response = api.post("/api/enterprises/acme/appointments/_actions/invite", raw, content_type="application/json")
    assert response.status_code == 400

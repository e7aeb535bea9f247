"""The published OpenAPI schema: valid OpenAPI 3, examples that validate, the contract stated
exactly (strict objects, enums, error codes generated from the exception classes), and real
responses that conform to it."""

import json
import re

import pytest
from openapi_spec_validator import validate
from rest_framework.test import APIClient

from appointments.models import Appointment
from core.errors import DomainError
from core.exceptions import error_codes_by_status
from tests.schema_support import assert_matches_schema, published_schema, schema_validator
from tests.support import invite_url, post_invite

INVITE = "/api/enterprises/{enterprise}/appointments/_actions/invite"
LIST = "/api/enterprises/{enterprise}/appointments"
DETAIL = "/api/enterprises/{enterprise}/appointments/{id}"


def operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_schema_is_valid_openapi_3():
    spec = published_schema()
    assert spec["openapi"].startswith("3.")
    validate(spec)  # raises on any violation


def test_every_example_validates_against_its_schema():
    spec = published_schema()
    checked = 0
    for path, method, operation in operations(spec):
        media = [operation["requestBody"]["content"]["application/json"]] if "requestBody" in operation else []
        media += [r["content"]["application/json"] for r in operation["responses"].values() if "content" in r]
        for content in media:
            for name, example in content.get("examples", {}).items():
                errors = list(schema_validator(content["schema"]).iter_errors(example["value"]))
                assert not errors, (path, method, name, [e.message for e in errors])
                checked += 1
    assert checked >= 5


def test_an_example_that_breaks_the_contract_is_caught():
    spec = published_schema()
    content = spec["paths"][INVITE]["post"]["requestBody"]["content"]["application/json"]
    example = dict(next(iter(content["examples"].values()))["value"], start="2024-01-01T10:00:00Z")
    assert not schema_validator(content["schema"]).is_valid(example)


def test_strict_objects_forbid_additional_properties_at_every_level():
    schemas = published_schema()["components"]["schemas"]
    for name in ("InviteRequest", "Participant", "Location", "Translations", "Translation", "Geolocation"):
        assert schemas[name]["additionalProperties"] is False, name
    for name in ("Appointment", "AppointmentLocation", "AppointmentParticipant", "AppointmentResponse"):
        assert schemas[name]["additionalProperties"] is False, name


def test_request_states_required_nullable_bounds_and_enums():
    schemas = published_schema()["components"]["schemas"]
    invite = schemas["InviteRequest"]
    assert sorted(invite["required"]) == ["appointmentParticipants", "meetingType", "officeId", "subjectId"]
    assert invite["properties"]["appointmentParticipants"]["minItems"] == 2
    assert invite["properties"]["externalId"] == {
        "type": ["string", "null"], "maxLength": 255, "minLength": 1, "pattern": "^[^\\x00\\ud800-\\udfff]*$"
    }
    assert invite["properties"]["location"] == {"oneOf": [{"$ref": "#/components/schemas/Location"}, {"type": "null"}]}
    assert invite["properties"]["trailingBufferTime"]["minimum"] == 0
    assert schemas["Translations"]["properties"]["city"]["minItems"] == 1
    assert schemas["Translations"]["required"] == ["city"]
    assert schemas["Geolocation"]["properties"]["latitude"]["maximum"] == 90
    language = schemas["Translation"]["properties"]["language"]
    assert schemas[language["$ref"].rsplit("/", 1)[1]]["enum"] == ["da", "de", "el", "en", "es", "fr", "ja", "nl", "no", "pl"]


def test_created_by_type_and_created_from_values_are_documented():
    schemas = published_schema()["components"]["schemas"]
    appointment = schemas["Appointment"]["properties"]
    by_type = schemas[appointment["createdByType"]["$ref"].rsplit("/", 1)[1]]
    channel = schemas[appointment["createdFrom"]["$ref"].rsplit("/", 1)[1]]
    assert by_type["enum"] == Appointment.ActorType.values
    assert channel["enum"] == Appointment.Channel.values
    for value, label in Appointment.ActorType.choices:
        assert f"`{value}` - {label}" in by_type["description"]


def test_oauth2_client_credentials_flow_and_scopes_per_operation():
    spec = published_schema()
    flow = spec["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "/o/token/"
    assert set(flow["scopes"]) == {"engage:appointments:readWrite", "engage:appointments:readOnly"}
    assert spec["paths"][INVITE]["post"]["security"] == [{"oauth2": ["engage:appointments:readWrite"]}]
    assert {"oauth2": ["engage:appointments:readOnly"]} in spec["paths"][LIST]["get"]["security"]
    assert spec["paths"]["/api/health"]["get"].get("security", [{}]) in ([], [{}])


def test_headers_are_documented():
    invite = published_schema()["paths"][INVITE]["post"]
    parameters = {p["name"] for p in invite["parameters"] if p["in"] == "header"}
    assert {"Idempotency-Key", "X-Correlation-Id", "Accept-Language"} <= parameters
    assert "Idempotent-Replayed" in invite["responses"]["201"]["headers"]
    assert "Retry-After" in invite["responses"]["503"]["headers"]
    assert "Retry-After" in invite["responses"]["429"]["headers"]
    # Every answer of the app's carries it; not those refused before the app.
    answers = [r for status, r in invite["responses"].items() if status not in ("414", "431")]
    assert all("X-Correlation-Id" in r["headers"] for r in answers)


def test_every_error_status_is_documented_with_the_envelope():
    invite = published_schema()["paths"][INVITE]["post"]["responses"]
    assert {"400", "401", "403", "404", "409", "413", "415", "422", "429", "500", "503"} <= set(invite)
    assert invite["422"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Errors422"}


def test_what_is_refused_before_the_app_is_documented_without_a_promised_body():
    """gunicorn answers 414 and 431 itself, in HTML; behind the documented proxy, in the envelope."""
    for _path, _method, operation in operations(published_schema()):
        for status in ("414", "431"):
            assert "8,190 bytes" in operation["responses"][status]["description"]
            assert "content" not in operation["responses"][status]


def test_domain_error_codes_are_unique_upper_snake_and_in_the_schema():
    schemas = published_schema()["components"]["schemas"]
    subclasses = DomainError.all_subclasses()
    codes = [cls.code for cls in subclasses]
    assert len(codes) == len(set(codes)), sorted(codes)
    for cls in subclasses:
        assert re.fullmatch(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)*", cls.code), cls
        documented = schemas[f"Errors{cls.status}"]["properties"]["errors"]["items"]["properties"]
        assert cls.code in documented["code"]["enum"], cls
        assert cls.type in documented["type"]["enum"], cls


def test_error_codes_come_from_the_exception_classes():
    class ScheduleFull(DomainError):  # a new business rule shows up without touching the schema code
        code = "SCHEDULE_FULL_FOR_TEST"

    try:
        assert "SCHEDULE_FULL_FOR_TEST" in error_codes_by_status()[422]
    finally:
        del ScheduleFull
    catalogue = error_codes_by_status()
    assert {"SUBJECT_NOT_FOUND", "APPOINTMENT_PARTICIPANTS_NOT_UNIQUE", "IDEMPOTENCY_KEY_REUSED"} <= set(catalogue[422])
    assert {"GEOCODING_UNAVAILABLE", "DATABASE_UNAVAILABLE"} <= set(catalogue[503])
    assert catalogue[413] == ["PAYLOAD_TOO_LARGE"]


def test_docs_are_served_without_a_cdn(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and not [a for a in assets if a.startswith(("http:", "https:", "//"))], assets
    script = next(a for a in assets if a.endswith("swagger-ui-bundle.js"))
    assert client.get(script).status_code == 200


# --- Real responses conform to the schema --------------------------------------------------------


@pytest.mark.django_db
def test_invite_list_and_detail_responses_conform(acme, api, nominatim):
    nominatim.answer(51.05, 3.72)
    body = acme.invite_body(
        meetingType="VIDEO",
        externalId="EXT-1",
        location={"countryCode": "BE", "translations": {"city": [{"language": "en", "value": "Ghent"}]}},
        listingId=str(acme.listing.pk),
    )
    created = post_invite(api, body)
    assert created.status_code == 201, created.json()
    assert_matches_schema(created.json(), INVITE, "post", 201)
    post_invite(api, acme.invite_body())  # an office meeting: the office's location

    listed = api.get("/api/enterprises/acme/appointments", {"limit": 5})
    assert listed.status_code == 200
    assert len(listed.json()["data"]) == 2
    assert_matches_schema(listed.json(), LIST, "get", 200)

    detail = api.get(f"/api/enterprises/acme/appointments/{created.json()['data']['id']}")
    assert_matches_schema(detail.json(), DETAIL, "get", 200)


@pytest.mark.django_db
def test_error_responses_conform(acme, api):
    duplicate = acme.invite_body()
    duplicate["appointmentParticipants"].append(duplicate["appointmentParticipants"][0])
    response = post_invite(api, duplicate)
    assert response.status_code == 422
    assert_matches_schema(response.json(), INVITE, "post", 422)

    response = post_invite(api, {"subjectId": 5, "extra": True})
    assert response.status_code == 400
    assert_matches_schema(response.json(), INVITE, "post", 400)

    response = api.post(invite_url(), "not json", content_type="application/json")
    assert response.status_code == 400
    assert_matches_schema(response.json(), INVITE, "post", 400)


def test_a_response_with_an_undocumented_property_would_not_conform():
    body = {"data": {"id": "1"}, "unexpected": True}
    assert not schema_validator({"$ref": "#/components/schemas/AppointmentResponse"}).is_valid(body)


def test_the_schema_says_who_may_use_what(client):
    schema = client.get("/api/schema/?format=json").json()
    assert schema["info"]["license"]["identifier"] == "MIT" and schema["info"]["contact"]["name"]
    assert schema["servers"] == [{"url": "/", "description": "This server"}]
    assert schema["paths"]["/api/health"]["get"]["security"] == []
    list_ = schema["paths"]["/api/enterprises/{enterprise}/appointments"]["get"]
    statuses = next(p for p in list_["parameters"] if p["name"] == "status[]")
    assert "OUTGOING_INVITE" in statuses["schema"]["items"]["enum"]


def test_every_list_filter_says_how_many_values_it_takes_and_how_long(client):
    schema = client.get("/api/schema/?format=json").json()
    list_ = schema["paths"]["/api/enterprises/{enterprise}/appointments"]["get"]
    filters = {p["name"]: p["schema"] for p in list_["parameters"] if p["name"].endswith("[]")}
    assert len(filters) == 11
    assert {name: schema["maxItems"] for name, schema in filters.items()} == dict.fromkeys(filters, 10)
    assert filters["id[]"]["items"]["maxLength"] == 18
    assert filters["external-id[]"]["items"]["maxLength"] == 255
    assert all("enum" in schema["items"] or "maxLength" in schema["items"] for schema in filters.values())


@pytest.mark.parametrize(("languages", "accepted"), [(["en", "nl"], True), (["en", "nl", "en"], False)])
def test_the_schema_refuses_a_repeated_language_as_the_server_does(acme, api, languages, accepted):
    location = {
        "countryCode": "BE", "geolocation": {"latitude": 51.05, "longitude": 3.72},
        "translations": {"city": [{"language": code, "value": "Gent"} for code in languages]},
    }
    body = acme.invite_body(meetingType="ON_LOCATION", location=location)
    assert schema_validator({"$ref": "#/components/schemas/InviteRequest"}).is_valid(body) is accepted
    assert post_invite(api, body).status_code == (201 if accepted else 400)


def test_the_links_of_a_created_invite_lead_to_it(acme, api):
    schema = published_schema()
    paths = {operation["operationId"]: path for path, _method, operation in operations(schema)}
    created = post_invite(api, acme.invite_body())
    assert created.status_code == 201
    links = schema["paths"][INVITE]["post"]["responses"]["201"]["links"]
    assert len(links) == 2
    for link in links.values():
        values = {
            name: {"$request.path.enterprise": "acme", "$response.body#/data/id": created.json()["data"]["id"]}[expression]
            for name, expression in link["parameters"].items()
        }
        path = paths[link["operationId"]].format(**{name: value for name, value in values.items() if "[" not in name})
        response = api.get(path, {name: value for name, value in values.items() if "[" in name})
        data = response.json()["data"]
        assert (data if isinstance(data, list) else [data]) == [created.json()["data"]]


def test_allow_names_only_what_answers(acme, api):
    response = api.delete("/api/enterprises/acme/appointments")
    assert response.status_code == 405
    allowed = {method.strip() for method in response["Allow"].split(",")}
    assert "OPTIONS" not in allowed and "GET" in allowed
    assert api.options("/api/enterprises/acme/appointments").status_code == 405


@pytest.mark.django_db(transaction=True, reset_sequences=True)  # ids as on a fresh database
def test_the_documented_request_example_works_on_the_demo_data(capsys):
    from django.core.management import call_command

    call_command("seed_demo", "--json")
    data = json.loads(capsys.readouterr().out)
    schema = APIClient().get("/api/schema/?format=json").json()
    invite = schema["paths"]["/api/enterprises/{enterprise}/appointments/_actions/invite"]["post"]
    example = next(iter(invite["requestBody"]["content"]["application/json"]["examples"].values()))["value"]
    client = APIClient()
    token = client.post("/o/token/", {"grant_type": "client_credentials", "scope": "engage:appointments:readWrite",
                                      "client_id": data["clients"]["readWrite"]["clientId"],
                                      "client_secret": data["clients"]["readWrite"]["clientSecret"]}).json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token['access_token']}")
    response = client.post(f"/api/enterprises/{data['enterprise']}/appointments/_actions/invite", example, format="json")
    assert response.status_code == 201, response.content

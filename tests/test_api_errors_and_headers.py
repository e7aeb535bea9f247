"""The error envelope for every status, and the correlation id."""

import logging
import os
import re

import pytest

from appointments.api import views
from tests.support import invite_url, post_invite

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def only_error(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    (entry,) = response.json()["errors"]
    assert set(entry) == {"message", "code", "type", "statusCode", "arguments"}
    assert entry["statusCode"] == str(status)
    return entry


def test_wrong_method_is_a_405(acme, api):
    entry = only_error(api.get(invite_url()), 405)
    assert entry["code"] == "METHOD_NOT_ALLOWED"
    only_error(api.post("/api/enterprises/acme/appointments", {}, format="json"), 405)
    only_error(api.delete("/api/enterprises/acme/appointments/1"), 405)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", "*/*", "application/*"]
)
def test_other_content_types_are_a_415(acme, api, content_type):
    response = api.post(invite_url(), "subjectId=1", content_type=content_type)
    assert only_error(response, 415)["code"] == "UNSUPPORTED_MEDIA_TYPE"


def test_a_client_that_takes_no_json_gets_a_406(acme, api):
    assert only_error(api.get("/api/enterprises/acme/appointments", HTTP_ACCEPT="text/html"), 406)


def test_unknown_api_path_is_a_404_in_the_envelope(api):
    assert only_error(api.get("/api/nothing/here"), 404)["code"] == "NOT_FOUND"
    assert only_error(api.get("/api/"), 404)["code"] == "NOT_FOUND"


def test_unexpected_error_is_a_500_without_details_and_is_logged(acme, api, monkeypatch, caplog):
    def broken(**kwargs):
        raise ZeroDivisionError("secret internals")

    monkeypatch.setattr(views, "invite_create", broken)
    with caplog.at_level(logging.ERROR):
        response = post_invite(api, acme.invite_body(), HTTP_X_CORRELATION_ID="trace-500")
    entry = only_error(response, 500)
    assert entry["code"] == "INTERNAL_ERROR"
    assert "secret" not in response.content.decode() and "Traceback" not in response.content.decode()
    assert response["X-Correlation-Id"] == "trace-500"
    (record,) = [r for r in caplog.records if r.exc_info]
    assert record.exc_info[0] is ZeroDivisionError
    assert record.correlation_id == "trace-500"


def test_correlation_id_is_echoed(acme, api):
    response = post_invite(api, acme.invite_body(), HTTP_X_CORRELATION_ID="a4f0048e-c983-11ed-afa1-0242ac120002")
    assert response["X-Correlation-Id"] == "a4f0048e-c983-11ed-afa1-0242ac120002"


def test_correlation_id_is_generated_when_absent(acme, api):
    first = post_invite(api, acme.invite_body())["X-Correlation-Id"]
    second = api.get("/api/enterprises/acme/appointments")["X-Correlation-Id"]
    assert UUID.match(first) and UUID.match(second) and first != second


def test_correlation_id_is_echoed_on_errors(api):
    assert api.get("/api/nothing", HTTP_X_CORRELATION_ID="x")["X-Correlation-Id"] == "x"


@pytest.mark.parametrize("value", ["x" * 37, "", "has space", "bad\u00e9"])
def test_invalid_correlation_id_is_a_400(acme, api, value):
    response = post_invite(api, acme.invite_body(), HTTP_X_CORRELATION_ID=value)
    entry = only_error(response, 400)
    assert entry["code"] == "INVALID_HEADER" and entry["arguments"] == {"header": "X-Correlation-Id"}
    assert UUID.match(response["X-Correlation-Id"])


def test_correlation_id_of_36_characters_is_fine(acme, api):
    assert post_invite(api, acme.invite_body(), HTTP_X_CORRELATION_ID="y" * 36).status_code == 201


def test_correlation_id_is_in_every_log_line_of_the_request(acme, api, caplog):
    with caplog.at_level(logging.INFO, logger="appointments.services"):
        post_invite(api, acme.invite_body(), HTTP_X_CORRELATION_ID="trace-me")
    (record,) = [r for r in caplog.records if r.name == "appointments.services"]
    assert record.correlation_id == "trace-me"
    assert record.getMessage().startswith("Invite ")


def test_log_records_name_their_process(caplog):
    """gunicorn's log format prints %(process)d: a record without it turned every worker warning
    into a logging traceback."""
    with caplog.at_level(logging.WARNING, logger="gunicorn.error"):
        logging.getLogger("gunicorn.error").warning("worker timeout")
    (record,) = caplog.records
    assert record.process == os.getpid()
    assert logging.Formatter("[%(process)d] %(message)s").format(record) == f"[{os.getpid()}] worker timeout"


def test_log_lines_outside_a_request_have_a_placeholder():
    record = logging.getLogger("x").makeRecord("x", logging.INFO, __file__, 1, "msg", (), None)
    assert record.correlation_id == "-"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_unknown_api_path_is_a_404_for_every_method_even_with_csrf_checks(method):
    from django.test import Client

    response = getattr(Client(enforce_csrf_checks=True), method)("/api/nope", "{}", content_type="application/json")
    assert only_error(response, 404)["code"] == "NOT_FOUND"


def test_unknown_host_on_an_api_path_is_a_400_in_the_envelope(client):
    response = client.get("/api/nope", HTTP_HOST="evil.example.com")
    assert only_error(response, 400)["code"] == "BAD_REQUEST"


@pytest.mark.parametrize(
    "path, query",
    [
        ("/api/enterprises/acme/appointments", {"external-id[]": "a\x00b"}),
        ("/api/enterprises/acme/appointments", {"status[]": "\x00"}),
        ("/api/enterprises/acme/appointments", {"meeting-type[]": "OFFICE\x00"}),
        ("/api/enterprises/ac\x00me/appointments", {}),
        ("/api/enterprises/acme/appointments/1\x00", {}),
    ],
)
def test_a_nul_character_is_a_400_in_the_envelope(acme, api, path, query):
    assert only_error(api.get(path, query), 400)["code"] == "BAD_REQUEST"


def test_a_nul_character_in_a_staff_search_is_a_400(admin_client):
    assert admin_client.get("/admin/appointments/appointment/", {"q": "a\x00b"}).status_code == 400
    assert admin_client.get("/admin/autocomplete/", {"term": "\x00", "app_label": "appointments",
                                                     "model_name": "office", "field_name": "location"}).status_code == 400


def test_a_lone_surrogate_as_a_property_name_is_reported_not_a_500(acme, api):
    body = '{"subjectId": "1", "\\ud800": 1}'
    response = api.post(invite_url(), body, content_type="application/json")
    pointers = {entry["arguments"]["pointer"] for entry in response.json()["errors"]}
    assert response.status_code == 400
    assert "/\\ud800" in pointers


def test_a_chunked_body_is_a_411_not_an_empty_body(acme, api):
    """Django reads a body by its Content-Length: a chunked one would read as empty, and a valid
    invite would come back as REQUIRED for every property."""
    response = post_invite(api, acme.invite_body(), HTTP_TRANSFER_ENCODING="chunked")
    assert only_error(response, 411)["code"] == "LENGTH_REQUIRED"

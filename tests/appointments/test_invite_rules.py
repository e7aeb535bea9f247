"""Business rules → 422 in the contract's order; geocoder outage → 503; nothing half-written;
a constant number of queries whatever the number of participants."""

import threading
import time
from contextlib import contextmanager

import pytest
from django.core.cache import caches
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from appointments.models import Appointment, AppointmentParticipant, Listing
from appointments.services import Actor, ParticipantInput, invite_create
from core.throttling import ApiClientRateThrottle
from locations.models import Location
from tests.factories import CustomerFactory, EmployeeFactory
from tests.support import post_invite

ON_LOCATION = {
    "countryCode": "BE",
    "postalCode": "9000",
    "translations": {"city": [{"language": "nl", "value": "Gent"}], "street1": [{"language": "nl", "value": "Veldstraat 1"}]},
}


def business_error(response, status=422):
    assert response.status_code == status, response.content
    (entry,) = response.json()["errors"]
    assert entry["statusCode"] == str(status)
    assert entry["type"] == ("BUSINESS_VALIDATION" if status == 422 else "SERVICE_UNAVAILABLE")
    return entry


def nothing_written():
    return not (Appointment.objects.exists() or AppointmentParticipant.objects.exists()) and Location.objects.count() == 1


# An office meeting without a location meets at its office; a video meeting has no location.
BOTH_PATHS = pytest.mark.parametrize("meeting_type", ["OFFICE", "VIDEO"])


@BOTH_PATHS
@pytest.mark.parametrize(
    "override, code, property",
    [
        ({"subjectId": "999999"}, "SUBJECT_NOT_FOUND", "subjectId"),
        ({"subjectId": "abc"}, "SUBJECT_NOT_FOUND", "subjectId"),
        ({"officeId": "999999"}, "OFFICE_NOT_FOUND", "officeId"),
        ({"listingId": "999999"}, "LISTING_NOT_FOUND", "listingId"),
        ({"leadSegmentId": "999999"}, "LEAD_SEGMENT_NOT_FOUND", "leadSegmentId"),
        ({"callbackRequestId": "99999999999999999999999"}, "CALLBACK_REQUEST_NOT_FOUND", "callbackRequestId"),
    ],
)
def test_unknown_reference(acme, api, override, code, property, meeting_type):
    entry = business_error(post_invite(api, acme.invite_body(meetingType=meeting_type, **override)))
    assert entry["code"] == code
    assert entry["arguments"] == {"property": property, "id": override[property]}
    assert nothing_written()


@BOTH_PATHS
@pytest.mark.parametrize("type_", ["EMPLOYEE", "CUSTOMER"])
def test_unknown_participant(acme, api, type_, meeting_type):
    body = acme.invite_body(meetingType=meeting_type)
    body["appointmentParticipants"][1] = {"role": "SECONDARY", "participantId": "424242", "type": type_}
    entry = business_error(post_invite(api, body))
    assert entry["code"] == "PARTICIPANT_NOT_FOUND"
    assert entry["arguments"] == {"property": "appointmentParticipants/1/participantId", "id": "424242"}


def test_an_inactive_employee_is_not_found(acme, api):
    employee = acme.employees[0]
    employee.is_active = False
    employee.save()
    entry = business_error(post_invite(api, acme.invite_body()))
    assert entry["code"] == "PARTICIPANT_NOT_FOUND"
    assert entry["arguments"] == {"property": "appointmentParticipants/0/participantId", "id": str(employee.pk)}


@BOTH_PATHS
@pytest.mark.parametrize(
    "attribute, property, code",
    [
        ("subject", "subjectId", "SUBJECT_NOT_FOUND"),
        ("office", "officeId", "OFFICE_NOT_FOUND"),
        ("listing", "listingId", "LISTING_NOT_FOUND"),
        ("lead_segment", "leadSegmentId", "LEAD_SEGMENT_NOT_FOUND"),
        ("callback_request", "callbackRequestId", "CALLBACK_REQUEST_NOT_FOUND"),
    ],
)
def test_another_enterprises_resource_is_not_found(acme, globex, api, attribute, property, code, meeting_type):
    body = acme.invite_body(meetingType=meeting_type, **{property: str(getattr(globex, attribute).pk)})
    assert business_error(post_invite(api, body))["code"] == code
    assert nothing_written() or Location.objects.count() == 2  # globex's office location exists too


@BOTH_PATHS
def test_another_enterprises_participant_is_not_found(acme, globex, api, meeting_type):
    body = acme.invite_body(meetingType=meeting_type)
    body["appointmentParticipants"][1]["participantId"] = str(globex.customers[0].pk)
    assert business_error(post_invite(api, body))["code"] == "PARTICIPANT_NOT_FOUND"
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("location", [None, "absent"])
def test_on_location_meeting_needs_a_location(acme, api, location):
    body = acme.invite_body(meetingType="ON_LOCATION", location=location)
    if location == "absent":
        del body["location"]
    entry = business_error(post_invite(api, body))
    assert entry["code"] == "APPOINTMENT_LOCATION_REQUIRED"
    assert nothing_written()


@pytest.mark.parametrize("meeting_type", ["OFFICE", "PHONE", "VIDEO"])
def test_other_meeting_types_need_no_location(acme, api, meeting_type):
    assert post_invite(api, acme.invite_body(meetingType=meeting_type)).status_code == 201


def test_participants_must_be_unique(acme, api):
    body = acme.invite_body()
    body["appointmentParticipants"].append({"role": "SECONDARY", **{k: body["appointmentParticipants"][1][k] for k in ("participantId", "type")}})
    entry = business_error(post_invite(api, body))
    assert entry["code"] == "APPOINTMENT_PARTICIPANTS_NOT_UNIQUE"
    assert entry["message"] == "Participants need to be unique"
    assert nothing_written()


def test_the_same_participant_spelled_differently_is_not_unique(acme, api):
    body = acme.invite_body()
    customer = body["appointmentParticipants"][1]
    body["appointmentParticipants"].append({**customer, "participantId": "0" + customer["participantId"]})
    assert business_error(post_invite(api, body))["code"] == "APPOINTMENT_PARTICIPANTS_NOT_UNIQUE"


def test_same_id_as_employee_and_customer_is_unique(acme, api):
    employee, customer = EmployeeFactory(enterprise=acme.enterprise), CustomerFactory(enterprise=acme.enterprise)
    CustomerFactory(enterprise=acme.enterprise)
    body = acme.invite_body()
    body["appointmentParticipants"] = [
        {"role": "PRIMARY", "participantId": str(employee.pk), "type": "EMPLOYEE"},
        {"role": "PRIMARY", "participantId": str(customer.pk), "type": "CUSTOMER"},
    ]
    assert post_invite(api, body).status_code == 201


def test_address_that_cannot_be_geocoded(acme, api, nominatim):
    nominatim.results = []
    entry = business_error(post_invite(api, acme.invite_body(meetingType="ON_LOCATION", location=ON_LOCATION)))
    assert entry["code"] == "LOCATION_GEOCODING_FAILED"
    assert nominatim.requests[0]["city"] == "Gent" and nominatim.requests[0]["countrycodes"] == "be"
    assert nothing_written()


def test_address_is_geocoded_when_it_has_no_coordinates(acme, api, nominatim):
    nominatim.answer(51.0500, 3.7300)
    response = post_invite(api, acme.invite_body(meetingType="ON_LOCATION", location=ON_LOCATION))
    assert response.status_code == 201
    location = response.json()["data"]["location"]
    assert location["geolocation"] == {"latitude": 51.05, "longitude": 3.73}
    assert location["timeZone"] == "Europe/Brussels"


def test_an_unknown_reference_is_reported_before_the_address_is_geocoded(acme, api, nominatim):
    nominatim.answer(51.0500, 3.7300)
    body = acme.invite_body(meetingType="ON_LOCATION", location=ON_LOCATION, subjectId="424242")
    assert business_error(post_invite(api, body))["code"] == "SUBJECT_NOT_FOUND"
    assert nominatim.requests == []
    assert nothing_written()


def test_given_coordinates_are_kept_and_not_geocoded(acme, api, nominatim):
    location = {**ON_LOCATION, "geolocation": {"latitude": 48.8566, "longitude": 2.3522}}
    response = post_invite(api, acme.invite_body(meetingType="ON_LOCATION", location=location))
    assert response.json()["data"]["location"]["geolocation"] == {"latitude": 48.8566, "longitude": 2.3522}
    assert response.json()["data"]["location"]["timeZone"] == "Europe/Paris"
    assert nominatim.requests == []


def test_open_sea_has_no_time_zone(acme, api):
    location = {**ON_LOCATION, "geolocation": {"latitude": 40.0, "longitude": -30.0}}
    entry = business_error(post_invite(api, acme.invite_body(meetingType="ON_LOCATION", location=location)))
    assert entry["code"] == "LOCATION_TIME_ZONE_RESOLUTION_FAILED"
    assert nothing_written()


@pytest.mark.parametrize("failure", ["status", "timeout"])
def test_geocoder_outage_is_a_503_with_retry_after(acme, api, nominatim, settings, failure):
    if failure == "status":
        nominatim.status = 503
    else:
        settings.GEOCODER_TIMEOUT = 0.2
        nominatim.delay = 0.5
        nominatim.answer(51.05, 3.72)
    response = post_invite(api, acme.invite_body(meetingType="ON_LOCATION", location=ON_LOCATION))
    entry = business_error(response, status=503)
    assert entry["code"] == "GEOCODING_UNAVAILABLE"
    assert int(response["Retry-After"]) > 0
    assert nothing_written()


def test_rules_are_checked_in_the_contracts_order(acme, api):
    body = acme.invite_body(subjectId="0", officeId="0", meetingType="ON_LOCATION", listingId="0")
    body["appointmentParticipants"].append(body["appointmentParticipants"][0])
    order = []
    for fix in [
        lambda b: b.update(subjectId=str(acme.subject.pk)),
        lambda b: b.update(officeId=str(acme.office.pk)),
        lambda b: b.update(listingId=str(acme.listing.pk)),
        lambda b: b.update(location={**ON_LOCATION, "geolocation": {"latitude": 40.0, "longitude": -30.0}}),
        lambda b: b["appointmentParticipants"].pop(),
    ]:
        order.append(business_error(post_invite(api, body))["code"])
        fix(body)
    order.append(business_error(post_invite(api, body))["code"])
    assert order == [
        "SUBJECT_NOT_FOUND",
        "OFFICE_NOT_FOUND",
        "LISTING_NOT_FOUND",
        "APPOINTMENT_LOCATION_REQUIRED",
        "APPOINTMENT_PARTICIPANTS_NOT_UNIQUE",
        "LOCATION_TIME_ZONE_RESOLUTION_FAILED",
    ]


def test_office_meeting_without_location_meets_at_the_office(acme, api):
    data = post_invite(api, acme.invite_body(meetingType="OFFICE")).json()["data"]
    assert data["location"]["geolocation"] == {"latitude": acme.office.location.latitude, "longitude": acme.office.location.longitude}
    assert Appointment.objects.get().location_id == acme.office.location_id


@pytest.mark.parametrize("meeting_type", ["PHONE", "VIDEO"])
def test_remote_meeting_without_location_has_none(acme, api, meeting_type):
    assert post_invite(api, acme.invite_body(meetingType=meeting_type)).json()["data"]["location"] is None


def test_video_meetings_get_a_link_per_participant(acme, api, settings):
    settings.VIDEO_BASE_URL = "https://meet.example.org/rooms/"
    participants = post_invite(api, acme.invite_body(meetingType="VIDEO")).json()["data"]["appointmentParticipants"]
    urls = [p["videoUrl"] for p in participants]
    assert all(url.startswith("https://meet.example.org/rooms/") for url in urls)
    assert len(set(urls)) == len(urls) == 2
    assert all(p["videoTestUrl"].startswith("https://meet.example.org/rooms/") for p in participants)


def test_non_video_meetings_have_no_links(acme, api):
    participants = post_invite(api, acme.invite_body(meetingType="PHONE")).json()["data"]["appointmentParticipants"]
    assert {(p["videoUrl"], p["videoTestUrl"]) for p in participants} == {(None, None)}


def test_created_by_records_the_api_client_and_channel(acme, api):
    data = post_invite(api, acme.invite_body()).json()["data"]
    appointment = Appointment.objects.get()
    assert (data["createdByType"], data["createdFrom"]) == ("API_CLIENT", "API")
    assert data["createdBy"] == {"id": appointment.created_by_id} and appointment.created_by_id
    assert data["updatedBy"] == data["createdBy"]


def test_trailing_buffer_time_null_means_zero(acme, api):
    assert post_invite(api, acme.invite_body(trailingBufferTime=None)).json()["data"]["trailingBufferTime"] == 0


@contextmanager
def participant_inserts_fail():
    """The database refuses the participants' INSERT, after the location and the appointment went
    in: on PostgreSQL a trigger raises disk_full inside the one statement that writes all three;
    elsewhere the third INSERT of the transaction fails."""
    table = AppointmentParticipant._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE FUNCTION test_disk_full() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'disk full' USING ERRCODE = 'disk_full'; END $$"
            )
            cursor.execute(f"CREATE TRIGGER test_disk_full BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION test_disk_full()")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TRIGGER test_disk_full ON {table}")
                cursor.execute("DROP FUNCTION test_disk_full()")
        return

    def fail(execute, sql, params, many, context):
        if sql.startswith("INSERT") and table in sql:
            raise OperationalError("disk full")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail):
        yield


def test_a_failed_write_leaves_nothing_behind(transactional_db, acme, api):
    """No transaction of the test's around the request: the write alone must be atomic."""
    location = {**ON_LOCATION, "geolocation": {"latitude": 51.05, "longitude": 3.72}}
    with participant_inserts_fail():
        response = post_invite(api, acme.invite_body(meetingType="ON_LOCATION", location=location))
    assert response.status_code == 503  # a database failure, in the envelope
    assert nothing_written()
    assert post_invite(api, acme.invite_body(meetingType="ON_LOCATION", location=location)).status_code == 201


def test_a_failed_write_inside_a_callers_transaction_leaves_it_usable(transactional_db, acme):
    """Inside a caller's transaction the write takes a savepoint: after its failure the caller can
    go on with its transaction."""
    from django.db import transaction

    actor = Actor(type="EMPLOYEE", id="1", channel="BACKOFFICE_APP")
    participants = [ParticipantInput("PRIMARY", "CUSTOMER", str(acme.customers[0].pk))]
    with transaction.atomic():
        with participant_inserts_fail(), pytest.raises(OperationalError):
            invite_create(
                enterprise=acme.enterprise, actor=actor, subject_id=str(acme.subject.pk),
                office_id=str(acme.office.pk), participants=participants, meeting_type="VIDEO",
            )
        assert Appointment.objects.count() == 0  # the transaction still answers
        invite_create(
            enterprise=acme.enterprise, actor=actor, subject_id=str(acme.subject.pk),
            office_id=str(acme.office.pk), participants=participants, meeting_type="VIDEO",
        )
    assert Appointment.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite lets one writer in at a time")
@pytest.mark.parametrize("idempotency_key", [None, "key-1"])
def test_a_reference_deleted_while_the_invite_is_made_is_a_409_then_a_422(
    transactional_db, acme, api, nominatim, idempotency_key
):
    """The listing is deleted (by another connection) while the address is geocoded: the invite's
    transaction refuses to commit, nothing is written, and the client may retry: then the rules
    answer that the listing is gone."""
    nominatim.answer(51.05, 3.72)
    nominatim.delay = 0.6
    listing = acme.listing

    def delete_the_listing():
        time.sleep(0.2)
        try:
            Listing.objects.filter(pk=listing.pk).delete()
        finally:
            connection.close()

    deleter = threading.Thread(target=delete_the_listing)
    headers = {"HTTP_IDEMPOTENCY_KEY": idempotency_key} if idempotency_key else {}
    body = acme.invite_body(meetingType="ON_LOCATION", location=ON_LOCATION, listingId=str(listing.pk))
    deleter.start()
    response = post_invite(api, body, **headers)
    deleter.join()

    assert response.status_code == 409, response.content
    assert response.json()["errors"][0]["code"] == "CONCURRENT_CHANGE"
    assert not Appointment.objects.exists() and not AppointmentParticipant.objects.exists()
    assert business_error(post_invite(api, body, **headers))["code"] == "LISTING_NOT_FOUND"


# --- Query count -----------------------------------------------------------------------------


def invite_with(acme, count: int, **kwargs):
    employees = EmployeeFactory.create_batch(count // 2, enterprise=acme.enterprise)
    customers = CustomerFactory.create_batch(count - count // 2, enterprise=acme.enterprise)
    participants = [ParticipantInput("PRIMARY", "EMPLOYEE", str(e.pk)) for e in employees] + [
        ParticipantInput("SECONDARY", "CUSTOMER", str(c.pk)) for c in customers
    ]
    actor = Actor(type="EMPLOYEE", id="1", channel="BACKOFFICE_APP")
    with CaptureQueriesContext(connection) as queries:
        invite_create(
            enterprise=acme.enterprise, actor=actor, subject_id=str(acme.subject.pk), office_id=str(acme.office.pk),
            participants=participants, meeting_type="VIDEO", **kwargs,
        )
    return len(queries)


def test_service_query_count_does_not_grow_with_participants(acme):
    counts = [invite_with(acme, count) for count in (2, 10, 40)]
    # The references, the appointment, its participants and its customers' invite messages, inside
    # a savepoint (and its release) here, in the test's transaction.
    assert counts == [6] * 3


def test_api_query_count_does_not_grow_with_participants(transactional_db, acme, api, settings, monkeypatch):
    """Without a test transaction around it, as in production (inside one, the write would take a
    savepoint: two more statements), and with the rate limit counted in the database, in a window
    that has begun (its first request creates the counter)."""
    settings.RATE_LIMIT_CACHE = None
    monkeypatch.setattr(ApiClientRateThrottle, "timer", staticmethod(lambda: 1_800_000_015.0))
    counts = []
    for size in (2, 10):
        employees = EmployeeFactory.create_batch(size // 2, enterprise=acme.enterprise)
        customers = CustomerFactory.create_batch(size // 2, enterprise=acme.enterprise)
        body = acme.invite_body(
            listingId=str(acme.listing.pk), leadSegmentId=str(acme.lead_segment.pk),
            callbackRequestId=str(acme.callback_request.pk),
            location={**ON_LOCATION, "geolocation": {"latitude": 51.05, "longitude": 3.72}},
        )
        body["appointmentParticipants"] = [
            {"role": "PRIMARY", "participantId": str(p.pk), "type": type_}
            for people, type_ in ((employees, "EMPLOYEE"), (customers, "CUSTOMER"))
            for p in people
        ]
        assert api.get(f"/api/enterprises/{acme.enterprise.slug}/appointments").status_code == 200  # the window's counter
        caches["tokens"].clear()  # counted with the token's lookup, as on a client's first request
        with CaptureQueriesContext(connection) as queries:
            assert post_invite(api, body).status_code == 201
        counts.append(len(queries))
    # Shown with `pytest -s -k query_count`: the figure reported for the invite API.
    print(f"\nSQL queries per API invite (token, references and writes): 2 participants={counts[0]}, 10 participants={counts[1]}")
    assert counts[0] == counts[1], counts
    # The token (with its client's enterprise), the rate limit's counter, the references, the
    # location, the appointment, its participants and its invite messages, and after the commit
    # the messages' job queued (a row, with the database's task backend); on SQLite, BEGIN and
    # COMMIT are counted too.
    assert counts[0] <= 10

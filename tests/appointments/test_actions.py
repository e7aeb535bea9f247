"""POST …/appointments/{id}/_actions/{reschedule,accept,cancel,complete,no-show,resend-invite}: the
lifecycle through the API, with its scope, its tenancy, its errors and its Idempotency-Key."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from appointments.models import Appointment, AppointmentStatusChange
from availability.models import BusyTime
from notifications.models import Message
from participants.models import ApiClient
from tests.availability.support import book, invite, local, next_weekday, open_every_day, rules
from tests.notifications.support import give_addresses, link_path, send_pending
from tests.schema_support import assert_matches_schema
from tests.support import post_invite

pytestmark = pytest.mark.django_db
Status = Appointment.Status
MONDAY = next_weekday(0)
PATH = "/api/enterprises/{enterprise}/appointments/{id}/_actions/"
ACTIONS = ("reschedule", "accept", "cancel", "complete", "no-show", "resend-invite")


def post(client, appointment, action, body=None, slug="acme", **headers):
    """The action on ``appointment`` (or an id); without ``body``, a POST without a body."""
    pk = appointment if isinstance(appointment, str) else appointment.pk
    path = f"/api/enterprises/{slug}/appointments/{pk}/_actions/{action}"
    if body is None:
        return client.post(path, **headers)
    return client.post(path, body, format="json", **headers)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def stamp(moment: datetime) -> str:
    """As the API writes times: UTC, milliseconds, Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def data(response, status=200) -> dict:
    assert response.status_code == status, response.content
    return response.json()["data"]


def errors(response, status) -> list[tuple[str, dict]]:
    assert response.status_code == status, response.content
    return [(entry["code"], entry["arguments"]) for entry in response.json()["errors"]]


def started(appointment) -> Appointment:
    """The booked appointment, as if its start had passed an hour ago."""
    Appointment.objects.filter(pk=appointment.pk).update(start=timezone.now() - timedelta(hours=1))
    return appointment


def body_for(action: str) -> dict | None:
    return {"start": rfc3339(local(MONDAY, 14))} if action == "reschedule" else None


@pytest.fixture
def office_hours(acme):
    open_every_day(acme.office, weekdays=range(5))  # 09:00–17:00 in Brussels, Monday to Friday
    rules(acme)  # 60 minutes on a 30-minute grid, bookable from now on


# --- Each action's happy path ----------------------------------------------------------------------


def test_reschedule_books_an_invite_for_the_customer(acme, api, office_hours):
    appointment = invite(acme)
    response = post(api, appointment, "reschedule", {"start": rfc3339(local(MONDAY, 10)), "message": "See you"})

    booked = data(response)
    assert_matches_schema(response.json(), PATH + "reschedule", "post", 200)
    assert (booked["status"], booked["start"], booked["end"]) == ("ACCEPTED", stamp(local(MONDAY, 10)), stamp(local(MONDAY, 11)))
    client = ApiClient.objects.latest("id")
    assert (booked["updatedByType"], booked["updatedBy"], booked["updatedFrom"]) == ("API_CLIENT", {"id": str(client.pk)}, "API")
    assert booked["createdByType"] == "EMPLOYEE"  # who invited is unchanged
    assert api.get(f"/api/enterprises/acme/appointments/{appointment.pk}").json()["data"] == booked
    change = AppointmentStatusChange.objects.get(appointment=appointment)
    assert (change.action, change.from_status, change.to_status, change.message, change.notify_customer) == (
        "reschedule", "OUTGOING_INVITE", "ACCEPTED", "See you", True
    )
    assert (change.by_type, change.by_id, change.channel) == ("API_CLIENT", str(client.pk), "API")
    assert BusyTime.objects.get(appointment=appointment).employee == acme.employees[0]


def test_reschedule_takes_a_slot_as_time_slots_wrote_it(acme, api, office_hours):
    appointment = invite(acme)
    window = {"from": rfc3339(local(MONDAY, 0)), "to": rfc3339(local(MONDAY, 23))}
    slot = api.get(f"/api/enterprises/acme/appointments/{appointment.pk}/time-slots", window).json()["data"][3]

    booked = data(post(api, appointment, "reschedule", {"start": slot["start"]}))
    assert (booked["start"], booked["end"]) == (slot["start"], slot["end"])


def test_reschedule_with_an_end_of_its_own_and_an_offset(acme, api, office_hours):
    start, end = local(MONDAY, 10), local(MONDAY, 10, 30)
    body = {"start": start.isoformat(), "end": end.isoformat(), "notifyCustomer": False}  # +01:00 or +02:00
    booked = data(post(api, invite(acme), "reschedule", body))
    assert (booked["start"], booked["end"]) == (stamp(start), stamp(end))
    assert AppointmentStatusChange.objects.get().notify_customer is False


def test_reschedule_moves_a_booked_appointment_and_frees_its_old_time(acme, api, office_hours):
    booked = book(acme, local(MONDAY, 10))
    moved = data(post(api, booked, "reschedule", {"start": rfc3339(local(MONDAY, 14))}))
    assert (moved["status"], moved["start"]) == ("ACCEPTED", stamp(local(MONDAY, 14)))
    data(post(api, invite(acme), "reschedule", {"start": rfc3339(local(MONDAY, 10))}))  # free again


def test_a_subject_that_needs_accepting_waits_for_accept(acme, api, office_hours):
    rules(acme, auto_accept=False)
    appointment = invite(acme)
    assert data(post(api, appointment, "reschedule", {"start": rfc3339(local(MONDAY, 10))}))["status"] == "INCOMING_REQUEST"

    response = post(api, appointment, "accept")  # no body at all
    assert data(response)["status"] == "ACCEPTED"
    assert_matches_schema(response.json(), PATH + "accept", "post", 200)
    assert data(post(api, appointment, "reschedule", {"start": rfc3339(local(MONDAY, 14))}))["status"] == "INCOMING_REQUEST"
    assert data(post(api, appointment, "accept", {}))["status"] == "ACCEPTED"  # or an empty object


def test_cancel_records_why_and_frees_the_time(acme, api, office_hours):
    booked = book(acme, local(MONDAY, 10))
    body = {"reason": "Customer moved away", "message": "Sorry to see you go", "notifyCustomer": False}
    response = post(api, booked, "cancel", body)

    cancelled = data(response)
    assert_matches_schema(response.json(), PATH + "cancel", "post", 200)
    assert (cancelled["status"], cancelled["start"]) == ("CANCELLED", stamp(local(MONDAY, 10)))
    change = AppointmentStatusChange.objects.filter(appointment=booked).last()
    assert (change.action, change.reason, change.message, change.notify_customer) == (
        "cancel", "Customer moved away", "Sorry to see you go", False
    )
    assert not BusyTime.objects.filter(appointment=booked).exists()


def test_cancel_needs_no_body(acme, api):
    assert data(post(api, invite(acme), "cancel"))["status"] == "CANCELLED"
    assert AppointmentStatusChange.objects.get().reason == ""


@pytest.mark.parametrize("action, status", [("complete", "COMPLETED"), ("no-show", "NO_SHOW")])
def test_an_outcome_once_the_appointment_has_started(acme, api, office_hours, action, status):
    booked = started(book(acme, local(MONDAY, 10)))
    response = post(api, booked, action)
    assert data(response)["status"] == status
    assert_matches_schema(response.json(), PATH + action, "post", 200)
    assert AppointmentStatusChange.objects.filter(appointment=booked).last().action == action


def test_resend_invite_sends_a_new_link_and_the_older_one_stops_working(acme, api, client, settings):
    settings.PUBLIC_BASE_URL = "http://testserver"
    give_addresses(acme)
    appointment = invite(acme, message="Bring your ID")
    send_pending()
    response = post(api, appointment, "resend-invite", {"message": "Still interested?"}, HTTP_IDEMPOTENCY_KEY="again-1")

    resent = data(response)
    assert_matches_schema(response.json(), PATH + "resend-invite", "post", 200)
    assert (resent["status"], resent["start"], resent["updatedByType"], resent["updatedFrom"]) == (
        "OUTGOING_INVITE", None, "API_CLIENT", "API"
    )
    change = AppointmentStatusChange.objects.get(appointment=appointment)
    assert (change.action, change.from_status, change.message, change.channel) == (
        "resend-invite", "OUTGOING_INVITE", "Still interested?", "API"
    )
    send_pending()
    first, second = mail.outbox
    assert "Still interested?" in second.body
    older, newer = client.get(link_path(first)), client.get(link_path(second))
    assert (older.status_code, older.content) == (404, client.get("/i/no-such-token/").content)  # the neutral page
    assert "This link no longer works" in older.content.decode()
    assert newer.status_code == 200 and acme.subject.name in newer.content.decode()
    # A retry with the same key answers the same and sends nothing more.
    again = post(api, appointment, "resend-invite", {"message": "Still interested?"}, HTTP_IDEMPOTENCY_KEY="again-1")
    assert again["Idempotent-Replayed"] == "true" and again.json() == response.json()
    assert Message.objects.filter(appointment=appointment, kind="INVITE").count() == 2


def test_resend_invite_offers_times_again_where_none_suited_the_customer(acme, api):
    appointment = invite(acme)
    Appointment.objects.filter(pk=appointment.pk).update(status=Status.ALTERNATIVE_DATE_REQUESTED)

    assert data(post(api, appointment, "resend-invite"))["status"] == "OUTGOING_INVITE"  # no body at all
    change = AppointmentStatusChange.objects.get(appointment=appointment)
    assert (change.from_status, change.to_status, change.message) == ("ALTERNATIVE_DATE_REQUESTED", "OUTGOING_INVITE", "")


# --- Who may act on what ---------------------------------------------------------------------------


@pytest.mark.parametrize("action", ACTIONS)
def test_no_action_reaches_another_enterprises_appointment(acme, globex, api, office_hours, action):
    open_every_day(globex.office)
    theirs = invite(globex)
    assert errors(post(api, theirs, action, body_for(action)), 404) == [("APPOINTMENT_NOT_FOUND", {"id": str(theirs.pk)})]
    # Nor through their enterprise's path: the token is acme's.
    assert errors(post(api, theirs, action, body_for(action), slug="globex"), 403)[0][0] == "FORBIDDEN_ENTERPRISE"
    theirs.refresh_from_db()
    assert (theirs.status, theirs.start) == (Status.OUTGOING_INVITE, None)
    assert not AppointmentStatusChange.objects.exists() and not BusyTime.objects.exists()


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("missing", ["999999", "abc", "1.0"])
def test_an_unknown_appointment_is_a_404(acme, api, action, missing):
    assert errors(post(api, missing, action, body_for(action)), 404)[0][0] == "APPOINTMENT_NOT_FOUND"


@pytest.mark.parametrize("action", ACTIONS)
def test_a_read_only_token_may_not_act(acme, office_hours, action):
    booked = started(book(acme, local(MONDAY, 10)))
    read_only = acme.api(scope="engage:appointments:readOnly")
    assert errors(post(read_only, booked, action, body_for(action)), 403)[0][0] == "INSUFFICIENT_SCOPE"
    booked.refresh_from_db()
    assert booked.status == Status.ACCEPTED and AppointmentStatusChange.objects.count() == 1


def test_without_a_token_it_is_a_401(acme, office_hours):
    assert errors(post(APIClient(), invite(acme), "cancel"), 401)[0][0] == "UNAUTHENTICATED"


# --- Malformed bodies (400), checked before anything else -----------------------------------------

START = "2030-03-11T09:00:00Z"


@pytest.mark.parametrize(
    "action, body, expected",
    [
        ("reschedule", {}, [("REQUIRED", "/start")]),
        ("reschedule", {"start": None}, [("NOT_NULLABLE", "/start")]),
        ("reschedule", {"start": 1700000000}, [("INVALID_TYPE", "/start")]),
        ("reschedule", {"start": "2030-03-11T09:00:00"}, [("INVALID_FORMAT", "/start")]),
        ("reschedule", {"start": "2030-03-11"}, [("INVALID_FORMAT", "/start")]),
        ("reschedule", {"start": "9999-03-11T09:00:00Z"}, [("TOO_LARGE", "/start")]),
        ("reschedule", {"start": START, "end": START}, [("TOO_SMALL", "/end")]),
        ("reschedule", {"start": START, "end": "2030-03-11T08:00:00Z"}, [("TOO_SMALL", "/end")]),
        ("reschedule", {"start": START, "end": "2030-03-12T09:00:01Z"}, [("TOO_LARGE", "/end")]),
        ("reschedule", {"start": START, "message": ""}, [("TOO_SHORT", "/message")]),
        ("reschedule", {"start": START, "notifyCustomer": "yes"}, [("INVALID_TYPE", "/notifyCustomer")]),
        ("reschedule", {"start": START, "notifyCustomer": None}, [("NOT_NULLABLE", "/notifyCustomer")]),
        ("reschedule", {"start": START, "status": "ACCEPTED"}, [("UNKNOWN_PROPERTY", "/status")]),
        ("reschedule", {"start": 5, "when": 1}, [("INVALID_TYPE", "/start"), ("UNKNOWN_PROPERTY", "/when")]),
        ("reschedule", [START], [("INVALID_TYPE", "")]),
        ("cancel", {"reason": 5}, [("INVALID_TYPE", "/reason")]),
        ("cancel", {"reason": "", "message": ""}, [("TOO_SHORT", "/reason"), ("TOO_SHORT", "/message")]),
        ("cancel", {"notify": True}, [("UNKNOWN_PROPERTY", "/notify")]),
        ("accept", {"note": "ok"}, [("UNKNOWN_PROPERTY", "/note")]),
        ("complete", {"at": START}, [("UNKNOWN_PROPERTY", "/at")]),
        ("no-show", "", [("INVALID_TYPE", "")]),
        ("resend-invite", {"message": ""}, [("TOO_SHORT", "/message")]),
        ("resend-invite", {"message": 5}, [("INVALID_TYPE", "/message")]),
        ("resend-invite", {"message": "Hi", "notifyCustomer": False}, [("UNKNOWN_PROPERTY", "/notifyCustomer")]),
    ],
)
def test_a_malformed_body_is_a_400_with_every_violation(acme, api, action, body, expected):
    appointment = invite(acme)
    response = post(api, appointment, action, body)
    found = sorted((code, arguments["pointer"]) for code, arguments in errors(response, 400))
    assert found == sorted(expected) and all(len(e["arguments"]) == 1 for e in response.json()["errors"])
    assert_matches_schema(response.json(), PATH + action, "post", 400)
    appointment.refresh_from_db()
    assert appointment.status == Status.OUTGOING_INVITE and not AppointmentStatusChange.objects.exists()


def test_the_body_is_checked_before_the_appointment_is_looked_for(api):
    assert errors(post(api, "999999", "reschedule", {}), 400) == [("REQUIRED", {"pointer": "/start"})]


def test_only_json_bodies(acme, api):
    response = api.post(f"/api/enterprises/acme/appointments/{invite(acme).pk}/_actions/cancel", "reason=x",
                        content_type="application/x-www-form-urlencoded")
    assert errors(response, 415)[0][0] == "UNSUPPORTED_MEDIA_TYPE"


# --- The rules (422) ------------------------------------------------------------------------------


@pytest.mark.parametrize("start", [local(MONDAY, 8), local(MONDAY, 16, 30), local(MONDAY, 10, 15), local(MONDAY - timedelta(days=1), 10)])
def test_a_time_that_is_not_free_is_refused(acme, api, office_hours, start):
    appointment = invite(acme)
    response = post(api, appointment, "reschedule", {"start": rfc3339(start)})
    [(code, arguments)] = errors(response, 422)
    assert code == "APPOINTMENT_NO_AVAILABILITY" and datetime.fromisoformat(arguments["start"]) == start
    assert_matches_schema(response.json(), PATH + "reschedule", "post", 422)
    appointment.refresh_from_db()
    assert (appointment.status, appointment.start) == (Status.OUTGOING_INVITE, None)


def test_a_time_taken_by_another_booking_is_refused(acme, api, office_hours):
    book(acme, local(MONDAY, 10))
    response = post(api, invite(acme), "reschedule", {"start": rfc3339(local(MONDAY, 10, 30))})
    assert errors(response, 422)[0][0] == "APPOINTMENT_NO_AVAILABILITY"


@pytest.mark.parametrize(
    "action, status, allowed",
    [
        ("accept", Status.OUTGOING_INVITE, ["INCOMING_REQUEST"]),
        ("accept", Status.ACCEPTED, ["INCOMING_REQUEST"]),
        ("reschedule", Status.CANCELLED, ["OUTGOING_INVITE", "INCOMING_REQUEST", "ACCEPTED", "ALTERNATIVE_DATE_REQUESTED"]),
        ("cancel", Status.COMPLETED, ["OUTGOING_INVITE", "INCOMING_REQUEST", "ACCEPTED", "ALTERNATIVE_DATE_REQUESTED"]),
        ("cancel", Status.CANCELLED, ["OUTGOING_INVITE", "INCOMING_REQUEST", "ACCEPTED", "ALTERNATIVE_DATE_REQUESTED"]),
        ("complete", Status.INCOMING_REQUEST, ["ACCEPTED"]),
        ("complete", Status.NO_SHOW, ["ACCEPTED"]),
        ("no-show", Status.OUTGOING_INVITE, ["ACCEPTED"]),
        ("resend-invite", Status.ACCEPTED, ["OUTGOING_INVITE", "ALTERNATIVE_DATE_REQUESTED"]),
        ("resend-invite", Status.CANCELLED, ["OUTGOING_INVITE", "ALTERNATIVE_DATE_REQUESTED"]),
    ],
)
def test_a_transition_outside_the_table_is_refused_with_the_allowed_states(acme, api, office_hours, action, status, allowed):
    appointment = started(book(acme, local(MONDAY, 10)))
    Appointment.objects.filter(pk=appointment.pk).update(status=status)
    response = post(api, appointment, action, body_for(action))
    assert errors(response, 422) == [("APPOINTMENT_STATUS_INVALID", {"status": status, "allowedStates": allowed})]
    assert_matches_schema(response.json(), PATH + action, "post", 422)
    appointment.refresh_from_db()
    assert appointment.status == status


@pytest.mark.parametrize("action", ["complete", "no-show"])
def test_an_outcome_waits_for_the_start(acme, api, office_hours, action):
    booked = book(acme, local(MONDAY, 10))
    [(code, arguments)] = errors(post(api, booked, action), 422)
    assert code == "APPOINTMENT_NOT_STARTED" and datetime.fromisoformat(arguments["start"]) == local(MONDAY, 10)
    booked.refresh_from_db()
    assert booked.status == Status.ACCEPTED


# --- Idempotency-Key ---------------------------------------------------------------------------------


def test_a_retried_action_replays_its_first_answer(acme, api, office_hours):
    booked = book(acme, local(MONDAY, 10))
    first = post(api, booked, "cancel", {"reason": "Moved"}, HTTP_IDEMPOTENCY_KEY="cancel-1")
    again = post(api, booked, "cancel", {"reason": "Moved"}, HTTP_IDEMPOTENCY_KEY="cancel-1")

    assert first.status_code == again.status_code == 200  # run again, it would be a 422: already cancelled
    assert "Idempotent-Replayed" not in first and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert AppointmentStatusChange.objects.filter(appointment=booked, action="cancel").count() == 1


def test_a_retried_reschedule_books_once(acme, api, office_hours):
    appointment = invite(acme)
    body = {"start": rfc3339(local(MONDAY, 10))}
    first = post(api, appointment, "reschedule", body, HTTP_IDEMPOTENCY_KEY="book-1")
    again = post(api, appointment, "reschedule", body, HTTP_IDEMPOTENCY_KEY="book-1")
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert AppointmentStatusChange.objects.count() == 1 and BusyTime.objects.count() == 1


def test_a_key_used_on_another_appointment_is_refused_not_replayed(acme, api, office_hours):
    one, other = invite(acme), invite(acme)
    assert post(api, one, "cancel", HTTP_IDEMPOTENCY_KEY="k").status_code == 200
    reused = post(api, other, "cancel", HTTP_IDEMPOTENCY_KEY="k")  # the same (empty) body

    assert errors(reused, 422)[0][0] == "IDEMPOTENCY_KEY_REUSED"
    assert_matches_schema(reused.json(), PATH + "cancel", "post", 422)
    other.refresh_from_db()
    assert other.status == Status.OUTGOING_INVITE


def test_a_key_used_for_another_action_is_refused_not_replayed(acme, api, office_hours):
    booked = started(book(acme, local(MONDAY, 10)))
    assert data(post(api, booked, "complete", HTTP_IDEMPOTENCY_KEY="k"))["status"] == "COMPLETED"
    assert errors(post(api, booked, "no-show", HTTP_IDEMPOTENCY_KEY="k"), 422)[0][0] == "IDEMPOTENCY_KEY_REUSED"
    # ...and the invite's key is not an action's either.
    assert post(api, invite(acme), "cancel", HTTP_IDEMPOTENCY_KEY="invite-key").status_code == 200
    assert errors(post_invite(api, acme.invite_body(), HTTP_IDEMPOTENCY_KEY="invite-key"), 422)[0][0] == "IDEMPOTENCY_KEY_REUSED"


def test_a_refused_action_does_not_use_up_its_key(acme, api, office_hours):
    appointment = invite(acme)
    taken = book(acme, local(MONDAY, 10))
    body = {"start": rfc3339(local(MONDAY, 10))}
    assert errors(post(api, appointment, "reschedule", body, HTTP_IDEMPOTENCY_KEY="k"), 422)[0][0] == "APPOINTMENT_NO_AVAILABILITY"

    data(post(api, taken, "cancel"))  # the time is free again: the same request now books
    retried = post(api, appointment, "reschedule", body, HTTP_IDEMPOTENCY_KEY="k")
    assert data(retried)["status"] == "ACCEPTED" and "Idempotent-Replayed" not in retried


def test_an_invalid_key_is_a_400_and_nothing_happens(acme, api):
    appointment = invite(acme)
    assert errors(post(api, appointment, "cancel", HTTP_IDEMPOTENCY_KEY="with space"), 400)[0][0] == "IDEMPOTENCY_KEY_INVALID"
    appointment.refresh_from_db()
    assert appointment.status == Status.OUTGOING_INVITE

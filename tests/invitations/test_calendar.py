"""The calendar file, as the customer's page and the emails build it: read back with icalendar."""

import pytest
from icalendar import Calendar

from appointments.models import Appointment, AppointmentParticipant
from appointments.services import ParticipantInput, appointment_cancel, appointment_reschedule, invite_create
from invitations.calendar import appointment_calendar
from tests.availability.support import STAFF, book, local, next_weekday

pytestmark = pytest.mark.django_db
MONDAY = next_weekday(0)


@pytest.fixture
def booked(acme, office_hours):
    """A video meeting of two customers with two employees (one SECONDARY), booked Monday 10:00."""
    anna, ben = acme.employees[:2]
    anna.email, ben.email = "anna@acme.example", "ben@acme.example"
    for person in (anna, ben):
        person.save()
    for customer, email in zip(acme.customers[:2], ("daan@example.com", "eva@example.com"), strict=True):
        customer.email = email
        customer.save()
    appointment = invite_create(
        enterprise=acme.enterprise,
        actor=STAFF,
        subject_id=str(acme.subject.pk),
        office_id=str(acme.office.pk),
        participants=[
            ParticipantInput("PRIMARY", "EMPLOYEE", str(anna.pk)),
            ParticipantInput("SECONDARY", "EMPLOYEE", str(ben.pk)),
            ParticipantInput("PRIMARY", "CUSTOMER", str(acme.customers[0].pk)),
            ParticipantInput("PRIMARY", "CUSTOMER", str(acme.customers[1].pk)),
        ],
        meeting_type="VIDEO",
        message="Test your camera first",
        internal_notes="Staff only",
    )
    return appointment_reschedule(enterprise=acme.enterprise, appointment_id=appointment.pk, actor=STAFF, start=local(MONDAY, 10))


def loaded(appointment) -> Appointment:
    return (
        Appointment.objects.select_related("subject", "office__location", "location", "enterprise")
        .prefetch_related("participants__employee", "participants__customer")
        .get(pk=appointment.pk)
    )


def event_of(body: bytes):
    calendar = Calendar.from_ical(body)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def test_a_customers_file_names_the_organizer_their_attendees_and_their_own_video_link(acme, booked):
    appointment = loaded(booked)
    daan = next(p for p in appointment.participants.all() if p.customer_id == acme.customers[0].pk)

    calendar, event = event_of(appointment_calendar(appointment, language="en", recipient=daan))

    assert str(calendar["METHOD"]) == "REQUEST" and str(event["STATUS"]) == "CONFIRMED"
    # The service that sends every update, under the enterprise's name; not one of the employees.
    assert str(event["ORGANIZER"]) == "mailto:invites@localhost"
    assert str(event["ORGANIZER"].params["CN"]) == acme.enterprise.name
    attendees = {str(attendee): str(attendee.params["ROLE"]) for attendee in event["ATTENDEE"]}
    # The other customer is not this customer's to know.
    assert attendees == {
        "mailto:anna@acme.example": "REQ-PARTICIPANT",
        "mailto:ben@acme.example": "OPT-PARTICIPANT",
        "mailto:daan@example.com": "REQ-PARTICIPANT",
    }
    assert str(event["LOCATION"]) == str(event["URL"]) == daan.video_url
    assert str(event["DESCRIPTION"]) == f"{daan.video_url}\nTest your camera first"
    assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (local(MONDAY, 10), local(MONDAY, 11))
    # In the office's zone, named and described.
    assert event["DTSTART"].params["TZID"] == event["DTEND"].params["TZID"] == "Europe/Brussels"
    assert [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")] == ["Europe/Brussels"]


def test_a_staff_file_lists_everyone_and_a_cancel_keeps_the_uid(acme, booked):
    _calendar, request = event_of(appointment_calendar(loaded(booked), language="en"))
    assert len(request["ATTENDEE"]) == 4

    appointment_cancel(enterprise=acme.enterprise, appointment_id=booked.pk, actor=STAFF)
    calendar, cancel = event_of(appointment_calendar(loaded(booked), language="en", method="CANCEL"))

    assert str(calendar["METHOD"]) == "CANCEL" and str(cancel["STATUS"]) == "CANCELLED"
    assert str(cancel["UID"]) == str(request["UID"]) and cancel["SEQUENCE"] > request["SEQUENCE"]


def test_the_file_speaks_the_readers_language_and_never_holds_internal_notes(acme, booked):
    acme.subject.name_nl = "Hypotheekadvies"
    acme.subject.save()
    appointment = loaded(booked)
    body = appointment_calendar(appointment, language="nl")
    _calendar, event = event_of(body)
    assert str(event["SUMMARY"]) == f"Hypotheekadvies ({acme.enterprise.name})"
    assert b"Staff only" not in body
    french = event_of(appointment_calendar(appointment, language="fr"))[1]
    assert str(french["SUMMARY"]) == f"{acme.subject.name_en} ({acme.enterprise.name})"


def test_an_office_meeting_is_at_the_offices_address(acme, office_hours):
    appointment = loaded(book(acme, local(MONDAY, 10)))
    recipient = next(p for p in appointment.participants.all() if p.type == AppointmentParticipant.Type.CUSTOMER)
    _calendar, event = event_of(appointment_calendar(appointment, language="nl", recipient=recipient))
    assert str(event["LOCATION"]) == f"{acme.office.name}, Korenmarkt 1, 9000 Gent, BE"
    assert "URL" not in event


def test_the_file_describes_the_offices_zone_around_the_event(acme, booked):
    calendar, event = event_of(appointment_calendar(loaded(booked), language="en"))

    [zone] = calendar.timezones
    assert zone.tz_name == acme.office.location.time_zone == event["DTSTART"].params["TZID"]
    # A calendar that knows only the file's own rules places the event at the booked instant.
    start = booked.start
    own_rules = zone.to_tz()
    assert start.astimezone(own_rules).utcoffset() == event.decoded("DTSTART").utcoffset()
    assert start.astimezone(own_rules).replace(tzinfo=None) == event.decoded("DTSTART").replace(tzinfo=None)

"""An appointment as a calendar file (RFC 5545, iTIP), for the customer's page and for emails.

One ``UID`` per appointment for its whole life (``appointment-<id>@<host of PUBLIC_BASE_URL>``), so
that a calendar replaces the event it has instead of adding another; ``SEQUENCE`` is the number of
changes in the appointment's history, so it rises with every change; times are in UTC, which every
calendar converts to its reader's zone. ``internal_notes`` never go into a calendar file.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from appointments.models import Appointment, AppointmentParticipant

from . import display

CONTENT_TYPE = "text/calendar; charset=utf-8"
STATUSES = {Appointment.Status.ACCEPTED: "CONFIRMED", Appointment.Status.INCOMING_REQUEST: "TENTATIVE"}


def calendar_uid(appointment: Appointment) -> str:
    host = urlsplit(settings.PUBLIC_BASE_URL).hostname or "invites.invalid"
    return f"appointment-{appointment.pk}@{host}"


def appointment_calendar(
    appointment: Appointment,
    *,
    language: str,
    method: str = "REQUEST",
    recipient: AppointmentParticipant | None = None,
) -> bytes:
    """The calendar file of a booked appointment, ``METHOD:REQUEST`` (booked or moved) or
    ``METHOD:CANCEL``, in ``language`` (an API code).

    ``appointment`` comes with ``subject``, ``office__location``, ``location`` and ``enterprise``
    selected and ``participants`` prefetched with their employee and customer. For a customer
    ``recipient`` the other customers are left out of the attendees (they are not theirs to
    know), and their own video link is the event's location."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"Unsupported METHOD {method!r}")
    place = display.place(appointment, language, recipient)
    participants = list(appointment.participants.all())
    employees = [p for p in participants if p.type == AppointmentParticipant.Type.EMPLOYEE]
    customers = [p for p in participants if p.type == AppointmentParticipant.Type.CUSTOMER]
    if recipient is not None and recipient.type == AppointmentParticipant.Type.CUSTOMER:
        customers = [recipient]

    calendar = Calendar()
    calendar.add("prodid", f"-//{settings.PRODUCT_NAME}//Appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)

    event = Event()
    event.add("uid", calendar_uid(appointment))
    event.add("sequence", appointment.history.count())
    event.add("dtstamp", timezone.now())
    event.add("dtstart", appointment.start)
    event.add("dtend", appointment.end or appointment.start)
    event.add("summary", display.subject_name(appointment, language))
    location = place.address if not place.video_url else place.video_url
    event.add("location", ", ".join(part for part in (place.name, location) if part) or place.meeting_type)
    if place.video_url:
        event.add("url", place.video_url)
    if appointment.message_for_customer:
        event.add("description", appointment.message_for_customer)
    event.add("status", "CANCELLED" if method == "CANCEL" else STATUSES.get(appointment.status, "CONFIRMED"))

    organizer = next((p.employee for p in employees if p.role == "PRIMARY" and p.employee.email), None)
    event.add("organizer", _address(organizer.email if organizer else settings.DEFAULT_FROM_EMAIL, organizer))
    for participant in (*employees, *customers):
        person = participant.employee if participant.type == AppointmentParticipant.Type.EMPLOYEE else participant.customer
        if person.email:
            attendee = _address(person.email, person)
            attendee.params["role"] = vText("REQ-PARTICIPANT" if participant.role == "PRIMARY" else "OPT-PARTICIPANT")
            event.add("attendee", attendee, encode=False)
    calendar.add_component(event)
    return calendar.to_ical()


def _address(email: str, person=None) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if person is not None:
        address.params["cn"] = vText(str(person))
    return address

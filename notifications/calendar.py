"""Calendar files (RFC 5545) for an appointment's messages.

Every file about one appointment carries the same ``UID`` for the appointment's whole life, and a
``SEQUENCE`` that rises with each change (the number of actions in its history when the message was
written), so that a calendar updates the one event it holds instead of adding another. A booking
or a new time is ``METHOD:REQUEST``; a cancellation is ``METHOD:CANCEL``. Times are in the office's
zone, named by ``TZID`` and described by a ``VTIMEZONE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from appointments.models import Appointment
# One UID for the appointment's life, the same as in the file on the customer's page.
from invitations.calendar import calendar_uid

PRODID = "-//Invites//Appointment notifications//EN"


@dataclass(frozen=True)
class Attendee:
    name: str
    email: str
    role: str = "REQ-PARTICIPANT"
    partstat: str = "ACCEPTED"


def calendar_file(
    *,
    appointment: Appointment,
    method: str,
    status: str,
    sequence: int,
    start: datetime,
    end: datetime,
    zone,
    summary: str,
    location: str,
    description: str,
    organizer_name: str,
    organizer_email: str,
    attendees: list[Attendee],
) -> bytes:
    """One event as an iCalendar file. ``method`` is REQUEST or CANCEL, ``status`` CONFIRMED,
    TENTATIVE or CANCELLED."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", calendar_uid(appointment))
    event.add("sequence", sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", start.astimezone(zone))
    event.add("dtend", end.astimezone(zone))
    event.add("status", status)
    event.add("summary", summary)
    if location:
        event.add("location", location)
    if description:
        event.add("description", description)
    organizer = vCalAddress(f"mailto:{organizer_email}")
    organizer.params["cn"] = vText(organizer_name)
    event.add("organizer", organizer)
    for attendee in attendees:
        address = vCalAddress(f"mailto:{attendee.email}")
        address.params["cn"] = vText(attendee.name)
        address.params["role"] = vText(attendee.role)
        address.params["partstat"] = vText(attendee.partstat)
        event.add("attendee", address)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()

"""An appointment as a calendar file (RFC 5545, iTIP): the one the customer downloads from their page
and the one attached to each e-mail are built here, so that a calendar given both keeps one event.

- ``UID``: one per appointment for its whole life (``appointment-<id>@<host of PUBLIC_BASE_URL>``),
  so that a calendar replaces the event it has instead of adding another.
- ``SEQUENCE``: the number of actions in the appointment's history, so it rises with every change.
- ``METHOD:REQUEST`` for a booked or moved appointment, ``METHOD:CANCEL`` for a cancelled one.
- Times in the office's zone, named by ``TZID`` and described by a ``VTIMEZONE``: the meeting's
  own zone, which every calendar converts to its reader's.
- ``internal_notes`` never go into a calendar file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from appointments.models import Appointment, AppointmentParticipant
from availability.selectors import office_time_zone

from . import display

CONTENT_TYPE = "text/calendar; charset=utf-8"
EMPLOYEE = AppointmentParticipant.Type.EMPLOYEE
CUSTOMER = AppointmentParticipant.Type.CUSTOMER


def calendar_uid(appointment: Appointment) -> str:
    host = urlsplit(settings.PUBLIC_BASE_URL).hostname or "invites.invalid"
    return f"appointment-{appointment.pk}@{host}"


@dataclass(frozen=True)
class EventVersion:
    """The appointment's time as one file tells it: the page tells it as it is now, an e-mail as it
    was when the message was written (a later message carries a later version)."""

    start: datetime
    end: datetime | None
    sequence: int
    tentative: bool = False  # a requested time that waits for an employee to accept it

    @classmethod
    def current(cls, appointment: Appointment) -> EventVersion:
        tentative = appointment.status == Appointment.Status.INCOMING_REQUEST
        return cls(appointment.start, appointment.end, appointment.history.count(), tentative)


def appointment_calendar(
    appointment: Appointment,
    *,
    language: str,
    method: str = "REQUEST",
    recipient: AppointmentParticipant | None = None,
    version: EventVersion | None = None,
    participants: list[AppointmentParticipant] | None = None,
) -> bytes:
    """The calendar file of a booked appointment for ``recipient`` (a participant), in ``language``
    (an API code): ``METHOD:REQUEST`` (booked or moved) or ``METHOD:CANCEL``.

    ``appointment`` comes with ``subject``, ``office__location`` and ``enterprise`` selected.
    ``participants`` are its participants with their employee and customer (by default
    ``appointment.participants``, best prefetched). ``version`` is by default the appointment as
    it is now."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"Unsupported METHOD {method!r}")
    version = version or EventVersion.current(appointment)
    if participants is None:
        participants = list(appointment.participants.all())
    calendar = Calendar()
    calendar.add("prodid", f"-//{settings.PRODUCT_NAME}//Appointments//EN")
    calendar.add("version", "2.0")  # of iCalendar
    calendar.add("method", method)
    calendar.add_component(_event(appointment, language, method, recipient, version, participants))
    # The zone's rules for a year either side of the event: enough for any calendar to place it, and
    # a file of a few lines rather than every change since 1970.
    year = timedelta(days=366)
    calendar.add_missing_timezones(
        first_date=version.start.date() - year, last_date=(version.end or version.start).date() + year
    )
    return calendar.to_ical()


def _event(appointment, language, method, recipient, version: EventVersion, participants) -> Event:
    zone = office_time_zone(appointment)
    place = display.place(appointment, language, recipient)
    event = Event()
    event.add("uid", calendar_uid(appointment))
    event.add("sequence", version.sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", version.start.astimezone(zone))
    event.add("dtend", (version.end or version.start).astimezone(zone))
    event.add("status", _status(method, version))
    # With the enterprise's name: a customer's calendar holds the events of many.
    event.add("summary", f"{display.subject_name(appointment, language)} ({appointment.enterprise.name})")
    event.add("location", str(place))
    if place.video_url:
        event.add("url", place.video_url)
    # The link again, because many calendars make links clickable only in the description.
    description = "\n".join(line for line in (place.video_url, appointment.message_for_customer) if line)
    if description:
        event.add("description", description)
    event.add("organizer", _organizer(appointment))
    for attendee in _attendees(participants, recipient):
        event.add("attendee", attendee, encode=False)
    return event


def _status(method: str, version: EventVersion) -> str:
    if method == "CANCEL":
        return "CANCELLED"
    return "TENTATIVE" if version.tentative else "CONFIRMED"


def _organizer(appointment: Appointment) -> vCalAddress:
    """The service, under the enterprise's name. It sends every version of the event, and a
    calendar takes updates only from the organizer it first saw, whoever the employees become."""
    return _address(parseaddr(settings.DEFAULT_FROM_EMAIL)[1], appointment.enterprise.name)


def _attendees(participants, recipient) -> list[vCalAddress]:
    """The participants who have an address, employees first. A customer's own file leaves the
    other customers out: they are not theirs to know."""
    employees = [p for p in participants if p.type == EMPLOYEE]
    customers = [p for p in participants if p.type == CUSTOMER]
    if recipient is not None and recipient.type == CUSTOMER:
        customers = [p for p in customers if p.pk == recipient.pk]
    attendees = []
    for participant in (*employees, *customers):
        person = participant.employee if participant.type == EMPLOYEE else participant.customer
        if not person.email:
            continue
        attendee = _address(person.email, str(person))
        attendee.params["role"] = vText("REQ-PARTICIPANT" if participant.role == "PRIMARY" else "OPT-PARTICIPANT")
        # Nobody is asked to answer: answers would go to the service, which reads none. A request
        # is accepted in the back office, and until then the event's STATUS is TENTATIVE.
        attendee.params["partstat"] = vText("ACCEPTED")
        attendees.append(attendee)
    return attendees


def _address(email: str, name: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["cn"] = vText(name)
    return address

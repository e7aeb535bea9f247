"""A message rendered for its recipient: HTML and plain text from the templates in
``templates/notifications/email/``, in the recipient's language, every time in the recipient's
zone with the zone named, and a calendar file where the appointment has a time.

The context is built here and holds only what the recipient may read: never the appointment's
internal notes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timedelta
from email.mime.text import MIMEText
from email.utils import formataddr, parseaddr
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from appointments.models import Appointment, AppointmentParticipant
from core.languages import API_LANGUAGES, STORAGE_LANGUAGES, to_storage
from invitations.services import invite_link_issue, public_url
from locations.formatting import formatted_address
from locations.models import Location
from participants.models import Customer, Employee

from .calendar import Attendee, calendar_file
from .models import Message

Kind = Message.Kind

SUBJECTS = {
    Message.RecipientType.CUSTOMER: {
        Kind.INVITE: _("Choose a time for your appointment: %(subject)s"),
        Kind.BOOKING_CONFIRMED: _("Appointment confirmed: %(subject)s, %(date)s"),
        Kind.REQUEST_RECEIVED: _("Request received: %(subject)s, %(date)s"),
        Kind.ACCEPTED: _("Appointment accepted: %(subject)s, %(date)s"),
        Kind.RESCHEDULED: _("New time for your appointment: %(subject)s, %(date)s"),
        Kind.CANCELLED: _("Appointment cancelled: %(subject)s"),
        Kind.REMINDER: _("Reminder: %(subject)s, %(date)s"),
    },
    Message.RecipientType.EMPLOYEE: {
        Kind.BOOKING_CONFIRMED: _("New appointment: %(subject)s with %(customer)s, %(date)s"),
        Kind.REQUEST_RECEIVED: _("To accept: %(subject)s with %(customer)s, %(date)s"),
        Kind.ACCEPTED: _("Accepted: %(subject)s with %(customer)s, %(date)s"),
        Kind.RESCHEDULED: _("New time: %(subject)s with %(customer)s, %(date)s"),
        Kind.CANCELLED: _("Cancelled: %(subject)s with %(customer)s"),
    },
}

MEETING_TYPES = {
    Appointment.MeetingType.OFFICE: _("At the office"),
    Appointment.MeetingType.ON_LOCATION: _("At a location"),
    Appointment.MeetingType.PHONE: _("By phone"),
    Appointment.MeetingType.VIDEO: _("Video call"),
}

# The calendar file each kind carries: (METHOD, STATUS), None for no file. A requested time is
# tentative until an employee accepts it.
CALENDAR = {
    Kind.BOOKING_CONFIRMED: ("REQUEST", "CONFIRMED"),
    Kind.REQUEST_RECEIVED: ("REQUEST", "TENTATIVE"),
    Kind.ACCEPTED: ("REQUEST", "CONFIRMED"),
    Kind.RESCHEDULED: ("REQUEST", "CONFIRMED"),
    Kind.CANCELLED: ("CANCEL", "CANCELLED"),
}


class NotSendable(Exception):
    """The message cannot or should no longer be sent (no address, out of date): it is skipped."""


@dataclass
class Rendered:
    email: EmailMultiAlternatives
    address: str
    language: str  # the API's code
    subject: str


def message_render(
    message: Message, participants: list[AppointmentParticipant] | None = None, *, link: str | None = None
) -> Rendered:
    """Render ``message`` for its recipient. ``message.appointment`` should come with its
    enterprise, subject and office location selected, and ``participants`` are the appointment's
    with their customer and employee (loaded here if not given). An invite carries ``link``, or
    issues the recipient a new one here (the token is stored nowhere else), which revokes their
    older ones.

    Raises ``NotSendable`` when the recipient has no address or the message is out of date."""
    appointment = message.appointment
    if participants is None:
        participants = list(
            AppointmentParticipant.objects.filter(appointment=appointment).select_related("customer", "employee")
        )
    recipient = _recipient(message, participants)
    person = message_recipient(message, participants)

    enterprise = appointment.enterprise
    for_customer = message.recipient_type == Message.RecipientType.CUSTOMER
    language = person.language if for_customer else enterprise.default_language
    if language not in API_LANGUAGES:
        language = enterprise.default_language
    zone = _zone(person.time_zone if for_customer else appointment.office.location.time_zone)
    if message.kind == Kind.INVITE and link is None:
        link = invite_link_issue(appointment=appointment, customer=person)

    # Every time is formatted here, in ``zone``; the templates convert none.
    with translation.override(to_storage(language)):
        context = _context(message, appointment, participants, recipient, language, zone, link)
        subject = str(SUBJECTS[message.recipient_type][message.kind] % context["subject_values"])
        context["email_subject"] = subject
        template = f"notifications/email/{message.kind.lower()}"
        text = _tidy(render_to_string(f"{template}.txt", context))
        html = render_to_string(f"{template}.html", context)
        calendar = _calendar(message, appointment, participants, zone, context)

    from_address = _address_of(settings.DEFAULT_FROM_EMAIL)
    email = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=formataddr((enterprise.name, from_address)),
        to=[formataddr((str(person), person.email))],
        headers={
            "Message-ID": message_id_header(message, from_address),
            "Auto-Submitted": "auto-generated",
            "Content-Language": language,
        },
    )
    email.attach_alternative(html, "text/html")
    if calendar is not None:
        method, content = calendar
        part = MIMEText(content.decode(), "calendar", "utf-8")
        part.set_param("method", method)
        part.add_header("Content-Disposition", "attachment", filename="appointment.ics")
        email.attach(part)
    return Rendered(email=email, address=person.email, language=language, subject=subject[:255])


@lru_cache(maxsize=8)
def _address_of(name_and_address: str) -> str:
    """The address in ``Name <address>``."""
    return parseaddr(name_and_address)[1]


def message_id_header(message: Message, from_address: str) -> str:
    """The same for every attempt at one message: a receiver can tell a message it has seen."""
    domain = from_address.partition("@")[2] or "invites"
    return f"<message-{message.pk}.{int(message.created_at.timestamp())}@{domain}>"


def _tidy(text: str) -> str:
    """Plain text as a person would type it: no trailing spaces, at most one empty line in a row."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def message_recipient(message: Message, participants: list[AppointmentParticipant]) -> Customer | Employee:
    """The customer or employee ``message`` is for, if it can still be sent to them; else raises
    ``NotSendable``."""
    recipient = _recipient(message, participants)
    person = recipient.customer or recipient.employee
    if not person.email:
        raise NotSendable("The recipient has no e-mail address.")
    _check_still_true(message, message.appointment)
    return person


def _recipient(message: Message, participants: list[AppointmentParticipant]) -> AppointmentParticipant:
    for participant in participants:
        if participant.type == message.recipient_type and participant.participant_id == message.recipient_id:
            return participant
    raise NotSendable("The recipient is no longer a participant of the appointment.")


def _check_still_true(message: Message, appointment: Appointment) -> None:
    """An invite whose appointment no longer waits for a time, or a reminder of a time the
    appointment no longer has, would mislead: it is skipped."""
    Status = Appointment.Status
    if message.kind == Kind.INVITE and appointment.status not in (Status.OUTGOING_INVITE, Status.ALTERNATIVE_DATE_REQUESTED):
        raise NotSendable(f"The appointment is {appointment.status} now: an invite no longer applies.")
    if message.kind == Kind.REMINDER and (appointment.status != Status.ACCEPTED or appointment.start != message.start):
        raise NotSendable("The appointment is no longer at the time this reminder is about.")


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _context(message, appointment, participants, recipient, language, zone, link) -> dict:
    enterprise = appointment.enterprise
    storage = to_storage(language)
    for_customer = message.recipient_type == Message.RecipientType.CUSTOMER
    customers = [p.customer for p in participants if p.type == AppointmentParticipant.Type.CUSTOMER]
    employees = [
        p.employee
        for p in participants
        if p.type == AppointmentParticipant.Type.EMPLOYEE and p.role == AppointmentParticipant.Role.PRIMARY
    ]
    subject = _translated(appointment.subject, "name", storage, to_storage(enterprise.default_language))
    when = _when(message.start, message.end, zone) if message.start else None
    customer_names = ", ".join(str(customer) for customer in customers)
    # What the action said; an invite without one carries the appointment's message for the customer.
    note = message.note
    if not note and message.kind == Kind.INVITE:
        note = appointment.message_for_customer or ""
    context = {
        "kind": message.kind,
        "for_customer": for_customer,
        "for_employee": not for_customer,
        "html_lang": language,
        "recipient_name": (recipient.customer or recipient.employee).first_name,
        "enterprise": enterprise.name,
        "subject": subject,
        "when": when,
        "meeting_type": MEETING_TYPES[appointment.meeting_type],
        "place": _place(appointment, storage, to_storage(enterprise.default_language)),
        "video_url": recipient.video_url if appointment.meeting_type == Appointment.MeetingType.VIDEO else None,
        "with_names": ", ".join(str(employee) for employee in employees) if for_customer else customer_names,
        "customer": customer_names,
        "note": note,
        # A requested time, or a new time that waits for an employee to accept it again.
        "tentative": appointment.status == Appointment.Status.INCOMING_REQUEST,
        "link": link,
        "link_expires": _date(timezone.now() + settings.INVITE_LINK_TTL, zone) if link else None,
        "backoffice_url": None if for_customer else public_url(reverse("backoffice:appointment-detail", args=[appointment.pk])),
    }
    context["subject_values"] = {"subject": subject, "customer": customer_names, "date": when["date"] if when else ""}
    return context


def _translated(instance, field: str, language: str, default_language: str) -> str:
    """A translated field in ``language``, else the enterprise's language, else any it has."""
    for code in (language, default_language, *STORAGE_LANGUAGES):
        value = getattr(instance, f"{field}_{code}", None)
        if value:
            return value
    return ""


def _place(appointment: Appointment, language: str, default_language: str) -> str:
    """Where to go, in the recipient's language where the address has it: the office (its name and
    address) for an office meeting, the address for one on location; nothing by phone or video."""
    if appointment.meeting_type not in (Appointment.MeetingType.OFFICE, Appointment.MeetingType.ON_LOCATION):
        return ""
    office = appointment.office
    # An office meeting is at the office's location: loaded with the office already.
    location = office.location if appointment.location_id in (None, office.location_id) else appointment.location
    address = _address(location, language, default_language)
    if appointment.meeting_type == Appointment.MeetingType.OFFICE:
        return f"{office.name}, {address}"
    return address


def _address(location: Location, language: str, default_language: str) -> str:
    parts = {}
    for part in Location.TRANSLATED_FIELDS:
        values = {to_storage(code): value for code, value in location.translations(part).items()}
        parts[part] = values.get(language) or values.get(default_language) or next(iter(values.values()), None)
    return formatted_address(country_code=location.country_code, postal_code=location.postal_code, **parts)


def _date(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return gettext("%(weekday)s, %(date)s") % {
        "weekday": formats.date_format(local, "l"),
        "date": formats.date_format(local, "DATE_FORMAT"),
    }


# Django's Greek time format writes "μεσημέρι" (noon) and "1 μμ."; the 24-hour clock reads better.
TIME_FORMATS = {"el": "H:i"}


def _time(moment: datetime) -> str:
    return formats.time_format(moment, TIME_FORMATS.get(translation.get_language(), "TIME_FORMAT"))


def _when(start: datetime, end: datetime | None, zone: ZoneInfo) -> dict[str, str]:
    """The date, the times and the zone they are in, e.g. Europe/Brussels (UTC+02:00)."""
    local_start = start.astimezone(zone)
    local_end = (end or start).astimezone(zone)
    offset = local_start.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    zone_name = f"{zone.key}, UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return {
        "date": _date(start, zone),
        "time": gettext("%(start)s – %(end)s") % {
            "start": _time(local_start),
            "end": _time(local_end),
        },
        "zone": zone_name,
    }


def _calendar(message, appointment, participants, zone, context) -> tuple[str, bytes] | None:
    if message.kind not in CALENDAR or message.start is None:
        return None
    method, status = CALENDAR[message.kind]
    if message.kind == Kind.RESCHEDULED and context["tentative"]:
        status = "TENTATIVE"
    people = [
        Attendee(name=str(person), email=person.email)
        for participant in participants
        for person in [participant.customer or participant.employee]
        if person.email
        and (participant.type == AppointmentParticipant.Type.CUSTOMER or participant.role == AppointmentParticipant.Role.PRIMARY)
    ]
    lines = [str(context["meeting_type"])]
    if context["video_url"]:
        lines.append(context["video_url"])
    if context["note"]:
        lines.append(context["note"])
    from_address = _address_of(settings.DEFAULT_FROM_EMAIL)
    content = calendar_file(
        appointment=appointment,
        method=method,
        status=status,
        sequence=message.sequence,
        start=message.start,
        end=message.end or message.start,
        zone=_zone(appointment.office.location.time_zone),
        summary=f"{context['subject']} ({appointment.enterprise.name})",
        location=context["place"] or context["video_url"] or str(context["meeting_type"]),
        description="\n".join(lines),
        organizer_name=appointment.enterprise.name,
        organizer_email=from_address,
        attendees=people,
    )
    return method, content

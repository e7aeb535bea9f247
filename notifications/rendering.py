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
from datetime import datetime, tzinfo
from email.mime.text import MIMEText
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from appointments.models import Appointment, AppointmentParticipant
from availability.selectors import office_time_zone
from core.languages import API_LANGUAGES, to_storage
from invitations import display
from invitations.calendar import EventVersion, appointment_calendar
from invitations.services import invite_link_issue, public_url

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

# The METHOD of the calendar file each kind carries; the other kinds carry none.
CALENDAR_METHODS = {
    Kind.BOOKING_CONFIRMED: "REQUEST",
    Kind.REQUEST_RECEIVED: "REQUEST",
    Kind.ACCEPTED: "REQUEST",
    Kind.RESCHEDULED: "REQUEST",
    Kind.CANCELLED: "CANCEL",
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
    recipient = message_recipient(message, participants)
    person = recipient.customer or recipient.employee

    enterprise = appointment.enterprise
    for_customer = message.recipient_type == Message.RecipientType.CUSTOMER
    language = person.language if for_customer else enterprise.default_language
    if language not in API_LANGUAGES:
        language = enterprise.default_language
    # Employees read the office's times; a customer without a zone of their own too, as on their page.
    office_zone = office_time_zone(appointment)
    zone = display.customer_zone(person, fallback=office_zone) if for_customer else office_zone
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
        calendar = _calendar(message, appointment, participants, recipient, language, context)

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


def message_recipient(message: Message, participants: list[AppointmentParticipant]) -> AppointmentParticipant:
    """The participant ``message`` is for, with their customer or employee, if it can still be
    sent to them; else raises ``NotSendable``."""
    recipient = _recipient(message, participants)
    if not (recipient.customer or recipient.employee).email:
        raise NotSendable("The recipient has no e-mail address.")
    _check_still_true(message, message.appointment)
    return recipient


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


def _context(message, appointment, participants, recipient, language, zone, link) -> dict:
    enterprise = appointment.enterprise
    for_customer = message.recipient_type == Message.RecipientType.CUSTOMER
    customers = [p.customer for p in participants if p.type == AppointmentParticipant.Type.CUSTOMER]
    employees = [
        p.employee
        for p in participants
        if p.type == AppointmentParticipant.Type.EMPLOYEE and p.role == AppointmentParticipant.Role.PRIMARY
    ]
    subject = display.subject_name(appointment, language)
    place = display.place(appointment, language, recipient)
    when = _when(message.start, message.end, zone, language) if message.start else None
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
        "meeting_type": place.meeting_type,
        "place": place.where,
        "video_url": place.video_url,
        "with_names": ", ".join(str(employee) for employee in employees) if for_customer else customer_names,
        "customer": customer_names,
        "note": note,
        # A requested time, or a new time that waits for an employee to accept it again.
        "tentative": appointment.status == Appointment.Status.INCOMING_REQUEST,
        "link": link,
        "link_expires": _day(timezone.now() + settings.INVITE_LINK_TTL, zone, language) if link else None,
        "backoffice_url": None if for_customer else public_url(reverse("backoffice:appointment-detail", args=[appointment.pk])),
    }
    context["subject_values"] = {"subject": subject, "customer": customer_names, "date": when["date"] if when else ""}
    return context


def _day(moment: datetime, zone: tzinfo, language: str) -> str:
    return display.day_label(moment.astimezone(zone).date(), language)


def _when(start: datetime, end: datetime | None, zone: tzinfo, language: str) -> dict[str, str]:
    """The date, the times and their zone apart: an e-mail's subject shows the date alone, and
    its HTML puts each on a line of its own."""
    return {
        "date": _day(start, zone, language),
        "time": display.times_label(start, end, zone, language),
        "zone": display.zone_label(zone, language),
    }


def _calendar(message, appointment, participants, recipient, language, context) -> tuple[str, bytes] | None:
    """The calendar file of the appointment as it was when ``message`` was written: the same
    builder as the customer's page, so that both update one event."""
    method = CALENDAR_METHODS.get(message.kind)
    if method is None or message.start is None:
        return None
    # A requested time is tentative until an employee accepts it, and so is a new time that waits for them.
    tentative = message.kind == Kind.REQUEST_RECEIVED or (message.kind == Kind.RESCHEDULED and context["tentative"])
    version = EventVersion(message.start, message.end, message.sequence, tentative)
    content = appointment_calendar(
        appointment, language=language, method=method, recipient=recipient, version=version, participants=participants
    )
    return method, content

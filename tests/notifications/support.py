"""Appointments whose people have addresses, languages and zones, and ways to send their messages."""

from __future__ import annotations

from email.message import EmailMessage

from appointments.models import Appointment
from notifications.delivery import messages_deliver
from notifications.models import Message
from tests.availability.support import STAFF, book, invite, local, next_weekday, open_every_day, rules  # noqa: F401

MONDAY = next_weekday(0)


def give_addresses(acme, *, customer_language="en", customer_zone="America/New_York") -> None:
    """Every customer and employee of ``acme`` an address; the first customer a language and zone."""
    for index, customer in enumerate(acme.customers):
        customer.email = f"customer{index}@example.com"
        if index == 0:
            customer.language, customer.time_zone = customer_language, customer_zone
        customer.save()
    for index, employee in enumerate(acme.employees):
        employee.email = f"employee{index}@acme.example"
        employee.save()


def pending_ids() -> list[int]:
    return list(Message.objects.filter(status=Message.Status.PENDING).values_list("pk", flat=True))


def send_pending():
    """What a worker does with the messages waiting now."""
    return messages_deliver(pending_ids())


def act(action, acme, appointment: Appointment, **kwargs) -> Appointment:
    return action(enterprise=acme.enterprise, appointment_id=appointment.pk, actor=STAFF, **kwargs)


def link_path(email) -> str:
    """The path of the customer's link in an invite e-mail (``PUBLIC_BASE_URL`` http://testserver)."""
    link = next(word for word in email.body.split() if word.startswith("http://testserver/i/"))
    return link.removeprefix("http://testserver")


def bodies(email: EmailMessage) -> tuple[str, str]:
    """The plain text and the HTML of a received e-mail."""
    text = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    return text, html


def calendar_of(email: EmailMessage) -> bytes | None:
    for part in email.walk():
        if part.get_content_type() == "text/calendar":
            return part.get_payload(decode=True)
    return None

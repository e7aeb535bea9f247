"""The appointment's page in the back office lists the messages sent about it, and how each went."""

import html
import re

import pytest
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext

from appointments.services import appointment_reschedule, appointment_resend_invite
from notifications.models import Message
from tests.appointments.backoffice_support import staff_user
from tests.availability.support import BRUSSELS, STAFF, invite, local, next_weekday, open_every_day, rules
from tests.notifications.support import give_addresses, send_pending

MONDAY = next_weekday(0)


@pytest.fixture
def staff(acme, client):
    """A staff member of acme, who may look but not change: the messages are shown all the same."""
    client.force_login(staff_user(acme))
    return client


def page_url(appointment) -> str:
    return f"/backoffice/appointments/{appointment.pk}/"


def message_rows(page: str) -> list[list[str]]:
    """The cells of each row of the page's Messages table, as text."""
    section = page[page.index('id="messages"') :]
    body = section[section.index("<tbody>") : section.index("</tbody>")]
    return [
        [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split()) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def when(moment) -> str:
    """As the page shows a time: in the office's zone, named."""
    moment = moment.astimezone(BRUSSELS)
    return f"{moment:%a} {moment.day} {moment:%b %Y}, {moment:%H:%M} {moment.tzname()}"


def test_each_message_with_its_recipient_language_status_attempts_error_and_time(staff, acme):
    open_every_day(acme.office)
    rules(acme)
    give_addresses(acme, customer_language="nl")
    employee = acme.employees[0]
    employee.email = ""  # nowhere to send the employee's message
    employee.save()
    appointment = invite(acme)  # a message to the customer
    send_pending()
    # Booked: a message to the customer and one to the employee.
    appointment_reschedule(enterprise=acme.enterprise, appointment_id=appointment.pk, actor=STAFF, start=local(MONDAY, 10))
    send_pending()
    invite_message, confirmed, skipped = Message.objects.filter(appointment=appointment).order_by("pk")

    rows = message_rows(staff.get(page_url(appointment)).content.decode())

    customer = str(acme.customers[0])
    assert rows == [
        [when(invite_message.created_at), "Invite: choose a time (with a new link)",
         f"{customer} (customer) customer0@example.com", "Nederlands", "SENT", "1", "—",
         when(invite_message.sent_at)],
        [when(confirmed.created_at), "Booking confirmed",
         f"{customer} (customer) customer0@example.com", "Nederlands", "SENT", "1", "—",
         when(confirmed.sent_at)],
        [when(skipped.created_at), "Booking confirmed", f"{employee} (employee)", "—", "SKIPPED",
         "1", "The recipient has no e-mail address.", "—"],
    ]


def page_and_queries(client, url) -> tuple[str, int]:
    """The page, and how many queries it took. (The request empties the connection's query log as
    it starts, so the count starts from an empty one.)"""
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url).content.decode()
    return page, len(queries)


def test_only_its_own_messages_and_the_same_queries_however_many(staff, acme):
    appointment, other = invite(acme), invite(acme)

    page, one = page_and_queries(staff, page_url(appointment))
    assert len(message_rows(page)) == 1
    for _ in range(3):
        appointment_resend_invite(enterprise=acme.enterprise, appointment_id=appointment.pk, actor=STAFF)
    page, four = page_and_queries(staff, page_url(appointment))

    rows = message_rows(page)
    assert [row[1] for row in rows] == ["Invite: choose a time (with a new link)"] * 4
    assert all(row[4] == "PENDING" and row[7] == "—" for row in rows)  # none sent yet
    assert len(message_rows(staff.get(page_url(other)).content.decode())) == 1
    assert one > 0 and four == one

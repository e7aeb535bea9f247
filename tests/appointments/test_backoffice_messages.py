"""The appointment's page in the back office: the messages sent about it and how each went, and
sending the invite again (a new link that replaces the older ones)."""

import html
import re

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core import mail
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext

from appointments.models import Appointment, AppointmentStatusChange
from appointments.services import appointment_reschedule, appointment_resend_invite
from notifications.models import Message
from tests.appointments.backoffice_support import staff_user
from tests.availability.support import BRUSSELS, STAFF, invite, local, next_weekday, open_every_day, rules
from tests.notifications.support import give_addresses, link_path, send_pending

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


# --- Sending the invite again ----------------------------------------------------------------------


@pytest.fixture
def changer(acme, client, settings):
    """A staff member of acme who may change appointments; links point at this test server."""
    settings.PUBLIC_BASE_URL = "http://testserver"
    open_every_day(acme.office)
    rules(acme)
    give_addresses(acme)
    client.force_login(with_change_permission(staff_user(acme)))
    return client


def with_change_permission(user):
    user.user_permissions.add(Permission.objects.get(codename="change_appointment"))
    return user


def resend_url(appointment) -> str:
    return f"{page_url(appointment)}resend-invite/"


def test_staff_send_the_invite_again_and_only_the_new_link_works(changer, acme):
    appointment = invite(acme, message="Bring your ID")
    send_pending()
    [first] = mail.outbox
    assert changer.get(link_path(first)).status_code == 200
    page = changer.get(page_url(appointment)).content.decode()
    assert f'action="{resend_url(appointment)}"' in page and "Send the invite again" in page

    response = changer.post(resend_url(appointment), {"message": "Still interested?"}, follow=True)

    assert [m.message for m in get_messages(response.wsgi_request)] == [
        f"Invite {appointment.pk} sent again: the customer gets a new link, and older links stop working."
    ]
    change = AppointmentStatusChange.objects.get(appointment=appointment)
    assert (change.action, change.to_status, change.message, change.by_id, change.channel) == (
        "resend-invite", "OUTGOING_INVITE", "Still interested?", str(acme.employees[0].pk), "BACKOFFICE_APP"
    )
    send_pending()
    second = mail.outbox[1]
    assert "Still interested?" in second.body
    old, new = changer.get(link_path(first)), changer.get(link_path(second))
    neutral = changer.get("/i/no-such-token/")
    assert (old.status_code, old.content) == (404, neutral.content)
    assert "This link no longer works" in old.content.decode()
    assert new.status_code == 200 and acme.subject.name in new.content.decode()
    # Both invites are on the page, sent.
    rows = message_rows(changer.get(page_url(appointment)).content.decode())
    assert [(row[1], row[4]) for row in rows] == [("Invite: choose a time (with a new link)", "SENT")] * 2


def test_the_message_is_optional(changer, acme):
    appointment = invite(acme, message="Bring your ID")

    changer.post(resend_url(appointment))
    send_pending()

    assert len(mail.outbox) == 2 and all("Bring your ID" in email.body for email in mail.outbox)  # its own message


def test_a_booked_appointment_offers_no_resend_and_refuses_one(changer, acme):
    booked = appointment_reschedule(
        enterprise=acme.enterprise, appointment_id=invite(acme).pk, actor=STAFF, start=local(MONDAY, 10)
    )
    assert "Send the invite again" not in changer.get(page_url(booked)).content.decode()

    response = changer.post(resend_url(booked), {"message": "Again?"})

    assert [m.message for m in get_messages(response.wsgi_request)] == [
        "Nothing was changed. The appointment's status does not allow this action: it is “Accepted” now."
    ]
    assert not AppointmentStatusChange.objects.filter(appointment=booked, action="resend-invite").exists()
    assert Message.objects.filter(appointment=booked, kind="INVITE").count() == 1


def test_sending_again_needs_the_csrf_token(acme):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(with_change_permission(staff_user(acme)))
    appointment = invite(acme)

    assert browser.post(resend_url(appointment)).status_code == 403
    assert not AppointmentStatusChange.objects.filter(appointment=appointment).exists()

    page = browser.get(page_url(appointment)).content.decode()
    form = page[page.index(f'action="{resend_url(appointment)}"') :]
    assert 'name="csrfmiddlewaretoken"' in form[: form.index("</form>")]
    token = browser.cookies["csrftoken"].value
    assert browser.post(resend_url(appointment), {"csrfmiddlewaretoken": token}).status_code == 302
    assert AppointmentStatusChange.objects.get(appointment=appointment).action == "resend-invite"
    assert Appointment.objects.get(pk=appointment.pk).status == "OUTGOING_INVITE"

"""Staff see each appointment's messages and their status in the admin, send the invite again, and
send again a message that failed or may not have arrived."""

import pytest
from django.contrib.auth.models import Permission

from appointments.models import Appointment, AppointmentStatusChange
from notifications.models import Message
from tests.appointments.backoffice_support import staff_user

from .support import give_addresses, invite, send_pending

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(acme, client):
    """A staff member as the demo's: view, add and change, in their own enterprise."""
    user = staff_user(acme)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["appointments", "notifications"], codename__regex=r"^(view|add|change)_"
        )
    )
    client.force_login(user)
    return client


def test_the_appointment_shows_its_messages_and_their_status(acme, staff, smtp):
    give_addresses(acme)
    appointment = invite(acme)
    outsider = acme.employees[2]  # not a participant: skipped
    Message.objects.create(appointment=appointment, kind="CANCELLED", recipient_type="EMPLOYEE", recipient_id=outsider.pk)
    send_pending()
    page = staff.get(f"/admin/appointments/appointment/{appointment.pk}/change/").content.decode()
    assert "Messages" in page
    assert "customer0@example.com" in page and "Sent: the mail server accepted it" in page
    assert "Not sent: no address, or no longer true" in page and "no longer a participant" in page


def test_the_message_list_is_scoped_to_the_enterprise(acme, globex, staff):
    invite(acme)
    invite(globex)
    ours, theirs = Message.objects.order_by("pk")
    page = staff.get("/admin/notifications/message/").content.decode()
    assert f"/admin/notifications/message/{ours.pk}/change/" in page
    assert f"/admin/notifications/message/{theirs.pk}/change/" not in page
    assert staff.get(f"/admin/notifications/message/{ours.pk}/change/").status_code == 200
    assert staff.get("/admin/notifications/message/add/").status_code == 403


def test_staff_send_the_invite_again(acme, staff, smtp, settings):
    settings.PUBLIC_BASE_URL = "http://testserver"
    give_addresses(acme)
    waiting, booked = invite(acme), invite(acme)
    Appointment.objects.filter(pk=booked.pk).update(status="ACCEPTED")

    response = staff.post(
        "/admin/appointments/appointment/",
        {"action": "resend_invite", "_selected_action": [waiting.pk, booked.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert f"Invite sent again for appointment {waiting.pk}." in page
    assert f"Not sent again: {booked.pk} (The appointment&#x27;s status does not allow this action)." in page
    change = AppointmentStatusChange.objects.get()
    assert (change.appointment_id, change.action, change.by_type, change.channel) == (
        waiting.pk, "resend-invite", "EMPLOYEE", "BACKOFFICE_APP"
    )
    assert Message.objects.filter(appointment=waiting, kind="INVITE").count() == 2
    send_pending()
    assert [email["X-Envelope-To"] for email in smtp.messages] == ["customer0@example.com"] * 2


def test_staff_send_again_a_message_that_may_not_have_arrived(acme, staff, smtp):
    give_addresses(acme)
    invite(acme)
    message = Message.objects.get()
    Message.objects.filter(pk=message.pk).update(status="UNCERTAIN", attempts=1)

    response = staff.post(
        "/admin/notifications/message/", {"action": "send_again", "_selected_action": [message.pk]}, follow=True
    )
    assert "1 message(s) will be sent again." in response.content.decode()
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("PENDING", 0)
    assert message.last_error.startswith("Sent again by staff-acme after it was UNCERTAIN")
    assert send_pending().sent == [message.pk]


def test_the_doors_read_an_appointments_messages_in_order(acme, smtp):
    from notifications.selectors import appointment_messages

    give_addresses(acme)
    first, second = invite(acme), invite(acme)
    send_pending()
    Message.objects.create(appointment=first, kind="CANCELLED", recipient_type="CUSTOMER", recipient_id=1)
    rows = list(appointment_messages(appointment_id=first.pk).values_list("kind", "status"))
    assert rows == [("INVITE", "SENT"), ("CANCELLED", "PENDING")]
    assert appointment_messages(appointment_id=second.pk).count() == 1

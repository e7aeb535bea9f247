"""The sweep (``manage.py send_due_messages``): messages whose job was lost are queued again,
reminders are written once when due, and abandoned sends are marked UNCERTAIN."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from appointments.models import Appointment
from appointments.services import appointment_reschedule
from notifications.models import Message
from notifications.sweep import STUCK_AFTER

from .support import MONDAY, act, give_addresses, invite, local, open_every_day, rules, send_pending


def sweep() -> str:
    out = StringIO()
    call_command("send_due_messages", stdout=out)
    return out.getvalue()


def queued_ids() -> list[int]:
    return sorted(pk for job in DBTaskResult.objects.all() for pk in job.args_kwargs["args"][0])


@pytest.fixture
def booked(acme, settings):
    """An accepted appointment next week, booked a month ago; reminders 24 hours before."""
    settings.PUBLIC_BASE_URL = "http://testserver"
    settings.REMINDER_BEFORE = timedelta(hours=24)
    give_addresses(acme)
    open_every_day(acme.office, weekdays=range(5))
    rules(acme)
    appointment = invite(acme)
    act(appointment_reschedule, acme, appointment, start=local(MONDAY, 10))
    Message.objects.update(status="SENT")
    Appointment.objects.filter(pk=appointment.pk).update(updated_at=timezone.now() - timedelta(days=30))
    appointment.refresh_from_db()
    return appointment


def pretend_it_is(moment, settings, appointment):
    """Move the appointment so that ``moment`` before its start is now."""
    start = timezone.now() + moment
    Appointment.objects.filter(pk=appointment.pk).update(start=start, end=start + timedelta(hours=1))


class TestLostJobs:
    def test_an_overdue_message_is_queued_again_once(self, transactional_db, acme):
        give_addresses(acme)
        invite(acme)
        invite(acme)
        old, fresh = Message.objects.order_by("pk")
        DBTaskResult.objects.all().delete()  # the jobs were lost
        Message.objects.filter(pk=old.pk).update(next_attempt_at=timezone.now() - STUCK_AFTER - timedelta(seconds=1))

        assert "queued 1 overdue" in sweep()
        assert queued_ids() == [old.pk]  # the fresh one's job may still be on its way
        assert "queued 0 overdue" in sweep()  # not again before STUCK_AFTER
        assert queued_ids() == [old.pk]


@pytest.mark.django_db
class TestAbandonedSends:
    def test_marked_uncertain_and_counted(self, acme):
        give_addresses(acme)
        invite(acme)
        Message.objects.update(status="SENDING", claimed_until=timezone.now() - timedelta(seconds=5))
        assert "marked 1 uncertain" in sweep()
        assert Message.objects.get().status == "UNCERTAIN"


@pytest.mark.django_db
class TestReminders:
    def test_written_once_for_each_customer_when_due_and_sent(self, booked, settings, smtp):
        pretend_it_is(timedelta(hours=23), settings, booked)
        assert "wrote 1 reminders" in sweep()
        assert "wrote 0 reminders" in sweep()
        reminder = Message.objects.get(kind="REMINDER")
        assert (reminder.recipient_type, reminder.recipient_id) == ("CUSTOMER", booked.participants.get(type="CUSTOMER").customer_id)

        assert send_pending().sent == [reminder.pk]
        (email,) = smtp.messages
        assert email["Subject"].strip().startswith("Reminder:")

    def test_not_before_the_window_opens(self, booked, settings):
        pretend_it_is(timedelta(hours=25), settings, booked)
        assert "wrote 0 reminders" in sweep()

    def test_none_when_turned_off(self, booked, settings):
        settings.REMINDER_BEFORE = timedelta(0)
        pretend_it_is(timedelta(hours=1), settings, booked)
        assert "wrote 0 reminders" in sweep()

    def test_none_for_a_booking_made_inside_the_window(self, booked, settings):
        pretend_it_is(timedelta(hours=5), settings, booked)
        Appointment.objects.filter(pk=booked.pk).update(updated_at=timezone.now())  # just booked
        assert "wrote 0 reminders" in sweep()

    def test_none_for_an_appointment_that_is_not_accepted(self, booked, settings):
        pretend_it_is(timedelta(hours=5), settings, booked)
        Appointment.objects.filter(pk=booked.pk).update(status="INCOMING_REQUEST")
        assert "wrote 0 reminders" in sweep()

    def test_a_new_time_gets_a_new_reminder_and_the_old_one_is_not_sent(self, booked, settings, smtp):
        pretend_it_is(timedelta(hours=23), settings, booked)
        sweep()
        pretend_it_is(timedelta(hours=20), settings, booked)  # moved before the reminder went out
        assert "wrote 1 reminders" in sweep()
        old, new = Message.objects.filter(kind="REMINDER").order_by("pk")
        delivered = send_pending()
        assert delivered.skipped == [old.pk] and delivered.sent == [new.pk] and len(smtp.messages) == 1

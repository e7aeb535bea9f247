"""The periodic sweep (``manage.py send_due_messages``, or RQ's cron): what is stuck, due or to
remind. It writes rows and returns the messages to hand to the workers; it sends nothing itself.

**A worker that died while sending.** A SENDING row whose lease (``MESSAGE_SEND_LEASE``) has
expired belongs to a worker that stopped between claiming the message and recording what the mail
server said. The server may have accepted it. Sending it again could send it twice, so it is not
sent again: it becomes UNCERTAIN, is logged as an error, and stays in the admin's list of messages
to check, where staff can send it again once they know it did not arrive. Nothing is dropped
silently; nothing is sent twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from appointments.models import Appointment, AppointmentParticipant

from .models import Message

logger = logging.getLogger(__name__)

Status = Message.Status

# A PENDING message this long past due has lost its job (a queue emptied, a deploy in between):
# it is handed to the workers again, and not again before another STUCK_AFTER has passed. A message
# handed over twice is still sent once (its claim decides).
STUCK_AFTER = timedelta(minutes=5)

UNCERTAIN_NOTE = (
    "Its worker stopped while sending it: the mail server may have accepted it. Not sent again "
    "automatically; check with the recipient, then send it again from the admin if it did not arrive."
)


@dataclass
class Swept:
    uncertain: list[int] = field(default_factory=list)
    reminders: list[int] = field(default_factory=list)
    due: list[int] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {"uncertain": len(self.uncertain), "reminders": len(self.reminders), "due": len(self.due)}


def messages_sweep(*, now: datetime | None = None) -> Swept:
    """Mark abandoned sends UNCERTAIN, write the reminders that are due, and return them with the
    PENDING messages that are overdue (to enqueue)."""
    now = now or timezone.now()
    swept = Swept()
    swept.uncertain = _abandoned_sends(now)
    swept.reminders = reminders_write(now=now)
    overdue = list(
        Message.objects.filter(status=Status.PENDING, next_attempt_at__lte=now - STUCK_AFTER).values_list("pk", flat=True)
    )
    if overdue:
        Message.objects.filter(pk__in=overdue, status=Status.PENDING).update(next_attempt_at=now)
    swept.due = overdue
    return swept


def _abandoned_sends(now: datetime) -> list[int]:
    expired = list(
        Message.objects.filter(status=Status.SENDING, claimed_until__lt=now).values_list("pk", "appointment_id")
    )
    if not expired:
        return []
    # The claim token stays: a worker that was only slow still records SENT when it gets there.
    Message.objects.filter(pk__in=[pk for pk, _ in expired], status=Status.SENDING, claimed_until__lt=now).update(
        status=Status.UNCERTAIN, last_error=UNCERTAIN_NOTE
    )
    for pk, appointment_id in expired:
        logger.error("Message %s (appointment %s) may have been sent: its worker stopped while sending", pk, appointment_id)
    return [pk for pk, _ in expired]


def reminders_write(*, now: datetime) -> list[int]:
    """One reminder per customer of each ACCEPTED appointment that starts within
    ``REMINDER_BEFORE`` and was booked (or last changed) before that window opened: a booking made
    inside the window had its confirmation just now. Returns the new messages' ids."""
    before = settings.REMINDER_BEFORE
    if not before:
        return []
    appointments = Appointment.objects.filter(
        status=Appointment.Status.ACCEPTED,
        start__gt=now,
        start__lte=now + before,
        updated_at__lt=F("start") - before,
    ).exclude(
        Exists(Message.objects.filter(appointment=OuterRef("pk"), kind=Message.Kind.REMINDER, start=OuterRef("start")))
    )
    customers = AppointmentParticipant.objects.filter(
        appointment__in=appointments, type=AppointmentParticipant.Type.CUSTOMER
    ).values_list("appointment_id", "customer_id", "appointment__start", "appointment__end")
    rows = [
        Message(
            appointment_id=appointment_id,
            kind=Message.Kind.REMINDER,
            recipient_type=Message.RecipientType.CUSTOMER,
            recipient_id=customer_id,
            start=start,
            end=end,
            next_attempt_at=now,
            created_at=now,
        )
        for appointment_id, customer_id, start, end in customers
    ]
    if not rows:
        return []
    # Two sweeps at once: the unique constraint keeps one reminder per customer and start.
    Message.objects.bulk_create(rows, ignore_conflicts=True)
    return list(
        Message.objects.filter(
            kind=Message.Kind.REMINDER, status=Status.PENDING, attempts=0, created_at=now
        ).values_list("pk", flat=True)
    )

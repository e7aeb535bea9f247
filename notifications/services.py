"""Writing messages. The appointment services call these inside their own transaction, so that a
change and its messages are saved together or not at all; the messages are handed to the workers
once that transaction has committed (``transaction.on_commit``).

Who hears of what:

| action | customers | PRIMARY employees |
|---|---|---|
| invite created, invite resent | INVITE (with a new link) | — |
| a time booked (auto accept) | BOOKING_CONFIRMED | BOOKING_CONFIRMED |
| a time requested (manual accept) | REQUEST_RECEIVED | REQUEST_RECEIVED |
| a booked appointment moved | RESCHEDULED | RESCHEDULED |
| accepted | ACCEPTED | ACCEPTED |
| cancelled | CANCELLED | CANCELLED |
| ``REMINDER_BEFORE`` before the start | REMINDER (written by the sweep) | — |

An action taken with ``notifyCustomer: false`` (``change.notify_customer``) tells the customers
nothing; its PRIMARY employees are told as usual.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import partial

from django.db import transaction
from django.utils import timezone

from appointments.models import Appointment, AppointmentParticipant, AppointmentStatusChange

from .models import Message
from .tasks import enqueue_delivery

Kind = Message.Kind
Status = Appointment.Status
CUSTOMER = AppointmentParticipant.Type.CUSTOMER


def invite_messages_write(*, recipients: Iterable[tuple[int, int]]) -> list[Message]:
    """An INVITE message for each ``(appointment id, customer id)``: one INSERT however many."""
    now = timezone.now()
    return _write(
        Message(
            appointment_id=appointment_id,
            kind=Kind.INVITE,
            recipient_type=Message.RecipientType.CUSTOMER,
            recipient_id=customer_id,
            next_attempt_at=now,
            created_at=now,
        )
        for appointment_id, customer_id in recipients
    )


def change_messages_write(*, appointment: Appointment, change: AppointmentStatusChange) -> list[Message]:
    """The messages of one action on ``appointment`` (``change`` is its history row, the
    appointment saved with its new state), to the people the table above names; to its customers
    only if ``change.notify_customer``. The calendar sequence is the number of actions so far.
    ``appointment.participants`` may be prefetched."""
    kind = _kind_of(change)
    if kind is None:
        return []
    participants = appointment.participants.all()
    recipients = []
    if change.notify_customer:
        recipients += [(Message.RecipientType.CUSTOMER, p.customer_id) for p in participants if p.type == CUSTOMER]
    if kind != Kind.INVITE:
        recipients += [
            (Message.RecipientType.EMPLOYEE, p.employee_id)
            for p in participants
            if p.type == AppointmentParticipant.Type.EMPLOYEE and p.role == AppointmentParticipant.Role.PRIMARY
        ]
    sequence = 0 if kind == Kind.INVITE else AppointmentStatusChange.objects.filter(appointment=appointment).count()
    now = timezone.now()
    return _write(
        Message(
            appointment=appointment,
            kind=kind,
            recipient_type=recipient_type,
            recipient_id=recipient_id,
            note=change.message,
            start=appointment.start,
            end=appointment.end,
            sequence=sequence,
            next_attempt_at=now,
            created_at=now,
        )
        for recipient_type, recipient_id in recipients
    )


def messages_send_again(*, message_ids: Sequence[int], by: str) -> int:
    """Staff send messages again that were not (or maybe not) sent: FAILED, SKIPPED or UNCERTAIN
    ones become PENDING with their attempts reset. Returns how many. ``by`` says who, for the row."""
    with transaction.atomic():
        again = list(
            Message.objects.select_for_update()
            .filter(pk__in=message_ids, status__in=Message.RETRYABLE_BY_STAFF)
            .values_list("pk", "status")
        )
        now = timezone.now()
        for pk, status in again:
            Message.objects.filter(pk=pk).update(
                status=Message.Status.PENDING,
                attempts=0,
                next_attempt_at=now,
                claim=None,
                claimed_until=None,
                last_error=f"Sent again by {by} after it was {status}.",
            )
        ids = [pk for pk, _status in again]
        transaction.on_commit(partial(enqueue_delivery, ids))
    return len(ids)


def _kind_of(change: AppointmentStatusChange) -> str | None:
    if change.action == "reschedule":
        if change.from_status in (Status.OUTGOING_INVITE, Status.ALTERNATIVE_DATE_REQUESTED):
            return Kind.BOOKING_CONFIRMED if change.to_status == Status.ACCEPTED else Kind.REQUEST_RECEIVED
        return Kind.RESCHEDULED
    return {"accept": Kind.ACCEPTED, "cancel": Kind.CANCELLED, "resend-invite": Kind.INVITE}.get(change.action)


def _write(rows: Iterable[Message]) -> list[Message]:
    rows = list(rows)
    if not rows:
        return []
    messages = Message.objects.bulk_create(rows)
    transaction.on_commit(partial(enqueue_delivery, [message.pk for message in messages]))
    return messages

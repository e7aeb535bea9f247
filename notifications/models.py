"""One row per message to one person: what to tell them about which appointment, and how its
delivery went. The row is the durable intent: a lost background job only delays it (the sweep,
``send_due_messages``, enqueues it again)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from appointments.models import Appointment


class Message(models.Model):
    class Kind(models.TextChoices):
        INVITE = "INVITE", "Invite: choose a time (with a new link)"
        BOOKING_CONFIRMED = "BOOKING_CONFIRMED", "Booking confirmed"
        REQUEST_RECEIVED = "REQUEST_RECEIVED", "Request received: waits for an employee to accept it"
        ACCEPTED = "ACCEPTED", "Accepted"
        RESCHEDULED = "RESCHEDULED", "Rescheduled"
        CANCELLED = "CANCELLED", "Cancelled"
        REMINDER = "REMINDER", "Reminder before the start"

    class RecipientType(models.TextChoices):
        CUSTOMER = "CUSTOMER"
        EMPLOYEE = "EMPLOYEE"

    class Status(models.TextChoices):
        PENDING = "PENDING", "Waiting to be sent (or to be tried again)"
        SENDING = "SENDING", "A worker is sending it"
        SENT = "SENT", "Sent: the mail server accepted it"
        FAILED = "FAILED", "Not sent: refused for good, or too many attempts"
        SKIPPED = "SKIPPED", "Not sent: no address, or no longer true"
        UNCERTAIN = "UNCERTAIN", "Maybe sent: its worker stopped while sending; check before sending again"

    # Statuses staff may send again from the admin.
    RETRYABLE_BY_STAFF = (Status.FAILED, Status.SKIPPED, Status.UNCERTAIN)

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    # The recipient by type and id rather than a foreign key, like the appointment's audit fields.
    recipient_type = models.CharField(max_length=16, choices=RecipientType.choices)
    recipient_id = models.BigIntegerField()
    # The address and language it was rendered for: filled in when it is rendered for sending, so
    # that an address corrected before then is the one used.
    email = models.EmailField(blank=True)
    language = models.CharField(max_length=8, blank=True)
    subject = models.CharField(max_length=255, blank=True, help_text="The subject line it was sent with")
    # What the action said to the recipient (the message of a reschedule, cancel or resend), and
    # the appointment's time and calendar sequence when the message was written. Never internal notes.
    note = models.TextField(blank=True)
    start = models.DateTimeField(null=True, blank=True)
    end = models.DateTimeField(null=True, blank=True)
    sequence = models.PositiveIntegerField(default=0, help_text="The calendar file's SEQUENCE")

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # The worker that claimed it (a fencing token) and until when the claim holds.
    claim = models.UUIDField(null=True, blank=True, editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # The sweep: what is due or stuck.
            models.Index(
                fields=["status", "next_attempt_at"],
                name="message_due_idx",
                condition=Q(status__in=["PENDING", "SENDING"]),
            ),
            # A worker reads back the messages it claimed; only those being sent have a claim.
            models.Index(fields=["claim"], name="message_claim_idx", condition=Q(claim__isnull=False)),
        ]
        constraints = [
            # One reminder per recipient for each start the appointment has had: two sweeps at once
            # write it once.
            models.UniqueConstraint(
                fields=["appointment", "recipient_type", "recipient_id", "start"],
                condition=Q(kind="REMINDER"),
                name="message_one_reminder_per_start",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.recipient_type.lower()} {self.recipient_id}"

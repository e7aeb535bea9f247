"""Sending a message: at most once, with retries and backoff.

A worker first **claims** the rows: one conditional UPDATE turns them from PENDING (and due) to
SENDING with a claim token of its own and a lease (``MESSAGE_SEND_LEASE``). Two workers handed the
same message (a job enqueued twice, a sweep that re-enqueued it) cannot both win that UPDATE, so
only one of them renders and sends it. Every later write to a row names the token.

A run takes the messages its job names and, topped up to a batch, other due ones: a backlog (an
import, workers back after a stop) goes out in batches over one mail connection, and the jobs of
messages already sent finish after that one UPDATE.

What the mail backend answers decides what happens next:

- accepted: SENT;
- refused with a reply code (SMTP 4xx, or 5xx for something other than the recipient), the server
  unreachable, or an error before anything was handed over: PENDING again, due after a backoff
  that doubles with each attempt (``MESSAGE_RETRY_BASE`` … ``MESSAGE_RETRY_MAX``), and FAILED
  after ``MESSAGE_MAX_ATTEMPTS``;
- the recipient refused for good (SMTP 5xx to every recipient): FAILED at once;
- the connection lost while the message was being handed over: the server may have taken it, so
  it is **not** sent again blindly: UNCERTAIN, for staff to check (like a worker that died while
  sending; see ``sweep.py``).
"""

from __future__ import annotations

import logging
import random
import smtplib
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.db.models import F, Q
from django.utils import timezone

from appointments.models import AppointmentParticipant
from invitations.services import invite_links_issue

from .models import Message
from .rendering import NotSendable, Rendered, message_recipient, message_render

logger = logging.getLogger(__name__)

Status = Message.Status


def _lease_margin() -> timedelta:
    """Messages of one run are sent only while their claim has this long left (the worst case of
    one more SMTP conversation, or half the lease if that is shorter); the rest are given back."""
    return min(timedelta(seconds=30), timedelta(seconds=settings.MESSAGE_SEND_LEASE) / 2)


@dataclass
class Delivered:
    """What one run did with the messages it was given, by message id."""

    sent: list[int] = field(default_factory=list)
    retry: dict[int, datetime] = field(default_factory=dict)  # due again at
    failed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    uncertain: list[int] = field(default_factory=list)
    not_claimed: list[int] = field(default_factory=list)  # another worker has it, or it is not due

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in ("sent", "retry", "failed", "skipped", "uncertain", "not_claimed")}


def messages_deliver(message_ids: Iterable[int], *, others_due: int = 0) -> Delivered:
    """Send the given messages that are due and not taken by another worker, and up to
    ``others_due`` other due messages (oldest first, none that another worker holds): a job is a
    wake-up call, and one run sends a batch over one mail connection."""
    delivered = Delivered()
    message_ids = list(message_ids)
    claim = uuid.uuid4()
    claimed_until, count = _claim(message_ids, others_due, claim)
    if not count:  # another worker has them all (a later job of a batch already sent)
        delivered.not_claimed = message_ids
        return delivered
    messages = list(
        Message.objects.filter(claim=claim, status=Status.SENDING)
        .select_related("appointment__enterprise", "appointment__subject", "appointment__office__location")
        .order_by("next_attempt_at", "pk")
    )
    taken = {message.pk for message in messages}
    delivered.not_claimed = [pk for pk in message_ids if pk not in taken]
    if not messages:
        return delivered
    participants = participants_of({message.appointment_id for message in messages})
    try:
        links = _invite_links(messages, participants)
    except Exception as error:  # the database failed: nothing was sent, each is tried again later
        logger.exception("Links for messages %s could not be issued", list(taken))
        _fail_all(messages, claim, error, delivered)
        return delivered
    connection = None
    try:
        for index, message in enumerate(messages):
            if timezone.now() > claimed_until - _lease_margin():
                _release(messages[index:], claim, delivered)  # the rest would outlive the claim
                break
            try:
                connection = _deliver(
                    message, claim, participants[message.appointment_id], links.get(message.pk), connection, delivered
                )
            except _ServerDown as down:
                _fail_all(messages[index + 1 :], claim, down.error, delivered)
                break
    finally:
        if connection is not None:
            _close(connection)
    return delivered


def retry_delay(attempts: int) -> timedelta:
    """The wait after a failed attempt (the first is 1): doubling from ``MESSAGE_RETRY_BASE``
    seconds up to ``MESSAGE_RETRY_MAX``, with ±20 % jitter so that a backlog does not retry in step."""
    seconds = min(settings.MESSAGE_RETRY_BASE * 2 ** max(attempts - 1, 0), settings.MESSAGE_RETRY_MAX)
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))  # noqa: S311 (not security)


# A job may start a little before the time it was queued for (RQ schedules to the second): it
# still takes the message.
EARLY = timedelta(seconds=1)


def _claim(message_ids: list[int], others_due: int, claim: uuid.UUID) -> tuple[datetime, int]:
    """Take the messages: PENDING and due → SENDING with ``claim``, in one UPDATE, whose condition
    the database checks again on each row it locks, so a row another worker took meanwhile is
    left to it. Returns the lease's end and how many it took."""
    now = timezone.now()
    claimed_until = now + timedelta(seconds=settings.MESSAGE_SEND_LEASE)
    due = Message.objects.filter(status=Status.PENDING, next_attempt_at__lte=now + EARLY)
    wanted = Q(pk__in=message_ids)
    if others_due:
        wanted |= Q(pk__in=due.order_by("next_attempt_at", "pk").values("pk")[:others_due])
    count = due.filter(wanted).update(
        status=Status.SENDING, claim=claim, claimed_until=claimed_until, attempts=F("attempts") + 1
    )
    return claimed_until, count


def participants_of(appointment_ids) -> dict[int, list[AppointmentParticipant]]:
    """The appointments' participants with their customer or employee, in one query."""
    found = defaultdict(list)
    rows = AppointmentParticipant.objects.filter(appointment_id__in=appointment_ids).select_related("customer", "employee")
    for participant in rows:
        found[participant.appointment_id].append(participant)
    return found


class _ServerDown(Exception):
    """The mail server cannot be reached: the messages after this one are not tried now."""

    def __init__(self, error: Exception):
        super().__init__(str(error))
        self.error = error


def _invite_links(messages: list[Message], participants) -> dict[int, str]:
    """New links for the invites among ``messages`` that can be sent, issued together, by message
    id (those that cannot are skipped by ``_deliver``, and keep their recipient's working link)."""
    recipients = {}
    for message in messages:
        if message.kind == Message.Kind.INVITE:
            try:
                recipient = message_recipient(message, participants[message.appointment_id])
            except NotSendable:
                continue
            recipients[message.pk] = (message.appointment, recipient.customer)
    issued = invite_links_issue(recipients=recipients.values())
    return {pk: issued[appointment.pk, customer.pk] for pk, (appointment, customer) in recipients.items()}


def _deliver(message: Message, claim, participants, link: str | None, connection, delivered: Delivered):
    """Render and send one claimed message (an invite with its ``link``) and record what
    happened; returns the open mail connection to reuse, if any."""
    mine = Message.objects.filter(pk=message.pk, claim=claim)
    try:
        rendered = message_render(message, participants, link=link)
    except NotSendable as reason:
        mine.update(status=Status.SKIPPED, last_error=str(reason), claim=None, claimed_until=None)
        logger.info("Message %s skipped: %s", message.pk, reason)
        delivered.skipped.append(message.pk)
        return connection
    except Exception as error:  # a bug or a database error while rendering: nothing was sent
        logger.exception("Message %s could not be rendered", message.pk)
        _failed_attempt(message, mine, error, delivered, recorded={})
        return connection
    recorded = {"email": rendered.address, "language": rendered.language, "subject": rendered.subject}

    try:
        connection = _open(connection)
    except Exception as error:  # unreachable, or refused before anything was handed over
        _failed_attempt(message, mine, error, delivered, recorded)
        raise _ServerDown(error) from error
    try:
        _send(connection, rendered)
    except Exception as error:
        _close(connection)  # its state is unknown: the next message opens another
        if _handed_over_maybe(connection, error):
            mine.update(status=Status.UNCERTAIN, last_error=_describe(error), **recorded)
            logger.error("Message %s may have been sent (%s): not sent again; check it", message.pk, _describe(error))
            delivered.uncertain.append(message.pk)
        elif _refused_for_good(error):
            mine.update(status=Status.FAILED, last_error=_describe(error), claim=None, claimed_until=None, **recorded)
            logger.warning("Message %s refused for good: %s", message.pk, _describe(error))
            delivered.failed.append(message.pk)
        else:
            _failed_attempt(message, mine, error, delivered, recorded)
        return None
    # Named by the claim: a row the sweep marked UNCERTAIN while this worker was slow is SENT now.
    mine.update(status=Status.SENT, sent_at=timezone.now(), last_error="", claim=None, claimed_until=None, **recorded)
    delivered.sent.append(message.pk)
    return connection


# A connection that has been idle this long is checked (an SMTP NOOP) before it is used again.
_IDLE = 2.0


def _open(connection):
    """A mail connection known to be alive: the one in use if it answered a moment ago or still
    answers a NOOP, else a new one. A message is handed over only on a live connection, so that a
    connection lost while sending means the server may have it."""
    if connection is not None:
        if not isinstance(connection, SmtpBackend):
            return connection
        try:
            if connection.connection is not None and (
                time.monotonic() - getattr(connection, "last_used", 0) < _IDLE or connection.connection.noop()[0] == 250
            ):
                return connection
        except (smtplib.SMTPException, OSError):
            pass
        _close(connection)
    connection = get_connection(fail_silently=False)
    connection.open()
    return connection


def _release(messages: list[Message], claim, delivered: Delivered) -> None:
    """Give back claimed messages that were not tried: PENDING again, their attempt not counted."""
    for message in messages:
        Message.objects.filter(pk=message.pk, claim=claim).update(
            status=Status.PENDING, claim=None, claimed_until=None, attempts=F("attempts") - 1
        )
        delivered.retry[message.pk] = message.next_attempt_at


def _send(connection, rendered: Rendered) -> None:
    rendered.email.connection = connection
    if not connection.send_messages([rendered.email]):
        raise RuntimeError("The mail backend sent nothing.")
    connection.last_used = time.monotonic()


def _fail_all(messages: list[Message], claim, error: Exception, delivered: Delivered) -> None:
    """A failed attempt for each of these claimed messages, none of which was handed over."""
    for message in messages:
        _failed_attempt(message, Message.objects.filter(pk=message.pk, claim=claim), error, delivered, {})


def _failed_attempt(message: Message, mine, error: Exception, delivered: Delivered, recorded: dict) -> None:
    attempts = message.attempts  # counted when it was claimed
    if attempts >= settings.MESSAGE_MAX_ATTEMPTS:
        mine.update(status=Status.FAILED, last_error=_describe(error), claim=None, claimed_until=None, **recorded)
        logger.error("Message %s failed after %s attempts: %s", message.pk, attempts, _describe(error))
        delivered.failed.append(message.pk)
        return
    due = timezone.now() + retry_delay(attempts)
    mine.update(
        status=Status.PENDING, next_attempt_at=due, last_error=_describe(error), claim=None, claimed_until=None, **recorded
    )
    logger.warning("Message %s not sent (attempt %s), again at %s: %s", message.pk, attempts, due.isoformat(), _describe(error))
    delivered.retry[message.pk] = due


def _handed_over_maybe(connection, error: Exception) -> bool:
    """Whether the SMTP server may have the message although it did not say so: the connection
    broke after it was opened, without a reply code (a reply code means it refused)."""
    return isinstance(connection, SmtpBackend) and isinstance(
        error, smtplib.SMTPServerDisconnected | TimeoutError | ConnectionError
    )


def _refused_for_good(error: Exception) -> bool:
    """Every recipient refused with a permanent (5xx) code."""
    return isinstance(error, smtplib.SMTPRecipientsRefused) and all(
        code >= 500 for code, _message in error.recipients.values()
    )


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def _close(connection) -> None:
    try:
        connection.close()
    except Exception:  # the message's fate is decided; a failed QUIT changes nothing
        logger.debug("Closing the mail connection failed", exc_info=True)

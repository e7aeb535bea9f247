"""Sending a message: at most once, with retries and backoff.

A worker first **claims** the row: one conditional UPDATE turns it from PENDING (and due) to SENDING
with a claim token of its own and a lease (``MESSAGE_SEND_LEASE``). Two workers handed the same
message (a job enqueued twice, a sweep that re-enqueued it) cannot both win that UPDATE, so only
one of them renders and sends it. Every later write to the row names the token.

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
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.db.models import F
from django.utils import timezone

from .models import Message
from .rendering import NotSendable, Rendered, message_render

logger = logging.getLogger(__name__)

Status = Message.Status


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


def messages_deliver(message_ids: Iterable[int]) -> Delivered:
    """Send each of the messages that is due and not taken by another worker."""
    delivered = Delivered()
    for message_id in message_ids:
        _deliver(message_id, delivered)
    return delivered


def retry_delay(attempts: int) -> timedelta:
    """The wait after a failed attempt (the first is 1): doubling from ``MESSAGE_RETRY_BASE``
    seconds up to ``MESSAGE_RETRY_MAX``, with ±20 % jitter so that a backlog does not retry in step."""
    seconds = min(settings.MESSAGE_RETRY_BASE * 2 ** max(attempts - 1, 0), settings.MESSAGE_RETRY_MAX)
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))  # noqa: S311 (not security)


def _deliver(message_id: int, delivered: Delivered) -> None:
    claim = uuid.uuid4()
    now = timezone.now()
    claimed = Message.objects.filter(pk=message_id, status=Status.PENDING, next_attempt_at__lte=now).update(
        status=Status.SENDING,
        claim=claim,
        claimed_until=now + timedelta(seconds=settings.MESSAGE_SEND_LEASE),
        attempts=F("attempts") + 1,
    )
    if not claimed:
        delivered.not_claimed.append(message_id)
        return
    message = Message.objects.select_related(
        "appointment__enterprise", "appointment__subject", "appointment__office__location", "appointment__location"
    ).get(pk=message_id)
    mine = Message.objects.filter(pk=message_id, claim=claim)

    try:
        rendered = message_render(message)
    except NotSendable as reason:
        mine.update(status=Status.SKIPPED, last_error=str(reason), claim=None, claimed_until=None)
        logger.info("Message %s skipped: %s", message_id, reason)
        delivered.skipped.append(message_id)
        return
    except Exception as error:  # a bug or a database error while rendering: nothing was sent
        logger.exception("Message %s could not be rendered", message_id)
        _failed_attempt(message, mine, error, delivered, recorded={})
        return
    recorded = {"email": rendered.address, "language": rendered.language, "subject": rendered.subject}

    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except Exception as error:  # unreachable, or refused before anything was handed over
        _failed_attempt(message, mine, error, delivered, recorded)
        return
    try:
        _send(connection, rendered)
    except Exception as error:
        if _handed_over_maybe(connection, error):
            mine.update(status=Status.UNCERTAIN, last_error=_describe(error), **recorded)
            logger.error("Message %s may have been sent (%s): not sent again; check it", message_id, _describe(error))
            delivered.uncertain.append(message_id)
        elif _refused_for_good(error):
            mine.update(status=Status.FAILED, last_error=_describe(error), claim=None, claimed_until=None, **recorded)
            logger.warning("Message %s refused for good: %s", message_id, _describe(error))
            delivered.failed.append(message_id)
        else:
            _failed_attempt(message, mine, error, delivered, recorded)
        return
    finally:
        _close(connection)
    # Named by the claim: a row the sweep marked UNCERTAIN while this worker was slow is SENT now.
    mine.update(status=Status.SENT, sent_at=timezone.now(), last_error="", claim=None, claimed_until=None, **recorded)
    delivered.sent.append(message_id)


def _send(connection, rendered: Rendered) -> None:
    rendered.email.connection = connection
    if not connection.send_messages([rendered.email]):
        raise RuntimeError("The mail backend sent nothing.")


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

"""``Idempotency-Key`` for the API's writes: a client that retries after a timeout must not
invite twice, nor book, cancel or accept twice.

Keys are scoped per API client and live in the database, so every app server behind the load
balancer agrees, and the database arbitrates races:

- the first request *inserts* the key (a unique constraint lets exactly one insert win) and runs;
- the appointment the request writes (a new invite, or the one an action changes) is bound to the
  key *inside the transaction that writes it*, and only while the request still owns the key: the
  write and "this key is used" are committed together or not at all;
- a key stands for one request: its method, its path (which names the enterprise, the appointment
  and the action) and its body (sha256 of the canonical JSON). The same request again within
  ``IDEMPOTENCY_KEY_TTL_HOURS`` → the original response replayed with ``Idempotent-Replayed:
  true``; anything else (another body, another appointment, another action) → 422
  ``IDEMPOTENCY_KEY_REUSED``; still running → 409 ``IDEMPOTENCY_KEY_IN_USE``;
- a request that fails (4xx/5xx) releases the key, so a retry can proceed; a key held by a worker
  that died is taken over after ``IDEMPOTENCY_LOCK_SECONDS``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.response import Response

from core.errors import DomainError

from .models import IDEMPOTENCY_KEY_MAX_LENGTH as MAX_KEY_LENGTH
from .models import Appointment, IdempotencyKey

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Visible ASCII only: keys are compared byte for byte and may end up in logs.
_VALID_KEY = re.compile(rf"^[\x21-\x7e]{{1,{MAX_KEY_LENGTH}}}$")


class IdempotencyKeyInvalid(DomainError):
    code = "IDEMPOTENCY_KEY_INVALID"
    default_message = _("Idempotency-Key must be 1 to 255 visible ASCII characters")
    status = 400
    type = "VALIDATION"


class IdempotencyKeyInUse(DomainError):
    code = "IDEMPOTENCY_KEY_IN_USE"
    default_message = _("A request with this Idempotency-Key is still in progress, retry later")
    status = 409
    type = "CONFLICT"


class IdempotencyKeyReused(DomainError):
    code = "IDEMPOTENCY_KEY_REUSED"
    default_message = _("This Idempotency-Key was already used for a different request (method, path or body)")


def body_fingerprint(data) -> str:
    """The same JSON body, however it is spaced or its keys ordered, gives the same hash."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def request_fingerprint(method: str, path: str, data) -> str:
    """What a key stands for: the method, the path and the body. Built on the body's own hash, so
    that a key stored with that hash alone can be given its request's method and path later (the
    migration that introduced this did so)."""
    return hashlib.sha256(f"{method} {path}\n{body_fingerprint(data)}".encode()).hexdigest()


def idempotent(request, perform: Callable[[], Appointment], render: Callable[[Appointment], Response]) -> Response:
    """Run ``perform()`` (a service that writes one appointment and returns it) at most once per
    API client and ``Idempotency-Key`` header, and answer ``render(appointment)``. Without the
    header, it simply runs.

    With it, the key is bound to the appointment in the transaction that writes it, so both are
    committed or neither; a retry of the same request replays the first answer.
    """
    key = request.headers.get(HEADER)
    if key is None:
        return render(perform())
    if not _VALID_KEY.match(key):
        raise IdempotencyKeyInvalid(arguments={"header": HEADER})
    fingerprint = request_fingerprint(request.method, request.path_info, request.data)
    held = _claim(api_client_id=request.auth.application_id, key=key, request_hash=fingerprint)
    if held.response_status is not None:
        return Response(held.response_body, status=held.response_status, headers={REPLAYED_HEADER: "true"})
    if held.appointment_id is not None:
        # The request that held the key wrote its appointment, then died before it could store
        # the response: answer with that appointment as it is now.
        response = render(Appointment.objects.get(pk=held.appointment_id))
        response[REPLAYED_HEADER] = "true"
        _complete(held, response)
        return response

    try:
        with transaction.atomic():
            appointment = perform()
            _bind_appointment(held, appointment)
    except BaseException:
        _release(held)
        raise
    response = render(appointment)
    _complete(held, response)
    return response


def _bind_appointment(held: IdempotencyKey, appointment: Appointment) -> None:
    """Inside the transaction that writes the appointment: mark the key used, but only if this
    request still holds it; otherwise abort that transaction rather than write twice."""
    bound = IdempotencyKey.objects.filter(pk=held.pk, owner=held.owner, appointment__isnull=True).update(
        appointment=appointment
    )
    if not bound:
        raise IdempotencyKeyInUse(arguments={"header": HEADER})
    held.appointment = appointment


def _claim(*, api_client_id: int, key: str, request_hash: str) -> IdempotencyKey:
    """The key, held by this request; or a finished one to replay. Raises if it cannot be used."""
    for _attempt in range(3):
        now = timezone.now()
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(
                    api_client_id=api_client_id,
                    key=key,
                    request_hash=request_hash,
                    created_at=now,
                    owner=uuid.uuid4(),
                    locked_at=now,
                )
        except IntegrityError:
            pass  # the key exists: look at it
        existing = IdempotencyKey.objects.filter(api_client_id=api_client_id, key=key).first()
        if existing is None:
            continue  # released meanwhile by a failed request: claim it again
        if existing.created_at < now - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS):
            IdempotencyKey.objects.filter(pk=existing.pk, created_at=existing.created_at).delete()
            continue  # expired: a fresh key
        if existing.request_hash != request_hash:
            raise IdempotencyKeyReused(arguments={"header": HEADER})
        if existing.response_status is not None or existing.appointment_id is not None:
            return existing
        if existing.locked_at < now - timedelta(seconds=settings.IDEMPOTENCY_LOCK_SECONDS):
            # Its holder died mid-request without creating anything: take the key over.
            owner = uuid.uuid4()
            taken = IdempotencyKey.objects.filter(
                pk=existing.pk, owner=existing.owner, appointment__isnull=True, response_status__isnull=True
            ).update(owner=owner, locked_at=now)
            if taken:
                existing.owner, existing.locked_at = owner, now
                return existing
        raise IdempotencyKeyInUse(arguments={"header": HEADER})
    raise IdempotencyKeyInUse(arguments={"header": HEADER})


def _complete(held: IdempotencyKey, response: Response) -> None:
    IdempotencyKey.objects.filter(pk=held.pk).update(
        response_status=response.status_code, response_body=response.data, owner=None, locked_at=None
    )


def _release(held: IdempotencyKey) -> None:
    """Forget the key after a failed request, unless its appointment was written after all."""
    try:
        IdempotencyKey.objects.filter(pk=held.pk, owner=held.owner, appointment__isnull=True).delete()
    except DatabaseError:
        # The failure was probably the database itself; the lock expires on its own.
        logger.warning("Could not release Idempotency-Key %s; it frees itself after the lock timeout", held.pk)


def purge_expired_keys() -> int:
    """Delete keys older than the TTL; returns how many."""
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted

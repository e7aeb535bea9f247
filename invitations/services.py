"""Issuing and revoking the customer's links. A token is 256 random bits, sent once and kept only
as a SHA-256 hash, so a copy of the database opens no appointment."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment
from participants.models import Customer

from .models import InviteLink


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_link_issue(*, appointment: Appointment, customer: Customer) -> str:
    """A new link for ``customer`` to ``appointment``; every older one of theirs stops working.
    Returns the link's absolute URL, which holds the token: send it, never log or store it."""
    return invite_links_issue(recipients=[(appointment, customer)])[appointment.pk, customer.pk]


def invite_links_issue(*, recipients: Iterable[tuple[Appointment, Customer]]) -> dict[tuple[int, int], str]:
    """``invite_link_issue`` for each ``(appointment, customer)`` at once, in one UPDATE and one
    INSERT however many (a worker issues the links of a batch of invites together). Returns the
    URLs by ``(appointment id, customer id)``."""
    pairs = {(appointment.pk, customer.pk) for appointment, customer in recipients}
    if not pairs:
        return {}
    now = timezone.now()
    tokens = {pair: secrets.token_urlsafe(32) for pair in pairs}
    older = Q()
    for appointment_id, customer_id in pairs:
        older |= Q(appointment_id=appointment_id, customer_id=customer_id)
    with transaction.atomic():
        InviteLink.objects.filter(older, revoked_at__isnull=True).update(revoked_at=now)
        InviteLink.objects.bulk_create(
            InviteLink(
                appointment_id=appointment_id,
                customer_id=customer_id,
                token_hash=token_hash(token),
                created_at=now,
                expires_at=now + settings.INVITE_LINK_TTL,
            )
            for (appointment_id, customer_id), token in tokens.items()
        )
    return {pair: public_url(reverse("invitations:invite", args=[token])) for pair, token in tokens.items()}


def invite_links_revoke(*, appointment: Appointment) -> int:
    """Stop every link to ``appointment`` (it is cancelled or over); returns how many."""
    return InviteLink.objects.filter(appointment=appointment, revoked_at__isnull=True).update(revoked_at=timezone.now())


def public_url(path: str) -> str:
    """An absolute URL for people outside the service (links in messages): ``PUBLIC_BASE_URL``."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + path

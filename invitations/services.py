"""Issuing and revoking the customer's links. A token is 256 random bits, sent once and kept only
as a SHA-256 hash, so a copy of the database opens no appointment."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
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
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    InviteLink.objects.filter(appointment=appointment, customer=customer, revoked_at__isnull=True).update(revoked_at=now)
    InviteLink.objects.create(
        appointment=appointment,
        customer=customer,
        token_hash=token_hash(token),
        created_at=now,
        expires_at=now + settings.INVITE_LINK_TTL,
    )
    return public_url(reverse("invitations:invite", args=[token]))


def invite_links_revoke(*, appointment: Appointment) -> int:
    """Stop every link to ``appointment`` (it is cancelled or over); returns how many."""
    return InviteLink.objects.filter(appointment=appointment, revoked_at__isnull=True).update(revoked_at=timezone.now())


def public_url(path: str) -> str:
    """An absolute URL for people outside the service (links in messages): ``PUBLIC_BASE_URL``."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + path

"""Finding the appointment a customer's link opens."""

from __future__ import annotations

from django.utils import timezone

from .models import InviteLink
from .services import token_hash


def invite_link_find(token: str) -> InviteLink | None:
    """The working link with this token, with its appointment and customer; None for a token that
    is unknown, expired or revoked alike (the caller shows the same page for all three)."""
    if not 16 <= len(token) <= 128:
        return None
    return (
        InviteLink.objects.select_related("appointment__office__location", "appointment__subject", "customer")
        .filter(token_hash=token_hash(token), revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )

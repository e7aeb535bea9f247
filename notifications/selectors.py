"""Reads of messages that more than one door needs (the admin, the back office, the API)."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Message


def appointment_messages(*, appointment_id: int) -> QuerySet[Message]:
    """An appointment's messages, oldest first: what was (or will be) sent to whom, and how its
    delivery went (status, attempts, last error, sent at). The caller has checked that the
    appointment is one the reader may see."""
    return Message.objects.filter(appointment_id=appointment_id).order_by("created_at", "pk")

"""Finding the appointment a customer's link opens, and the free times its page offers."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from django.db.models import F, Prefetch
from django.utils import timezone

from appointments.models import Appointment, AppointmentParticipant
from availability.selectors import Slot, availability_rules, free_slots

from .models import InviteLink
from .services import token_hash

# How many days of free times one page shows; "later times" shows the next ones.
DAYS_PER_PAGE = 14


def invite_link_find(token: str) -> InviteLink | None:
    """The working link with this token, with its appointment (its subject, office, location,
    enterprise and participants) and customer; None for a token that is unknown, expired or revoked
    alike, for an appointment that is no longer open, and for a customer who is no longer one of
    its participants (the caller shows the same page for all)."""
    if not 16 <= len(token) <= 128:
        return None
    return (
        InviteLink.objects.select_related(
            "appointment__office__location",
            "appointment__location",
            "appointment__subject",
            "appointment__enterprise",
            "customer__enterprise",
        )
        .prefetch_related(
            Prefetch(
                "appointment__participants",
                queryset=AppointmentParticipant.objects.select_related("employee", "customer"),
            )
        )
        .filter(
            token_hash=token_hash(token),
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            appointment__status__in=Appointment.OPEN_STATUSES,
            appointment__participants__customer_id=F("customer_id"),
        )
        .first()
    )


@dataclass
class SlotDay:
    day: date  # in the customer's zone
    slots: list[Slot] = field(default_factory=list)


@dataclass
class SlotPage:
    """The free times of ``DAYS_PER_PAGE`` days from ``first_day`` (the customer's local dates),
    grouped by day, and the first days of the pages before and after (None: there is none)."""

    first_day: date
    days: list[SlotDay]
    earlier: date | None
    later: date | None


def slot_page(appointment: Appointment, zone: tzinfo, first_day: date | None = None, now: datetime | None = None) -> SlotPage:
    """Free times by the customer's local day. Pages start today and end with the last day on
    which the subject can still be booked (``time_slot_latest_possible``); a ``first_day`` outside
    that range is brought back into it."""
    now = now or timezone.now()
    rules = availability_rules(appointment)
    today = now.astimezone(zone).date()
    last_day = (now + timedelta(minutes=rules.time_slot_latest_possible)).astimezone(zone).date()
    first = min(max(first_day or today, today), max(last_day, today))
    end = first + timedelta(days=DAYS_PER_PAGE)

    slots = free_slots(
        appointment=appointment,
        window_start=max(now, _midnight(first, zone)),
        window_end=_midnight(end, zone),
        rules=rules,
        now=now,
    )
    by_day: dict[date, list[Slot]] = defaultdict(list)
    for slot in slots:
        if slot.start != appointment.start:  # a booking's own time is no other time to move to
            by_day[slot.start.astimezone(zone).date()].append(slot)
    return SlotPage(
        first_day=first,
        days=[SlotDay(day, by_day[day]) for day in sorted(by_day)],
        earlier=max(today, first - timedelta(days=DAYS_PER_PAGE)) if first > today else None,
        later=end if end <= last_day else None,
    )


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)

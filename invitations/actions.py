"""What a customer may do through their link, and when: the door's own rules around the
appointment services (which decide everything else, as for every door).

- an invite (OUTGOING_INVITE) can be booked, or answered with "none of these times suit me";
- a booking (INCOMING_REQUEST, ACCEPTED) can be moved or cancelled until ``CUSTOMER_CHANGE_CUTOFF``
  before its start; after that, staff can still change it, the customer no longer.

Each action locks the appointment's row before it checks these rules, so that a change by staff at
the same moment (a new time inside the cut-off) cannot slip between the check and the action.
The actor is always the link's own customer, through ``CUSTOMER_APP``; the appointment is always
the link's own: nothing a customer posts chooses another.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from appointments.models import Appointment
from appointments.services import (
    Actor,
    appointment_cancel,
    appointment_request_alternative,
    appointment_reschedule,
)

from .models import InviteLink

Status = Appointment.Status


class NotOfferedNow(Exception):
    """The link's page does not offer this action now: the appointment's status moved on, or the
    cut-off has passed. The page is shown again as it now is."""


def change_deadline(appointment: Appointment) -> datetime | None:
    """Until when the customer may move or cancel their booking (None: not booked)."""
    if appointment.status not in Appointment.BOOKED_STATUSES or appointment.start is None:
        return None
    return appointment.start - settings.CUSTOMER_CHANGE_CUTOFF


def may_book(appointment: Appointment) -> bool:
    return appointment.status == Status.OUTGOING_INVITE


def may_change(appointment: Appointment, now: datetime | None = None) -> bool:
    deadline = change_deadline(appointment)
    return deadline is not None and (now or timezone.now()) < deadline


def customer_actor(link: InviteLink) -> Actor:
    return Actor(type=Appointment.ActorType.CUSTOMER, id=str(link.customer_id), channel=Appointment.Channel.CUSTOMER_APP)


def customer_book(*, link: InviteLink, start: datetime) -> Appointment:
    """Book the invite at ``start``, or move the booking there (before the cut-off). Raises
    ``AppointmentNoAvailability`` when that time is not free (any more), ``NotOfferedNow``."""
    with transaction.atomic():
        appointment = _locked(link)
        if not (may_book(appointment) or may_change(appointment)):
            raise NotOfferedNow
        return appointment_reschedule(
            enterprise=appointment.enterprise, appointment_id=appointment.pk, actor=customer_actor(link), start=start
        )


def customer_cancel(*, link: InviteLink, message: str = "") -> Appointment:
    """Cancel the booking (before the cut-off), with the customer's message for staff."""
    with transaction.atomic():
        appointment = _locked(link)
        if not may_change(appointment):
            raise NotOfferedNow
        return appointment_cancel(
            enterprise=appointment.enterprise, appointment_id=appointment.pk, actor=customer_actor(link), message=message
        )


def customer_request_alternative(*, link: InviteLink, message: str = "") -> Appointment:
    """None of the invite's free times suits the customer: staff will offer others."""
    with transaction.atomic():
        appointment = _locked(link)
        if not may_book(appointment):
            raise NotOfferedNow
        return appointment_request_alternative(
            enterprise=appointment.enterprise, appointment_id=appointment.pk, actor=customer_actor(link), message=message
        )


def _locked(link: InviteLink) -> Appointment:
    return Appointment.objects.select_for_update(of=("self",)).select_related("enterprise").get(pk=link.appointment_id)

"""The booking guard: an appointment takes a time only if it is still free, under any concurrency.

Called by the appointment services inside their transaction. The time's PRIMARY employees are
locked (PostgreSQL: a row lock each, in id order, so that two bookings of one employee take turns
and never deadlock; SQLite: every write transaction takes the database's write lock at its start),
then the slot is checked again against what is committed, then the time is written as
``BusyTime`` rows. On PostgreSQL an exclusion constraint also refuses two overlapping bookings of
capacity one, whatever the code above does.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from appointments.models import Appointment
from core.errors import DomainError
from participants.models import Employee

from .models import BusyTime, SubjectAvailability
from .selectors import free_slots, primary_employee_ids, trailing_buffer


class AppointmentNoAvailability(DomainError):
    code = "APPOINTMENT_NO_AVAILABILITY"
    default_message = _("This time is not available (any more): pick another free slot")


def time_hold(*, appointment: Appointment, start: datetime, duration: timedelta, rules: SubjectAvailability) -> None:
    """Give ``appointment`` the time ``[start, start + duration)`` if it is one of its free slots
    now, releasing any time it held before; else raise ``AppointmentNoAvailability``. Call inside
    a transaction that holds the appointment's row lock."""
    employees = primary_employee_ids(appointment)
    list(Employee.objects.select_for_update().filter(pk__in=employees).order_by("pk").values_list("pk", flat=True))
    slots = free_slots(
        appointment=appointment,
        window_start=start,
        window_end=start + timedelta(microseconds=1),
        rules=rules,
        duration=duration,
    )
    if not slots:
        raise AppointmentNoAvailability(arguments={"start": start.isoformat()})
    time_release(appointment=appointment)
    buffer = trailing_buffer(appointment, rules)
    try:
        with transaction.atomic():  # a savepoint: the constraint's refusal is this error, not a 500
            BusyTime.objects.bulk_create(
                BusyTime(
                    appointment=appointment,
                    employee_id=employee,
                    start=start,
                    end=start + duration + buffer,
                    exclusive=rules.max_concurrent_appointments == 1,
                )
                for employee in employees
            )
    except IntegrityError as error:
        raise AppointmentNoAvailability(arguments={"start": start.isoformat()}) from error


def time_release(*, appointment: Appointment) -> None:
    """Free the time a booked appointment held (it is cancelled, over, or moving)."""
    BusyTime.objects.filter(appointment=appointment).delete()

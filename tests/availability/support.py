"""Appointments with availability: an office's hours, its rules, and booked invites."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from appointments.models import Appointment
from appointments.services import Actor, ParticipantInput, appointment_reschedule, invite_create
from availability.models import OpeningHours, SubjectAvailability
from participants.models import Employee

STAFF = Actor(type=Appointment.ActorType.EMPLOYEE, id="1", channel=Appointment.Channel.BACKOFFICE_APP)
BRUSSELS = ZoneInfo("Europe/Brussels")


def open_every_day(office, start=time(9), end=time(17), weekdays=range(7)) -> None:
    OpeningHours.objects.bulk_create(OpeningHours(office=office, weekday=day, start=start, end=end) for day in weekdays)


def rules(acme, **fields) -> SubjectAvailability:
    """The rules for acme's subject at its office for OFFICE meetings: no earliest limit by
    default, so that tests can book any future time."""
    values = {"time_slot_earliest_possible": 0, **fields}
    row, _ = SubjectAvailability.objects.update_or_create(
        enterprise=acme.enterprise, office=acme.office, subject=acme.subject, meeting_type="OFFICE", defaults=values
    )
    return row


def invite(acme, *employees: Employee, secondary: tuple[Employee, ...] = (), **fields) -> Appointment:
    employees = employees or (acme.employees[0],)
    participants = [
        *(ParticipantInput("PRIMARY", "EMPLOYEE", str(employee.pk)) for employee in employees),
        *(ParticipantInput("SECONDARY", "EMPLOYEE", str(employee.pk)) for employee in secondary),
        ParticipantInput("PRIMARY", "CUSTOMER", str(acme.customers[0].pk)),
    ]
    return invite_create(
        enterprise=acme.enterprise,
        actor=STAFF,
        subject_id=str(acme.subject.pk),
        office_id=str(acme.office.pk),
        participants=participants,
        meeting_type="OFFICE",
        **fields,
    )


def book(acme, start: datetime, *employees: Employee, **fields) -> Appointment:
    appointment = invite(acme, *employees, **fields)
    return appointment_reschedule(enterprise=acme.enterprise, appointment_id=appointment.pk, actor=STAFF, start=start)


def next_weekday(weekday: int, weeks_ahead: int = 1) -> date:
    """A date with that weekday (Monday = 0), at least a week from today."""
    today = datetime.now(UTC).date() + timedelta(weeks=weeks_ahead)
    return today + timedelta(days=(weekday - today.weekday()) % 7)


def local(day: date, hour: int, minute: int = 0, zone: ZoneInfo = BRUSSELS) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone)

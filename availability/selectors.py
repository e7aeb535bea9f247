"""Reads of availability: the rules that apply to an appointment, and its free slots.

A free slot (the contract's rule) is a start ``t`` on the granularity grid of a local day, anchored
at the start of an availability block in wall-clock time, with ``now + earliest <= t <= now +
latest``, such that ``[t, t + duration + buffer)`` lies inside a block of every PRIMARY employee and
each of them has fewer than ``max_concurrent_appointments`` booked appointments overlapping it
(their trailing buffers included). Days are the office's local dates, built one by one, so that
daylight-saving changes keep the local opening hours: a local time that does not exist (spring
forward) is no slot, and one that happens twice (fall back) is one slot, at its first occurrence.

``free_slots`` loads everything it needs in a fixed number of queries, however many days and
booked appointments the window holds, and computes the rest in memory.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone

from appointments.models import Appointment, AppointmentParticipant

from .models import BusyTime, Closure, EmployeeHours, OpeningHours, SubjectAvailability

# A block of a day, in local wall-clock time: naive datetimes.
Block = tuple[datetime, datetime]


@dataclass(frozen=True)
class Slot:
    start: datetime  # UTC
    end: datetime  # UTC: start + duration (the trailing buffer is not part of it)


def availability_rules(appointment: Appointment) -> SubjectAvailability:
    """The subject availability settings for the appointment's office, subject and meeting type:
    their own row, else the enterprise's default row, else the built-in defaults (unsaved)."""
    rows = SubjectAvailability.objects.filter(
        Q(office_id=appointment.office_id, subject_id=appointment.subject_id, meeting_type=appointment.meeting_type)
        | Q(office__isnull=True),
        enterprise_id=appointment.enterprise_id,
    )
    by_kind = {row.office_id is None: row for row in rows}
    return by_kind.get(False) or by_kind.get(True) or SubjectAvailability(enterprise_id=appointment.enterprise_id)


def office_time_zone(appointment: Appointment) -> ZoneInfo:
    return ZoneInfo(appointment.office.location.time_zone)


def trailing_buffer(appointment: Appointment, rules: SubjectAvailability) -> timedelta:
    """The time kept free after the appointment: the longer of its own trailing buffer and its
    subject's."""
    return timedelta(minutes=max(appointment.trailing_buffer_time, rules.trailing_buffer_time))


def primary_employee_ids(appointment: Appointment) -> list[int]:
    return sorted(
        participant.employee_id
        for participant in appointment.participants.all()
        if participant.type == AppointmentParticipant.Type.EMPLOYEE
        and participant.role == AppointmentParticipant.Role.PRIMARY
    )


def free_slots(
    *,
    appointment: Appointment,
    window_start: datetime,
    window_end: datetime,
    rules: SubjectAvailability | None = None,
    duration: timedelta | None = None,
    now: datetime | None = None,
) -> list[Slot]:
    """The appointment's free slots that start in ``[window_start, window_end)``, in time order.

    ``appointment`` should come with ``office__location`` selected and ``participants``
    prefetched (else two more queries). ``duration`` overrides the rules' estimated duration
    (a booking with its own end). The appointment's own booked time does not count against it,
    so an appointment can move within its own old time.
    """
    rules = rules or availability_rules(appointment)
    now = now or timezone.now()
    duration = duration or timedelta(minutes=rules.estimated_duration)
    buffer = trailing_buffer(appointment, rules)
    earliest = max(window_start, now + timedelta(minutes=rules.time_slot_earliest_possible))
    latest = min(window_end, now + timedelta(minutes=rules.time_slot_latest_possible) + timedelta(microseconds=1))
    if earliest >= latest:
        return []

    zone = office_time_zone(appointment)
    employees = primary_employee_ids(appointment)
    first_day = earliest.astimezone(zone).date()
    last_day = (latest + duration + buffer).astimezone(zone).date()
    schedule = _Schedule.load(appointment, employees, first_day, last_day)
    busy = _BusyTimes.load(appointment, employees, earliest, latest + duration + buffer)

    slots = []
    for day in _days(first_day, last_day):
        for block_start, block_end in schedule.common_blocks(day):
            block_end_utc = _aware(block_end, zone)
            step = timedelta(minutes=rules.time_slot_granularity)
            local = block_start
            while local < block_end:
                start = _existing(local, zone)
                local += step
                if start is None or not earliest <= start < latest:
                    continue
                if start + duration + buffer > block_end_utc:
                    break
                if busy.fits(start, start + duration + buffer, rules.max_concurrent_appointments):
                    slots.append(Slot(start=start, end=start + duration))
    return slots


# --- What free_slots loads ----------------------------------------------------------------------


class _Schedule:
    """The weekly hours and closures of an office and some of its employees, by local date."""

    def __init__(self, office_hours, employee_hours, closures, employees):
        self.office_hours = office_hours  # weekday -> [(start, end)]
        self.employee_hours = employee_hours  # employee -> weekday -> [(start, end)]
        self.closures = closures
        self.employees = employees

    @classmethod
    def load(cls, appointment: Appointment, employees: list[int], first_day: date, last_day: date) -> _Schedule:
        office_hours = defaultdict(list)
        for hours in OpeningHours.objects.filter(office_id=appointment.office_id):
            office_hours[hours.weekday].append((hours.start, hours.end))
        employee_hours: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
        for hours in EmployeeHours.objects.filter(office_id=appointment.office_id, employee_id__in=employees):
            employee_hours[hours.employee_id][hours.weekday].append((hours.start, hours.end))
        closures = list(
            Closure.objects.filter(
                Q(office_id=appointment.office_id) | Q(employee_id__in=employees),
                first_day__lte=last_day,
                last_day__gte=first_day,
            )
        )
        return cls(office_hours, employee_hours, closures, employees)

    def common_blocks(self, day: date) -> list[Block]:
        """The blocks of ``day`` in which every PRIMARY employee (or, without one, the office) is
        available, as local naive datetimes."""
        closed = {(closure.office_id, closure.employee_id) for closure in self.closures if closure.covers(day)}
        if any(office is not None for office, _employee in closed):
            return []
        common = None
        for employee in self.employees or [None]:
            if (None, employee) in closed:
                return []
            weekly = self.employee_hours.get(employee) or self.office_hours
            blocks = [(datetime.combine(day, start), datetime.combine(day, end)) for start, end in weekly[day.weekday()]]
            common = sorted(blocks) if common is None else _intersection(common, blocks)
        return common or []


class _BusyTimes:
    """Booked time per employee, as sorted starts and sorted ends: the number of booked intervals
    overlapping ``[start, end)`` is (those starting before ``end``) − (those ending by ``start``)."""

    def __init__(self, rows: Iterable[BusyTime], employees: list[int]):
        self.starts: dict[int, list[datetime]] = {employee: [] for employee in employees}
        self.ends: dict[int, list[datetime]] = {employee: [] for employee in employees}
        for row in rows:
            self.starts[row.employee_id].append(row.start)
            self.ends[row.employee_id].append(row.end)
        for values in (*self.starts.values(), *self.ends.values()):
            values.sort()

    @classmethod
    def load(cls, appointment: Appointment, employees: list[int], start: datetime, end: datetime) -> _BusyTimes:
        rows = (
            BusyTime.objects.filter(employee_id__in=employees, start__lt=end, end__gt=start)
            .exclude(appointment_id=appointment.pk)
            .only("employee_id", "start", "end")
        )
        return cls(rows, employees)

    def fits(self, start: datetime, end: datetime, capacity: int) -> bool:
        return all(
            bisect.bisect_left(self.starts[employee], end) - bisect.bisect_right(self.ends[employee], start) < capacity
            for employee in self.starts
        )


# --- Local time -----------------------------------------------------------------------------------


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _aware(local: datetime, zone: ZoneInfo) -> datetime:
    """A local wall-clock time as UTC; a repeated one at its first occurrence (``fold=0``)."""
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def _existing(local: datetime, zone: ZoneInfo) -> datetime | None:
    """``_aware(local)``, or None when the clocks skip ``local`` (spring forward)."""
    moment = _aware(local, zone)
    return moment if moment.astimezone(zone).replace(tzinfo=None) == local else None


def _intersection(left: list[Block], right: list[Block]) -> list[Block]:
    """The moments in a block of both lists (each sorted, without overlaps of its own)."""
    common = []
    for left_start, left_end in left:
        for right_start, right_end in sorted(right):
            start, end = max(left_start, right_start), min(left_end, right_end)
            if start < end:
                common.append((start, end))
    return sorted(common)


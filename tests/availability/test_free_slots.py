"""The free slots of an appointment: every rule of the contract's slot computation."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appointments.models import Appointment
from appointments.services import appointment_cancel
from availability.models import Closure, EmployeeHours, SubjectAvailability
from availability.selectors import availability_rules, free_slots

from .support import BRUSSELS, STAFF, book, invite, local, next_weekday, open_every_day, rules

pytestmark = pytest.mark.django_db
MONDAY = next_weekday(0)


def slots_on(appointment, day: date, zone=BRUSSELS, now=None) -> list[str]:
    """The day's free slots as local "HH:MM" starts."""
    start = datetime.combine(day, time(), tzinfo=zone)
    found = free_slots(
        appointment=Appointment.objects.get(pk=appointment.pk),
        window_start=start,
        window_end=start + timedelta(days=1),
        now=now,
    )
    return [slot.start.astimezone(zone).strftime("%H:%M") for slot in found]


def hours(start: str, end: str, step: int = 30) -> list[str]:
    """Every "HH:MM" from start to end inclusive, ``step`` minutes apart."""
    moment, last, found = datetime.strptime(start, "%H:%M"), datetime.strptime(end, "%H:%M"), []
    while moment <= last:
        found.append(moment.strftime("%H:%M"))
        moment += timedelta(minutes=step)
    return found


@pytest.fixture
def office_hours(acme):
    open_every_day(acme.office, weekdays=range(5))
    rules(acme)


def test_the_grid_runs_through_the_opening_hours(acme, office_hours):
    appointment = invite(acme)
    # 60-minute appointments on a 30-minute grid: the last one starts an hour before closing.
    assert slots_on(appointment, MONDAY) == hours("09:00", "16:00")


def test_slots_are_utc_with_the_subjects_duration(acme, office_hours):
    rules(acme, estimated_duration=45)
    [first, *_] = free_slots(
        appointment=invite(acme), window_start=local(MONDAY, 0), window_end=local(MONDAY, 10)
    )
    assert first.start == local(MONDAY, 9) and first.start.tzinfo == UTC
    assert first.end - first.start == timedelta(minutes=45)


def test_granularity_and_duration_shape_the_grid(acme, office_hours):
    rules(acme, estimated_duration=90, time_slot_granularity=60)
    assert slots_on(invite(acme), MONDAY) == hours("09:00", "15:00", step=60)


def test_no_slots_when_the_office_is_shut(acme, office_hours):
    saturday = MONDAY + timedelta(days=5)
    assert slots_on(invite(acme), saturday) == []


def test_without_any_settings_the_enterprise_default_and_then_the_builtin_defaults_apply(acme):
    appointment = invite(acme)
    builtin = availability_rules(appointment)
    assert (builtin.estimated_duration, builtin.time_slot_granularity, builtin.max_concurrent_appointments) == (60, 30, 1)
    assert builtin.time_slot_earliest_possible == 120 and builtin.auto_accept
    SubjectAvailability.objects.create(enterprise=acme.enterprise, estimated_duration=20)
    assert availability_rules(appointment).estimated_duration == 20
    rules(acme, estimated_duration=30)
    assert availability_rules(appointment).estimated_duration == 30


def test_earliest_and_latest_are_counted_from_now(acme, office_hours):
    rules(acme, time_slot_earliest_possible=120, time_slot_latest_possible=6 * 60)
    now = local(MONDAY, 8)
    # From 10:00 (now + 2 h) to 14:00 (now + 6 h), both included.
    assert slots_on(invite(acme), MONDAY, now=now) == hours("10:00", "14:00")


def test_employee_hours_replace_the_office_hours_for_that_employee(acme, office_hours):
    anna, ben = acme.employees[:2]
    EmployeeHours.objects.create(employee=anna, office=acme.office, weekday=0, start=time(13), end=time(15))
    assert slots_on(invite(acme, anna), MONDAY) == ["13:00", "13:30", "14:00"]
    assert slots_on(invite(acme, ben), MONDAY) == hours("09:00", "16:00")


def test_every_primary_employee_must_be_available(acme, office_hours):
    anna, ben, carla = acme.employees
    EmployeeHours.objects.create(employee=anna, office=acme.office, weekday=0, start=time(9), end=time(12))
    EmployeeHours.objects.create(employee=ben, office=acme.office, weekday=0, start=time(11), end=time(17))
    assert slots_on(invite(acme, anna, ben), MONDAY) == ["11:00"]
    # A SECONDARY employee's hours do not count.
    assert slots_on(invite(acme, anna, secondary=(ben,)), MONDAY) == hours("09:00", "11:00")


def test_closures_of_the_office_or_an_employee_remove_whole_days(acme, office_hours):
    anna, ben = acme.employees[:2]
    tuesday = MONDAY + timedelta(days=1)
    Closure.objects.create(office=acme.office, first_day=MONDAY, last_day=MONDAY, reason="Holiday")
    Closure.objects.create(employee=anna, first_day=tuesday, last_day=tuesday + timedelta(days=1))
    assert slots_on(invite(acme, anna), MONDAY) == []
    assert slots_on(invite(acme, anna), tuesday) == []
    assert slots_on(invite(acme, ben), tuesday) == hours("09:00", "16:00")


def test_booked_time_and_its_trailing_buffer_are_not_free(acme, office_hours):
    book(acme, local(MONDAY, 10), trailing_buffer_time=30)  # holds 10:00–11:30
    assert slots_on(invite(acme), MONDAY) == ["09:00", *hours("11:30", "16:00")]


def test_the_appointments_own_buffer_must_fit_before_closing_and_before_the_next(acme, office_hours):
    book(acme, local(MONDAY, 12))
    # 60 minutes and 30 of buffer: 10:30–12:00 just fits before the booking, 15:30–17:00 before closing.
    assert slots_on(invite(acme, trailing_buffer_time=30), MONDAY) == [*hours("09:00", "10:30"), *hours("13:00", "15:30")]


def test_the_subjects_buffer_applies_when_longer_than_the_appointments(acme, office_hours):
    rules(acme, trailing_buffer_time=60)
    assert slots_on(invite(acme), MONDAY) == hours("09:00", "15:00")


def test_other_employees_bookings_do_not_count(acme, office_hours):
    book(acme, local(MONDAY, 10), acme.employees[1])
    assert slots_on(invite(acme, acme.employees[0]), MONDAY) == hours("09:00", "16:00")


def test_capacity_counts_overlapping_bookings_per_employee(acme, office_hours):
    rules(acme, max_concurrent_appointments=3)
    book(acme, local(MONDAY, 10))
    book(acme, local(MONDAY, 10))
    assert "10:00" in slots_on(invite(acme), MONDAY)
    book(acme, local(MONDAY, 10))
    assert [slot for slot in slots_on(invite(acme), MONDAY) if "09:30" <= slot <= "10:30"] == []


def test_cancelled_bookings_free_their_time(acme, office_hours):
    booked = book(acme, local(MONDAY, 10))
    appointment_cancel(enterprise=acme.enterprise, appointment_id=booked.pk, actor=STAFF)
    assert slots_on(invite(acme), MONDAY) == hours("09:00", "16:00")


def test_an_appointments_own_time_is_free_to_it(acme, office_hours):
    booked = book(acme, local(MONDAY, 10))
    assert slots_on(booked, MONDAY) == hours("09:00", "16:00")


def test_the_number_of_queries_does_not_grow_with_days_or_bookings(acme, office_hours):
    appointment = Appointment.objects.select_related("office__location").prefetch_related("participants")
    start = datetime.combine(MONDAY, time(), tzinfo=UTC)

    def queries(days: int) -> int:
        found = appointment.get(pk=invite(acme).pk)
        with CaptureQueriesContext(connection) as captured:
            free_slots(appointment=found, window_start=start, window_end=start + timedelta(days=days))
        return len(captured)

    fortnight, two_months = queries(14), queries(62)
    for day in (0, 1, 2, 3, 4, 7, 8, 9, 10, 11):  # two working weeks
        book(acme, local(MONDAY + timedelta(days=day), 10))
    assert queries(14) == queries(62) == fortnight == two_months


# --- Daylight-saving time: the grid keeps the local hours on change days ------------------------


@pytest.mark.parametrize(
    ("zone", "before", "change", "after"),
    [
        # Europe/Brussels: the last Sundays of March and October 2027.
        ("Europe/Brussels", timedelta(hours=1), date(2027, 3, 28), timedelta(hours=2)),
        ("Europe/Brussels", timedelta(hours=2), date(2027, 10, 31), timedelta(hours=1)),
        # America/New_York: the second Sunday of March and the first of November 2027.
        ("America/New_York", timedelta(hours=-5), date(2027, 3, 14), timedelta(hours=-4)),
        ("America/New_York", timedelta(hours=-4), date(2027, 11, 7), timedelta(hours=-5)),
    ],
)
def test_opening_hours_stay_local_across_a_change(acme, zone, before, change, after):
    acme.office.location.time_zone = zone
    acme.office.location.save()
    open_every_day(acme.office)
    rules(acme, time_slot_latest_possible=10**7)
    appointment = invite(acme)
    now = datetime(2027, 1, 1, tzinfo=UTC)  # far from either change, in winter time
    for day, offset in ((change - timedelta(days=1), before), (change, after), (change + timedelta(days=1), after)):
        local_zone = ZoneInfo(zone)
        assert slots_on(appointment, day, local_zone, now=now) == hours("09:00", "16:00"), day
        first = free_slots(
            appointment=appointment,
            window_start=datetime.combine(day, time(), tzinfo=local_zone),
            window_end=datetime.combine(day, time(23), tzinfo=local_zone),
            now=now,
        )[0]
        assert first.start == datetime.combine(day, time(9), tzinfo=UTC) - offset


def test_a_local_time_skipped_in_spring_is_no_slot(acme):
    open_every_day(acme.office, start=time(1), end=time(4))
    rules(acme, estimated_duration=30, time_slot_latest_possible=10**7)
    now = datetime(2027, 1, 1, tzinfo=UTC)
    # 02:00–03:00 does not exist on 28 March 2027 in Brussels.
    assert slots_on(invite(acme), date(2027, 3, 28), now=now) == ["01:00", "01:30", "03:00", "03:30"]


def test_a_local_time_repeated_in_autumn_is_one_slot_at_its_first_occurrence(acme):
    open_every_day(acme.office, start=time(1), end=time(4))
    rules(acme, estimated_duration=30, time_slot_latest_possible=10**7)
    now = datetime(2027, 1, 1, tzinfo=UTC)
    day = date(2027, 10, 31)  # 02:00–03:00 happens twice in Brussels
    found = free_slots(
        appointment=invite(acme),
        window_start=datetime.combine(day, time(), tzinfo=BRUSSELS),
        window_end=datetime.combine(day, time(5), tzinfo=BRUSSELS),
        now=now,
    )
    assert [slot.start.astimezone(BRUSSELS).strftime("%H:%M") for slot in found] == hours("01:00", "03:30")
    two = found[2]
    assert two.start == datetime(2027, 10, 31, 0, 0, tzinfo=UTC)  # 02:00 summer time, the first one

"""Booking and the lifecycle's actions, as every door calls them: the services."""

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from appointments.models import Appointment, AppointmentStatusChange
from appointments.services import (
    AppointmentNotFound,
    AppointmentNotStarted,
    AppointmentStatusInvalid,
    appointment_accept,
    appointment_cancel,
    appointment_complete,
    appointment_mark_no_show,
    appointment_reschedule,
)
from availability.models import BusyTime
from availability.services import AppointmentNoAvailability

from .support import STAFF, book, invite, local, next_weekday, open_every_day, rules

MONDAY = next_weekday(0)
Status = Appointment.Status


@pytest.fixture
def office_hours(acme):
    open_every_day(acme.office, weekdays=range(5))
    rules(acme)


def act(action, acme, appointment, **kwargs):
    return action(enterprise=acme.enterprise, appointment_id=appointment.pk, actor=STAFF, **kwargs)


@pytest.mark.django_db
class TestReschedule:
    def test_gives_an_invite_its_time_and_accepts_it(self, acme, office_hours):
        appointment = invite(acme)
        booked = act(appointment_reschedule, acme, appointment, start=local(MONDAY, 10), message="See you")

        booked.refresh_from_db()
        assert booked.status == Status.ACCEPTED
        assert (booked.start, booked.end) == (local(MONDAY, 10), local(MONDAY, 11))
        assert (booked.updated_by_type, booked.updated_from) == ("EMPLOYEE", "BACKOFFICE_APP")
        change = AppointmentStatusChange.objects.get(appointment=booked)
        assert (change.action, change.from_status, change.to_status, change.message) == (
            "reschedule", "OUTGOING_INVITE", "ACCEPTED", "See you"
        )
        assert change.start == local(MONDAY, 10) and change.by_id == STAFF.id and change.channel == "BACKOFFICE_APP"

    def test_waits_for_an_employee_where_the_subject_needs_one(self, acme, office_hours):
        rules(acme, auto_accept=False)
        booked = act(appointment_reschedule, acme, invite(acme), start=local(MONDAY, 10))
        assert booked.status == Status.INCOMING_REQUEST
        assert act(appointment_accept, acme, booked).status == Status.ACCEPTED
        # A new time for an accepted appointment needs accepting again.
        moved = act(appointment_reschedule, acme, booked, start=local(MONDAY, 14))
        assert moved.status == Status.INCOMING_REQUEST

    def test_an_end_of_its_own_sets_the_length(self, acme, office_hours):
        booked = act(appointment_reschedule, acme, invite(acme), start=local(MONDAY, 10), end=local(MONDAY, 10, 30))
        assert booked.end == local(MONDAY, 10, 30)
        assert "10:30" in [t.astimezone(local(MONDAY, 0).tzinfo).strftime("%H:%M") for t in _free_starts(acme)]

    @pytest.mark.parametrize("hour", [8, 16, 17])
    def test_refuses_a_time_outside_the_hours(self, acme, office_hours, hour):
        appointment = invite(acme)
        with pytest.raises(AppointmentNoAvailability):
            act(appointment_reschedule, acme, appointment, start=local(MONDAY, hour, 30))
        appointment.refresh_from_db()
        assert (appointment.status, appointment.start) == (Status.OUTGOING_INVITE, None)
        assert not AppointmentStatusChange.objects.exists() and not BusyTime.objects.exists()

    def test_refuses_a_time_off_the_grid_or_too_soon(self, acme, office_hours):
        with pytest.raises(AppointmentNoAvailability):
            act(appointment_reschedule, acme, invite(acme), start=local(MONDAY, 10, 15))
        rules(acme, time_slot_earliest_possible=60 * 24 * 365, time_slot_latest_possible=60 * 24 * 366)
        with pytest.raises(AppointmentNoAvailability):
            act(appointment_reschedule, acme, invite(acme), start=local(MONDAY, 10))

    def test_nobody_is_booked_twice(self, acme, office_hours):
        book(acme, local(MONDAY, 10))
        with pytest.raises(AppointmentNoAvailability) as refused:
            book(acme, local(MONDAY, 10, 30))
        assert refused.value.code == "APPOINTMENT_NO_AVAILABILITY"

    def test_moving_releases_the_old_time(self, acme, office_hours):
        booked = book(acme, local(MONDAY, 10))
        act(appointment_reschedule, acme, booked, start=local(MONDAY, 10, 30))  # overlaps its own old time
        book(acme, local(MONDAY, 9))  # 09:00–10:00 is free again... until 10:30
        assert BusyTime.objects.filter(appointment=booked).get().start == local(MONDAY, 10, 30)


def _free_starts(acme):
    from availability.selectors import free_slots

    window = local(MONDAY, 0)
    return [slot.start for slot in free_slots(appointment=invite(acme), window_start=window, window_end=window + timedelta(days=1))]


# --- The transitions, and nothing else --------------------------------------------------------

ACTIONS = {
    "reschedule": (appointment_reschedule, {Status.OUTGOING_INVITE, Status.ALTERNATIVE_DATE_REQUESTED, Status.INCOMING_REQUEST, Status.ACCEPTED}),
    "accept": (appointment_accept, {Status.INCOMING_REQUEST}),
    "cancel": (appointment_cancel, {Status.OUTGOING_INVITE, Status.ALTERNATIVE_DATE_REQUESTED, Status.INCOMING_REQUEST, Status.ACCEPTED}),
    "complete": (appointment_complete, {Status.ACCEPTED}),
    "no-show": (appointment_mark_no_show, {Status.ACCEPTED}),
}
EXPECTED = {"accept": Status.ACCEPTED, "cancel": Status.CANCELLED, "complete": Status.COMPLETED, "no-show": Status.NO_SHOW}


@pytest.mark.django_db
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("status", Status.values)
def test_each_action_from_each_status(acme, office_hours, action, status):
    service, allowed = ACTIONS[action]
    appointment = book(acme, local(MONDAY, 10)) if status in Appointment.BOOKED_STATUSES else invite(acme)
    # The appointment started an hour ago, in the status under test.
    Appointment.objects.filter(pk=appointment.pk).update(status=status, start=timezone.now() - timedelta(hours=1))
    kwargs = {"start": local(MONDAY, 14)} if action == "reschedule" else {}

    if status not in allowed:
        with pytest.raises(AppointmentStatusInvalid) as refused:
            act(service, acme, appointment, **kwargs)
        assert refused.value.arguments == {"status": status, "allowedStates": [s for s in Status.values if s in allowed]}
        appointment.refresh_from_db()
        assert appointment.status == status
        return
    done = act(service, acme, appointment, **kwargs)
    # A new time keeps a request waiting for an employee; anything else is accepted (auto accept).
    rescheduled = Status.INCOMING_REQUEST if status == Status.INCOMING_REQUEST else Status.ACCEPTED
    assert done.status == EXPECTED.get(action, rescheduled)
    change = AppointmentStatusChange.objects.filter(appointment=appointment).last()
    assert (change.action, change.from_status, change.to_status) == (action, status, done.status)
    # The time is held exactly while the appointment is booked.
    assert BusyTime.objects.filter(appointment=appointment).exists() == (done.status in Appointment.BOOKED_STATUSES)


@pytest.mark.django_db
def test_an_outcome_waits_for_the_start(acme, office_hours):
    booked = book(acme, local(MONDAY, 10))
    for action in (appointment_complete, appointment_mark_no_show):
        with pytest.raises(AppointmentNotStarted):
            act(action, acme, booked)
    booked.refresh_from_db()
    assert booked.status == Status.ACCEPTED


@pytest.mark.django_db
def test_a_cancel_keeps_its_reason(acme, office_hours):
    cancelled = act(appointment_cancel, acme, book(acme, local(MONDAY, 10)), reason="Customer moved", message="Sorry")
    change = AppointmentStatusChange.objects.filter(appointment=cancelled).last()
    assert (change.reason, change.message, change.to_status) == ("Customer moved", "Sorry", "CANCELLED")


@pytest.mark.django_db
def test_whether_to_tell_the_customer_is_recorded_for_the_notifications(acme, office_hours):
    booked = book(acme, local(MONDAY, 10))
    act(appointment_reschedule, acme, booked, start=local(MONDAY, 14), notify_customer=False)
    act(appointment_cancel, acme, booked, notify_customer=False)
    told = list(AppointmentStatusChange.objects.filter(appointment=booked).values_list("action", "notify_customer"))
    assert told == [("reschedule", True), ("reschedule", False), ("cancel", False)]

@pytest.mark.django_db
@pytest.mark.parametrize("action", ACTIONS)
def test_no_action_reaches_another_enterprises_appointment(acme, globex, office_hours, action):
    service, _allowed = ACTIONS[action]
    theirs = invite(globex)
    kwargs = {"start": local(MONDAY, 10)} if action == "reschedule" else {}
    with pytest.raises(AppointmentNotFound):
        act(service, acme, theirs, **kwargs)
    theirs.refresh_from_db()
    assert theirs.status == Status.OUTGOING_INVITE


# --- Under concurrency (PostgreSQL: a server database, several connections) ---------------------

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need a server database")


def book_concurrently(acme, appointments, start) -> tuple[int, list[str]]:
    """Book every appointment at ``start`` at once, one thread and connection each."""
    barrier = threading.Barrier(len(appointments))
    outcomes = []

    def run(appointment):
        try:
            barrier.wait()
            act(appointment_reschedule, acme, appointment, start=start)
            outcomes.append("booked")
        except AppointmentNoAvailability:
            outcomes.append("refused")
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            outcomes.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(appointment,)) for appointment in appointments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes.count("booked"), [outcome for outcome in outcomes if outcome not in ("booked", "refused")]


@postgresql_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("capacity", [1, 3])
def test_concurrent_bookings_of_one_slot_fill_it_exactly(acme, capacity):
    open_every_day(acme.office, weekdays=range(5))
    rules(acme, max_concurrent_appointments=capacity)
    appointments = [invite(acme) for _ in range(16)]

    booked, errors = book_concurrently(acme, appointments, local(MONDAY, 10))

    assert errors == []
    assert booked == capacity
    assert Appointment.objects.filter(status=Status.ACCEPTED).count() == capacity


@postgresql_only
@pytest.mark.django_db
def test_the_database_refuses_overlapping_bookings_of_capacity_one(acme, office_hours):
    booked = book(acme, local(MONDAY, 10))
    other = invite(acme)
    with pytest.raises(IntegrityError), transaction.atomic():
        BusyTime.objects.create(
            appointment=other,
            employee=acme.employees[0],
            start=local(MONDAY, 10, 30),
            end=local(MONDAY, 11, 30),
            exclusive=True,
        )
    assert BusyTime.objects.get().appointment == booked

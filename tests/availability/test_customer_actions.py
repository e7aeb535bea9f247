"""What the customer's pages add to the lifecycle: "none of these times suit me", and links that
stop working once the appointment is cancelled or over."""

from datetime import timedelta

import pytest
from django.utils import timezone

from appointments.models import Appointment, AppointmentStatusChange
from appointments.services import (
    Actor,
    AppointmentNotFound,
    AppointmentStatusInvalid,
    appointment_cancel,
    appointment_complete,
    appointment_mark_no_show,
    appointment_request_alternative,
)
from invitations.models import InviteLink
from invitations.services import invite_link_issue

from .support import STAFF, book, invite, local, next_weekday, open_every_day, rules

pytestmark = pytest.mark.django_db
MONDAY = next_weekday(0)
Status = Appointment.Status


@pytest.fixture
def office_hours(acme):
    open_every_day(acme.office, weekdays=range(5))
    rules(acme)


def customer(acme) -> Actor:
    return Actor(type=Appointment.ActorType.CUSTOMER, id=str(acme.customers[0].pk), channel=Appointment.Channel.CUSTOMER_APP)


def test_the_customer_asks_for_other_times_with_a_message(acme):
    appointment = invite(acme)
    done = appointment_request_alternative(
        enterprise=acme.enterprise, appointment_id=appointment.pk, actor=customer(acme), message="Evenings, please"
    )
    assert done.status == Status.ALTERNATIVE_DATE_REQUESTED
    stored = Appointment.objects.get(pk=appointment.pk)
    assert (stored.status, stored.updated_by_type, stored.updated_by_id, stored.updated_from) == (
        "ALTERNATIVE_DATE_REQUESTED",
        "CUSTOMER",
        str(acme.customers[0].pk),
        "CUSTOMER_APP",
    )
    change = AppointmentStatusChange.objects.get(appointment=appointment)
    assert (change.action, change.from_status, change.to_status, change.message, change.by_type, change.channel) == (
        "request-alternative",
        "OUTGOING_INVITE",
        "ALTERNATIVE_DATE_REQUESTED",
        "Evenings, please",
        "CUSTOMER",
        "CUSTOMER_APP",
    )


@pytest.mark.parametrize("status", [s for s in Status.values if s != Status.OUTGOING_INVITE])
def test_only_an_invite_can_ask_for_other_times(acme, status):
    appointment = invite(acme)
    Appointment.objects.filter(pk=appointment.pk).update(status=status)
    with pytest.raises(AppointmentStatusInvalid) as refused:
        appointment_request_alternative(enterprise=acme.enterprise, appointment_id=appointment.pk, actor=customer(acme))
    assert refused.value.code == "APPOINTMENT_STATUS_INVALID" and refused.value.status == 422
    assert refused.value.arguments == {"status": status, "allowedStates": ["OUTGOING_INVITE"]}
    assert Appointment.objects.get(pk=appointment.pk).status == status
    assert not AppointmentStatusChange.objects.filter(appointment=appointment).exists()


def test_asking_for_other_times_stays_within_the_enterprise(acme, globex):
    theirs = invite(globex)
    with pytest.raises(AppointmentNotFound):
        appointment_request_alternative(enterprise=acme.enterprise, appointment_id=theirs.pk, actor=customer(acme))
    assert Appointment.objects.get(pk=theirs.pk).status == Status.OUTGOING_INVITE


def working_links(appointment) -> int:
    return InviteLink.objects.filter(appointment=appointment, revoked_at__isnull=True).count()


def test_a_cancelled_appointments_links_stop_working(acme, office_hours):
    appointment = book(acme, local(MONDAY, 10))
    invite_link_issue(appointment=appointment, customer=acme.customers[0])
    assert working_links(appointment) == 1
    appointment_cancel(enterprise=acme.enterprise, appointment_id=appointment.pk, actor=STAFF)
    assert working_links(appointment) == 0


@pytest.mark.parametrize("outcome", [appointment_complete, appointment_mark_no_show])
def test_an_appointment_that_is_over_has_no_working_link(acme, office_hours, outcome):
    appointment = book(acme, local(MONDAY, 10))
    other = invite(acme)
    invite_link_issue(appointment=appointment, customer=acme.customers[0])
    invite_link_issue(appointment=other, customer=acme.customers[0])
    Appointment.objects.filter(pk=appointment.pk).update(start=timezone.now() - timedelta(hours=1))
    outcome(enterprise=acme.enterprise, appointment_id=appointment.pk, actor=STAFF)
    assert working_links(appointment) == 0
    assert working_links(other) == 1  # only that appointment's


def test_a_refused_cancel_keeps_the_links(acme, office_hours):
    appointment = book(acme, local(MONDAY, 10))
    invite_link_issue(appointment=appointment, customer=acme.customers[0])
    appointment_cancel(enterprise=acme.enterprise, appointment_id=appointment.pk, actor=STAFF)
    InviteLink.objects.update(revoked_at=None)
    with pytest.raises(AppointmentStatusInvalid):
        appointment_cancel(enterprise=acme.enterprise, appointment_id=appointment.pk, actor=STAFF)
    assert working_links(appointment) == 1

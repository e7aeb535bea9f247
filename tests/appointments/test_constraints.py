"""Single-row invariants are enforced by the database, whatever code writes."""

import pytest
from django.db import IntegrityError, transaction

from appointments.models import Appointment, AppointmentParticipant
from locations.models import Location
from tests.factories import LocationFactory


@pytest.fixture
def appointment(acme):
    return Appointment.objects.create(
        enterprise=acme.enterprise, subject=acme.subject, office=acme.office, meeting_type="PHONE",
        created_by_type="SYSTEM", created_from="IMPORT", updated_by_type="SYSTEM", updated_from="IMPORT",
    )


def violates(write):
    with pytest.raises(IntegrityError), transaction.atomic():
        write()


def test_trailing_buffer_is_not_negative(appointment):
    violates(lambda: Appointment.objects.filter(pk=appointment.pk).update(trailing_buffer_time=-1))


def test_on_location_meeting_has_a_location(appointment):
    violates(lambda: Appointment.objects.filter(pk=appointment.pk).update(meeting_type="ON_LOCATION"))


def test_participant_matches_its_type(acme, appointment):
    violates(lambda: AppointmentParticipant.objects.create(appointment=appointment, role="PRIMARY", type="CUSTOMER", employee=acme.employees[0]))


def test_participant_appears_once(acme, appointment):
    AppointmentParticipant.objects.create(appointment=appointment, role="PRIMARY", type="CUSTOMER", customer=acme.customers[0])
    violates(lambda: AppointmentParticipant.objects.create(appointment=appointment, role="SECONDARY", type="CUSTOMER", customer=acme.customers[0]))


@pytest.mark.parametrize("field, value", [("latitude", 91), ("longitude", -181), ("country_code", "be")])
def test_location_values(db, field, value):
    violates(lambda: LocationFactory(**{field: value}))
    assert not Location.objects.exists()

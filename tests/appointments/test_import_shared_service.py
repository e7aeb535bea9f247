"""What the bulk import changed in the invite service: invite_create still behaves as before."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appointments.services import Actor, LocationInput, ParticipantInput, invite_create
from config.instances import unsaved
from locations.models import Location

ACTOR = Actor(type="SYSTEM", id=None, channel="IMPORT")


def test_invite_create_queries_do_not_grow_with_participants(transactional_db, acme):
    def create(customers: int):
        participants = [ParticipantInput("PRIMARY", "EMPLOYEE", str(acme.employees[0].pk))] + [
            ParticipantInput("SECONDARY", "CUSTOMER", str(customer.pk)) for customer in acme.customers[:customers]
        ]
        with CaptureQueriesContext(connection) as queries:
            invite_create(
                enterprise=acme.enterprise,
                actor=ACTOR,
                subject_id=str(acme.subject.pk),
                office_id=str(acme.office.pk),
                participants=participants,
                meeting_type="ON_LOCATION",
                listing_id=str(acme.listing.pk),
                lead_segment_id=str(acme.lead_segment.pk),
                callback_request_id=str(acme.callback_request.pk),
                location=LocationInput(country_code="BE", latitude=51.05, longitude=3.72, translations={"city": {"en": "Ghent"}}),
            )
        return len(queries)

    # On PostgreSQL one statement checks every reference and writes the three tables; elsewhere a
    # savepoint, the check, 3 INSERTs and its release.
    assert create(1) == create(3) == (1 if connection.vendor == "postgresql" else 6)


@pytest.mark.parametrize(
    "values",
    [
        {"country_code": "BE", "latitude": 51.0, "longitude": 3.7, "time_zone": "Europe/Brussels"},
        {
            "country_code": "NO",
            "postal_code": "0150",
            "latitude": 59.9,
            "longitude": 10.7,
            "time_zone": "Europe/Oslo",
            "city_nb": "Oslo",
            "city_en": "Oslo",
            "street1_nb": "Karl Johans gate 1",
            "state_de": "Oslo",
        },
    ],
)
def test_a_location_built_without_init_is_the_one_built_by_init(db, values):
    """config.instances.unsaved skips Model.__init__ (and modeltranslation's wrapper of it)."""
    by_keywords, positional = Location(**values), unsaved(Location, **values)

    def columns(location):
        return {field.attname: getattr(location, field.attname) for field in Location._meta.concrete_fields}

    assert columns(positional) == columns(by_keywords)
    assert positional.pk is None and positional._state.adding
    positional.save()
    by_keywords.save()
    stored = Location.objects.values(*(f.attname for f in Location._meta.concrete_fields if f.attname not in {"id", "created_at", "updated_at"}))
    first, second = stored.filter(pk=positional.pk).get(), stored.filter(pk=by_keywords.pk).get()
    assert first == second

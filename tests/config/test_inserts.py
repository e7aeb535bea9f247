"""config.inserts.insert_tables, the invite's write path, and the PostgreSQL backend it runs on."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, models, transaction
from django.test.utils import CaptureQueriesContext, isolate_apps
from django.utils import timezone

from appointments.models import Appointment, AppointmentParticipant
from appointments.services import ParticipantInput
from config import inserts
from config.inserts import Condition, Rows, _chain_statement, insert_tables
from config.instances import loaded, unsaved
from locations.models import Location
from participants.models import Customer


def test_rows_get_their_primary_keys_and_one_timestamp(acme):
    now = timezone.now() - timedelta(days=1)
    locations = [
        Location(country_code="BE", latitude=50.0 + i, longitude=4.0, time_zone="Europe/Brussels") for i in range(3)
    ]
    locations[1].city_fr = "Bruxelles"
    with transaction.atomic():
        insert_tables(Rows(Location, locations), now=now)
    assert all(location.pk for location in locations) and len({location.pk for location in locations}) == 3
    stored = {location.pk: location for location in Location.objects.filter(pk__in=[loc.pk for loc in locations])}
    for location in locations:
        assert stored[location.pk].latitude == location.latitude
        assert stored[location.pk].created_at == stored[location.pk].updated_at == now
        assert location.created_at == now and not location._state.adding
    assert stored[locations[1].pk].city_fr == "Bruxelles"


def test_values_django_would_prepare_are_prepared(acme):
    """A value of another type than the column's (an int in a text column, a lazy string) goes
    through Django's preparation, as with bulk_create."""
    from django.utils.functional import lazy

    customers = [
        Customer(enterprise_id=acme.enterprise.pk, first_name=lazy(lambda: "Ada", str)(), last_name="Lovelace"),
        Customer(enterprise_id=acme.enterprise.pk, first_name="Alan", last_name=12345),
    ]
    with transaction.atomic():
        insert_tables(Rows(Customer, customers), now=timezone.now())
    stored = Customer.objects.filter(pk__in=[c.pk for c in customers]).order_by("pk")
    assert list(stored.values_list("first_name", "last_name")) == [("Ada", "Lovelace"), ("Alan", "12345")]


def test_choices_and_other_text_subclasses_are_written_as_their_text(acme):
    """An enum member of TextChoices is a str: a text column takes it as it is, as Django's
    preparation would (PostgreSQL's JSON path passes it without preparing it)."""

    class Name(models.TextChoices):
        ADA = "Ada"

    class Shout(str):
        pass

    customers = [Customer(enterprise_id=acme.enterprise.pk, first_name=Name.ADA, last_name=Shout("LOVELACE"))]
    with transaction.atomic():
        insert_tables(Rows(Customer, customers), now=timezone.now())
    assert Customer.objects.filter(pk=customers[0].pk).values_list("first_name", "last_name").get() == ("Ada", "LOVELACE")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's preparing of date-times")
def test_an_aware_timestamp_is_what_preparing_it_returns_on_postgresql():
    """insert_tables spares preparing ``now`` on PostgreSQL, where Django returns it unchanged."""
    now = timezone.now()
    for field in (Appointment._meta.get_field("created_at"), Location._meta.get_field("updated_at")):
        assert field.get_db_prep_save(now, connection) is now


def test_more_rows_than_one_statement_takes(acme):
    """SQLite takes 999 parameters a statement: 19 locations of ~50 columns. Everything is
    written, in order."""
    locations = [
        Location(country_code="NL", latitude=i / 1000, longitude=5.0, time_zone="Europe/Amsterdam") for i in range(250)
    ]
    with transaction.atomic():
        insert_tables(Rows(Location, locations), now=timezone.now())
    stored = dict(Location.objects.filter(pk__in=[loc.pk for loc in locations]).values_list("pk", "latitude"))
    assert [stored[location.pk] for location in locations] == [i / 1000 for i in range(250)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's limit on bind parameters")
def test_bulk_statements_stay_under_postgresqls_parameter_limit(acme):
    """With server-side binding a statement takes at most 65,535 parameters. Django splits its
    bulk statements by the backend's limit, which config.postgresql sets."""
    assert connection.settings_dict["OPTIONS"].get("server_side_binding") is True
    customers = Customer.objects.bulk_create(
        [Customer(enterprise=acme.enterprise, first_name="C", last_name=str(i)) for i in range(22_000)]
    )
    for customer in customers:
        customer.first_name = "D"
    Customer.objects.bulk_update(customers, ["first_name"])  # 3 parameters a row: 66,000 in all
    assert Customer.objects.filter(enterprise=acme.enterprise, first_name="D").count() == 22_000


def test_unsaved_refuses_names_that_are_no_columns():
    with pytest.raises(TypeError, match="subject"):
        unsaved(Location, subject="Mortgage")


def test_text_in_any_script_is_stored_exactly(acme):
    """On PostgreSQL the rows travel as JSON: non-ASCII text (astral characters included), quotes
    and backslashes come back as they were."""
    texts = {"city_ja": "東京", "city_el": "Αθήνα", "street1_en": 'Rue "du" Nord \\ 1 🏠', "street2_pl": "Łódź"}
    location = Location(country_code="JP", latitude=35.68, longitude=139.76, time_zone="Asia/Tokyo", **texts)
    with transaction.atomic():
        insert_tables(Rows(Location, [location]), now=timezone.now())
    assert Location.objects.filter(pk=location.pk).values(*texts).get() == texts


@pytest.mark.parametrize("latitude", [0.1 + 0.2, 1e-05, -1e-300, 89.99999999999999, -0.0, 5e-324])
def test_floats_are_stored_exactly(acme, latitude):
    """orjson writes floats in their shortest form, its exponents spelled otherwise than json's."""
    location = Location(country_code="BE", latitude=latitude, longitude=-179.99999999999997, time_zone="UTC")
    with transaction.atomic():
        insert_tables(Rows(Location, [location]), now=timezone.now())
    stored = Location.objects.get(pk=location.pk)
    assert (stored.latitude, stored.longitude) == (latitude, -179.99999999999997)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_a_float_that_is_no_number_is_refused_before_anything_is_written(acme, value):
    """JSON has no NaN: orjson would write null, stored as NULL in a column that takes one."""
    locations = [
        Location(country_code="BE", latitude=50.0, longitude=4.0, time_zone="UTC"),
        Location(country_code="BE", latitude=value, longitude=4.0, time_zone="UTC"),
    ]
    before = Location.objects.count()
    with pytest.raises(ValueError, match="Location.latitude cannot be written"):
        insert_tables(Rows(Location, locations), now=timezone.now())
    assert Location.objects.count() == before and locations[0].pk is None


def test_a_loaded_row_reads_its_other_columns_when_used(acme):
    """config.instances.loaded makes what Model.from_db makes from some columns: the rest are
    deferred, read from the database on first use."""
    customer = Customer.objects.create(enterprise=acme.enterprise, first_name="Grace", last_name="Hopper")
    row = loaded(Customer, id=customer.pk, enterprise_id=acme.enterprise.pk)
    assert not row._state.adding and row.get_deferred_fields() >= {"first_name", "last_name"}
    assert (row.first_name, row.last_name) == ("Grace", "Hopper")
    assert row.enterprise == acme.enterprise


@isolate_apps("appointments")
def test_columns_it_cannot_write_are_refused():
    """A JSON, binary or file column would be stored wrongly without the field's own preparing:
    insert_tables refuses such a model rather than guess."""
    from django.db import models

    from config.inserts import _columns

    class Document(models.Model):
        payload = models.JSONField()

        class Meta:
            app_label = "appointments"

    with pytest.raises(TypeError, match="Document.payload"):
        _columns(Document)


def test_tables_link_to_the_new_rows_of_the_one_before(acme):
    """Each appointment points at its own new location, or keeps the one it has (an office's);
    each participant at its own appointment. On PostgreSQL all of it is one statement."""
    def appointment(location_id=None):
        return unsaved(
            Appointment, enterprise_id=acme.enterprise.pk, status="OUTGOING_INVITE", subject_id=acme.subject.pk,
            office_id=acme.office.pk, meeting_type="OFFICE", location_id=location_id,
        )

    def participant(customer):
        return unsaved(AppointmentParticipant, role="PRIMARY", type="CUSTOMER", customer_id=customer.pk)

    locations = [Location(country_code="BE", latitude=50.0 + i, longitude=4.0, time_zone="Europe/Brussels") for i in range(2)]
    appointments = [appointment(), appointment(acme.office.location_id), appointment()]
    participants = [participant(acme.customers[0]), participant(acme.customers[1]), participant(acme.customers[0])]
    with CaptureQueriesContext(connection) as queries:
        insert_tables(
            Rows(Location, locations),
            Rows(Appointment, appointments, link="location", parents=[locations[1], None, locations[0]]),
            Rows(AppointmentParticipant, participants, link="appointment", parents=[appointments[2], appointments[0], appointments[1]]),
            now=timezone.now(),
        )
    if connection.vendor == "postgresql":
        assert len(queries) == 1
    stored = dict(Appointment.objects.filter(pk__in=[a.pk for a in appointments]).values_list("pk", "location_id"))
    assert [stored[a.pk] for a in appointments] == [locations[1].pk, acme.office.location_id, locations[0].pk]
    assert [a.location_id for a in appointments] == [stored[a.pk] for a in appointments]
    rows = dict(AppointmentParticipant.objects.filter(pk__in=[p.pk for p in participants]).values_list("pk", "appointment_id"))
    assert [rows[p.pk] for p in participants] == [appointments[2].pk, appointments[0].pk, appointments[1].pk]
    assert [p.appointment_id for p in participants] == [appointments[2].pk, appointments[0].pk, appointments[1].pk]


def test_a_refused_row_leaves_no_table_written(transactional_db, acme):
    """Atomic by itself, without the caller's transaction: a participant that breaks a constraint
    takes its appointment and its location with it."""
    location = Location(country_code="BE", latitude=50.0, longitude=4.0, time_zone="Europe/Brussels")
    appointment = unsaved(
        Appointment, enterprise_id=acme.enterprise.pk, status="OUTGOING_INVITE", subject_id=acme.subject.pk,
        office_id=acme.office.pk, meeting_type="ON_LOCATION",
    )
    # The type says EMPLOYEE, the row names a customer: the participant_matches_type check fails.
    broken = unsaved(AppointmentParticipant, role="PRIMARY", type="EMPLOYEE", customer_id=acme.customers[0].pk)
    before = (Location.objects.count(), Appointment.objects.count())
    with pytest.raises(IntegrityError):
        insert_tables(
            Rows(Location, [location]),
            Rows(Appointment, [appointment], link="location", parents=[location]),
            Rows(AppointmentParticipant, [broken], link="appointment", parents=[appointment]),
            now=timezone.now(),
        )
    assert (Location.objects.count(), Appointment.objects.count()) == before
    assert location.pk is None and appointment.pk is None


@pytest.mark.parametrize("customer_exists", [True, False])
def test_a_condition_decides_whether_anything_is_written(transactional_db, acme, customer_exists):
    """The condition is asked as the rows go in (on PostgreSQL, in the same statement): false, and
    no table takes a row, nor does any object change."""
    location = Location(country_code="BE", latitude=50.0, longitude=4.0, time_zone="Europe/Brussels")
    appointment = unsaved(
        Appointment, enterprise_id=acme.enterprise.pk, status="OUTGOING_INVITE", subject_id=acme.subject.pk,
        office_id=acme.office.pk, meeting_type="ON_LOCATION",
    )
    participant = unsaved(AppointmentParticipant, role="PRIMARY", type="CUSTOMER", customer_id=acme.customers[0].pk)
    customer_id = acme.customers[0].pk if customer_exists else 424242
    table = connection.ops.quote_name(Customer._meta.db_table)
    exists = Condition(f"SELECT EXISTS (SELECT 1 FROM {table} WHERE id = %s)", [customer_id])
    before = (Location.objects.count(), Appointment.objects.count(), AppointmentParticipant.objects.count())
    with CaptureQueriesContext(connection) as queries:
        written = insert_tables(
            Rows(Location, [location]),
            Rows(Appointment, [appointment], link="location", parents=[location]),
            Rows(AppointmentParticipant, [participant], link="appointment", parents=[appointment]),
            now=timezone.now(),
            condition=exists,
        )
    assert written is customer_exists
    after = (Location.objects.count(), Appointment.objects.count(), AppointmentParticipant.objects.count())
    assert after == tuple(count + customer_exists for count in before)
    assert (location.pk is not None, appointment.location_id is not None, participant.pk is not None) == (customer_exists,) * 3
    if connection.vendor == "postgresql":
        assert len(queries) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="one statement on PostgreSQL only")
def test_the_invites_statement_is_short_enough_for_psycopg_to_remember(acme):
    """psycopg converts a statement's placeholders once if its text is at most 4 kB
    (MAX_CACHED_STATEMENT_LENGTH), else on every execution: that parsing was a fifth of the
    invite's write."""
    from psycopg import _queries

    from appointments.services import PresumedReferences, invite_references

    invite = {
        "subject_id": "1", "office_id": "1", "listing_id": "1", "lead_segment_id": "1", "callback_request_id": "1",
        "participants": [ParticipantInput("PRIMARY", type_, "1") for type_ in ("EMPLOYEE", "CUSTOMER")],
    }
    condition = PresumedReferences(acme.enterprise, invite_references(invite)).exist
    shape = ((Location, None), (Appointment, "location"), (AppointmentParticipant, "appointment"))
    named = tuple(f"public.{model._meta.db_table}_id_seq" for model, _ in shape)
    for sequences in ((None,) * 3, named):  # a process's first statement, then the others
        statement = _chain_statement(shape, condition.sql, sequences)
        assert len(statement.encode()) <= getattr(_queries, "MAX_CACHED_STATEMENT_LENGTH", 4096)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="one statement on PostgreSQL only")
def test_the_first_write_looks_up_each_tables_sequence_and_later_ones_name_it(acme, monkeypatch):
    monkeypatch.setattr(inserts, "_sequences", {})

    def write():
        location = Location(country_code="BE", latitude=50.0, longitude=4.0, time_zone="Europe/Brussels")
        appointment = unsaved(
            Appointment, enterprise_id=acme.enterprise.pk, status="OUTGOING_INVITE", subject_id=acme.subject.pk,
            office_id=acme.office.pk, meeting_type="ON_LOCATION",
        )
        with CaptureQueriesContext(connection) as queries:
            insert_tables(
                Rows(Location, [location]), Rows(Appointment, [appointment], link="location", parents=[location]),
                now=timezone.now(),
            )
        [statement] = [query["sql"] for query in queries if query["sql"].startswith("WITH")]
        assert Appointment.objects.get(pk=appointment.pk).location_id == location.pk
        return statement

    first, second = write(), write()
    assert first.count("pg_get_serial_sequence") == 4  # two drawn from, two answered
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [Location._meta.db_table])
        [(location_sequence,)] = cursor.fetchall()
    assert inserts._sequences[Location] == location_sequence
    assert "pg_get_serial_sequence" not in second and f"'{location_sequence}'::regclass" in second


def test_a_parent_must_be_one_of_the_previous_tables_rows(acme):
    stranger = Location(country_code="BE", latitude=50.0, longitude=4.0, time_zone="Europe/Brussels")
    appointment = unsaved(Appointment, enterprise_id=acme.enterprise.pk, status="OUTGOING_INVITE")
    with pytest.raises(ValueError, match="not among"):
        insert_tables(Rows(Location, []), Rows(Appointment, [appointment], link="location", parents=[stranger]), now=timezone.now())


@pytest.mark.parametrize("language", [None, "en", "fr", "nl", "nb", "de-ch"])
@pytest.mark.parametrize("fallback_languages", [{"default": ()}, {"default": ("nl", "en"), "fr": ("de",)}])
@pytest.mark.parametrize("enabled", [True, False])
def test_translated_columns_are_read_as_their_descriptor_reads_them(settings, language, fallback_languages, enabled):
    """insert_tables reads the column modeltranslation keeps for a translated field (``city``)
    with the active language looked up once per call; it must give what reading the attribute
    gives, whatever the language, the fallbacks and the empty values."""
    from django.utils import translation
    from modeltranslation import settings as mt_settings
    from modeltranslation.utils import fallbacks

    from config.inserts import _current_plan, _plan

    locations = [
        Location(country_code="BE", city_en="Ghent", city_nl="Gent", city_fr="Gand", street1_nl="Veldstraat 1"),
        Location(country_code="BE", city_nl="", city_de="Gent", state_fr="Flandre", street2_en=""),
        Location(country_code="BE"),
    ]
    columns = {name: i for i, name in enumerate(column for column, *_ in _current_plan(Location))}
    monkeypatched = pytest.MonkeyPatch()
    monkeypatched.setattr(mt_settings, "FALLBACK_LANGUAGES", fallback_languages)
    _plan.cache_clear()  # plans are made once per language: fallbacks are settings, fixed in production
    try:
        with translation.override(language), fallbacks(enabled):
            plan = _current_plan(Location)
            for location in locations:
                for part in Location.TRANSLATED_FIELDS:
                    read = plan[columns[Location._meta.get_field(part).column]][1]
                    assert read(location) == getattr(location, part), (part, language)
    finally:
        monkeypatched.undo()
        _plan.cache_clear()

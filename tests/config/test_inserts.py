"""config.inserts.insert_rows, the invite's write path, and the PostgreSQL backend it runs on."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import isolate_apps
from django.utils import timezone

from config.inserts import insert_rows
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
        insert_rows(Location, locations, now=now)
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
        insert_rows(Customer, customers, now=timezone.now())
    stored = Customer.objects.filter(pk__in=[c.pk for c in customers]).order_by("pk")
    assert list(stored.values_list("first_name", "last_name")) == [("Ada", "Lovelace"), ("Alan", "12345")]


def test_more_rows_than_one_statement_takes(acme):
    """SQLite takes 999 parameters a statement: 19 locations of ~50 columns. Everything is
    written, in order."""
    locations = [
        Location(country_code="NL", latitude=i / 1000, longitude=5.0, time_zone="Europe/Amsterdam") for i in range(250)
    ]
    with transaction.atomic():
        insert_rows(Location, locations, now=timezone.now())
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
    """On PostgreSQL the rows travel as JSON: non-ASCII text (escaped by json.dumps, astral
    characters as surrogate pairs), quotes and backslashes come back as they were."""
    texts = {"city_ja": "東京", "city_el": "Αθήνα", "street1_en": 'Rue "du" Nord \\ 1 🏠', "street2_pl": "Łódź"}
    location = Location(country_code="JP", latitude=35.68, longitude=139.76, time_zone="Asia/Tokyo", **texts)
    with transaction.atomic():
        insert_rows(Location, [location], now=timezone.now())
    assert Location.objects.filter(pk=location.pk).values(*texts).get() == texts


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
    insert_rows refuses such a model rather than guess."""
    from django.db import models

    from config.inserts import _columns

    class Document(models.Model):
        payload = models.JSONField()

        class Meta:
            app_label = "appointments"

    with pytest.raises(TypeError, match="Document.payload"):
        _columns(Document)

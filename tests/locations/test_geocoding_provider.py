"""A network provider (geopy Nominatim) against the local Nominatim-speaking server: answers,
outages, slowness, rate limits, and the database cache shared by all workers."""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from locations.geocoding import (
    Address,
    GeocodingFailed,
    GeocodingUnavailable,
    ProviderQuery,
    geocode,
    geocode_many,
    provider_name,
)
from locations.models import GeocodingCacheEntry

pytestmark = pytest.mark.django_db


def ghent(**parts) -> Address:
    return Address("BE", postal_code="9000", city={"nl": "Gent", "en": "Ghent"}, street1={"nl": "Korenmarkt 1"}, **parts)


def test_sends_a_structured_query_restricted_to_the_country(nominatim):
    nominatim.answer(51.05, 3.72)

    assert geocode(ghent()) == (51.05, 3.72)
    request = nominatim.requests[0]
    assert (request["city"], request["street"], request["postalcode"], request["countrycodes"]) == (
        "Ghent", "Korenmarkt 1", "9000", "be",
    )


def test_the_same_address_is_resolved_once_then_answered_from_the_cache(nominatim):
    nominatim.answer(51.05, 3.72)
    geocode(ghent())
    nominatim.answer(0, 0)  # would be noticed if asked again

    assert geocode(ghent()) == (51.05, 3.72)
    assert len(nominatim.requests) == 1
    entry = GeocodingCacheEntry.objects.get()
    assert entry.provider == provider_name() == f"nominatim@{nominatim.domain}"


def test_the_cache_key_ignores_case_and_spacing(nominatim):
    nominatim.answer(51.05, 3.72)
    geocode(ghent())
    geocode(Address("BE", postal_code="9000", city={"en": "GHENT "}, street1={"nl": "korenmarkt   1"}))

    assert len(nominatim.requests) == 1


def test_not_found_is_remembered_for_a_shorter_time(nominatim, settings):
    settings.GEOCODER_CACHE_TTL, settings.GEOCODER_CACHE_NEGATIVE_TTL = 30 * 86400, 3600
    for _ in range(2):
        with pytest.raises(GeocodingFailed):
            geocode(ghent())

    assert len(nominatim.requests) == 1
    entry = GeocodingCacheEntry.objects.get()
    assert entry.latitude is None
    assert timedelta(minutes=59) < entry.expires_at - timezone.now() <= timedelta(hours=1)


def test_an_expired_entry_is_resolved_again_and_replaced(nominatim):
    query = ProviderQuery.of(ghent())
    GeocodingCacheEntry.objects.create(
        provider=provider_name(), key=query.key, query=query.text, latitude=1, longitude=1,
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    nominatim.answer(51.05, 3.72)

    assert geocode(ghent()) == (51.05, 3.72)
    entry = GeocodingCacheEntry.objects.get()
    assert (entry.latitude, entry.expires_at > timezone.now()) == (51.05, True)


def test_geocode_many_resolves_each_distinct_address_once(nominatim):
    nominatim.answer(51.05, 3.72)
    athens = Address("GR", city={"el": "Αθήνα"})

    results = geocode_many([ghent(), athens, ghent(), athens, ghent()])

    assert results == [(51.05, 3.72)] * 5
    assert len(nominatim.requests) == 2
    assert GeocodingCacheEntry.objects.count() == 2


def test_requests_are_spaced_by_the_rate_limit(nominatim, settings):
    settings.GEOCODER_MIN_DELAY = 0.3
    nominatim.answer(51.05, 3.72)
    started = time.monotonic()

    geocode_many([Address("BE", city={"en": name}) for name in ("Ghent", "Bruges", "Ypres")])

    assert time.monotonic() - started >= 0.6


def test_an_outage_is_unavailable_and_not_cached(nominatim):
    nominatim.status = 500

    with pytest.raises(GeocodingUnavailable) as raised:
        geocode(ghent())

    assert (raised.value.status, raised.value.code, raised.value.retry_after) == (503, "GEOCODING_UNAVAILABLE", 30)
    assert not GeocodingCacheEntry.objects.exists()
    nominatim.reset()
    nominatim.answer(51.05, 3.72)
    assert geocode(ghent()) == (51.05, 3.72)


def test_a_slow_answer_times_out_as_unavailable(nominatim, settings):
    settings.GEOCODER_TIMEOUT = 0.2
    nominatim.delay = 0.5
    nominatim.answer(51.05, 3.72)

    with pytest.raises(GeocodingUnavailable):
        geocode(ghent())
    assert not GeocodingCacheEntry.objects.exists()


def test_being_rate_limited_passes_the_providers_retry_after_on(nominatim):
    nominatim.status, nominatim.retry_after = 429, 7

    with pytest.raises(GeocodingUnavailable) as raised:
        geocode(ghent())

    assert raised.value.retry_after == 7


def test_an_outage_in_bulk_keeps_what_was_resolved_before(nominatim):
    nominatim.answer(51.05, 3.72)
    geocode(ghent())
    nominatim.status = 500

    with pytest.raises(GeocodingUnavailable):
        geocode_many([ghent(), Address("GR", city={"el": "Αθήνα"})])
    assert GeocodingCacheEntry.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need a server database")
def test_workers_resolving_the_same_address_at_once_all_succeed_with_one_entry(nominatim):
    nominatim.answer(51.05, 3.72)
    nominatim.delay = 0.2  # all four miss the cache before the first answer is stored

    def worker():
        try:
            return geocode(ghent())
        finally:
            connection.close()  # this thread's own connection

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: worker(), range(4)))

    assert results == [(51.05, 3.72)] * 4
    assert GeocodingCacheEntry.objects.count() == 1

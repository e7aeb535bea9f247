from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from locations.gazetteer import index_path
from locations.models import GeocodingCacheEntry
from tests.factories import LocationFactory

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("geocoding_cache", *args, stdout=out)
    return out.getvalue()


def entry(key: str, *, expired: bool, provider: str = "nominatim@example") -> GeocodingCacheEntry:
    expires_at = timezone.now() + timedelta(days=-1 if expired else 1)
    return GeocodingCacheEntry.objects.create(provider=provider, key=key, query=key, expires_at=expires_at)


def test_warm_from_a_csv_file_fills_the_cache_once_per_distinct_address(nominatim, tmp_path):
    nominatim.answer(51.05, 3.72)
    csv_file = tmp_path / "addresses.csv"
    csv_file.write_text("countryCode,postalCode,city,language\nBE,9000,Gent,nl\nBE,9000,Gent,nl\nGR,,Αθήνα,el\n")

    output = run("warm", str(csv_file))

    assert "3 addresses geocoded" in output and "3 found" in output
    assert len(nominatim.requests) == GeocodingCacheEntry.objects.count() == 2
    run("warm", str(csv_file))
    assert len(nominatim.requests) == 2


def test_warm_from_stored_locations(nominatim):
    nominatim.answer(51.05, 3.72)
    LocationFactory.create_batch(2)

    run("warm")

    # Two identical stored addresses: one request, one entry.
    assert len(nominatim.requests) == GeocodingCacheEntry.objects.count() == 1
    assert (nominatim.requests[0]["city"], nominatim.requests[0]["countrycodes"]) == ("Ghent", "be")


def test_warm_rejects_a_row_without_country(tmp_path):
    csv_file = tmp_path / "addresses.csv"
    csv_file.write_text("countryCode,city\n,Gent\n")

    with pytest.raises(CommandError, match="line 2: countryCode is required"):
        run("warm", str(csv_file))


def test_clear_expired_keeps_fresh_entries():
    entry("old", expired=True)
    entry("fresh", expired=False)

    assert "1 cached" in run("clear", "--expired")
    assert list(GeocodingCacheEntry.objects.values_list("key", flat=True)) == ["fresh"]


def test_clear_one_provider():
    entry("a", expired=False, provider="nominatim@one")
    entry("b", expired=False, provider="photon")

    run("clear", "--provider", "photon")

    assert list(GeocodingCacheEntry.objects.values_list("provider", flat=True)) == ["nominatim@one"]


def test_build_index_reports_the_index(settings):
    assert str(index_path(settings.GEOCODER_OFFLINE_DIR)) in run("build-index")

"""The geopy path against a local server that answers like Nominatim."""

import pytest

from locations.geocoding import Address, GeocodingFailed, GeocodingUnavailable, TimeZoneResolutionFailed, geocode, resolve_time_zone

pytestmark = pytest.mark.django_db  # answers are cached in the database


def test_structured_query_with_country_filter(nominatim):
    nominatim.answer(51.05, 3.72)
    address = Address(country_code="BE", postal_code="9000", city={"nl": "Gent", "en": "Ghent"}, street1={"nl": "Veldstraat 1"})
    assert geocode(address) == (51.05, 3.72)
    (request,) = nominatim.requests
    assert request["path"] == "/search"
    assert (request["city"], request["street"], request["postalcode"], request["countrycodes"]) == ("Ghent", "Veldstraat 1", "9000", "be")
    assert request["format"] == "json"


def test_nothing_found_is_a_geocoding_failure(nominatim):
    with pytest.raises(GeocodingFailed) as error:
        geocode(Address(country_code="BE", city={"en": "Nowhere-at-all"}))
    assert error.value.code == "LOCATION_GEOCODING_FAILED" and error.value.status == 422


@pytest.mark.parametrize("status", [500, 502, 503, 429, 403])
def test_provider_errors_mean_unavailable(nominatim, status):
    nominatim.status = status
    with pytest.raises(GeocodingUnavailable) as error:
        geocode(Address(country_code="BE", city={"en": "Ghent"}))
    assert error.value.status == 503 and error.value.retry_after > 0


def test_slow_provider_times_out_as_unavailable(nominatim, settings):
    settings.GEOCODER_TIMEOUT = 0.2
    nominatim.delay = 0.6
    with pytest.raises(GeocodingUnavailable):
        geocode(Address(country_code="BE", city={"en": "Ghent"}))


def test_unreachable_provider_is_unavailable(settings):
    settings.GEOCODER = "nominatim"
    settings.GEOCODER_SCHEME = "http"
    settings.GEOCODER_DOMAIN = "127.0.0.1:9"  # discard port: nothing listens
    with pytest.raises(GeocodingUnavailable):
        geocode(Address(country_code="BE", city={"en": "Ghent"}))


@pytest.mark.parametrize(
    "latitude, longitude, zone",
    [(51.05, 3.72, "Europe/Brussels"), (35.68, 139.69, "Asia/Tokyo"), (40.71, -74.0, "America/New_York"),
     (59.91, 10.75, "Europe/Oslo")],
)
def test_time_zone_of_land(latitude, longitude, zone):
    assert resolve_time_zone(latitude, longitude) == zone


def test_open_sea_has_no_time_zone():
    with pytest.raises(TimeZoneResolutionFailed):
        resolve_time_zone(40.0, -30.0)

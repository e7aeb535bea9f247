import pytest

from locations.geocoding import Address, TimeZoneResolutionFailed, geocode, resolve_time_zone


@pytest.mark.parametrize(
    ("country_code", "city", "zone"),
    [
        # Pairs of towns facing each other across a border: each gets the zone of its coordinates.
        ("DE", "Görlitz", "Europe/Berlin"),
        ("PL", "Zgorzelec", "Europe/Warsaw"),
        ("FR", "Strasbourg", "Europe/Paris"),
        ("DE", "Kehl", "Europe/Berlin"),
        ("NL", "Baarle-Nassau", "Europe/Amsterdam"),
        ("JP", "東京", "Asia/Tokyo"),
    ],
)
def test_a_geocoded_place_gets_the_zone_of_its_coordinates(country_code, city, zone):
    assert resolve_time_zone(*geocode(Address(country_code, city={"en": city}))) == zone


def test_open_sea_has_no_time_zone():
    with pytest.raises(TimeZoneResolutionFailed) as raised:
        resolve_time_zone(40.0, -40.0)  # mid-Atlantic

    assert raised.value.code == "LOCATION_TIME_ZONE_RESOLUTION_FAILED" and raised.value.status == 422

"""Invites whose location has no coordinates are geocoded: offline by default, in any of the ten
API languages; a provider outage answers 503 with Retry-After and stores nothing."""

import math

import pytest

from appointments.models import Appointment
from locations.models import Location
from tests.support import post_invite

# (language, country, city as written in that language, expected coordinates, time zone)
PLACES = [
    ("da", "DK", "København", (55.676, 12.568), "Europe/Copenhagen"),
    ("de", "DE", "München", (48.137, 11.575), "Europe/Berlin"),
    ("el", "GR", "Αθήνα", (37.984, 23.728), "Europe/Athens"),
    ("en", "NL", "The Hague", (52.077, 4.299), "Europe/Amsterdam"),
    ("es", "GB", "Londres", (51.509, -0.126), "Europe/London"),
    ("fr", "BE", "Gand", (51.054, 3.717), "Europe/Brussels"),
    ("ja", "JP", "東京", (35.690, 139.692), "Asia/Tokyo"),
    ("nl", "DE", "Keulen", (50.938, 6.960), "Europe/Berlin"),
    ("no", "NO", "Tromsø", (69.649, 18.955), "Europe/Oslo"),
    ("pl", "ES", "Sewilla", (37.389, -5.984), "Europe/Madrid"),
]


def location(country_code: str, language: str, city: str, **extra) -> dict:
    return {"countryCode": country_code, "translations": {"city": [{"language": language, "value": city}]}, **extra}


def km_between(a, b) -> float:
    (lat1, lon1), (lat2, lon2) = (map(math.radians, point) for point in (a, b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(h))


@pytest.mark.parametrize(("language", "country_code", "city", "expected", "zone"), PLACES)
def test_a_city_in_any_api_language_is_geocoded_offline(acme, api, language, country_code, city, expected, zone):
    body = acme.invite_body(meetingType="ON_LOCATION", location=location(country_code, language, city))

    response = post_invite(api, body, HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 201, response.json()
    located = response.json()["data"]["location"]
    geolocation = located["geolocation"]
    assert km_between((geolocation["latitude"], geolocation["longitude"]), expected) < 25
    assert located["timeZone"] == zone
    assert located["city"] == {"language": language, "value": city}
    assert city in located["formattedAddress"]


@pytest.mark.parametrize(
    ("country_code", "city"), [("SE", "København"), ("FR", "Qwxzzy Plonk"), ("JP", "Αθήνα")]
)
def test_nonsense_or_a_city_in_the_wrong_country_is_422(acme, api, country_code, city):
    body = acme.invite_body(meetingType="ON_LOCATION", location=location(country_code, "en", city))

    response = post_invite(api, body)

    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "LOCATION_GEOCODING_FAILED"
    assert not Appointment.objects.exists()


def test_open_sea_is_422_time_zone(acme, api):
    sea = location("PT", "en", "Nowhere", geolocation={"latitude": 40.0, "longitude": -40.0})

    response = post_invite(api, acme.invite_body(meetingType="ON_LOCATION", location=sea))

    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "LOCATION_TIME_ZONE_RESOLUTION_FAILED"


def test_a_provider_outage_is_503_with_retry_after_and_stores_nothing(acme, api, nominatim):
    nominatim.status, nominatim.retry_after = 429, 12
    locations_before = Location.objects.count()

    response = post_invite(api, acme.invite_body(meetingType="ON_LOCATION", location=location("BE", "nl", "Gent")))

    assert response.status_code == 503
    assert response["Retry-After"] == "12"
    assert response.json()["errors"][0]["code"] == "GEOCODING_UNAVAILABLE"
    assert not Appointment.objects.exists() and Location.objects.count() == locations_before


def test_a_provider_answer_is_used_and_cached(acme, api, nominatim):
    nominatim.answer(51.05, 3.72)
    body = acme.invite_body(meetingType="ON_LOCATION", location=location("BE", "nl", "Gent"))

    first, second = post_invite(api, body), post_invite(api, body)

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json()["data"]["location"]["timeZone"] == "Europe/Brussels"
    assert len(nominatim.requests) == 1

"""The embedded offline gazetteer (the default GEOCODER): names in any API language and script,
restricted to the country, the most populous place winning."""

import threading
import time

import pytest

from locations.gazetteer import index_path, name_key
from locations.geocoding import Address, GeocodingFailed, geocode, geocode_many


def city(country_code: str, *names: str, **parts) -> Address:
    # Each name in its own language slot: the gazetteer tries them all.
    return Address(country_code=country_code, city=dict(zip(("da", "de", "en", "fr"), names)), **parts)


@pytest.mark.parametrize(
    ("raw", "key"),
    [("København", "kobenhavn"), ("Αθήνα", "αθηνα"), ("Den Haag", "denhaag"), ("'s-Gravenhage", "sgravenhage"),
     ("ＴＯＫＹＯ", "tokyo"), ("デン・ハーグ", "デンハーグ"), ("Łódź", "lodz"), ("Straße", "strasse")],
)
def test_names_are_normalized_but_keep_their_script(raw, key):
    assert name_key(raw) == key


@pytest.mark.parametrize(
    ("country_code", "name", "expected"),
    [
        ("BE", "Gent", (51.05, 3.72)),
        ("BE", "Gand", (51.05, 3.72)),
        ("BE", "Ghent", (51.05, 3.72)),
        ("US", "Ghent", (42.33, -73.62)),  # the one in New York
        ("GR", "Αθήνα", (37.98, 23.73)),
        ("JP", "東京", (35.69, 139.69)),
        ("DK", "København", (55.68, 12.57)),
        ("DK", "kobenhavn", (55.68, 12.57)),
        ("NL", "Den Haag", (52.08, 4.30)),
        ("NL", "The Hague", (52.08, 4.30)),
        ("US", "Athens", (33.96, -83.38)),  # Georgia's, the most populous of several
    ],
)
def test_finds_a_place_by_any_of_its_names_in_the_country(country_code, name, expected):
    latitude, longitude = geocode(city(country_code, name))

    assert (round(latitude, 2), round(longitude, 2)) == expected


def test_any_given_city_value_may_match():
    # Only the French value is a name the gazetteer knows; the other is a typo.
    assert geocode(city("BE", "Gnet", "Gand"))[0] == pytest.approx(51.05, abs=0.01)


def test_street_and_postal_code_do_not_break_the_match():
    address = Address("BE", postal_code="9000", city={"nl": "Gent"}, street1={"nl": "Korenmarkt 1"}, state={"nl": "Oost-Vlaanderen"})

    assert geocode(address)[0] == pytest.approx(51.05, abs=0.01)


@pytest.mark.parametrize(("country_code", "name"), [("SE", "København"), ("JP", "Αθήνα"), ("FR", "Xyzzyville"), ("BE", "!!!")])
def test_unknown_or_foreign_places_fail(country_code, name):
    with pytest.raises(GeocodingFailed) as raised:
        geocode(city(country_code, name))

    assert raised.value.status == 422 and raised.value.code == "LOCATION_GEOCODING_FAILED"


def test_geocode_many_answers_in_order_with_failures_in_place():
    results = geocode_many([city("BE", "Gent"), city("FR", "Xyzzyville"), city("GR", "Αθήνα")])

    assert results[0][0] == pytest.approx(51.05, abs=0.01)
    assert isinstance(results[1], GeocodingFailed)
    assert results[2][0] == pytest.approx(37.98, abs=0.01)


def test_a_warm_lookup_is_fast():
    geocode(city("DK", "København"))
    started = time.perf_counter()
    for _ in range(200):
        geocode(city("DK", "København"))

    assert (time.perf_counter() - started) / 200 < 0.002


def test_the_index_is_built_once_on_first_use_even_by_concurrent_callers(settings, tmp_path):
    settings.GEOCODER_OFFLINE_DIR = str(tmp_path)
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(geocode(city("NL", "Den Haag")))) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 3 and results[0][0] == pytest.approx(52.08, abs=0.01)
    assert index_path(tmp_path).exists()
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []  # built atomically

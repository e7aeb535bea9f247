import pytest

from config.instances import unsaved
from locations.models import Location


def test_unsaved_takes_attribute_names_and_defaults_the_rest():
    location = unsaved(Location, country_code="BE", city_nl="Gent", latitude=1.0, longitude=2.0)
    assert (location.country_code, location.city_nl, location.city_en, location.pk) == ("BE", "Gent", None, None)
    assert location._state.adding


def test_unsaved_refuses_a_name_the_model_does_not_have():
    with pytest.raises(TypeError, match=r"Location has no field\(s\) nope, town"):
        unsaved(Location, country_code="BE", town="Gent", nope=1)

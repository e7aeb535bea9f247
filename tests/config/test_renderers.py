"""config.renderers.OrjsonRenderer writes what DRF's JSONRenderer writes."""

import datetime
import decimal
import json
import uuid

import pytest
from django.utils.functional import lazy
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer

from config.renderers import OrjsonRenderer

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.text()
    | st.builds(ErrorDetail, st.text(), code=st.sampled_from(["invalid", "required"]))
)
documents = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=25,
)


def both(data, media_type="application/json", context=None):
    return (
        OrjsonRenderer().render(data, media_type, context or {}),
        JSONRenderer().render(data, media_type, context or {}),
    )


@given(documents)
def test_the_same_bytes_as_drf(data):
    ours, drfs = both(data)
    assert ours == drfs


@given(st.recursive(st.floats(allow_nan=False, allow_infinity=False), st.lists, max_leaves=10))
def test_floats_are_the_same_numbers(data):
    """Only the spelling of exponents differs (1e-5 against 1e-05)."""
    ours, drfs = both(data)
    assert json.loads(ours) == json.loads(drfs)


lazy_text = lazy(lambda: "Später", str)


@pytest.mark.parametrize(
    "data",
    [
        {"at": datetime.datetime(2026, 11, 24, 21, 35, 41, 571328, tzinfo=datetime.UTC)},  # DRF's "Z", milliseconds
        {"at": datetime.datetime(2026, 11, 24, 21, 35)},
        {"on": datetime.date(2026, 11, 24), "time": datetime.time(9, 30, 15, 250000)},
        {"amount": decimal.Decimal("12.50"), "id": uuid.UUID("12345678-1234-5678-1234-567812345678")},
        {"message": lazy_text()},
        {"pair": (1, "two"), "set": {3}},
        {1: "a key that is no string"},
        {"big": 2**70, "small": -(2**70)},
        {"separators": "a\u2028b\u2029c"},
        None,
    ],
)
def test_what_orjson_does_not_write_itself_is_drfs(data):
    ours, drfs = both(data)
    assert ours == drfs


def test_an_indent_asked_for_is_drfs():
    data = {"data": {"id": "1", "list": [1, 2]}}
    for media_type, context in (("application/json; indent=4", {}), ("application/json", {"indent": 2})):
        ours, drfs = both(data, media_type, context)
        assert ours == drfs and b"\n" in ours


def test_text_that_is_no_unicode_fails_as_with_drf():
    with pytest.raises(UnicodeEncodeError):
        JSONRenderer().render({"bad": "\ud800"}, "application/json", {})
    with pytest.raises(UnicodeEncodeError):
        OrjsonRenderer().render({"bad": "\ud800"}, "application/json", {})


def test_the_api_answers_through_it(api):
    response = api.get("/api/enterprises/acme/appointments")
    assert response.status_code == 200 and type(response.accepted_renderer) is OrjsonRenderer

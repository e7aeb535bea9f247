"""The fast paths of the strict fields (``appointments.api.fields``) against DRF's own path: for any
body, valid or not, the very same validated data (types included) or the very same error detail
(structure, key order, messages, codes)."""

import copy
import math
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import fields as drf_fields
from rest_framework.exceptions import ErrorDetail, ValidationError

from appointments.api import fields
from appointments.api.schema import EXAMPLE_INVITE
from appointments.api.serializers import MAX_INT32, InviteRequestSerializer, parse_invite_request
from appointments.models import Appointment, AppointmentParticipant
from locations.languages import API_LANGUAGES

EXAMPLES = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@contextmanager
def drf_path_only():
    fields.FAST_PATHS = False
    try:
        yield
    finally:
        fields.FAST_PATHS = True


def typed(value):
    """``value`` with every type, key order and error code spelled out, for ``==``."""
    if isinstance(value, dict):
        return (type(value).__name__, [(typed(key), typed(item)) for key, item in value.items()])
    if isinstance(value, list | tuple):
        return (type(value).__name__, [typed(item) for item in value])
    if isinstance(value, ErrorDetail):
        return ("ErrorDetail", str(value), value.code)
    return (type(value).__name__, repr(value))


# One serializer for every example, reused in both modes as parse_invite_request reuses its own.
serializer = InviteRequestSerializer()


def outcome(body):
    """Everything observable about parsing ``body``: the data (validated and as keyword
    arguments), or the error's detail three ways, or any other exception."""
    try:
        data = serializer.run_validation(copy.deepcopy(body))
        kwargs = parse_invite_request(copy.deepcopy(body))
    except ValidationError as exc:
        return ("invalid", typed(exc.detail), typed(exc.get_full_details()), str(exc.detail))
    except Exception as exc:  # noqa: BLE001 - whatever DRF raises, the fast path must raise too
        return ("raised", type(exc).__name__, str(exc))
    return ("valid", typed(data), repr(kwargs))


def assert_same_outcome(body):
    fast = outcome(body)
    with drf_path_only():
        drf = outcome(body)
    assert fast == drf


# --- Bodies ----------------------------------------------------------------------------------------

ascii_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=12)
unicode_text = st.text(min_size=1, max_size=12)  # no surrogates: hypothesis leaves them out
identifier = st.one_of(ascii_text, unicode_text, st.integers(1, 10**9).map(str))


ABSENT = object()  # a property left out of the object


def optional(strategy, nullable=True):
    return st.one_of(st.just(ABSENT), strategy, *([st.none()] if nullable else []))


def obj(**properties):
    return st.fixed_dictionaries(properties).map(lambda d: {k: v for k, v in d.items() if v is not ABSENT})


def translation_list(min_size=0):
    return st.lists(st.sampled_from(API_LANGUAGES), min_size=min_size, max_size=3, unique=True).flatmap(
        lambda languages: st.tuples(*(st.builds(dict, language=st.just(lang), value=unicode_text) for lang in languages))
    ).map(list)


def number(low, high):
    return st.one_of(st.floats(low, high), st.integers(math.ceil(low), math.floor(high)))


participant = st.builds(
    dict,
    role=st.sampled_from(AppointmentParticipant.Role.values),
    participantId=identifier,
    type=st.sampled_from(AppointmentParticipant.Type.values),
)
location = obj(
    countryCode=st.text(st.sampled_from("abcxyzABCXYZ"), min_size=2, max_size=2),
    postalCode=optional(st.text(min_size=1, max_size=32)),
    geolocation=optional(obj(latitude=number(-90, 90), longitude=number(-180, 180))),
    translations=obj(
        city=translation_list(min_size=1),
        state=optional(translation_list(), nullable=False),
        street1=optional(translation_list(), nullable=False),
        street2=optional(translation_list(), nullable=False),
    ),
)
valid_body = obj(
    subjectId=identifier,
    officeId=identifier,
    appointmentParticipants=st.lists(participant, min_size=2, max_size=4),
    callbackRequestId=optional(identifier),
    location=optional(location),
    listingId=optional(identifier),
    leadSegmentId=optional(identifier),
    meetingType=st.sampled_from(Appointment.MeetingType.values),
    externalId=optional(st.text(min_size=1, max_size=255)),
    hybrid=optional(st.booleans()),
    trailingBufferTime=optional(st.integers(0, MAX_INT32)),
    internalNotes=optional(unicode_text),
    message=optional(unicode_text),
)

nasty_string = st.one_of(
    st.sampled_from(["", " ", "\x00", "a\x00", "\ud800", "x\udfff", "\udbff\udc00", "x" * 256, "x" * 255, "B1"]),
    st.sampled_from(["PRIMARY", "EMPLOYEE", "OFFICE", "en", "nl", "BE", "be", "5", "true", "null", "1.5"]),
    st.text(st.sampled_from("aZ \x00\ud800\udfffé\n"), max_size=40),
    st.text(max_size=300),
)
nasty_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([-1, 0, 1, 2, 90, 91, -91, 180, 181, MAX_INT32, MAX_INT32 + 1, 2**63, 10**400]),
    st.just(5000).map(lambda digits: -(10**digits)),  # past str()'s limit: DRF's int() fails
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([90.0, -90.0, 90.0000001, 1e308, -0.0, 0.5]),
    nasty_string,
)


def containers(inner):
    keys = st.one_of(nasty_string, st.sampled_from(["language", "value", "role", "city"]))
    return st.one_of(st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=3))


garbage = st.recursive(nasty_scalar, containers, max_leaves=6)


def paths(value, path=()):
    """Every place in ``value``: the paths of its dicts' values and lists' items."""
    yield path
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield from paths(child, (*path, key))


def at(body, path):
    for key in path:
        body = body[key]
    return body


def mutate(draw, body):
    path = draw(st.sampled_from(list(paths(body))))
    target = at(body, path)
    kinds = ["replace"]
    if isinstance(target, dict):
        kinds += ["delete", "unknown", "null_member"]
    if isinstance(target, list):
        kinds += ["truncate", "append", "duplicate"]
    kind = draw(st.sampled_from(kinds))
    if kind == "replace":
        if not path:
            return draw(garbage)
        at(body, path[:-1])[path[-1]] = draw(garbage)
    elif kind == "delete" and target:
        del target[draw(st.sampled_from(sorted(target)))]
    elif kind == "unknown":
        target[draw(st.one_of(nasty_string, st.sampled_from(["Subjectid", "x", "a/b~c"])))] = draw(garbage)
    elif kind == "null_member" and target:
        target[draw(st.sampled_from(sorted(target)))] = None
    elif kind == "truncate":
        del target[draw(st.integers(0, len(target))) :]
    elif kind == "append":
        target.append(draw(garbage))
    elif kind == "duplicate" and target:
        target.append(copy.deepcopy(draw(st.sampled_from(target))))
    return body


# --- Differential tests ----------------------------------------------------------------------------


@EXAMPLES
@given(valid_body)
def test_valid_bodies(body):
    assert_same_outcome(body)


@EXAMPLES
@given(valid_body, st.data())
def test_mutated_bodies(body, data):
    for _ in range(data.draw(st.integers(1, 3))):
        body = mutate(data.draw, body)
    assert_same_outcome(body)


@EXAMPLES
@given(valid_body, st.data())
def test_duplicate_translation_languages(body, data):
    body["location"] = data.draw(location)
    translations = body["location"]["translations"]
    part = data.draw(st.sampled_from(sorted(translations)))
    items = translations[part]
    language = data.draw(st.sampled_from([item["language"] for item in items] or API_LANGUAGES))
    items.insert(data.draw(st.integers(0, len(items))), {"language": language, "value": "x"})
    assert_same_outcome(body)


@EXAMPLES
@given(garbage)
def test_garbage(body):
    assert_same_outcome(body)


# --- The fast path is really taken ------------------------------------------------------------------


def typical_body():
    """The documented example, with every optional id, a lower-case country code and an integer
    longitude."""
    body = copy.deepcopy(EXAMPLE_INVITE)
    body.update(callbackRequestId="31", listingId="32", leadSegmentId="33")
    body["location"]["countryCode"] = "be"
    body["location"]["geolocation"]["longitude"] = 3
    return body


def test_a_valid_body_never_reaches_drf(monkeypatch):
    def drf(*args, **kwargs):
        raise AssertionError("DRF's path was taken")

    # Every run_validation of DRF's, fields' and serializers' alike, starts there.
    monkeypatch.setattr(drf_fields.Field, "validate_empty_values", drf)
    data = InviteRequestSerializer().run_validation(typical_body())
    assert data["location"]["countryCode"] == "BE"  # validate_countryCode still runs
    assert data["location"]["geolocation"] == {"latitude": 51.0543, "longitude": 3.0}
    assert type(data["location"]["geolocation"]["longitude"]) is float  # as DRF's float(data)


@pytest.mark.parametrize(
    "pointer, value",
    [
        (("location", "geolocation", "latitude"), 90.5),
        (("location", "countryCode"), "B1"),
        (("appointmentParticipants", 1, "participantId"), "\ud800"),
        (("location", "translations", "city", 0), "en"),
        (("trailingBufferTime",), True),
    ],
)
def test_errors_deep_in_a_body_are_drfs(pointer, value):
    body = typical_body()
    at(body, pointer[:-1])[pointer[-1]] = value
    with pytest.raises(ValidationError):
        parse_invite_request(body)
    assert_same_outcome(body)


class _Shouting(fields.StrictSerializer):
    word = fields.StrictCharField()

    def validate(self, attrs):
        return {"word": attrs["word"].upper()}


def _refuse(value):
    raise ValidationError("Refused.")


def test_the_fast_path_still_ends_with_validate_and_the_validators():
    # The fast path skips what DRF ends a serializer's validation with only when it changes nothing.
    assert _Shouting().run_validation({"word": "hi"}) == {"word": "HI"}
    assert fields.StrictListSerializer(child=_Shouting()).run_validation([{"word": "a"}]) == [{"word": "A"}]
    with pytest.raises(ValidationError):
        fields.StrictSerializer(validators=[_refuse]).run_validation({})
    with pytest.raises(ValidationError):
        fields.StrictListSerializer(child=_Shouting(), validators=[_refuse]).run_validation([{"word": "a"}])

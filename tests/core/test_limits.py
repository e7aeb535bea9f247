"""Hostile input: oversized bodies, deep or broken JSON, bad paging, floods. Always the envelope."""

import io
import json
import os
import time
import uuid

import pytest
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from appointments.models import Appointment
from core.models import RateLimitCounter
from core.parsers import BoundedJSONParser
from core.throttling import ApiClientRateThrottle
from tests.support import invite_url, post_invite

LIST_URL = "/api/enterprises/acme/appointments"


def error(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    assert "X-Correlation-Id" in response
    entry = response.json()["errors"][0]
    assert entry["statusCode"] == str(status)
    return entry


def test_a_body_over_the_limit_is_413(acme, api, settings):
    settings.API_MAX_BODY_SIZE = 2000
    body = acme.invite_body(message="x" * 2000)

    entry = error(post_invite(api, body), 413)

    assert entry["code"] == "PAYLOAD_TOO_LARGE"
    assert entry["arguments"] == {"maxBytes": 2000}
    assert not Appointment.objects.exists()


def test_the_default_limit_is_one_mebibyte(acme, api):
    body = acme.invite_body(message="x" * (1024 * 1024))
    assert error(post_invite(api, body), 413)["code"] == "PAYLOAD_TOO_LARGE"
    just_under = acme.invite_body(message="x" * (1024 * 1024 - 1000))
    assert post_invite(api, just_under).status_code == 201


def test_json_nested_deeper_than_the_limit_is_400(acme, api, settings):
    settings.API_MAX_JSON_DEPTH = 32
    nested = json.dumps(acme.invite_body(message=None))[:-1] + ', "deep": ' + "[" * 40 + "]" * 40 + "}"

    entry = error(api.post(invite_url(), nested, content_type="application/json"), 400)

    assert entry["code"] == "MALFORMED_JSON"
    assert "nested deeper than 32" in entry["message"]


@pytest.mark.parametrize("charset", ["utf-8", "utf-16", "cp500"])  # cp500: no "[" byte
def test_the_depth_limit_holds_in_any_charset_and_spares_wide_bodies(settings, charset):
    """Counting brackets spares the walk only where it proves the depth (UTF-8, few brackets)."""
    settings.API_MAX_JSON_DEPTH = 3
    parse = lambda text: BoundedJSONParser().parse(io.BytesIO(text.encode(charset)), None, {"encoding": charset})  # noqa: E731
    wide = [{"a": [1]} for _ in range(10)]  # 21 brackets, 3 levels
    assert parse(json.dumps(wide)) == wide
    assert parse('[{"a": [1]}]') == [{"a": [1]}]
    for deep in ('[{"a": [[1]]}]', "[[[[]]]]"):
        with pytest.raises(ParseError, match="nested deeper than 3"):
            parse(deep)


def test_json_nested_past_the_parser_recursion_limit_is_400_not_500(api):
    bomb = "[" * 100_000 + "]" * 100_000
    assert error(api.post(invite_url(), bomb, content_type="application/json"), 400)["code"] == "MALFORMED_JSON"


@pytest.mark.parametrize("raw", ['{"subjectId": ', "NaN", '{"a": Infinity}', "\xff\xfe", "[1,]"])
def test_malformed_json_is_400(api, raw):
    response = api.post(invite_url(), raw.encode("latin-1"), content_type="application/json")
    assert error(response, 400)["code"] == "MALFORMED_JSON"


def test_another_media_type_is_415(api):
    response = api.post(invite_url(), "subjectId=1", content_type="application/x-www-form-urlencoded")
    assert error(response, 415)["code"] == "UNSUPPORTED_MEDIA_TYPE"


@pytest.mark.parametrize(
    "params", [{"limit": "0"}, {"limit": "1001"}, {"offset": "-1"}, {"limit": "ten"}, {"offset": "9" * 5000}, {"offset": "1e3"}]
)
def test_invalid_paging_is_400(api, params):
    entry = error(api.get(LIST_URL, params), 400)
    (name,) = params
    assert entry["arguments"] == {"pointer": f"/{name}"}


def test_options_is_405_in_the_envelope(api):
    assert error(api.options(invite_url()), 405)["code"] == "METHOD_NOT_ALLOWED"


class Clock:
    """The throttle's clock, set by the test: windows must not turn over by accident."""

    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def throttle(settings, monkeypatch):
    settings.API_THROTTLE_RATE = "3/min"
    clock = Clock(1_800_000_015.0)  # 15 s into a minute
    monkeypatch.setattr(ApiClientRateThrottle, "timer", clock)
    return clock


def test_each_api_client_is_rate_limited_with_retry_after(acme, throttle):
    api, other = acme.api(), acme.api()
    assert [api.get(LIST_URL).status_code for _ in range(3)] == [200, 200, 200]

    limited = api.get(LIST_URL)

    assert error(limited, 429)["code"] == "TOO_MANY_REQUESTS"
    assert int(limited["Retry-After"]) == 45  # the rest of the minute
    assert other.get(LIST_URL).status_code == 200  # another client has its own budget


def test_the_budget_comes_back_with_the_next_window(acme, throttle):
    api = acme.api()
    assert [api.get(LIST_URL).status_code for _ in range(4)] == [200, 200, 200, 429]
    throttle.now += 45  # the next minute
    assert [api.get(LIST_URL).status_code for _ in range(4)] == [200, 200, 200, 429]


# A Redis server of its own for the tests (the machine's, database 15), as CACHE_URL=redis://… uses.
# A database number no other test uses, and a key prefix of this run's own, so that two suites
# running at once (say, on PostgreSQL and on SQLite) neither share nor flush each other's counters.
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/12")


def redis_reachable() -> bool:
    import redis

    try:
        return redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


# Where counters live: the database by default, Redis when CACHE_URL names it; memory in tests.
STORES = {
    "database": None,
    "redis": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": TEST_REDIS_URL},
    "memory": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle_test_cache"},
}


@pytest.fixture(params=STORES)
def counter_store(request, settings):
    """Rate limits counted in each store; the cache stores with a timeout of 1 s by default, and
    a key prefix of this test's own."""
    store = STORES[request.param]
    if request.param == "redis" and not redis_reachable():
        pytest.skip(f"no Redis server at {TEST_REDIS_URL}")
    if store is None:
        settings.RATE_LIMIT_CACHE = None
    else:
        settings.CACHES = {**settings.CACHES, "counters": {**store, "TIMEOUT": 1, "KEY_PREFIX": uuid.uuid4().hex}}
        settings.RATE_LIMIT_CACHE = "counters"
    return request.param


def test_a_counter_lives_as_long_as_its_window(acme, throttle, settings, counter_store):
    """A cache's default timeout (1 s here) must not end a counter within its window: the budget
    would come back within the hour."""
    settings.API_THROTTLE_RATE = "3/hour"
    api = acme.api()
    assert [api.get(LIST_URL).status_code for _ in range(4)] == [200, 200, 200, 429]
    time.sleep(1.1)  # past the cache's default timeout; the throttle's frozen clock stays in its hour
    assert api.get(LIST_URL).status_code == 429


def test_every_store_counts_each_window_afresh(acme, throttle, counter_store):
    api, other = acme.api(), acme.api()
    for _minute in range(3):
        assert [api.get(LIST_URL).status_code for _ in range(5)] == [200, 200, 200, 429, 429]
        assert other.get(LIST_URL).status_code == 200
        throttle.now += 60


def test_the_database_keeps_only_the_counters_of_current_windows(acme, throttle, settings):
    settings.RATE_LIMIT_CACHE = None
    api = acme.api()
    for _minute in range(5):
        api.get(LIST_URL)
        throttle.now += 60
    api.get(LIST_URL)
    assert [counter.count for counter in RateLimitCounter.objects.all()] == [1]


def test_refused_requests_count_too(acme, throttle):
    """A client hammering past its limit stays limited until the window ends."""
    api = acme.api()
    statuses = [api.get(LIST_URL).status_code for _ in range(10)]
    assert statuses == [200] * 3 + [429] * 7


def test_the_default_rate_is_3000_per_minute():
    throttle = ApiClientRateThrottle()
    assert (throttle.num_requests, throttle.duration) == (3000, 60)


TRICKY_JSON = [
    '{"a": 1, "a": 2}',  # the last of duplicate keys
    "12345678901234567890123", "-9223372036854775809", "18446744073709551616",  # wider than 64 bits
    "9223372036854775807", "18446744073709551615", "-0", "-0.0", "1.0000000000000000000001",
    "1e400", "-1e400", "2.2250738585072011e-308",  # beyond a float, and the smallest normal one
    '"\\ud800"', '"\\ud83d\\ude00"', '"\\u0000"', '{"\\u00e9": "caf\u00e9"}',  # escapes, lone surrogate
    '"12345678901234567890"', "null", "true", ' {"a": [1, {"b": null}]} ',
    "\ufeff{}", "NaN", '{"a": -Infinity}', "[1,]", '"\x01"', "", "{} {}",
]


@pytest.mark.parametrize("text", TRICKY_JSON)
def test_the_parser_answers_as_drfs_own(text):
    """The depth bound changes nothing else: values, types and errors are DRF's parser's."""
    def outcome(parser):
        try:
            value = parser.parse(io.BytesIO(text.encode("utf-8")), None, {"encoding": "utf-8"})
        except ParseError as error:
            return "error", str(error.detail)
        return "value", json.dumps(value), repr(value)  # repr tells an int from a float

    assert outcome(BoundedJSONParser()) == outcome(JSONParser())

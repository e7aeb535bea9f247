"""Rate limits, counted where every worker and app server sees the same counts; above them, 429
with Retry-After.

``ApiClientRateThrottle`` (DRF throttling): ``API_THROTTLE_RATE`` API requests per client.
``TokenRequestThrottle``: ``TOKEN_THROTTLE_RATE`` token requests per client id and address.

The counts live in the cache ``RATE_LIMIT_CACHE`` names (Redis or Memcached, when ``CACHE_URL``
names one: an atomic increment), else in the database (``RateLimitCounter``: one ``UPDATE`` per
request). In one process's memory they would be counted once per worker.
"""

import base64
import hashlib
import urllib.parse
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.db.models import F
from rest_framework.throttling import SimpleRateThrottle

from .models import RateLimitCounter


class ApiClientRateThrottle(SimpleRateThrottle):
    """A counter per client and fixed window (``API_THROTTLE_RATE`` = N per window).

    DRF's own throttle keeps the time of every request in the window and writes the whole list
    back to the cache on every request: 3,000 timestamps pickled per call at the default rate. A
    counter costs the same at any rate. The price: a client may spend its budget at the end of one
    window and again at the start of the next.
    """

    scope = "api_client"

    def get_rate(self) -> str:
        # Read at request time (DRF reads its rates once at import), so the setting can change.
        return settings.API_THROTTLE_RATE

    def get_cache_key(self, request, view) -> str:
        # Authenticated requests count per OAuth2 client (all its tokens together); only those
        # reach here on the API, since authentication and permissions are checked before
        # throttles. The others (the schema's pages) count per connection address: DRF's
        # get_ident() would trust X-Forwarded-For as sent, and a new value per request would
        # escape the limit.
        client_id = getattr(request.auth, "application_id", None)
        ident = f"client-{client_id}" if client_id else f"ip-{request.META.get('REMOTE_ADDR', '')}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        return key is None or self.counted(key)

    def counted(self, key: str) -> bool:
        """Count one more request under ``key`` in the current window: whether the window's
        budget allowed it. Once it is spent, every further request of the window is refused."""
        window = int(self.timer() // self.duration)
        self.window_ends = (window + 1) * self.duration
        key = f"{key}:{window}"
        if settings.RATE_LIMIT_CACHE is None:
            return counted_in_database(key, self.num_requests, now=self.timer(), window_ends=self.window_ends)
        # The counter outlives its window, never the reverse.
        return counted_in_cache(caches[settings.RATE_LIMIT_CACHE], key, timeout=self.duration + 1) <= self.num_requests

    def wait(self) -> float:
        return max(1.0, self.window_ends - self.timer())


def counted_in_cache(cache: BaseCache, key: str, timeout: int) -> int:
    """One more under ``key``; the count. incr() is atomic (Redis, Memcached, memory); only a
    window's first request, which finds no counter, creates it with the window's timeout. Of two
    such requests, add() lets one create it: the other counts on it."""
    count = _incremented(cache, key)
    if count is None:
        count = 1 if cache.add(key, 1, timeout=timeout) else _incremented(cache, key) or 1
    return count


def _incremented(cache: BaseCache, key: str) -> int | None:
    try:
        return cache.incr(key)
    except ValueError:  # no counter (yet, or any more)
        return None


def counted_in_database(key: str, limit: int, *, now: float, window_ends: float) -> bool:
    """One more under ``key`` if fewer than ``limit`` were counted: whether it was. One
    ``UPDATE`` when the window's counter exists, as it does for all but a window's first request;
    the database serialises concurrent increments of a row, so no count is lost."""
    with_room = RateLimitCounter.objects.filter(key=key, count__lt=limit)
    if with_room.update(count=F("count") + 1):
        return True
    counter, created = RateLimitCounter.objects.get_or_create(
        key=key, defaults={"expires_at": datetime.fromtimestamp(window_ends, UTC)}
    )
    if created:
        # Once per key and window: forget the windows that have ended (an indexed range).
        RateLimitCounter.objects.filter(expires_at__lt=datetime.fromtimestamp(now, UTC)).delete()
        return limit >= 1
    # Another request created it since the UPDATE (then count on it), or the budget is spent.
    return counter.count < limit and bool(with_room.update(count=F("count") + 1))


class TokenRequestThrottle(ApiClientRateThrottle):
    """Token requests per client id and address (``TOKEN_THROTTLE_RATE``), wrong secrets included.

    Every token request checks the client's secret with Django's password hasher, a quarter of a
    second of CPU by design: without a limit, anyone who knows a client id (they are not secret)
    could keep the cores busy, or try secrets at that rate. Per address as well, so that such
    requests from elsewhere do not lock the client itself out (behind a reverse proxy every request
    has the proxy's address: the limit is then per client id).

    A request may name a client twice, in its Basic credentials and in its form fields, and
    django-oauth-toolkit authenticates whichever it accepts: each one named is counted, and the
    request is refused if any is past the limit.
    """

    scope = "token"

    def get_rate(self) -> str:
        return settings.TOKEN_THROTTLE_RATE

    def allow_request(self, request, view) -> bool:
        # Every name counted (a list, not all() on a generator): one past its limit refuses.
        counted = [self.counted(self.key_for(request, client_id)) for client_id in named_client_ids(request)]
        return all(counted)

    def key_for(self, request, client_id: str) -> str:
        # Hashed: the client id is the caller's text, and cache keys must be short and plain.
        client = hashlib.sha256(client_id.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        # The connection's address, not DRF's get_ident(): that trusts X-Forwarded-For as sent,
        # and a new value per request would escape the limit.
        return self.cache_format % {"scope": self.scope, "ident": f"{request.META.get('REMOTE_ADDR', '')}-{client}"}


def named_client_ids(request) -> list[str]:
    """Every client id a token request names: in HTTP Basic credentials (whatever the case of the
    scheme) and as a form field, the two ways RFC 6749 allows; one empty id if neither."""
    named = []
    scheme, _, credentials = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            decoded = ""
        named.append(urllib.parse.unquote_plus(decoded.partition(":")[0]))
    if "client_id" in request.POST or not named:
        named.append(request.POST.get("client_id", ""))
    return named

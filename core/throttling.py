"""Rate limits, counted in the shared cache; above them, 429 with Retry-After.

``ApiClientRateThrottle`` (DRF throttling): ``API_THROTTLE_RATE`` API requests per client.
``TokenRequestThrottle``: ``TOKEN_THROTTLE_RATE`` token requests per client id and address.
"""

import base64
import hashlib
import urllib.parse

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.base import BaseCache
from rest_framework.throttling import SimpleRateThrottle


class ApiClientRateThrottle(SimpleRateThrottle):
    """A counter per client and fixed window (``API_THROTTLE_RATE`` = N per window).

    DRF's own throttle keeps the time of every request in the window and writes the whole list
    back to the cache on every request: 3,000 timestamps pickled per call at the default rate,
    through the database with ``CACHE_URL=dbcache://``. A counter costs the same at any rate. The
    price: a client may spend its budget at the end of one window and again at the start of the
    next.
    """

    scope = "api_client"

    @property
    def cache(self) -> BaseCache:
        # This thread's cache itself, not Django's proxy to it: which operations it has matters.
        return caches[DEFAULT_CACHE_ALIAS]

    def get_rate(self) -> str:
        # Read at request time (DRF reads its rates once at import), so the setting can change.
        return settings.API_THROTTLE_RATE

    def get_cache_key(self, request, view) -> str:
        # Authenticated requests count per OAuth2 client (all its tokens together); only those
        # reach here, since authentication and permissions are checked before throttles.
        client_id = getattr(request.auth, "application_id", None)
        ident = f"client-{client_id}" if client_id else f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        return key is None or self.counted(key) <= self.num_requests

    def counted(self, key: str) -> int:
        """Count one more request under ``key`` in the current window; the window's count."""
        window = int(self.timer() // self.duration)
        self.window_ends = (window + 1) * self.duration
        key = f"{key}:{window}"
        timeout = self.duration + 1  # the counter outlives its window, never the other way round
        cache = self.cache
        if type(cache).incr is BaseCache.incr:
            # No increment of its own (the database and file caches): Django's fallback would get
            # and set the counter with the cache's default timeout, so that a counter could expire
            # within its window. Read and write it here with the window's timeout instead; like
            # DRF's own throttle on these caches, concurrent requests may miss a count.
            count = cache.get(key, 0) + 1
            cache.set(key, count, timeout=timeout)
            return count
        # incr() is atomic (memory, Redis, Memcached); only a window's first request, which finds
        # no counter, creates it, with the window's timeout. Of two such requests, add() lets one
        # create it: the other counts on it.
        count = self._incremented(cache, key)
        if count is None:
            count = 1 if cache.add(key, 1, timeout=timeout) else self._incremented(cache, key) or 1
        return count

    @staticmethod
    def _incremented(cache: BaseCache, key: str) -> int | None:
        try:
            return cache.incr(key)
        except ValueError:  # no counter (yet, or any more)
            return None

    def wait(self) -> float:
        return max(1.0, self.window_ends - self.timer())


class TokenRequestThrottle(ApiClientRateThrottle):
    """Token requests per client id and address (``TOKEN_THROTTLE_RATE``), refused ones included.

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
        counts = [self.counted(self.key_for(request, client_id)) for client_id in named_client_ids(request)]
        return max(counts) <= self.num_requests

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

"""Per-API-client rate limiting (DRF throttling): ``API_THROTTLE_RATE`` requests per client,
counted in the shared cache; above it, 429 with Retry-After."""

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
        if key is None:
            return True
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
        else:
            # incr() is atomic (memory, Redis, Memcached); only a window's first request, which
            # finds no counter, creates it, with the window's timeout. Of two such requests, add()
            # lets one create it: the other counts on it.
            count = self._incremented(cache, key)
            if count is None:
                count = 1 if cache.add(key, 1, timeout=timeout) else self._incremented(cache, key) or 1
        return count <= self.num_requests

    @staticmethod
    def _incremented(cache: BaseCache, key: str) -> int | None:
        try:
            return cache.incr(key)
        except ValueError:  # no counter (yet, or any more)
            return None

    def wait(self) -> float:
        return max(1.0, self.window_ends - self.timer())

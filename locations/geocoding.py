"""Turning an address into coordinates and coordinates into an IANA time zone.

``GEOCODER=offline`` (the default) answers from the embedded GeoNames gazetteer
(``locations.gazetteer``): city level, no network, nothing to configure. Any other value names a
geopy service, built once per process, called through a per-process rate limiter, and its answers
(found or not found) are kept in the database (``GeocodingCacheEntry``) so that every worker and
server resolves one address at most once per provider until the entry expires.

Provider outages are not the caller's fault: they surface as ``GeocodingUnavailable`` (503),
while an address that simply cannot be found is ``GeocodingFailed`` (422).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from geopy import exc as geopy_exc
from geopy.adapters import RequestsAdapter
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import Nominatim, get_geocoder_for_service
from timezonefinder import TimezoneFinder

from core.errors import DomainError

from .gazetteer import Gazetteer, ensure_index
from core.languages import API_LANGUAGES
from .models import GeocodingCacheEntry

logger = logging.getLogger(__name__)

OFFLINE = "offline"
Coordinates = tuple[float, float]


class GeocodingFailed(DomainError):
    code = "LOCATION_GEOCODING_FAILED"
    default_message = _("The location's address could not be geocoded")


class TimeZoneResolutionFailed(DomainError):
    code = "LOCATION_TIME_ZONE_RESOLUTION_FAILED"
    default_message = _("No time zone could be resolved for the location")


class GeocodingUnavailable(DomainError):
    code = "GEOCODING_UNAVAILABLE"
    default_message = _("The geocoding service is unavailable, please retry later")
    status = 503
    type = "SERVICE_UNAVAILABLE"

    def __init__(self, *args, retry_after: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after or settings.GEOCODER_RETRY_AFTER


@dataclass(frozen=True)
class Address:
    """An address to geocode. Translated parts map API language codes to values."""

    country_code: str
    postal_code: str | None = None
    city: Mapping[str, str] = field(default_factory=dict)
    state: Mapping[str, str] = field(default_factory=dict)
    street1: Mapping[str, str] = field(default_factory=dict)
    street2: Mapping[str, str] = field(default_factory=dict)

    def first(self, part: str) -> str | None:
        """One value of a translated part, English first (most geocoders know it best)."""
        values = getattr(self, part)
        return next((values[code] for code in ("en", *API_LANGUAGES) if values.get(code)), None)


def geocode(address: Address) -> Coordinates:
    """Return ``(latitude, longitude)`` for the address, or raise a ``DomainError``."""
    found = geocode_many([address])[0]
    if isinstance(found, GeocodingFailed):
        raise found
    return found


def geocode_many(addresses: Iterable[Address]) -> list[Coordinates | GeocodingFailed]:
    """Geocode many addresses (e.g. an import), in order: coordinates, or the ``GeocodingFailed``
    error for an address that cannot be found. Each distinct address is resolved once, through
    the cache. An outage raises ``GeocodingUnavailable``; what was resolved before it stays cached.
    """
    addresses = list(addresses)
    if settings.GEOCODER == OFFLINE:
        gazetteer = get_gazetteer()
        answers = [gazetteer.locate(address.country_code, address.city.values()) for address in addresses]
    else:
        queries = [ProviderQuery.of(address) for address in addresses]
        known = _cached_answers(provider_name(), {query.key for query in queries})
        for query in queries:
            if query.key not in known:
                known[query.key] = _resolve_and_cache(query)
        answers = [known[query.key] for query in queries]
    return [answer if answer is not None else GeocodingFailed(field="location") for answer in answers]


# --- Offline -------------------------------------------------------------------------------------


@functools.cache
def get_gazetteer() -> Gazetteer:
    """The offline gazetteer; builds its index on first use if ``make migrate`` has not."""
    try:
        return Gazetteer(ensure_index(settings.GEOCODER_OFFLINE_DIR))
    except (OSError, subprocess.CalledProcessError) as error:
        logger.error("The offline gazetteer index cannot be built: %s", error)
        raise GeocodingUnavailable() from error


# --- Network providers (geopy) -------------------------------------------------------------------


@functools.cache
def get_geocoder():
    """The geopy geocoder configured in settings, built once per process."""
    options = {"timeout": settings.GEOCODER_TIMEOUT, **settings.GEOCODER_OPTIONS}
    if settings.GEOCODER_DOMAIN:
        options.setdefault("domain", settings.GEOCODER_DOMAIN)
    if settings.GEOCODER_SCHEME:
        options.setdefault("scheme", settings.GEOCODER_SCHEME)
    if settings.GEOCODER_API_KEY:
        options.setdefault("api_key", settings.GEOCODER_API_KEY)
    # No HTTP-level retries: urllib3 would sleep through a 429's Retry-After while the client
    # waits; the caller gets 503 with Retry-After instead.
    options.setdefault("adapter_factory", functools.partial(RequestsAdapter, max_retries=0))
    geocoder_class = get_geocoder_for_service(settings.GEOCODER)
    if issubclass(geocoder_class, Nominatim):
        options.setdefault("user_agent", settings.GEOCODER_USER_AGENT)
    return geocoder_class(**options)


@functools.cache
def _rate_limited_geocode():
    """The provider's ``geocode`` spaced by ``GEOCODER_MIN_DELAY`` for the whole process (all
    threads, all bulk work). Several processes each keep their own pace: divide the provider's
    limit by the number of worker processes when setting it. No retries: a failure answers 503."""
    return RateLimiter(
        get_geocoder().geocode,
        min_delay_seconds=settings.GEOCODER_MIN_DELAY,
        max_retries=0,
        swallow_exceptions=False,
    )


@receiver(setting_changed)
def _forget_geocoder(*, setting, **kwargs):
    if setting.startswith("GEOCODER"):
        get_geocoder.cache_clear()
        _rate_limited_geocode.cache_clear()
        get_gazetteer.cache_clear()


def provider_name() -> str:
    """Whose answers a cache entry holds: the service and the server asked."""
    return f"{settings.GEOCODER}@{settings.GEOCODER_DOMAIN}" if settings.GEOCODER_DOMAIN else settings.GEOCODER


@dataclass(frozen=True)
class ProviderQuery:
    """What is sent to a network provider for an address, and its cache key."""

    query: str | dict
    options: dict

    @classmethod
    def of(cls, address: Address) -> ProviderQuery:
        if isinstance(get_geocoder(), Nominatim):
            # Nominatim understands structured queries and a country filter, which avoids
            # picking a namesake abroad.
            street = " ".join(filter(None, (address.first("street1"), address.first("street2"))))
            structured = {"street": street, "city": address.first("city"), "state": address.first("state")}
            structured["postalcode"] = address.postal_code
            return cls({k: _tidy(v) for k, v in structured.items() if v}, {"country_codes": address.country_code.lower()})
        parts = (
            address.first("street1"),
            address.first("street2"),
            " ".join(filter(None, (address.postal_code, address.first("city")))),
            address.first("state"),
            address.country_code,
        )
        return cls(", ".join(_tidy(p) for p in parts if p), {})

    @functools.cached_property
    def text(self) -> str:
        return json.dumps([self.query, self.options], ensure_ascii=False, sort_keys=True).casefold()

    @functools.cached_property
    def key(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def _tidy(value: str) -> str:
    return " ".join(value.split())


def _cached_answers(provider: str, keys: set[str]) -> dict[str, Coordinates | None]:
    """Unexpired cache entries among ``keys``: coordinates, or None for "known not to exist"."""
    answers: dict[str, Coordinates | None] = {}
    keys_list = sorted(keys)
    for start in range(0, len(keys_list), 500):  # stay under SQLite's parameter limit
        entries = GeocodingCacheEntry.objects.filter(
            provider=provider, key__in=keys_list[start : start + 500], expires_at__gt=timezone.now()
        ).values_list("key", "latitude", "longitude")
        answers.update({key: None if lat is None else (lat, lon) for key, lat, lon in entries})
    return answers


def _resolve_and_cache(query: ProviderQuery) -> Coordinates | None:
    try:
        found = _rate_limited_geocode()(query.query, exactly_one=True, **query.options)
    except geopy_exc.GeocoderQueryError as error:
        logger.info("Geocoder rejected the query: %s", error)
        return None  # not found, but a refusal is not worth remembering
    except geopy_exc.GeocoderRateLimited as error:
        logger.warning("Geocoder rate limited us: %s", error)
        raise GeocodingUnavailable(retry_after=error.retry_after) from error
    except geopy_exc.GeopyError as error:
        # Timeouts, outages, quota, bad credentials: the service cannot answer now.
        logger.warning("Geocoder unavailable: %s: %s", type(error).__name__, error)
        raise GeocodingUnavailable() from error
    answer = None if found is None else (found.latitude, found.longitude)
    ttl = settings.GEOCODER_CACHE_TTL if answer else settings.GEOCODER_CACHE_NEGATIVE_TTL
    # update_or_create: another worker may have stored the same key meanwhile (unique
    # constraint); the later answer simply replaces it, nobody fails.
    GeocodingCacheEntry.objects.update_or_create(
        provider=provider_name(),
        key=query.key,
        defaults={
            "query": query.text,
            "latitude": answer and answer[0],
            "longitude": answer and answer[1],
            "expires_at": timezone.now() + timedelta(seconds=ttl),
        },
    )
    return answer


# --- Time zones ----------------------------------------------------------------------------------


@functools.cache
def _time_zone_finder() -> TimezoneFinder:
    return TimezoneFinder()


def resolve_time_zone(latitude: float, longitude: float) -> str:
    """The IANA time zone of a point on land; open sea has none."""
    zone = _time_zone_finder().timezone_at_land(lng=longitude, lat=latitude)
    if zone is None:
        raise TimeZoneResolutionFailed(field="location", arguments={"latitude": latitude, "longitude": longitude})
    return zone

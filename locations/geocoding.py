"""Turning an address into coordinates (geopy) and coordinates into an IANA time zone.

The provider is chosen in settings (``GEOCODER``, any geopy service name) and built once per
process. Provider outages are not the caller's fault: they surface as ``GeocodingUnavailable``
(503), while an address that simply cannot be found is ``GeocodingFailed`` (422).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from geopy import exc as geopy_exc
from geopy.geocoders import Nominatim, get_geocoder_for_service
from timezonefinder import TimezoneFinder

from config.errors import DomainError

from .languages import API_LANGUAGES

logger = logging.getLogger(__name__)


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
    geocoder_class = get_geocoder_for_service(settings.GEOCODER)
    if issubclass(geocoder_class, Nominatim):
        options.setdefault("user_agent", settings.GEOCODER_USER_AGENT)
    return geocoder_class(**options)


@receiver(setting_changed)
def _forget_geocoder(*, setting, **kwargs):
    if setting.startswith("GEOCODER"):
        get_geocoder.cache_clear()


def geocode(address: Address) -> tuple[float, float]:
    """Return ``(latitude, longitude)`` for the address, or raise a ``DomainError``."""
    geocoder = get_geocoder()
    try:
        if isinstance(geocoder, Nominatim):
            # Nominatim understands structured queries and a country filter, which avoids
            # picking a namesake abroad.
            query = {
                key: value
                for key, value in {
                    "street": " ".join(filter(None, (address.first("street1"), address.first("street2")))),
                    "city": address.first("city"),
                    "state": address.first("state"),
                    "postalcode": address.postal_code,
                }.items()
                if value
            }
            found = geocoder.geocode(query, exactly_one=True, country_codes=address.country_code.lower())
        else:
            parts = (
                address.first("street1"),
                address.first("street2"),
                " ".join(filter(None, (address.postal_code, address.first("city")))),
                address.first("state"),
                address.country_code,
            )
            found = geocoder.geocode(", ".join(p for p in parts if p), exactly_one=True)
    except geopy_exc.GeocoderQueryError as error:
        logger.info("Geocoder rejected the query: %s", error)
        raise GeocodingFailed(field="location") from error
    except geopy_exc.GeocoderRateLimited as error:
        logger.warning("Geocoder rate limited us: %s", error)
        raise GeocodingUnavailable(retry_after=error.retry_after) from error
    except geopy_exc.GeopyError as error:
        # Timeouts, outages, quota, bad credentials: the service cannot answer now.
        logger.warning("Geocoder unavailable: %s: %s", type(error).__name__, error)
        raise GeocodingUnavailable() from error
    if found is None:
        raise GeocodingFailed(field="location")
    return found.latitude, found.longitude


@functools.cache
def _time_zone_finder() -> TimezoneFinder:
    return TimezoneFinder()


def resolve_time_zone(latitude: float, longitude: float) -> str:
    """The IANA time zone of a point on land; open sea has none."""
    zone = _time_zone_finder().timezone_at_land(lng=longitude, lat=latitude)
    if zone is None:
        raise TimeZoneResolutionFailed(field="location", arguments={"latitude": latitude, "longitude": longitude})
    return zone

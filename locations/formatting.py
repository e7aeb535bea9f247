"""A one-line postal address in the order the country writes it."""

from __future__ import annotations

# Most of Europe writes "street, postcode city"; these countries put the city first or the
# postcode after it. (Refined per country in the geocoding issue.)
_CITY_BEFORE_POSTCODE = {"GB", "US", "CA", "AU", "IE"}


def formatted_address(
    *,
    country_code: str,
    postal_code: str | None,
    city: str | None,
    state: str | None = None,
    street1: str | None = None,
    street2: str | None = None,
) -> str:
    if country_code in _CITY_BEFORE_POSTCODE:
        locality = " ".join(filter(None, (city, state, postal_code)))
    else:
        locality = " ".join(filter(None, (postal_code, city)))
    return ", ".join(filter(None, (street1, street2, locality, country_code)))

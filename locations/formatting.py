"""A one-line postal address in the order the country writes it.

Each country has a pattern: the address lines from first to last, with the parts they hold.
Lines that end up empty are dropped, the rest are joined with ", " and the country code ends the
line. Japan writes from the largest unit to the smallest (〒postcode prefecture city street) when
the address is in Japanese, and in the western order otherwise.
"""

from __future__ import annotations

import re

_STREET = ("{street1}", "{street2}")
# Postcode before the city on one line: most of continental Europe.
_POSTCODE_CITY = (*_STREET, "{postal_code} {city}")
_PATTERNS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("BE", "DK", "DE", "AT", "CH", "FR", "GR", "NL", "NO", "PL", "SE", "FI", "IT", "PT"), _POSTCODE_CITY),
    "ES": (*_STREET, "{postal_code} {city}", "{state}"),  # the province follows the town
    "GB": (*_STREET, "{city}", "{postal_code}"),  # the postcode on a line of its own
    "IE": (*_STREET, "{city}", "{state}", "{postal_code}"),  # county, then Eircode
    "US": (*_STREET, "{city}", "{state} {postal_code}"),  # "Springfield, IL 62701"
    "CA": (*_STREET, "{city}", "{state} {postal_code}"),
    "AU": (*_STREET, "{city} {state} {postal_code}"),
    "JP": (*_STREET, "{city}", "{state} {postal_code}"),  # in Latin script
}
_DEFAULT = (*_STREET, "{postal_code} {city}", "{state}")
# Japanese script: kana and CJK ideographs.
_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def formatted_address(
    *,
    country_code: str,
    postal_code: str | None,
    city: str | None,
    state: str | None = None,
    street1: str | None = None,
    street2: str | None = None,
) -> str:
    parts = {"postal_code": postal_code, "city": city, "state": state, "street1": street1, "street2": street2}
    parts = {name: (value or "").strip() for name, value in parts.items()}
    if country_code == "JP" and any(_JAPANESE.search(value) for value in parts.values()):
        postal = f"〒{parts['postal_code']}" if parts["postal_code"] else ""
        local = "".join(parts[name] for name in ("state", "city", "street1", "street2"))
        return " ".join(filter(None, (country_code, postal, local)))
    lines = (" ".join(line.format(**parts).split()) for line in _PATTERNS.get(country_code, _DEFAULT))
    return ", ".join(filter(None, (*lines, country_code)))

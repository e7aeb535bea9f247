"""The ten API languages and Accept-Language negotiation for translated properties.

The API speaks ``no`` for Norwegian; Django (and so storage) names it ``nb``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

API_LANGUAGES: tuple[str, ...] = ("da", "de", "el", "en", "es", "fr", "ja", "nl", "no", "pl")
_API_TO_STORAGE = {"no": "nb"}
_STORAGE_TO_API = {v: k for k, v in _API_TO_STORAGE.items()}
STORAGE_LANGUAGES: tuple[str, ...] = tuple(_API_TO_STORAGE.get(code, code) for code in API_LANGUAGES)
# Norwegian is often sent as nb or nn; all mean the one Norwegian the API knows.
_ALIASES = {"nb": "no", "nn": "no"}


def to_storage(api_code: str) -> str:
    return _API_TO_STORAGE.get(api_code, api_code)


def to_api(storage_code: str) -> str:
    return _STORAGE_TO_API.get(storage_code, storage_code)


@dataclass(frozen=True)
class LanguagePreference:
    """What the client asked for: API language codes in order, and whether ``*`` allows a fallback."""

    languages: tuple[str, ...] = ()
    wildcard: bool = True

    def pick(self, values: Mapping[str, str | None], default_language: str | None = None) -> tuple[str, str] | None:
        """Return ``(api_language, value)`` for the first acceptable language that has a value.

        ``values`` maps API language codes to stored values. Without a match and without ``*`` the
        answer is None (the property is ``null``); with ``*`` it falls back to the default
        language, then to any language in API order.
        """
        for language in self.languages:
            if values.get(language):
                return language, values[language]
        if not self.wildcard:
            return None
        candidates: Iterable[str] = ((default_language,) if default_language else ()) + API_LANGUAGES
        for language in candidates:
            if values.get(language):
                return language, values[language]
        return None


_WEIGHT = re.compile(r"^q=(0(\.\d{0,3})?|1(\.0{0,3})?)$")


# Far more than any browser sends (a handful of tags); what is beyond is ignored.
MAX_HEADER_LENGTH = 1024
MAX_TAGS = 32


def parse_accept_language(header: str | None) -> LanguagePreference:
    """Parse an Accept-Language header as the contract reads it.

    Tags may be separated by commas or spaces (the original API's examples send ``en *``) and carry
    ``;q=`` weights; tags are matched on their primary subtag (``fr-BE`` → ``fr``). Tags for other
    languages are ignored. No header at all means "anything", like ``*``.
    """
    if header is None or not header.strip():
        return LanguagePreference()
    weighted: list[tuple[float, int, str]] = []
    # Only the start of a header is read, in linear time whatever it holds (a regular expression
    # around the semicolons took quadratic time on a long run of spaces). Parameters are glued to
    # their tag ("en ; q=0.5" → "en;q=0.5"), then the items split on commas and spaces.
    glued = ";".join(piece.strip() for piece in header[:MAX_HEADER_LENGTH].split(";"))
    items = [item for item in re.split(r"[,\s]+", glued) if item][:MAX_TAGS]
    for position, item in enumerate(items):
        tag, *params = item.split(";")
        weight = 1.0
        for param in params:
            match = _WEIGHT.match(param)
            if match:
                weight = float(match.group(1))
        if weight <= 0 or not tag:
            continue
        weighted.append((-weight, position, tag.lower()))
    languages: list[str] = []
    wildcard = False
    for _, _, tag in sorted(weighted):
        if tag == "*":
            wildcard = True
            continue
        primary = tag.split("-")[0]
        code = _ALIASES.get(primary, primary)
        if code in API_LANGUAGES and code not in languages:
            languages.append(code)
    return LanguagePreference(tuple(languages), wildcard)

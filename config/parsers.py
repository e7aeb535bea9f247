"""The API's JSON parser: DRF's, plus a bound on nesting depth, and orjson where it gives the same
answer.

Python's decoder recurses per nesting level, so a body like ``[[[[…]]]]`` would otherwise end in a
RecursionError (a 500); anything deeper than ``API_MAX_JSON_DEPTH`` is a 400 MALFORMED_JSON.
"""

from __future__ import annotations

import codecs
import io

import orjson
from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding

# Nineteen digits in a row may be an integer beyond 64 bits, which orjson would read as a float
# where Python's decoder keeps it exact (a 422 for the field, not a float silently rounded). Found
# by mapping every digit to "0" and the rest to " " (a regular expression took longer than orjson).
_DIGITS_AS_ZERO = bytes(ord("0") if chr(byte) in "0123456789" else ord(" ") for byte in range(256))
_NINETEEN_DIGITS = b"0" * 19


def json_depth_exceeds(value, limit: int) -> bool:
    """Whether ``value`` nests objects/arrays more than ``limit`` levels deep (iteratively, so
    that checking cannot itself overflow the stack)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _openings_at_most(raw: bytes, limit: int) -> bool:
    """Whether a UTF-8 body has at most ``limit`` ``[`` and ``{`` bytes: then it cannot nest
    deeper than ``limit``, and the walk over the parsed value is spared (nearly every body)."""
    return raw.count(b"[") + raw.count(b"{") <= limit


def _orjson_loads(raw: bytes):
    """``raw`` parsed by orjson, or None where its answer might differ from Python's decoder's:
    integers wider than 64 bits, and whatever orjson refuses (lone surrogates, numbers too large
    for a float, nesting past its own limit, and all malformed JSON, whose error DRF words).
    Where both accept a text they read the same values (a JSON document is never null here: a
    body of ``null`` comes back as None and takes DRF's way, to the same answer)."""
    if _NINETEEN_DIGITS in raw.translate(_DIGITS_AS_ZERO):
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_JSON_DEPTH
        raw = stream.read()
        utf8 = codecs.lookup(get_encoding(parser_context or {})).name == "utf-8"
        data = _orjson_loads(raw) if utf8 else None
        if data is None:
            try:
                data = super().parse(io.BytesIO(raw), media_type, parser_context)
            except RecursionError:
                raise _too_deep(limit) from None
        if not (utf8 and _openings_at_most(raw, limit)) and json_depth_exceeds(data, limit):
            raise _too_deep(limit)
        return data


def _too_deep(limit: int) -> ParseError:
    return ParseError(f"JSON parse error - nested deeper than {limit} levels")

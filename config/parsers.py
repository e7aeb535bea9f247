"""The API's JSON parser: DRF's, plus a bound on nesting depth.

Python's decoder recurses per nesting level, so a body like ``[[[[…]]]]`` would otherwise end in a
RecursionError (a 500); anything deeper than ``API_MAX_JSON_DEPTH`` is a 400 MALFORMED_JSON.
"""

from __future__ import annotations

import codecs
import io

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding


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


def _openings_at_most(raw: bytes, encoding: str, limit: int) -> bool:
    """Whether a UTF-8 body has at most ``limit`` ``[`` and ``{`` bytes: then it cannot nest
    deeper than ``limit``, and the walk over the parsed value is spared (nearly every body)."""
    return codecs.lookup(encoding).name == "utf-8" and raw.count(b"[") + raw.count(b"{") <= limit


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_JSON_DEPTH
        too_deep = ParseError(f"JSON parse error - nested deeper than {limit} levels")
        raw = stream.read()
        try:
            data = super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError:
            raise too_deep from None
        if not _openings_at_most(raw, get_encoding(parser_context or {}), limit) and json_depth_exceeds(data, limit):
            raise too_deep
        return data

"""The API's JSON parser: DRF's, plus a bound on nesting depth.

Python's decoder recurses per nesting level, so a body like ``[[[[…]]]]`` would otherwise end in a
RecursionError (a 500); anything deeper than ``API_MAX_JSON_DEPTH`` is a 400 MALFORMED_JSON.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser


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


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_JSON_DEPTH
        try:
            data = super().parse(stream, media_type, parser_context)
            too_deep = json_depth_exceeds(data, limit)
        except RecursionError:
            too_deep = True
        if too_deep:
            raise ParseError(f"JSON parse error - nested deeper than {limit} levels")
        return data


class ExactContentTypeNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, but a request body must name its type: DRF lets a wildcard Content-Type
    (``*/*``, ``application/*``) match its JSON parser, where the contract answers 415."""

    def select_parser(self, request, parsers):
        if "*" in request.content_type.partition(";")[0]:
            return None  # DRF answers 415 UNSUPPORTED_MEDIA_TYPE
        return super().select_parser(request, parsers)

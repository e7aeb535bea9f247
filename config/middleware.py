"""Request middleware: the correlation id (echoed, generated, in every log line) and the client's
language preference for translated properties."""

from __future__ import annotations

import re
import uuid

from locations.languages import parse_accept_language

from .exceptions import error_json_response
from .log import correlation_id as _correlation_id

HEADER = "X-Correlation-Id"
# 1..36 visible ASCII characters: long enough for a UUID, and safe to write into logs.
_VALID_CORRELATION_ID = re.compile(r"^[\x21-\x7e]{1,36}$")


class CorrelationIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get(HEADER)
        valid = given is not None and _VALID_CORRELATION_ID.match(given)
        correlation_id = given if valid else str(uuid.uuid4())
        token = _correlation_id.set(correlation_id)
        try:
            request.correlation_id = correlation_id
            request.language_preference = parse_accept_language(request.headers.get("Accept-Language"))
            if given is not None and not valid and request.path.startswith("/api/"):
                response = error_json_response(
                    400,
                    "INVALID_HEADER",
                    f"{HEADER} must be 1 to 36 visible ASCII characters",
                    header=HEADER,
                )
            else:
                response = self.get_response(request)
            response[HEADER] = correlation_id
            return response
        finally:
            _correlation_id.reset(token)

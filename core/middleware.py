"""Request middleware: the correlation id (echoed, generated, in every log line), the client's
language preference for translated properties, the body size limit, and no NUL characters."""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.core.exceptions import SuspiciousOperation

from .exceptions import InvalidHeader, LengthRequired, PayloadTooLarge, error_json_response
from .languages import parse_accept_language
from .log import correlation_id as _correlation_id

HEADER = "X-Correlation-Id"
# 1..36 visible ASCII characters: long enough for a UUID, and safe to write into logs.
_VALID_CORRELATION_ID = re.compile(r"^[\x21-\x7e]{1,36}$")


def is_api_request(request) -> bool:
    """API paths answer in the JSON error envelope, never with an HTML page."""
    return request.path.startswith("/api/")


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
            if given is not None and not valid and is_api_request(request):
                response = error_json_response(
                    InvalidHeader(f"{HEADER} must be 1 to 36 visible ASCII characters"), header=HEADER
                )
            else:
                response = self.get_response(request)
            response[HEADER] = correlation_id
            return response
        finally:
            _correlation_id.reset(token)


class ApiBodySizeLimitMiddleware:
    """Refuses an API request whose declared body exceeds ``API_MAX_BODY_SIZE`` with 413, before
    anything reads it, and a chunked one (no declared length) with 411. (DRF's JSON parser reads
    the stream itself, past Django's DATA_UPLOAD_MAX_MEMORY_SIZE check; WSGI servers never hand
    over more than Content-Length.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_api_request(request):
            if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
                return error_json_response(LengthRequired())
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > settings.API_MAX_BODY_SIZE:
                return error_json_response(
                    PayloadTooLarge(f"The request body must not exceed {settings.API_MAX_BODY_SIZE} bytes."),
                    maxBytes=settings.API_MAX_BODY_SIZE,
                )
        return self.get_response(request)


class NoNulCharactersMiddleware:
    """Refuses a request whose path, query or form data holds a NUL character, with 400 (in the
    envelope on API paths). PostgreSQL cannot store or compare text with NUL in it, so any lookup
    that reached it (a filter, an id, a slug, an admin search) answered 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or _holds_nul(request.GET) or _holds_nul(request.POST):
            raise SuspiciousOperation("NUL character in the request")  # Django's 400 handler answers
        return self.get_response(request)


def _holds_nul(data) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in data.lists())

"""The API's one error envelope, ``{"errors": [...]}``, for every non-2xx status.

DRF exceptions, business errors (``DomainError``) and unexpected exceptions all end up here; no
stack trace or framework detail ever reaches a client.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback

from .errors import DomainError

logger = logging.getLogger("config.api")

# The envelope's "type" by HTTP status.
ERROR_TYPES = {
    400: "VALIDATION",
    401: "AUTHENTICATION",
    403: "AUTHORIZATION",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    409: "CONFLICT",
    411: "LENGTH_REQUIRED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "BUSINESS_VALIDATION",
    429: "RATE_LIMIT",
    500: "INTERNAL",
    503: "SERVICE_UNAVAILABLE",
}

# DRF's validation codes, renamed for the API (documented in docs/api.md).
VALIDATION_CODES = {
    "required": "REQUIRED",
    "null": "NOT_NULLABLE",
    "blank": "TOO_SHORT",
    "empty": "TOO_SHORT",
    "min_length": "TOO_SHORT",
    "max_length": "TOO_LONG",
    "min_value": "TOO_SMALL",
    "max_value": "TOO_LARGE",
    "invalid_choice": "INVALID_ENUM",
    "invalid": "INVALID_TYPE",
    "not_a_list": "INVALID_TYPE",
    "not_a_dict": "INVALID_TYPE",
    "max_string_length": "TOO_LARGE",
    "unknown_property": "UNKNOWN_PROPERTY",
    "invalid_format": "INVALID_FORMAT",
    "not_unique": "NOT_UNIQUE",
}
# A DRF validation code that VALIDATION_CODES does not rename.
OTHER_VALIDATION_CODE = "INVALID"

# Codes for DRF's own exceptions.
EXCEPTION_CODES = {
    exceptions.ParseError: "MALFORMED_JSON",
    exceptions.NotAuthenticated: "UNAUTHENTICATED",
    exceptions.AuthenticationFailed: "UNAUTHENTICATED",
    exceptions.PermissionDenied: "FORBIDDEN",
    exceptions.NotFound: "NOT_FOUND",
    exceptions.MethodNotAllowed: "METHOD_NOT_ALLOWED",
    exceptions.NotAcceptable: "NOT_ACCEPTABLE",
    exceptions.UnsupportedMediaType: "UNSUPPORTED_MEDIA_TYPE",
    exceptions.Throttled: "TOO_MANY_REQUESTS",
}


# Failures outside the business rules that the API reports with its own code (``api_code``).
class InvalidHeader(exceptions.APIException):
    status_code = 400
    api_code = "INVALID_HEADER"
    default_detail = "A request header is invalid."


class BadRequest(exceptions.APIException):
    """A request Django refuses before any view (e.g. a Host not in ALLOWED_HOSTS)."""

    status_code = 400
    api_code = "BAD_REQUEST"
    default_detail = "Bad request."


class LengthRequired(exceptions.APIException):
    """A chunked body: Django reads a request body by its Content-Length, and would read none."""

    status_code = 411
    api_code = "LENGTH_REQUIRED"
    default_detail = "Send the request body with a Content-Length header, not chunked."


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    api_code = "PAYLOAD_TOO_LARGE"
    default_detail = "The request body is too large."


class DatabaseUnavailable(exceptions.APIException):
    status_code = 503
    api_code = "DATABASE_UNAVAILABLE"
    default_detail = "The service is temporarily unavailable, please retry later."

    @property
    def wait(self) -> int:
        return settings.DATABASE_RETRY_AFTER


class ConcurrentChange(exceptions.APIException):
    """The database refused a write that the rules allowed when they were checked: a row it
    references was deleted meanwhile. Nothing was written; a retry gets the rules' answer."""

    status_code = 409
    api_code = "CONCURRENT_CHANGE"
    default_detail = "The request conflicted with a concurrent change and was not applied; retry it."


class InternalError(exceptions.APIException):
    status_code = 500
    api_code = "INTERNAL_ERROR"
    default_detail = "An unexpected error occurred"


def error_codes_by_status() -> dict[int, list[str]]:
    """Every error code the API can answer with, by HTTP status: generated from the exception
    classes (``DomainError`` subclasses, API exceptions with an ``api_code``, DRF's own) so that
    the published schema cannot drift from the code."""
    codes: dict[int, set[str]] = defaultdict(set)
    codes[400].update({*VALIDATION_CODES.values(), OTHER_VALIDATION_CODE})
    for cls, code in EXCEPTION_CODES.items():
        codes[cls.status_code].add(code)
    stack = [exceptions.APIException]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if "api_code" in vars(cls):
            codes[cls.status_code].add(cls.api_code)
    for cls in DomainError.all_subclasses():
        codes[cls.status].add(cls.code)
    return {status_code: sorted(found) for status_code, found in sorted(codes.items())}


def error_entry(*, status_code: int, code: str, message: str, arguments: dict[str, Any] | None = None, type: str | None = None) -> dict:
    return {
        "message": str(message),
        "code": code,
        "type": type or ERROR_TYPES.get(status_code, "ERROR"),
        "statusCode": str(status_code),
        "arguments": arguments or {},
    }


def api_exception_entry(exc: exceptions.APIException, **arguments) -> tuple[dict, dict[str, str]]:
    """The envelope entry and the response headers for a DRF (or our own) API exception."""
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        # Retry-After is whole seconds; never tell a client to retry before it may.
        headers["Retry-After"] = str(max(1, math.ceil(exc.wait)))
    code = next(
        (value for cls, value in EXCEPTION_CODES.items() if isinstance(exc, cls)),
        str(exc.default_code).upper(),
    )
    detail = exc.detail if isinstance(exc.detail, str) else exc.default_detail
    entry = error_entry(
        status_code=exc.status_code, code=getattr(exc, "api_code", code), message=detail, arguments=arguments
    )
    return entry, headers


def error_json_response(exc: exceptions.APIException, **arguments) -> JsonResponse:
    """The envelope outside DRF (middleware, Django's 404/500 handlers)."""
    entry, headers = api_exception_entry(exc, **arguments)
    return JsonResponse({"errors": [entry]}, status=exc.status_code, headers=headers)


def oauth_error_response(status: int, error: str, description: str, **headers) -> JsonResponse:
    """The token endpoint's errors: RFC 6749's shape (section 5.2); codes of our own are allowed
    as extensions."""
    return JsonResponse(
        {"error": error, "error_description": description},
        status=status,
        headers={"Cache-Control": "no-store", **headers},
    )


def json_pointer(parts: tuple) -> str:
    """RFC 6901; a lone surrogate (a property name no UTF-8 answer can carry) written as ``\\udXXX``."""
    return "".join(
        "/" + str(part).replace("~", "~0").replace("/", "~1").encode("utf-8", "backslashreplace").decode()
        for part in parts
    )


def validation_violations(detail, path: tuple = ()) -> Iterator[tuple[str, exceptions.ErrorDetail]]:
    """Walk DRF's nested validation errors, yielding ``(json_pointer, error)`` per violation."""
    if isinstance(detail, dict):
        # Object properties, or array items keyed by index; "non_field_errors" concern the value itself.
        for key, value in detail.items():
            yield from validation_violations(value, path if key == api_settings.NON_FIELD_ERRORS_KEY else (*path, key))
    elif isinstance(detail, list):
        for item in detail:
            yield from validation_violations(item, path)
    else:
        yield json_pointer(path), detail


def validation_code(error: exceptions.ErrorDetail) -> str:
    """The API's code for one of DRF's validation errors."""
    return VALIDATION_CODES.get(getattr(error, "code", None), OTHER_VALIDATION_CODE)


def domain_error_entry(error: DomainError) -> dict:
    return error_entry(
        status_code=error.status, code=error.code, message=error.message, arguments=error.arguments, type=error.type
    )


def api_exception_handler(exc: Exception, context: dict) -> Response:
    set_rollback()
    headers = {}
    if isinstance(exc, DomainError):
        if getattr(exc, "retry_after", None):
            headers["Retry-After"] = str(exc.retry_after)
        return Response({"errors": [domain_error_entry(exc)]}, status=exc.status, headers=headers)

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, OperationalError | InterfaceError):
        # The database is down or the connection broke: the client may retry; any transaction
        # of this request has been rolled back, so nothing is half-written.
        logger.error("Database unavailable: %s: %s", type(exc).__name__, exc)
        exc = DatabaseUnavailable()
    elif isinstance(exc, IntegrityError):
        logger.warning("Write refused by the database: %s", exc)
        exc = ConcurrentChange()

    if isinstance(exc, exceptions.ValidationError):
        entries = [
            error_entry(
                status_code=400,
                code=validation_code(error),
                message=error,
                arguments={"pointer": pointer},
            )
            for pointer, error in validation_violations(exc.detail)
        ]
        return Response({"errors": entries}, status=status.HTTP_400_BAD_REQUEST)

    if not isinstance(exc, exceptions.APIException):
        # Anything else is our bug: log it with the request's correlation id, tell the client nothing more.
        view = context.get("view")
        logger.exception("Unhandled error in %s", type(view).__name__ if view else "API")
        exc = InternalError()
    entry, headers = api_exception_entry(exc)
    return Response({"errors": [entry]}, status=exc.status_code, headers=headers)

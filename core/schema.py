"""API-wide parts of the OpenAPI schema (drf-spectacular): the error envelope per status with the
codes it can carry (generated from the exception classes) and the headers every operation shares."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse

from .errors import DomainError
from .exceptions import ERROR_TYPES, error_codes_by_status
from .middleware import HEADER as CORRELATION_HEADER

ERROR_DESCRIPTIONS = {
    400: "The request is malformed: a body that is not JSON or violates the schema (one entry per "
    "violation, `arguments.pointer` locates it), or an invalid parameter or header.",
    401: "No valid access token.",
    403: "The token belongs to another enterprise or lacks the scope.",
    404: "No such enterprise or resource.",
    406: "The Accept header excludes application/json.",
    409: "A request with the same Idempotency-Key is still in progress, or a row the request references "
    "was deleted while it ran (nothing was written): retry.",
    411: "The body was sent chunked: send it with a Content-Length.",
    413: "The request body is larger than the configured limit (1 MiB by default).",
    415: "The body is not application/json.",
    422: "A business rule failed (the first one, in the documented order).",
    429: "Too many requests for this API client; retry after Retry-After seconds.",
    500: "An unexpected error; the correlation id identifies it in the logs.",
    503: "A service we depend on (database, geocoder) is unavailable; retry after Retry-After seconds.",
}
# Response headers by status, besides X-Correlation-Id which every response carries.
_RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer", "minimum": 1}, "description": "Seconds to wait before retrying."}}
ERROR_HEADERS = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "The Bearer challenge."}},
    429: _RETRY_AFTER,
    503: _RETRY_AFTER,
}


# What is refused before the application (gunicorn's limits, config/gunicorn.py): the body is the
# reverse proxy's, the error envelope when it is set up as docs/operations.md shows, or gunicorn's
# own HTML page; so no content is promised.
BEFORE_THE_APP = {
    "414": "The request line is longer than 8,190 bytes (e.g. list filters with many non-ASCII values). "
    "Answered before the application: by the reverse proxy, in the error envelope (URI_TOO_LONG) when "
    "it is set up as the operations guide shows.",
    "431": "A header field is longer than 8,190 bytes, or there are more than 100. Answered before the "
    "application: by the reverse proxy, in the error envelope (HEADERS_TOO_LARGE) when it is set up "
    "as the operations guide shows.",
}


def _envelope_name(status_code: int) -> str:
    return f"Errors{status_code}"


def error_responses(*status_codes: int) -> dict[int, OpenApiResponse]:
    """Responses for these statuses, each the error envelope (see ``add_error_envelopes``)."""
    return {
        code: OpenApiResponse(
            response={"$ref": f"#/components/schemas/{_envelope_name(code)}"}, description=ERROR_DESCRIPTIONS[code]
        )
        for code in status_codes
    }


def _error_types(status_code: int) -> list[str]:
    types = {ERROR_TYPES.get(status_code, "ERROR")}
    types.update(cls.type for cls in DomainError.all_subclasses() if cls.status == status_code)
    return sorted(types)


def _envelope_schema(status_code: int, codes: list[str]) -> dict:
    entry = {
        "type": "object",
        "additionalProperties": False,
        "required": ["message", "code", "type", "statusCode", "arguments"],
        "properties": {
            "message": {"type": "string", "description": "For humans, in the negotiated language when translated."},
            "code": {"type": "string", "enum": codes, "description": "Stable, for programs."},
            "type": {"type": "string", "enum": _error_types(status_code)},
            "statusCode": {"type": "string", "enum": [str(status_code)]},
            "arguments": {"type": "object", "additionalProperties": True, "description": "Details, by code."},
        },
    }
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["errors"],
        "properties": {"errors": {"type": "array", "minItems": 1, "items": entry}},
    }


def add_error_envelopes(result, generator, request, public):
    """Postprocessing hook: the ``Errors<status>`` components with the codes each status can
    carry (generated, so they cannot drift), the headers every operation shares, an explicit
    empty ``security`` on the operations that need no token, and what is refused before the app."""
    catalogue = error_codes_by_status()
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    correlation = {
        "name": CORRELATION_HEADER,
        "in": "header",
        "required": False,
        "schema": {"type": "string", "minLength": 1, "maxLength": 36, "pattern": r"^[\x21-\x7e]{1,36}$"},
        "description": "Echoed on the response; generated when absent; in every log line of the request.",
    }
    language = {
        "name": "Accept-Language",
        "in": "header",
        "required": False,
        "schema": {"type": "string"},
        "description": "Languages for translated properties, e.g. `nl, en;q=0.8` or `en *`.",
    }
    used = set()
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            operation.setdefault("parameters", []).extend([correlation, language])
            operation.setdefault("security", [])  # an operation that needs no token says so
            for status, response in operation.get("responses", {}).items():
                headers = response.setdefault("headers", {})
                headers[CORRELATION_HEADER] = {"schema": {"type": "string"}, "description": "The request's correlation id."}
                if status.isdigit() and int(status) >= 400:
                    used.add(int(status))
                    headers.update(ERROR_HEADERS.get(int(status), {}))
            operation["responses"].update(
                {status: {"description": description} for status, description in BEFORE_THE_APP.items()}
            )
    for status_code in sorted(used):
        schemas[_envelope_name(status_code)] = _envelope_schema(status_code, catalogue.get(status_code, []))
    return result

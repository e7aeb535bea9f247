"""Fallback responses: API paths always answer in the error envelope, never with an HTML page."""

import logging

from django.views import defaults

from .exceptions import error_json_response

logger = logging.getLogger("config.api")


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def api_not_found(request, *args, **kwargs):
    return error_json_response(404, "NOT_FOUND", "No such resource.")


def not_found(request, exception=None):
    if _is_api(request):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return error_json_response(500, "INTERNAL_ERROR", "An unexpected error occurred")
    return defaults.server_error(request)

"""Fallback responses: API paths always answer in the error envelope, never with an HTML page.
And the health check that load balancers probe."""

import logging
import sys

from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.views import defaults
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .exceptions import DatabaseUnavailable, InternalError, error_json_response
from .middleware import is_api_request
from .schema import error_responses

logger = logging.getLogger("config.api")


def api_not_found(request, *args, **kwargs):
    return error_json_response(NotFound("No such resource."))


def not_found(request, exception=None):
    if is_api_request(request):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """Django's 500 handler: called while the uncaught exception is being handled."""
    if is_api_request(request):
        # A database outage met outside a DRF view (whose handler maps it itself), e.g. in a
        # middleware, is still a 503 the client may retry.
        if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
            return error_json_response(DatabaseUnavailable())
        return error_json_response(InternalError())
    return defaults.server_error(request)


class HealthView(APIView):
    """``GET /api/health``: 200 when this app server can query its database, else 503 (so a load
    balancer takes it out of rotation). No authentication, no throttling."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    @extend_schema(
        operation_id="health",
        summary="Health check",
        tags=["health"],
        auth=[],
        responses={
            200: {
                "type": "object",
                "additionalProperties": False,
                "required": ["status"],
                "properties": {"status": {"type": "string", "enum": ["ok"]}},
            },
            **error_responses(400, 503),
        },
    )
    def get(self, request):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except DatabaseError as error:
            logger.error("Health check: database unavailable: %s", error)
            raise DatabaseUnavailable() from error
        return Response({"status": "ok"})

"""Fallback responses: API paths always answer in the error envelope, never with an HTML page.
And the health check that load balancers probe."""

import logging
import sys

from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.urls import reverse
from django.views import csrf, defaults
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .exceptions import BadRequest, DatabaseUnavailable, InternalError, error_json_response, oauth_error_response
from .middleware import is_api_request
from .schema import error_responses

logger = logging.getLogger("config.api")


@csrf_exempt  # an unknown API path is a 404 whatever the method, never a CSRF failure page
def api_not_found(request, *args, **kwargs):
    return error_json_response(NotFound("No such resource."))


def not_found(request, exception=None):
    if is_api_request(request):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


def bad_request(request, exception=None):
    """Django's 400 handler (e.g. a Host header not in ALLOWED_HOSTS, a NUL character)."""
    if is_api_request(request):
        return error_json_response(BadRequest())
    if request.path == reverse("oauth2_token"):
        return oauth_error_response(400, "invalid_request", "Bad request.")
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if is_api_request(request):
        return error_json_response(PermissionDenied())
    return defaults.permission_denied(request, exception)


def csrf_failure(request, reason=""):
    """API views are CSRF-exempt (tokens, not cookies); anything else under /api/ still answers
    in the envelope."""
    if is_api_request(request):
        return error_json_response(PermissionDenied("CSRF verification failed."))
    return csrf.csrf_failure(request, reason)


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

    http_method_names = ["get", "head"]  # no OPTIONS (see AppointmentViewSet)

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

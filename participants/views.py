"""The OAuth2 token endpoint: django-oauth-toolkit's, rate limited, answering in RFC 6749's JSON
whatever goes wrong."""

import logging
import math

from django.conf import settings
from django.db import InterfaceError, OperationalError
from oauth2_provider import views as oauth2_views

from core.exceptions import oauth_error_response
from core.throttling import TokenRequestThrottle, named_client_ids

logger = logging.getLogger(__name__)


class TokenView(oauth2_views.TokenView):
    """``POST /o/token/``, refused with 429 past ``TOKEN_THROTTLE_RATE`` requests per client id and
    address (``TokenRequestThrottle`` says why), before the client's secret is checked."""

    def post(self, request, *args, **kwargs):
        if any("\x00" in client_id for client_id in named_client_ids(request)):
            # PostgreSQL cannot compare text holding NUL (form fields with one are refused before
            # any view; Basic credentials are read here).
            return oauth_error_response(400, "invalid_request", "NUL characters are not allowed.")
        throttle = TokenRequestThrottle()
        try:
            if not throttle.allow_request(request, self):
                seconds = math.ceil(throttle.wait())
                return oauth_error_response(
                    429,
                    "too_many_requests",
                    f"Too many token requests: retry in {seconds} s.",
                    **{"Retry-After": str(seconds)},
                )
            return super().post(request, *args, **kwargs)
        except (OperationalError, InterfaceError) as error:
            logger.error("Token endpoint: database unavailable: %s: %s", type(error).__name__, error)
            return oauth_error_response(
                503,
                "temporarily_unavailable",
                "The service is temporarily unavailable, please retry later.",
                **{"Retry-After": str(settings.DATABASE_RETRY_AFTER)},
            )

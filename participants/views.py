"""The OAuth2 token endpoint: django-oauth-toolkit's, rate limited."""

import math

from django.http import JsonResponse
from oauth2_provider import views as oauth2_views

from core.throttling import TokenRequestThrottle


class TokenView(oauth2_views.TokenView):
    """``POST /o/token/``, refused with 429 past ``TOKEN_THROTTLE_RATE`` requests per client id and
    address (``TokenRequestThrottle`` says why), before the client's secret is checked."""

    def post(self, request, *args, **kwargs):
        throttle = TokenRequestThrottle()
        if not throttle.allow_request(request, self):
            seconds = math.ceil(throttle.wait())
            response = JsonResponse(
                # RFC 6749's error shape; the code is ours, as the RFC allows for extensions.
                {"error": "too_many_requests", "error_description": f"Too many token requests: retry in {seconds} s."},
                status=429,
            )
            response["Retry-After"] = str(seconds)
            response["Cache-Control"] = "no-store"
            return response
        return super().post(request, *args, **kwargs)

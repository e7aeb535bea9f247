"""Per-API-client rate limiting (DRF throttling): ``API_THROTTLE_RATE`` requests per client,
counted in the shared cache; above it, 429 with Retry-After."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class ApiClientRateThrottle(SimpleRateThrottle):
    scope = "api_client"

    def get_rate(self) -> str:
        # Read at request time (DRF reads its rates once at import), so the setting can change.
        return settings.API_THROTTLE_RATE

    def get_cache_key(self, request, view) -> str:
        # Authenticated requests count per OAuth2 client (all its tokens together); only those
        # reach here, since authentication and permissions are checked before throttles.
        client_id = getattr(request.auth, "application_id", None)
        ident = f"client-{client_id}" if client_id else f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

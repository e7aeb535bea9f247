"""Bearer-token authentication for the API, on django-oauth-toolkit's tokens and validator.

DOT's DRF authentication builds a full oauthlib request for every API call (URL, headers and
body parsed again) only to read the ``Authorization`` header. This class reads the header itself
and hands the token to DOT's own validator, so every check stays DOT's (expiry, audience, a client
that is still usable), and loads the token with its client and the client's enterprise in one
query, which spares the tenancy check a query of its own.
"""

import hashlib
from types import SimpleNamespace

from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from oauth2_provider.models import AccessToken
from oauth2_provider.oauth2_validators import OAuth2Validator
from rest_framework.authentication import get_authorization_header


class EnterpriseTokenValidator(OAuth2Validator):
    """DOT's validator; a token comes with its client's enterprise (DOT stores only checksums)."""

    def _load_access_token(self, token):
        checksum = hashlib.sha256(token.encode("utf-8")).hexdigest()
        return (
            AccessToken.objects.select_related("application__enterprise", "user")
            .filter(token_checksum=checksum)
            .first()
        )


class BearerTokenAuthentication(OAuth2Authentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() != b"bearer":
            return None
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            return None
        # The attributes DOT's validator reads and writes on an oauthlib request.
        oauth_request = SimpleNamespace(uri=request.build_absolute_uri())
        if EnterpriseTokenValidator().validate_bearer_token(token, [], oauth_request):
            return oauth_request.user, oauth_request.access_token
        request.oauth2_error = getattr(oauth_request, "oauth2_error", {})
        return None

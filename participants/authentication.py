"""The API's bearer tokens: django-oauth-toolkit's tokens, checked by DOT's validator.

DOT's own DRF authentication builds an oauthlib request from each call's URL, headers and body
(parsing the body too, so that a body of the wrong type was refused before a missing token) only to
read the ``Authorization`` header; this reads the header and hands the token to the validator, so
every check stays DOT's (expiry, scopes, resource, a usable client). The validator loads the token
with its client and the client's enterprise, so that the tenancy check costs no query of its own.

Each app process remembers the tokens it found for ``API_TOKEN_CACHE_SECONDS`` (the ``tokens``
cache), which spares most requests that query (see docs/benchmarks.md). The checks still run on
every request, so an expired token is refused at once; a token, client or enterprise changed
through the ORM is forgotten at once by the process that changed it, and by the others within
that time.
"""

import hashlib

from django.core.cache import caches
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from oauth2_provider.models import AccessToken
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.common import Request as OAuthRequest
from rest_framework.authentication import get_authorization_header

from .models import ApiClient, Enterprise


class EnterpriseTokenValidator(OAuth2Validator):
    """DOT's validator; DOT stores only checksums of tokens."""

    def _load_access_token(self, token):
        checksum = hashlib.sha256(token.encode("utf-8")).hexdigest()
        found = caches["tokens"].get(checksum)
        if found is None:
            found = AccessToken.objects.select_related("application__enterprise").filter(token_checksum=checksum).first()
            if found is not None:
                caches["tokens"].set(checksum, found)
        return found


@receiver(post_save, sender=AccessToken)
@receiver(post_delete, sender=AccessToken)
def _forget_token(instance, **kwargs):
    caches["tokens"].delete(instance.token_checksum)


@receiver(post_save, sender=ApiClient)
@receiver(post_delete, sender=ApiClient)
@receiver(post_save, sender=Enterprise)
@receiver(post_delete, sender=Enterprise)
def _forget_all_tokens(**kwargs):
    """A client or an enterprise changed (rare): its tokens were remembered with the old one."""
    caches["tokens"].clear()


class BearerTokenAuthentication(OAuth2Authentication):
    def authenticate(self, request):
        scheme, _, token = get_authorization_header(request).decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token or " " in token:
            return None
        # The path without its query: oauthlib refuses a query it finds not urlencoded (curl sends
        # "status[]=" as it is), and the token's check needs nothing from it.
        oauth_request = OAuthRequest(request.build_absolute_uri(request.path), http_method=request.method)
        if EnterpriseTokenValidator().validate_bearer_token(token, [], oauth_request):
            return oauth_request.user, oauth_request.access_token
        request.oauth2_error = getattr(oauth_request, "oauth2_error", {})
        return None

"""Bearer-token authentication for the API, on django-oauth-toolkit's tokens and validator.

DOT's DRF authentication builds a full oauthlib request for every API call (URL, headers and
body parsed again) only to read the ``Authorization`` header. This class reads the header itself
and hands the token to DOT's own validator, so every check stays DOT's (expiry, scopes, audience,
a client that is still usable). The token is loaded with its client and the client's enterprise
in one query, which spares the tenancy check a query of its own.

Each app process then keeps the tokens it found for ``API_TOKEN_CACHE_SECONDS``, so that a client's
requests do not each pay that query (with its round trip, the largest cost of authenticating).
The checks still run on every request (an expired token is refused at once); a token deleted or
changed through the ORM is evicted from the process that did it at once, and from the other
processes within that time.
"""

import functools
import hashlib
import threading
import time

from cachetools import TTLCache
from django.conf import settings
from django.core.signals import setting_changed
from django.db import connection
from django.db.models.signals import post_delete, post_save
from django.db.models.sql import Query
from django.dispatch import receiver
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from oauth2_provider.models import AccessToken
from oauth2_provider.oauth2_validators import OAuth2Validator
from rest_framework.authentication import get_authorization_header

from config.instances import loaded

from .models import ApiClient, Enterprise

JOINED = ((AccessToken, "t"), (ApiClient, "c"), (Enterprise, "e"))


@functools.cache
def _token_query() -> tuple[str, list]:
    """SELECT the token's, its client's and its enterprise's columns by the token's checksum, and
    the columns selected. Written once: the ORM compiled this join anew on every request, which
    cost more than the database answering it."""
    quote = connection.ops.quote_name
    columns = [field.get_col(alias) for model, alias in JOINED for field in model._meta.concrete_fields]

    def column(model, name):
        return quote(model._meta.get_field(name).column)

    sql = (
        f"SELECT {', '.join(f'{col.alias}.{quote(col.target.column)}' for col in columns)} "
        f"FROM {quote(AccessToken._meta.db_table)} t "
        f"JOIN {quote(ApiClient._meta.db_table)} c "
        f"ON c.{column(ApiClient, 'id')} = t.{column(AccessToken, 'application')} "
        f"JOIN {quote(Enterprise._meta.db_table)} e "
        f"ON e.{column(Enterprise, 'id')} = c.{column(ApiClient, 'enterprise')} "
        f"WHERE t.{column(AccessToken, 'token_checksum')} = %s"
    )
    return sql, columns


def _converters(columns: list) -> tuple:
    """A compiler and the converters of ``columns``, kept on this thread's connection: finding
    them cost 0.1 ms a request, more than the query's own Python work."""
    found = getattr(connection, "_token_converters", None)
    if found is None:
        compiler = connection.ops.compiler("SQLCompiler")(Query(AccessToken), connection, connection.alias)
        found = connection._token_converters = (compiler, compiler.get_converters(columns))
    return found


class _RecentTokens:
    """Tokens found by this process, by checksum, for ``API_TOKEN_CACHE_SECONDS`` (0: none).
    Bounded, so that many clients cannot grow it without limit; tokens not found are not kept."""

    MAX_TOKENS = 4096
    clock = staticmethod(time.monotonic)  # tests move time forward

    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        seconds = settings.API_TOKEN_CACHE_SECONDS
        tokens = TTLCache(maxsize=self.MAX_TOKENS, ttl=seconds, timer=lambda: self.clock()) if seconds > 0 else None
        with self._lock:
            self._tokens = tokens

    # Each reads the cache once: reset() may swap it (for None, too) between two reads.
    def get(self, checksum: str) -> AccessToken | None:
        if (tokens := self._tokens) is None:
            return None
        with self._lock:
            return tokens.get(checksum)

    def put(self, checksum: str, token: AccessToken) -> None:
        if (tokens := self._tokens) is not None:
            with self._lock:
                tokens[checksum] = token

    def evict(self, checksum: str) -> None:
        if (tokens := self._tokens) is not None:
            with self._lock:
                tokens.pop(checksum, None)


recent_tokens = _RecentTokens()


@receiver(setting_changed)
def _token_cache_setting_changed(setting, **kwargs):
    if setting == "API_TOKEN_CACHE_SECONDS":
        recent_tokens.reset()


@receiver(post_save, sender=AccessToken)
@receiver(post_delete, sender=AccessToken)
def _forget_token(instance, **kwargs):
    recent_tokens.evict(instance.token_checksum)


@receiver(post_save, sender=ApiClient)
@receiver(post_delete, sender=ApiClient)
@receiver(post_save, sender=Enterprise)
@receiver(post_delete, sender=Enterprise)
def _forget_all_tokens(**kwargs):
    """A client or an enterprise changed (rare): its tokens came with the old one."""
    recent_tokens.reset()


class EnterpriseTokenValidator(OAuth2Validator):
    """DOT's validator; a token comes with its client and the client's enterprise. DOT stores
    only checksums of tokens. A token without a client is no API token: it is not found."""

    def _load_access_token(self, token):
        checksum = hashlib.sha256(token.encode("utf-8")).hexdigest()
        found = recent_tokens.get(checksum)
        if found is None:
            found = self._query_access_token(checksum)
            if found is not None:
                recent_tokens.put(checksum, found)
        return found

    def _query_access_token(self, checksum: str) -> AccessToken | None:
        sql, columns = _token_query()
        with connection.cursor() as cursor:
            cursor.execute(sql, [checksum])
            rows = cursor.fetchall()
        if not rows:
            return None
        # The database's values as the ORM would give them (time zones on SQLite, JSON, ...).
        compiler, converters = _converters(columns)
        [row] = compiler.apply_converters(rows, converters)
        values = {alias: {} for _model, alias in JOINED}
        for column, value in zip(columns, row, strict=True):
            values[column.alias][column.target.attname] = value
        instances = {model: loaded(model, **values[alias]) for model, alias in JOINED}
        instances[ApiClient].enterprise = instances[Enterprise]
        instances[AccessToken].application = instances[ApiClient]
        return instances[AccessToken]


class _OAuthRequest:
    """The attributes DOT's validator reads and writes on an oauthlib request. It reads ``uri``
    only for tokens restricted to a resource: built then, not for every request."""

    def __init__(self, request):
        self._request = request

    @functools.cached_property
    def uri(self) -> str:
        return self._request.build_absolute_uri()


class BearerTokenAuthentication(OAuth2Authentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() != b"bearer":
            return None
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            return None
        oauth_request = _OAuthRequest(request)
        if EnterpriseTokenValidator().validate_bearer_token(token, [], oauth_request):
            return oauth_request.user, oauth_request.access_token
        request.oauth2_error = getattr(oauth_request, "oauth2_error", {})
        return None

"""OAuth2 client credentials, scopes and tenancy."""

import base64
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from oauth2_provider import oauth2_validators
from oauth2_provider.models import AccessToken
from rest_framework.test import APIClient

from core.throttling import TokenRequestThrottle
from tests.factories import ApiClientFactory
from tests.support import invite_url, post_invite

RW, RO = settings.SCOPE_READ_WRITE, settings.SCOPE_READ_ONLY


def token_request(client_id, secret, scope=None, basic=True, **environ):
    """``environ``: the request's WSGI environ beyond the test client's (e.g. ``REMOTE_ADDR``)."""
    data = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    client = APIClient(**environ)
    if basic:
        credentials = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        return client.post("/o/token/", data, HTTP_AUTHORIZATION=f"Basic {credentials}")
    return client.post("/o/token/", {**data, "client_id": client_id, "client_secret": secret})


@pytest.mark.parametrize("basic", [True, False])
def test_client_credentials_token_creates_an_invite(acme, basic):
    ApiClientFactory(enterprise=acme.enterprise, client_id="acme-rw", client_secret="s3cret", allowed_scopes=RW)
    response = token_request("acme-rw", "s3cret", RW, basic=basic)
    assert response.status_code == 200, response.content
    token = response.json()
    assert token["token_type"] == "Bearer" and token["scope"] == RW and token["expires_in"] > 0
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token['access_token']}")
    assert post_invite(api, acme.invite_body()).status_code == 201


def test_wrong_secret_gets_no_token(acme):
    ApiClientFactory(enterprise=acme.enterprise, client_id="acme-rw", client_secret="s3cret")
    response = token_request("acme-rw", "wrong", RW)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_read_only_client_cannot_obtain_write_scope(acme):
    ApiClientFactory(enterprise=acme.enterprise, client_id="acme-ro", client_secret="s3cret", allowed_scopes=RO)
    assert token_request("acme-ro", "s3cret", RW).json()["error"] == "invalid_scope"
    assert token_request("acme-ro", "s3cret", RO).json()["scope"] == RO
    assert token_request("acme-ro", "s3cret").json()["scope"] == RO  # default: what it is allowed


def test_without_a_scope_a_token_gets_the_least_privilege(acme):
    ApiClientFactory(enterprise=acme.enterprise, client_id="acme-rw", client_secret="s3cret", allowed_scopes=f"{RW} {RO}")
    assert token_request("acme-rw", "s3cret").json()["scope"] == RO
    ApiClientFactory(enterprise=acme.enterprise, client_id="acme-w", client_secret="s3cret", allowed_scopes=RW)
    assert token_request("acme-w", "s3cret").json()["scope"] == RW  # all it has


def errors(response, status, code):
    assert response.status_code == status, response.content
    (entry,) = response.json()["errors"]
    assert (entry["code"], entry["statusCode"]) == (code, str(status))
    return entry


@pytest.mark.parametrize("authorization", [None, "Bearer nope", "Basic YTpi", "Bearer "])
def test_missing_or_invalid_token_is_a_401(acme, authorization):
    client = APIClient()
    if authorization:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    response = post_invite(client, acme.invite_body())
    assert errors(response, 401, "UNAUTHENTICATED")["type"] == "AUTHENTICATION"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert errors(client.get("/api/enterprises/acme/appointments"), 401, "UNAUTHENTICATED")


def test_expired_token_is_a_401(acme):
    client = ApiClientFactory(enterprise=acme.enterprise)
    AccessToken.objects.create(application=client, token="old", scope=RW, expires=timezone.now() - timedelta(seconds=1))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Bearer old")
    errors(post_invite(api, acme.invite_body()), 401, "UNAUTHENTICATED")


def test_token_is_refused_in_another_enterprise(acme, globex):
    api = globex.api()
    errors(post_invite(api, acme.invite_body()), 403, "FORBIDDEN_ENTERPRISE")
    errors(api.get("/api/enterprises/acme/appointments"), 403, "FORBIDDEN_ENTERPRISE")


def test_unknown_enterprise_is_a_404(acme, api):
    errors(post_invite(api, acme.invite_body(), slug="initech"), 404, "ENTERPRISE_NOT_FOUND")


def test_read_only_token_reads_but_cannot_invite(acme):
    api = acme.api(scope=RO)
    entry = errors(post_invite(api, acme.invite_body()), 403, "INSUFFICIENT_SCOPE")
    assert entry["type"] == "AUTHORIZATION"
    assert api.get("/api/enterprises/acme/appointments").status_code == 200


def test_read_write_token_reads_too(acme, api):
    assert api.get("/api/enterprises/acme/appointments").status_code == 200


def test_token_without_an_appointments_scope_is_refused(acme):
    errors(post_invite(acme.api(scope="other"), acme.invite_body()), 403, "INSUFFICIENT_SCOPE")
    errors(acme.api(scope="other").get("/api/enterprises/acme/appointments"), 403, "INSUFFICIENT_SCOPE")


def test_session_login_does_not_open_the_api(acme, admin_client):
    """The API authenticates only with bearer tokens: a staff session (and its missing CSRF
    token) is no way in."""
    response = admin_client.post(invite_url(), acme.invite_body(), content_type="application/json")
    assert response.status_code == 401


# --- Tokens ------------------------------------------------------------------------------------


def list_appointments(client):
    return client.get("/api/enterprises/acme/appointments")


def test_a_revoked_token_is_refused_at_once(acme, api):
    assert list_appointments(api).status_code == 200
    AccessToken.objects.get().revoke()
    errors(list_appointments(api), 401, "UNAUTHENTICATED")


def test_a_token_expires_on_time(acme, api, monkeypatch):
    token = AccessToken.objects.get()
    assert list_appointments(api).status_code == 200
    later = token.expires + timedelta(seconds=1)
    monkeypatch.setattr("oauth2_provider.models.timezone.now", lambda: later)
    errors(list_appointments(api), 401, "UNAUTHENTICATED")


def test_a_client_moved_to_another_enterprise_loses_the_old_one_at_once(acme, globex, api):
    assert list_appointments(api).status_code == 200
    client = AccessToken.objects.get().application
    client.enterprise = globex.enterprise
    client.save()
    errors(list_appointments(api), 403, "FORBIDDEN_ENTERPRISE")


def test_the_token_and_its_enterprise_cost_one_query(acme, api, django_assert_num_queries):
    with django_assert_num_queries(3):  # the token with its client and enterprise, the page, its count
        assert list_appointments(api).status_code == 200


@pytest.mark.parametrize(("resource", "status"), [("http://testserver/api/", 201), ("https://elsewhere.example/api/", 401)])
def test_a_token_restricted_to_a_resource_works_only_there(acme, resource, status):
    """RFC 8707: the request's own URI is read for such a token (for no other)."""
    client = ApiClientFactory(enterprise=acme.enterprise)
    AccessToken.objects.create(
        application=client, token="bound", scope=RW, expires=timezone.now() + timedelta(hours=1), resource=[resource]
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Bearer bound")
    assert post_invite(api, acme.invite_body()).status_code == status


@pytest.fixture
def throttle_clock(monkeypatch):
    """The token limit's clock, set by the test: a window boundary can't fall between requests."""
    clock = [1_800_000_030.0]  # half a minute into a minute
    monkeypatch.setattr(TokenRequestThrottle, "timer", staticmethod(lambda: clock[0]))
    return clock


def test_token_requests_past_the_limit_are_refused_before_the_secret_is_checked(
    acme, settings, monkeypatch, throttle_clock
):
    ApiClientFactory(enterprise=acme.enterprise, client_id="acme-rw", client_secret="s3cret", allowed_scopes=RW)
    settings.TOKEN_THROTTLE_RATE = "3/min"
    checked = []
    check_password = oauth2_validators.check_password  # django-oauth-toolkit's, spied on

    def counted(*args, **kwargs):
        checked.append(1)
        return check_password(*args, **kwargs)

    monkeypatch.setattr(oauth2_validators, "check_password", counted)
    # Basic credentials and form fields count together, refused requests too.
    assert token_request("acme-rw", "wrong", RW).status_code == 401
    assert token_request("acme-rw", "wrong", RW, basic=False).status_code == 401
    assert token_request("acme-rw", "s3cret", RW).status_code == 200
    assert len(checked) == 3
    for basic in (True, False):
        refused = token_request("acme-rw", "s3cret", RW, basic=basic)
        assert refused.status_code == 429, refused.content
        assert refused.json()["error"] == "too_many_requests"
        assert refused["Retry-After"] == "30"  # the rest of the minute
    assert len(checked) == 3


def test_a_decoy_in_the_basic_credentials_does_not_escape_the_limit(acme, settings, throttle_clock):
    """The body names the real client, which django-oauth-toolkit authenticates; a lower-case
    ``basic`` header names another id each time. Both are counted."""
    ApiClientFactory(enterprise=acme.enterprise, client_id="acme-rw", client_secret="s3cret", allowed_scopes=RW)
    settings.TOKEN_THROTTLE_RATE = "3/min"
    statuses = []
    for attempt in range(6):
        decoy = base64.b64encode(f"decoy-{attempt}:x".encode()).decode()
        response = APIClient().post(
            "/o/token/",
            {"grant_type": "client_credentials", "client_id": "acme-rw", "client_secret": f"guess-{attempt}"},
            HTTP_AUTHORIZATION=f"basic {decoy}",
        )
        statuses.append(response.status_code)
    assert statuses == [401, 401, 401, 429, 429, 429]


@pytest.mark.parametrize("basic", [True, False])
def test_a_nul_character_in_a_client_id_is_a_400_in_oauth2s_format(acme, basic):
    response = token_request("a\x00b", "secret", RW, basic=basic)
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_request"


def test_the_token_limit_counts_per_client_id_and_address(acme, settings, throttle_clock):
    ApiClientFactory(enterprise=acme.enterprise, client_id="acme-rw", client_secret="s3cret", allowed_scopes=RW)
    ApiClientFactory(enterprise=acme.enterprise, client_id="acme-other", client_secret="s3cret", allowed_scopes=RW)
    settings.TOKEN_THROTTLE_RATE = "1/min"
    assert token_request("acme-rw", "s3cret", RW).status_code == 200
    assert token_request("acme-rw", "s3cret", RW).status_code == 429
    assert token_request("acme-other", "s3cret", RW).status_code == 200  # another client, same address
    # A header the caller writes is no other address; another connection's address is.
    assert token_request("acme-rw", "s3cret", basic=False, HTTP_X_FORWARDED_FOR="198.51.100.9").status_code == 429
    assert token_request("acme-rw", "s3cret", basic=False, REMOTE_ADDR="192.0.2.7").status_code == 200


def test_the_token_limit_resets_with_its_window(acme, settings, throttle_clock):
    ApiClientFactory(enterprise=acme.enterprise, client_id="acme-rw", client_secret="s3cret", allowed_scopes=RW)
    settings.TOKEN_THROTTLE_RATE = "1/min"
    assert token_request("acme-rw", "s3cret", RW).status_code == 200
    throttle_clock[0] += 29
    assert token_request("acme-rw", "s3cret", RW).status_code == 429
    throttle_clock[0] += 1  # the next minute
    assert token_request("acme-rw", "s3cret", RW).status_code == 200

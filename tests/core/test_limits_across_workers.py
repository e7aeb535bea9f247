"""Every limit counts once for all the workers of a server (gunicorn with 3 workers, production
settings, requests from 8 threads at once): what a client gets is the configured rate, not the
rate times the workers."""

import pytest

from tests.live_server import (
    StaffLogin, access_token, flood, gunicorn, http, production_env, token_request, wait_for_a_fresh_window,
)


@pytest.fixture(scope="module")
def three_workers():
    env = production_env(
        DATABASE_URL="sqlite:///{workdir}/limits.sqlite3",
        DJANGO_SECURE_SSL_REDIRECT="false",  # plain HTTP on the loopback
        WEB_CONCURRENCY="3",
        TOKEN_THROTTLE_RATE="20/min",
        API_THROTTLE_RATE="20/min",
        AXES_FAILURE_LIMIT="5",
    )
    with gunicorn(env, setup=(("migrate", "-v", "0"), ("seed_demo",))) as server:
        assert len(server.worker_pids()) == 3
        yield server


def test_a_client_gets_20_tokens_a_minute_whichever_worker_answers(three_workers):
    wait_for_a_fresh_window()
    statuses = flood(60, lambda _: token_request(three_workers.url, basic=("acme-read-write", "acme-read-write-demo-secret")))
    assert statuses == {200: 20, 429: 40}


def test_decoy_client_ids_do_not_multiply_the_secret_guesses(three_workers):
    wait_for_a_fresh_window()
    statuses = flood(
        60, lambda i: token_request(three_workers.url, form=("globex-read-write", f"guess-{i}"), decoy=f"decoy-{i}")
    )
    assert statuses == {401: 20, 429: 40}


def test_an_api_client_gets_20_requests_a_minute_whichever_worker_answers(three_workers):
    token = access_token(three_workers.url, "acme-read-only", "acme-read-only-demo-secret")
    wait_for_a_fresh_window()
    statuses = flood(
        60,
        lambda _: http(
            "GET", f"{three_workers.url}/api/enterprises/acme/appointments?limit=1",
            headers={"Authorization": f"Bearer {token}"},
        ).status,
    )
    assert statuses == {200: 20, 429: 40}


def test_staff_logins_lock_after_5_wrong_passwords_whichever_worker_answers(three_workers):
    login = StaffLogin(three_workers.url, "staff")
    # The attempt that reaches the limit is told at once.
    assert flood(30, lambda i: login.attempt(f"wrong-{i}")) == {200: 4, 429: 26}
    assert login.attempt("demo-staff-password") == 429

"""The limits as an attacker meets them, with several workers: how many requests each one lets
through in one window, and what the worst Accept-Language header costs a worker.

Starts gunicorn as `make serve` does (config/gunicorn.py, production settings) with 3 workers on a
throwaway PostgreSQL database (created, seeded with the demo data, dropped afterwards), then sends
each flood from 8 threads at once, so that every worker takes its share:

1. token requests for the demo client `acme-read-write` with wrong secrets in the form, each under
   a decoy `Authorization: basic` header naming another client id: how many reach the secret check;
2. one request with 98 `Accept-Language: a<8000 spaces>b` headers: the workers' CPU time for it,
   against a plain request to the same path (averaged over a few of each);
3. token requests for the other demo client, `acme-read-only`, with its secret: how many get a
   token;
4. wrong passwords for the demo staff login: how many are checked before logging in is locked,
   and whether the right password then still gets in.

    make bench-limits
    .venv/bin/python tools/bench/limits.py --database-url postgres://postgres@127.0.0.1:5432/invites_limits
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import urllib.parse
from http.client import HTTPConnection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.live_server import (  # noqa: E402
    StaffLogin, flood, gunicorn, production_env, throwaway_postgres, token_request, wait_for_a_fresh_window,
)

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/invites_limits"
CLIENT = "acme-read-write"  # the decoys' target
OTHER_CLIENT, OTHER_SECRET = "acme-read-only", "acme-read-only-demo-secret"  # its own budget
TOKEN_RATE, LOGIN_FAILURES = 20, 5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("LIMITS_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--requests", type=int, default=60, help="requests per flood")
    args = parser.parse_args()

    env = production_env(
        DATABASE_URL=args.database_url,
        DJANGO_SECURE_SSL_REDIRECT="false",  # plain HTTP on the loopback
        WEB_CONCURRENCY=str(args.workers),
        TOKEN_THROTTLE_RATE=f"{TOKEN_RATE}/min",
        AXES_FAILURE_LIMIT=str(LOGIN_FAILURES),
        LOG_LEVEL="ERROR",
    )
    with throwaway_postgres(args.database_url), gunicorn(env, setup=(("migrate", "-v", "0"), ("seed_demo",))) as server:
        workers = len(server.worker_pids())
        print(f"gunicorn with {workers} workers on {urllib.parse.urlparse(args.database_url).path.lstrip('/')} "
              f"(PostgreSQL), {args.requests} requests per flood from 8 threads\n")

        wait_for_a_fresh_window()
        decoy = flood(args.requests, lambda i: token_request(server.url, form=(CLIENT, f"guess-{i}"), decoy=f"decoy-{i}"))
        print(f"1. token endpoint, decoy header:  {decoy[401]} of {args.requests} reached the secret check "
              f"in one minute (limit {TOKEN_RATE}/min), {decoy[429]} answered 429  {dict(decoy)}")

        hostile, plain = accept_language_cpu(server)
        print(f"2. Accept-Language, 98 headers of 8,002 characters: {hostile * 1000:.1f} ms of worker CPU "
              f"per request (a plain request: {plain * 1000:.1f} ms)")

        wait_for_a_fresh_window()
        tokens = flood(args.requests, lambda i: token_request(server.url, basic=(OTHER_CLIENT, OTHER_SECRET)))
        print(f"3. token endpoint, one client:    {tokens[200]} of {args.requests} got a token in one minute "
              f"(limit {TOKEN_RATE}/min), {tokens[429]} answered 429  {dict(tokens)}")

        login = StaffLogin(server.url, "staff")
        attempts = flood(args.requests, lambda i: login.attempt(f"wrong-{i}"))
        checked = attempts[200] + (1 if attempts[429] else 0)  # the attempt that reaches the limit is told at once
        right = login.attempt("demo-staff-password")
        print(f"4. staff login:                   {checked} of {args.requests} wrong passwords checked "
              f"(AXES_FAILURE_LIMIT={LOGIN_FAILURES}), {attempts[429]} answered 429; then the right "
              f"password: {right}  {dict(attempts)}")
    return 0


def accept_language_cpu(server, repeat: int = 5) -> tuple[float, float]:
    """Worker CPU seconds per request: with 98 hostile Accept-Language headers, and without."""
    host = urllib.parse.urlparse(server.url)
    hostile = [("Accept-Language", "a" + " " * 8000 + "b")] * 98

    def one(headers) -> float:
        before = server.workers_cpu_seconds()
        connection = HTTPConnection(host.hostname, host.port, timeout=120)
        connection.putrequest("GET", "/api/enterprises/acme/appointments", skip_accept_encoding=True)
        for name, value in headers:  # Host and these: at most gunicorn's 100 header fields
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        response.read()
        assert response.status == 401, response.status  # no token: answered after the parsing
        connection.close()
        time.sleep(0.2)  # the worker's CPU counters catch up
        return server.workers_cpu_seconds() - before

    costs = {"hostile": [], "plain": []}
    for _ in range(repeat):
        costs["hostile"].append(one(hostile))
        costs["plain"].append(one([]))
    return sum(costs["hostile"]) / repeat, sum(costs["plain"]) / repeat


if __name__ == "__main__":
    sys.exit(main())

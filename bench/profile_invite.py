"""Profile the invite request in one process, through the same WSGI application gunicorn serves
(every middleware included), against the benchmark database.

    make bench                      # once: creates and seeds the benchmark database
    .venv/bin/python bench/profile_invite.py --requests 2000 [--sort tottime] [--top 40]
    .venv/bin/py-spy record -o invite.svg -- .venv/bin/python bench/profile_invite.py --no-profile

Prints the mean time per request for the invite and for the benchmark baseline, then the cProfile
table of the invite's CPU time. The numbers are for finding what costs most, not for reporting: `make bench`
measures throughput.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from invite_load import DEFAULT_DB, invite_body, server_environment  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--no-profile", action="store_true", help="only time (e.g. under py-spy)")
    args = parser.parse_args()

    os.environ.update(server_environment(args.database_url))
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command

    out = io.StringIO()
    call_command("seed_demo", "--json", stdout=out)
    demo = json.loads(out.getvalue())
    token = _token(demo)
    application = WSGIHandler()
    invite = _caller(application, "/api/enterprises/acme/appointments/_actions/invite", invite_body(demo), token)
    baseline = _caller(application, "/bench/baseline", {}, None)

    for name, call in (("baseline", baseline), ("invite", invite)):
        for _ in range(50):
            call()
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(args.requests):
            call()
        wall = (time.perf_counter() - started) / args.requests * 1000
        cpu = (time.process_time() - cpu) / args.requests * 1000
        # Wall time includes waiting for PostgreSQL; CPU time is this process's own work.
        print(f"{name:<9} {wall:.3f} ms per request, {cpu:.3f} ms of it CPU")

    if args.no_profile:
        return
    # CPU time, not wall time: waiting for PostgreSQL would otherwise top the table.
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    for _ in range(args.requests):
        invite()
    profile.disable()
    pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)


def _token(demo: dict) -> str:
    from datetime import timedelta

    from django.utils import timezone
    from oauth2_provider.models import AccessToken

    from participants.models import ApiClient

    client = ApiClient.objects.get(client_id=demo["clients"]["readWrite"]["clientId"])
    token = f"profile-{time.time_ns()}"
    AccessToken.objects.create(
        application=client, token=token, scope="engage:appointments:readWrite",
        expires=timezone.now() + timedelta(hours=1),
    )
    return token


def _caller(application, path: str, body: dict, token: str | None):
    payload = json.dumps(body).encode()

    def call():
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8765", "HTTP_HOST": "127.0.0.1:8765",
            "SERVER_PROTOCOL": "HTTP/1.1", "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(payload)),
            "wsgi.input": io.BytesIO(payload), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
            "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
        }
        if token:
            environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        statuses = []
        b"".join(application(environ, lambda status, headers, exc_info=None: statuses.append(status)))
        if not statuses[0].startswith("201"):
            raise SystemExit(f"{path} answered {statuses[0]}")

    return call


if __name__ == "__main__":
    main()

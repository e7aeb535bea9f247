"""Profile the invite request in one process, through the same WSGI application gunicorn serves
(every middleware included), against the benchmark database.

    .venv/bin/python bench/profile_invite.py --requests 2000 [--sort tottime] [--top 40]
    .venv/bin/py-spy record -o invite.svg -- .venv/bin/python bench/profile_invite.py --no-profile
    make bench-instructions         # or: .venv/bin/python bench/profile_invite.py --instructions
    make bench-instructions BENCH_ARGS="--against e91b09c"   # or --breakdown

Prints the mean time per request for the invite and for the benchmark baseline, then the cProfile
table of the invite's CPU time. The numbers are for finding what costs most, not for reporting: `make bench`
measures throughput.

With ``--instructions`` it counts instead the CPU instructions one request executes in this
process, under valgrind (Debian's ``valgrind``), for the baseline and the invite. With the token
cache and the rate-limit window held still, back-to-back runs agree within a hundred
instructions (an hour apart, the baseline's moved by 0.6%), where times on a shared machine move
by a third from minute to minute, so they tell small changes apart; it does not see what the machine adds under load (cache misses,
the database's own CPU). ``--against REV`` counts commit REV's invite too, from a git worktree;
``--breakdown`` counts ``make bench --breakdown``'s steps between the baseline and the invite.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import io
import itertools
import json
import os
import pstats
import re
import runpy
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from invite_load import (  # noqa: E402
    BREAKDOWN, DEFAULT_DB, PATHS, ensure_database, invite_body, manage, server_environment, worktree,
)
# Counted: the requests run inside this C function (itertools.starmap's), which valgrind's
# --toggle-collect switches on; start-up and warm-up are left out.
COUNTED_IN = "starmap_next"
WARM_UP = 50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--requests", type=int, default=None, help="requests measured (default 1000; 200 counted)")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--no-profile", action="store_true", help="only time (e.g. under py-spy)")
    parser.add_argument("--instructions", action="store_true", help="count instructions per request under valgrind")
    parser.add_argument("--against", metavar="REV", help="with --instructions: count commit REV's invite too")
    parser.add_argument("--breakdown", action="store_true", help="with --instructions: count make bench --breakdown's steps too")
    # The process valgrind runs: one endpoint's requests, in the code of the tree given.
    parser.add_argument("--count", choices=PATHS, help=argparse.SUPPRESS)
    parser.add_argument("--tree", default=str(ROOT), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if (args.against or args.breakdown) and not args.instructions:
        parser.error("--against and --breakdown need --instructions")

    os.environ.update(server_environment(args.database_url))
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, args.tree)
    if args.count:
        return run_counted(args.count, args.requests or 200, args.tree)
    ensure_database(args.database_url)
    manage(dict(os.environ), "migrate", "--noinput")
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command

    out = io.StringIO()
    call_command("seed_demo", "--json", stdout=out)
    demo = json.loads(out.getvalue())
    token = _token(demo)
    if args.instructions:
        return count_instructions(args, invite_body(demo), token)
    application = WSGIHandler()
    invite = _caller(application, PATHS["invite"], invite_body(demo), token)
    baseline = _caller(application, PATHS["baseline"], {}, None)
    requests = args.requests or 1000

    for name, call in (("baseline", baseline), ("invite", invite)):
        for _ in range(WARM_UP):
            call()
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(requests):
            call()
        wall = (time.perf_counter() - started) / requests * 1000
        cpu = (time.process_time() - cpu) / requests * 1000
        # Wall time includes waiting for PostgreSQL; CPU time is this process's own work.
        print(f"{name:<9} {wall:.3f} ms per request, {cpu:.3f} ms of it CPU")

    if args.no_profile:
        return
    # CPU time, not wall time: waiting for PostgreSQL would otherwise top the table.
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    for _ in range(requests):
        invite()
    profile.disable()
    pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)


def count_instructions(args, body: dict, token: str) -> None:
    """Run each endpoint's requests in a child process under valgrind and print the instructions
    per request."""
    if not shutil.which("valgrind"):
        sys.exit("valgrind is not installed: `make bench-instructions` installs it (apt-get install valgrind)")
    requests = args.requests or 200
    env = {
        **os.environ, "BENCH_BODY": json.dumps(body), "BENCH_TOKEN": token, "PYTHONHASHSEED": "0",
        # Held still: the token cache and the rate limit's window would expire on the clock, at a
        # different request in each run, and each expiry costs a query or a cache write.
        "API_TOKEN_CACHE_SECONDS": "86400", "API_THROTTLE_RATE": "100000000/day",
    }
    names = ["baseline", "invite", *(BREAKDOWN if args.breakdown else [])]
    counts = {name: _counted(name, requests, ROOT, env) for name in names}
    print(f"\nCPU instructions per request in one process (valgrind; {requests} requests each, "
          f"after {WARM_UP} to warm up; back-to-back runs agree within a hundred):")
    for name in names:
        print(f"{name:<13} {counts[name]:>12,.0f}   {counts[name] / counts['baseline']:.2f} × the baseline's")
    if args.against:
        with worktree(args.against) as other:
            theirs = _counted("invite", requests, other, env)
        print(f"invite of {args.against}  {theirs:>12,.0f}")
        print(f"\nRATIO this tree/{args.against}, instructions per invite: {counts['invite'] / theirs:.3f}")


def _counted(name: str, requests: int, tree: Path, env: dict) -> float:
    with tempfile.TemporaryDirectory() as scratch:
        command = [
            "valgrind", "--tool=callgrind", f"--toggle-collect={COUNTED_IN}",
            f"--callgrind-out-file={scratch}/callgrind.out",
            sys.executable, __file__, "--count", name, "--requests", str(requests), "--tree", str(tree),
        ]
        done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True)
    collected = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode or not collected:
        sys.exit(f"valgrind run of {name} in {tree} failed:\n{done.stderr[-3000:]}")
    return int(collected.group(1)) / requests


def run_counted(name: str, requests: int, tree: str) -> None:
    """The child valgrind runs: warm up, then ``requests`` requests inside ``COUNTED_IN``."""
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler

    api = name != "baseline"
    body = json.loads(os.environ["BENCH_BODY"]) if api else {}
    call = _caller(WSGIHandler(), PATHS[name], body, os.environ["BENCH_TOKEN"] if api else None)
    for _ in range(WARM_UP):
        call()
    # What each of the tree's gunicorn workers does once loaded (config/gunicorn.py), if anything.
    worker_loaded = runpy.run_path(str(Path(tree) / "config" / "gunicorn.py")).get("post_worker_init")
    if worker_loaded is not None:
        worker_loaded(worker=None)
    collections.deque(itertools.starmap(call, itertools.repeat((), requests)), maxlen=0)


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

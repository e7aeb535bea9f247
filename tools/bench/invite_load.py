"""How fast can one small server create invites, and how far is that from what Django and
PostgreSQL can do at all on the same machine?

Starts the production server (gunicorn with config/gunicorn.py: workers sized to the cores) with
the benchmark settings (tools.bench.settings: production's plus the endpoints under /bench/) on
PostgreSQL with the demo data, warms up, then drives invites and the benchmark baseline (one-row
insert, same server and settings) with wrk at concurrency 1, 4 and 16. Prints invites/s and
p50/p95/p99 for both, the ratio invite/baseline, and the SQL queries per invite request with 2 and
10 participants.

    make bench                          # or: .venv/bin/python tools/bench/invite_load.py --duration 10
    make bench BENCH_ARGS=--breakdown   # and two steps between them, at concurrency 4
    make bench BENCH_ARGS="--against REV"   # this tree's invites/s against commit REV's

With ``--breakdown`` two more benchmark endpoints show where the gap lies: ``api-noop`` is the API's
machinery alone (DRF, the token's lookup, the enterprise check, the rate limit; nothing written),
and ``api-write`` adds reading the body as the invite does and the baseline's one-row insert.

With ``--against REV`` it measures only invites/s, this tree's against commit REV's (checked out in
a temporary git worktree; it must have the same migrations): a server per tree with production's
settings (config.settings), each as its own config/gunicorn.py sizes it unless ``--workers`` is
given, on the same database, with invite runs alternating between them; for half the rounds this
tree's server is started first, for the other half REV's. Runs minutes apart compare badly on a
shared machine; side by side, the median of the rounds does not.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import runpy
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from statistics import median

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PYTHON = sys.executable
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/invites_bench"
# What is measured, by name: the invite, the baseline, and --breakdown's steps between them (which
# take the invite's body and token).
PATHS = {
    "invite": "/api/enterprises/acme/appointments/_actions/invite",
    "baseline": "/bench/baseline",
    "api-noop": "/bench/api-noop/acme",
    "api-write": "/bench/api-write/acme",
}
BREAKDOWN = ("api-noop", "api-write")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--duration", type=int, default=5, help="seconds per measurement")
    parser.add_argument(
        "--rounds", type=int, default=None, help="invite/baseline pairs per concurrency (default 3; 8 with --against)"
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--workers", type=int, default=None,
        help="gunicorn workers (default: config/gunicorn.py's, i.e. WEB_CONCURRENCY or cores + 1)",
    )
    parser.add_argument("--concurrency", default="1,4,16")
    parser.add_argument(
        "--breakdown", action="store_true",
        help="at concurrency 4, also measure two steps between baseline and invite: the API's "
        "authentication, enterprise check and rate limit alone (api-noop), and with the body "
        "read as the invite does and the baseline's one-row insert (api-write)",
    )
    parser.add_argument(
        "--against", metavar="REV",
        help="only compare this tree's invites/s at concurrency 4 with commit REV's, served side by side",
    )
    args = parser.parse_args()
    args.rounds = args.rounds or (8 if args.against else 3)
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: `make bench` installs it (apt-get install wrk)")

    env = server_environment(args.database_url)
    ensure_database(args.database_url)
    manage(env, "migrate", "--noinput")
    demo = json.loads(manage(env, "seed_demo", "--json", f"--base-url=http://127.0.0.1:{args.port}"))
    if args.against:
        return compare_trees(args, env, demo)
    args.workers = workers_of(ROOT, args.workers)
    env["WEB_CONCURRENCY"] = str(args.workers)
    queries = query_counts(env)

    server = start_server(env, args.port)
    try:
        base = f"http://127.0.0.1:{args.port}"
        token = fetch_token(demo)
        invite = invite_target(base, demo, token)
        baseline = (f"{base}{PATHS['baseline']}", "{}", "")
        steps = [
            (name, (f"{base}{PATHS[name]}", invite[1], token)) for name in BREAKDOWN
        ] if args.breakdown else []
        for target in (invite, baseline, *(target for _, target in steps)):  # warm up every worker and connection
            wrk(*target, concurrency=16, duration=3)
        results = {}  # (endpoint, concurrency) -> one result per round
        for concurrency in [int(c) for c in args.concurrency.split(",")]:
            for round_ in range(args.rounds):
                pair = [("invite", invite), ("baseline", baseline), *(steps if concurrency == 4 else [])]
                for name, target in pair if round_ % 2 == 0 else reversed(pair):
                    result = measured(server.pid, lambda: wrk(*target, concurrency=concurrency, duration=args.duration))
                    results.setdefault((name, concurrency), []).append(result)
    finally:
        stop_server(server)

    report(results, queries, args)
    runs = [run for rounds in results.values() for run in rounds]
    return 0 if all(r["non_2xx"] == 0 and r["socket_errors"] == 0 for r in runs) else 1


def compare_trees(args, env: dict, demo: dict) -> int:
    """Invites/s of this tree against commit ``args.against``'s, at concurrency 4: one server per
    tree, runs alternating between them, the ratio per round and its median. Only invites are
    measured, so both trees run production's settings: REV needs neither the benchmark app nor
    this layout."""
    with worktree(args.against) as other:
        trees = {"this tree": ROOT, args.against: other}
        env = {**env, "DJANGO_SETTINGS_MODULE": "config.settings"}
        workers = {name: workers_of(tree, args.workers) for name, tree in trees.items()}
        ports = {name: args.port + offset for offset, name in enumerate(trees)}
        rates, errors, token = {name: [] for name in trees}, 0, None
        # The server started second tends to serve a few percent more (a commit against itself
        # shows it): half the rounds start the servers in one order, half in the other.
        for order, rounds in ((list(trees), (args.rounds + 1) // 2), (list(reversed(trees)), args.rounds // 2)):
            servers = {}
            try:
                for name in order:
                    servers[name] = start_server({**env, "WEB_CONCURRENCY": str(workers[name])}, ports[name], trees[name])
                token = token or fetch_token(demo)
                targets = {name: invite_target(f"http://127.0.0.1:{ports[name]}", demo, token) for name in trees}
                for target in targets.values():
                    wrk(*target, concurrency=16, duration=3)  # warm up
                for round_ in range(rounds):
                    for name in order if round_ % 2 == 0 else reversed(order):
                        result = wrk(*targets[name], concurrency=4, duration=args.duration)
                        rates[name].append(result["rate"])
                        errors += result["non_2xx"] + result["socket_errors"]
            finally:
                for server in servers.values():
                    stop_server(server)
    this, that = rates["this tree"], rates[args.against]
    ratios = [a / b for a, b in zip(this, that)]
    print(f"\nInvites/s at concurrency 4, {args.rounds} alternating rounds of {args.duration} s, medians:")
    print(f"this tree ({workers['this tree']} workers): {median(this):.1f}; "
          f"{args.against} ({workers[args.against]} workers): {median(that):.1f}; errors: {errors}")
    print(f"\nRATIO this tree/{args.against}: {median(ratios):.2f} (rounds: {', '.join(f'{r:.2f}' for r in ratios)})")
    return 0 if errors == 0 else 1


@contextlib.contextmanager
def worktree(rev: str):
    """Commit ``rev`` checked out in a temporary git worktree beside this tree, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="bench-against-"))
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), rev], check=True, capture_output=True)
    try:
        yield path
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)], capture_output=True)


def workers_of(tree: Path, workers: int | None) -> int:
    """``workers``, or as many as ``tree``'s config/gunicorn.py starts (WEB_CONCURRENCY, or its default)."""
    return workers if workers is not None else runpy.run_path(str(tree / "config" / "gunicorn.py"))["workers"]


def server_environment(database_url: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "benchmark-only-secret-key-not-for-production-use-0123456789",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Production's settings plus the benchmark app (migrated too) and its endpoints.
        "DJANGO_SETTINGS_MODULE": "tools.bench.settings",
        # The benchmark measures the server, not TLS or the per-client rate limit.
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "API_THROTTLE_RATE": "100000000/min",
    }


def ensure_database(url: str) -> None:
    import psycopg

    name = urllib.parse.urlparse(url).path.lstrip("/")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def manage(env: dict, *command: str) -> str:
    return subprocess.run(
        [PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout


def query_counts(env: dict) -> dict:
    """SQL queries of one whole API invite request, with 2 and with 10 participants."""
    out = subprocess.run(
        [PYTHON, str(HERE / "invite_queries.py")], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out)


def start_server(env: dict, port: int, tree: Path = ROOT) -> subprocess.Popen:
    """gunicorn as ``make serve`` runs it (config/gunicorn.py), on ``port``, with ``tree``'s code."""
    log = open(ROOT / "var" / f"bench-gunicorn-{port}.log", "w") if (ROOT / "var").is_dir() else subprocess.DEVNULL
    server = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi", "--log-level", "warning"],
        cwd=tree, env={**env, "HOST": "127.0.0.1", "PORT": str(port)}, stdout=log, stderr=log,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/", timeout=1)
        except urllib.error.HTTPError:
            return server  # it answers (404 in the envelope)
        except OSError:
            time.sleep(0.3)
    server.kill()
    sys.exit("gunicorn did not start")


def stop_server(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)


def fetch_token(demo: dict) -> str:
    client = demo["clients"]["readWrite"]
    data = urllib.parse.urlencode({
        "grant_type": "client_credentials", "client_id": client["clientId"],
        "client_secret": client["clientSecret"], "scope": "engage:appointments:readWrite",
    }).encode()
    with urllib.request.urlopen(demo["tokenUrl"], data=data, timeout=10) as response:
        return json.load(response)["access_token"]


def invite_target(base: str, demo: dict, token: str) -> tuple[str, str, str]:
    """wrk's URL, body and token for the benchmark's invite on the server at ``base``."""
    return f"{base}{PATHS['invite']}", json.dumps(invite_body(demo)), token


def invite_body(demo: dict) -> dict:
    """A realistic invite: two participants, every reference, a location with coordinates."""
    return {
        "subjectId": demo["subjects"][0], "officeId": demo["offices"][0], "meetingType": "ON_LOCATION",
        "appointmentParticipants": [
            {"role": "PRIMARY", "participantId": demo["employees"][0], "type": "EMPLOYEE"},
            {"role": "PRIMARY", "participantId": demo["customers"][0], "type": "CUSTOMER"},
        ],
        "callbackRequestId": demo["callbackRequests"][0], "listingId": demo["listings"][0],
        "leadSegmentId": demo["leadSegments"][0],
        "location": {
            "countryCode": "BE", "postalCode": "9000", "geolocation": {"latitude": 51.0479, "longitude": 3.6912},
            "translations": {"city": [{"language": "en", "value": "Ghent"}, {"language": "nl", "value": "Gent"}],
                             "street1": [{"language": "nl", "value": "Korenmarkt 1"}]},
        },
        "externalId": "BENCH", "hybrid": False, "trailingBufferTime": 15, "message": "See you soon",
    }


def measured(server_pid: int, run) -> dict:
    """``run()``'s wrk result, with the CPU seconds per request it cost the app server (gunicorn's
    master and workers), PostgreSQL (all its processes) and wrk itself; None where /proc is
    unreadable."""
    before = cpu_seconds(server_pid)
    result = run()
    after = cpu_seconds(server_pid)
    requests = max(result["requests"], 1)
    for part in ("app", "database", "wrk"):
        result[f"{part}_cpu_ms"] = (
            None if before is None or after is None else (after[part] - before[part]) / requests * 1000
        )
    return result


def cpu_seconds(server_pid: int) -> dict | None:
    """CPU seconds so far of the app server's processes, PostgreSQL's processes, and this
    process's finished children (wrk)."""
    tick = os.sysconf("SC_CLK_TCK")
    totals = {"app": 0.0, "database": 0.0}
    try:
        pids = [name for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return None
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                command, _, rest = stat.read().rpartition(")")
        except OSError:
            continue  # gone meanwhile
        fields = rest.split()
        parent, used = int(fields[1]), (int(fields[11]) + int(fields[12])) / tick
        if int(pid) == server_pid or parent == server_pid:
            totals["app"] += used
        elif command.endswith("(postgres"):
            totals["database"] += used
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    totals["wrk"] = children.ru_utime + children.ru_stime
    return totals


def wrk(url: str, body: str, token: str, *, concurrency: int, duration: int) -> dict:
    out = subprocess.run(
        ["wrk", "--threads", str(min(concurrency, os.cpu_count() or 1)), "--connections", str(concurrency),
         "--duration", f"{duration}s", "--timeout", "10s", "--script", str(HERE / "wrk_post.lua"), url],
        env={**os.environ, "BENCH_BODY": body, "BENCH_TOKEN": token}, check=True, capture_output=True, text=True,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["rate"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def report(results: dict, queries: dict, args) -> None:
    print(f"\nInvite benchmark: gunicorn, {args.workers} sync workers, PostgreSQL, wrk; per concurrency "
          f"{args.rounds} rounds of {args.duration} s per endpoint, medians over the rounds\n")
    print(f"{'endpoint':<13} {'conc.':>5} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'p99/p50':>8} "
          f"{'errors':>7}   CPU ms per request: app / database / wrk")
    order = ["invite", *reversed(BREAKDOWN), "baseline"]
    for (name, concurrency), rounds in sorted(results.items(), key=lambda item: (item[0][1], order.index(item[0][0]))):
        m = {key: median([r[key] for r in rounds]) for key in ("rate", "p50_us", "p95_us", "p99_us")}
        errors = sum(r["non_2xx"] + r["socket_errors"] for r in rounds)
        cpu = " / ".join(
            "n/a" if any(r[f"{part}_cpu_ms"] is None for r in rounds) else f"{median([r[f'{part}_cpu_ms'] for r in rounds]):.2f}"
            for part in ("app", "database", "wrk")
        )
        print(f"{name:<13} {concurrency:>5} {m['rate']:>9.1f} {m['p50_us'] / 1000:>8.2f} {m['p95_us'] / 1000:>8.2f} "
              f"{m['p99_us'] / 1000:>8.2f} {m['p99_us'] / max(m['p50_us'], 1):>8.1f} {errors:>7}   {cpu}")
    print(f"\nSQL queries per invite request: 2 participants = {queries['2']}, 10 participants = {queries['10']}")
    # Every (endpoint, concurrency) measured beside the baseline, invite first: its ratio per round.
    compared = sorted(
        (key for key in results if key[0] != "baseline"), key=lambda key: (key[0] != "invite", key[0], key[1])
    )
    ratios = {}
    for name, concurrency in compared:
        per_round = [r["rate"] / b["rate"] for r, b in zip(results[name, concurrency], results["baseline", concurrency])]
        ratios[name, concurrency] = per_round
        print(f"{name}/baseline throughput at concurrency {concurrency}: {median(per_round):.2f} "
              f"(rounds: {', '.join(f'{r:.2f}' for r in per_round)})")
    if ("invite", 4) in ratios:
        invite = ratios["invite", 4]
        print(f"\nRATIO invite/baseline at concurrency 4: {median(invite):.2f} "
              f"(range {min(invite):.2f}-{max(invite):.2f})")


if __name__ == "__main__":
    sys.exit(main())

"""Fuzz the API with schemathesis against live servers: ``python -m tests.fuzz [postgresql] [sqlite]``
(both when none is named).

For each database: a throwaway production-like server (gunicorn, DEBUG off) on a fresh database
seeded with the demo data, a local Nominatim-speaking geocoder (no internet), a token for the demo
read-write client, and schemathesis with every check (``--checks all``), positive and negative
data, in each of its phases: the schema's examples, coverage of its boundaries, fuzzing, and
stateful sequences that follow the schema's links from a created invite to its reads. PostgreSQL
runs on the database FUZZ_DATABASE_URL names (default ``invites_fuzz``), created here and dropped
afterwards; SQLite on a file in a temporary directory. Schemathesis's settings, and why each one:
tests/fuzz/schemathesis.toml.

Bounded: FUZZ_MAX_EXAMPLES cases per operation and phase (default 100), and FUZZ_MAX_SECONDS per
database (default 180) as a backstop. Prints ``fuzz (<database>): N passed, M failed`` for each
database, and exits non-zero on any failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.geocoder_server import FakeNominatim
from tests.live_server import BIN, ROOT, access_token, gunicorn, production_env, throwaway_postgres

DATABASES = {
    "postgresql": os.environ.get("FUZZ_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/invites_fuzz"),
    "sqlite": "sqlite:///{workdir}/fuzz.sqlite3",
}


def main(names: list[str]) -> int:
    unknown = set(names) - DATABASES.keys()
    if unknown:
        sys.exit(f"unknown database {', '.join(sorted(unknown))}: name postgresql or sqlite")
    results = {name: fuzz(name) for name in names or DATABASES}
    # Closing lines CI can read, one per database.
    for name, (passed, failed) in results.items():
        print(f"fuzz ({name}): {passed} passed, {failed} failed")
    return 1 if any(failed for _, failed in results.values()) else 0


def fuzz(database: str) -> tuple[int, int]:
    """Schemathesis against a fresh server on ``database``: (cases passed, cases failed)."""
    print(f"== fuzzing on {database}", flush=True)
    url = DATABASES[database]
    geocoder = FakeNominatim().start()
    geocoder.answer(51.0543, 3.7214, "Ghent")
    env = production_env(
        DATABASE_URL=url,
        DJANGO_SECURE_SSL_REDIRECT="false",  # plain HTTP on the loopback
        GEOCODER="nominatim",
        GEOCODER_DOMAIN=geocoder.domain,
        GEOCODER_SCHEME="http",
        LOG_LEVEL="WARNING",
        WEB_CONCURRENCY="2",
        API_THROTTLE_RATE="1000000/min",  # the fuzzer's pace is not a client's: no 429 in the way
    )
    database_of_its_own = throwaway_postgres(url) if database == "postgresql" else contextlib.nullcontext()
    try:
        with (
            database_of_its_own,
            gunicorn(env, setup=(("migrate", "-v", "0"), ("seed_demo", "--json"))) as server,
            tempfile.TemporaryDirectory(prefix="invites-fuzz-") as workdir,
        ):
            token = access_token(server.url, "acme-read-write", "acme-read-write-demo-secret")
            report = Path(workdir) / "report.json"
            command = [
                str(BIN / "schemathesis"),
                "--config-file", str(Path(__file__).with_name("schemathesis.toml")),
                "run", f"{server.url}/api/schema/?format=json",
                "--url", server.url,
                "--header", f"Authorization: Bearer {token}",
                "--checks", "all",
                "--mode", "all",  # positive and negative data
                "--phases", "examples,coverage,fuzzing,stateful",
                "--max-examples", os.environ.get("FUZZ_MAX_EXAMPLES", "100"),
                # One worker: CPython 3.11 can fail parsing source in two threads at once
                # ("AST constructor recursion depth mismatch" inside hypothesis).
                "--workers", "1",
                "--seed", os.environ.get("FUZZ_SEED", "7"),
                "--request-timeout", "15",
                "--report", "json", "--report-json-path", str(report),
                "--no-color",
            ]
            try:
                result = subprocess.run(
                    command, cwd=ROOT, text=True, capture_output=True,
                    timeout=int(os.environ.get("FUZZ_MAX_SECONDS", "180")),
                )
            except subprocess.TimeoutExpired as timeout:
                print(f"schemathesis did not finish within {timeout.timeout} s")
                return 0, 1
            print(result.stdout[-20000:], result.stderr[-5000:], sep="\n")
            if result.returncode:
                print(server.log()[-20000:])  # the server's side of any failure
            cases = json.loads(report.read_text())["test_cases"] if report.exists() else {}
    finally:
        geocoder.shutdown()
    generated, failed = cases.get("generated", 0), cases.get("with_failures", 0) + cases.get("errored", 0)
    if result.returncode and not failed:
        failed = 1  # it failed without a case to show for it (e.g. the schema did not load)
    return generated - failed, failed


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

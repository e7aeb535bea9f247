"""Fuzz the API with schemathesis against a live server: ``python -m tests.fuzz``.

Starts a throwaway production-like server (gunicorn, DEBUG off) on a fresh SQLite database seeded
with the demo data, a local Nominatim-speaking geocoder (no internet), gets a token for the demo
read-write client, and runs schemathesis with the checks not_a_server_error,
response_schema_conformance and status_code_conformance. Bounded: FUZZ_MAX_EXAMPLES cases per
operation and phase (default 100), and FUZZ_MAX_SECONDS (default 150) as a backstop. Exits non-zero
on any failure and prints how many cases ran.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.geocoder_server import FakeNominatim
from tests.live_server import BIN, ROOT, access_token, gunicorn, production_env

CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance"


def main() -> int:
    max_examples = os.environ.get("FUZZ_MAX_EXAMPLES", "100")
    max_seconds = os.environ.get("FUZZ_MAX_SECONDS", "150")
    geocoder = FakeNominatim().start()
    geocoder.answer(51.0543, 3.7214, "Ghent")
    env = production_env(
        DATABASE_URL="sqlite:///{workdir}/fuzz.sqlite3",
        DJANGO_SECURE_SSL_REDIRECT="false",  # plain HTTP on the loopback
        GEOCODER="nominatim",
        GEOCODER_DOMAIN=geocoder.domain,
        GEOCODER_SCHEME="http",
        LOG_LEVEL="WARNING",
        WEB_CONCURRENCY="2",
    )
    try:
        with gunicorn(env, setup=(("migrate", "-v", "0"), ("seed_demo", "--json"))) as server:
            token = access_token(server.url, "acme-read-write", "acme-read-write-demo-secret")
            command = [
                str(BIN / "schemathesis"),
                "--config-file", str(Path(__file__).with_name("schemathesis.toml")),
                "run", f"{server.url}/api/schema/?format=json",
                "--url", server.url,
                "--header", f"Authorization: Bearer {token}",
                "--checks", CHECKS,
                "--max-examples", max_examples,
                # One worker: CPython 3.11 can fail parsing source in two threads at once
                # ("AST constructor recursion depth mismatch" inside hypothesis).
                "--workers", "1",
                "--seed", os.environ.get("FUZZ_SEED", "7"),
                "--request-timeout", "15",
                "--no-color",
            ]
            # The case count is bounded by --max-examples; the timeout is a backstop for CI.
            result = subprocess.run(command, cwd=ROOT, text=True, capture_output=True, timeout=int(max_seconds))
            print(result.stdout[-20000:], result.stderr[-5000:], sep="\n")
            if result.returncode:
                print(server.log()[-20000:])  # the server's side of any failure
    finally:
        geocoder.shutdown()
    generated = re.search(r"(\d+) generated", result.stdout)
    found = re.search(r"(\d+) found", result.stdout)  # "N generated, M found K unique failures"
    cases = int(generated.group(1)) if generated else 0
    failed = (int(found.group(1)) if found else 1) if result.returncode else 0
    # A closing line CI can read.
    print(f"fuzz: {cases - failed} passed, {failed} failed")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())

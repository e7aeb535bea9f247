"""Fuzz the API with schemathesis against a live server: ``python -m tests.fuzz``.

Starts a throwaway production-like server (gunicorn, DEBUG off) on a fresh SQLite database seeded
with the demo data, a local Nominatim-speaking geocoder (no internet), gets a token for the demo
read-write client, and runs schemathesis with the checks not_a_server_error,
response_schema_conformance and status_code_conformance. Bounded: FUZZ_MAX_EXAMPLES cases per
operation and phase (default 100), and FUZZ_MAX_SECONDS (default 150) as a backstop. Exits non-zero
on any failure and prints how many cases ran.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.geocoder_server import FakeNominatim

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(base: str, server: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the server exited during start-up")
        try:
            with urllib.request.urlopen(f"{base}/api/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not become healthy")


def access_token(base: str, client_id: str, secret: str) -> str:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    request = urllib.request.Request(
        f"{base}/o/token/",
        data=b"grant_type=client_credentials&scope=engage:appointments:readWrite",
        headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["access_token"]


def main() -> int:
    max_examples = os.environ.get("FUZZ_MAX_EXAMPLES", "100")
    max_seconds = os.environ.get("FUZZ_MAX_SECONDS", "150")
    geocoder = FakeNominatim().start()
    geocoder.answer(51.0543, 3.7214, "Ghent")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="invites-fuzz-") as workdir:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{workdir}/fuzz.sqlite3",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "false",  # plain HTTP on the loopback
            "GEOCODER": "nominatim",
            "GEOCODER_DOMAIN": geocoder.domain,
            "GEOCODER_SCHEME": "http",
            "LOG_LEVEL": "WARNING",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "WEB_CONCURRENCY": "2",
        }
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True)
        subprocess.run([*manage, "seed_demo", "--json"], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "config/gunicorn.py", "config.wsgi"], env=env, cwd=ROOT
        )
        try:
            wait_until_healthy(base, server)
            token = access_token(base, "acme-read-write", "acme-read-write-demo-secret")
            command = [
                str(BIN / "schemathesis"),
                "--config-file", str(Path(__file__).with_name("schemathesis.toml")),
                "run", f"{base}/api/schema/?format=json",
                "--url", base,
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
            cases = re.search(r"(\d+) generated", result.stdout)
            print(f"fuzz: schemathesis exit code {result.returncode}; generated cases: {cases.group(1) if cases else '?'}")
            return result.returncode
        finally:
            server.terminate()
            server.wait(timeout=30)
            geocoder.shutdown()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())

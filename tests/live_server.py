"""A real app server in a subprocess (gunicorn with config/gunicorn.py, as `make serve` runs it),
for what only a separate process shows: production settings, a database that is down at start."""

from __future__ import annotations

import base64
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(**overrides) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "LOG_")) and key != "PYTEST_CURRENT_TEST"
    }
    env.update(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        WEB_CONCURRENCY="1",
    )
    env.update(overrides)
    return env


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


def http(method: str, url: str, body: bytes | None = None, headers: dict | None = None) -> HttpResponse:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=20) as response:
            return HttpResponse(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return HttpResponse(error.code, dict(error.headers), error.read())


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def access_token(base: str, client_id: str, secret: str, **headers) -> str:
    """A client-credentials token from the server's /o/token/."""
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    response = http(
        "POST", f"{base}/o/token/", b"grant_type=client_credentials",
        headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded", **headers},
    )
    assert response.status == 200, response.body
    return response.json()["access_token"]


@dataclass
class LiveServer:
    url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text()


@contextmanager
def gunicorn(env: dict[str, str], *, setup: tuple[tuple[str, ...], ...] = ()):
    """Serve the project with ``env`` after running the ``manage.py`` commands in ``setup``;
    yields a LiveServer once it answers HTTP at all."""
    port = free_port()
    env = {**env, "HOST": "127.0.0.1", "PORT": str(port)}
    with tempfile.TemporaryDirectory(prefix="invites-live-") as workdir:
        env = {key: value.replace("{workdir}", workdir) for key, value in env.items()}
        for command in setup:
            subprocess.run(
                [sys.executable, "manage.py", *command], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL
            )
        log_path = Path(workdir) / "server.log"
        with open(log_path, "w") as log:
            server = subprocess.Popen(
                [str(BIN / "gunicorn"), "-c", "config/gunicorn.py", "config.wsgi"],
                env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                assert server.poll() is None, log_path.read_text()
                try:
                    http("GET", f"{url}/api/health")
                    break
                except OSError:
                    assert time.monotonic() < deadline, log_path.read_text()
                    time.sleep(0.2)
            yield LiveServer(url=url, log_path=log_path)
        finally:
            server.terminate()
            server.wait(timeout=30)

"""A real app server in a subprocess (gunicorn with config/gunicorn.py, as `make serve` runs it),
for what only a separate process shows: production settings, a database that is down at start."""

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
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
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
    pid: int  # gunicorn's master process

    def log(self) -> str:
        return self.log_path.read_text()

    def worker_pids(self) -> list[int]:
        """The worker processes (the master's children), from /proc."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:  # gone meanwhile
                continue
            if int(fields[1]) == self.pid:
                children.append(int(stat.parent.name))
        return children

    def workers_cpu_seconds(self) -> float:
        """CPU time (user and system) the workers have used so far, together."""
        ticks = 0
        for pid in self.worker_pids():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
        return ticks / os.sysconf("SC_CLK_TCK")


@contextmanager
def throwaway_postgres(url: str):
    """A new, empty PostgreSQL database at ``url`` (dropped first if a previous run left it), dropped
    afterwards; yields the url."""
    import psycopg

    name = urllib.parse.urlparse(url).path.lstrip("/")
    server = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url
    finally:
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
            yield LiveServer(url=url, log_path=log_path, pid=server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)


def wait_for_a_fresh_window(needed: float = 20) -> None:
    """Counts of one minute: start the flood with enough of the minute left."""
    left = 60 - time.time() % 60
    if left < needed:
        time.sleep(left + 0.5)


def flood(count: int, request) -> Counter:
    """``request(i)`` for i in 0..count-1 from 8 threads at once, so that every worker of a server
    takes its share; how many answered each status."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        return Counter(pool.map(request, range(count)))


def token_request(
    base: str, *, basic: tuple[str, str] | None = None, form: tuple[str, str] | None = None, decoy: str | None = None
) -> int:
    """A client-credentials token request's status: the client id and secret in HTTP Basic
    credentials, or in the form; ``decoy``, a client id named in a lower-case ``basic`` header."""
    fields = {"grant_type": "client_credentials"}
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if basic is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(":".join(basic).encode()).decode()
    if form is not None:
        fields.update(client_id=form[0], client_secret=form[1])
    if decoy is not None:
        headers["Authorization"] = "basic " + base64.b64encode(f"{decoy}:x".encode()).decode()
    return http("POST", f"{base}/o/token/", urllib.parse.urlencode(fields).encode(), headers).status


class StaffLogin:
    """The back office's login form, with its CSRF cookie and token."""

    def __init__(self, base: str, username: str):
        self.username = username
        self.url = f"{base}/accounts/login/"
        page = http("GET", self.url)
        self.cookie = re.search(r"csrftoken=([^;]+)", page.headers["Set-Cookie"]).group(1)
        self.token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1).decode()

    def attempt(self, password: str) -> int:
        body = urllib.parse.urlencode({"username": self.username, "password": password, "csrfmiddlewaretoken": self.token})
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={self.cookie}"}
        return http("POST", self.url, body.encode(), headers).status

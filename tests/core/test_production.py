"""Production settings: the deploy checks pass, security headers are sent, logs are JSON with the
correlation id, and the health check reports the database."""

import json
import runpy
import secrets
import subprocess
import sys
import urllib.parse

import pytest

from participants.models import Enterprise
from tests.live_server import ROOT, access_token, gunicorn, http, production_env

HTTPS = {"X-Forwarded-Proto": "https"}  # as the TLS-terminating reverse proxy sets it


def deploy_check(**env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=production_env(**env), cwd=ROOT, capture_output=True, text=True,
    )


def test_check_deploy_passes_with_the_three_production_variables():
    result = deploy_check(DJANGO_ALLOWED_HOSTS="invites.example.com")
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_fails_with_debug_on():
    result = deploy_check(DJANGO_DEBUG="true")
    assert result.returncode != 0
    assert "security.W018" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = production_env()
    del env["DJANGO_SECRET_KEY"]
    result = subprocess.run([sys.executable, "manage.py", "check"], env=env, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_health_check_without_credentials(client, db):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.fixture(scope="module")
def production_server():
    env = production_env(
        DATABASE_URL="sqlite:///{workdir}/prod.sqlite3", DJANGO_BEHIND_PROXY="true", LOG_FORMAT="json"
    )
    with gunicorn(env, setup=(("migrate", "-v", "0"), ("seed_demo", "--json"))) as server:
        yield server


def test_https_is_enforced_with_security_headers(production_server):
    plain = http("GET", f"{production_server.url}/api/enterprises/acme/appointments")
    assert plain.status == 301
    assert plain.headers["Location"].startswith("https://")

    secure = http("GET", f"{production_server.url}/api/health", headers=HTTPS)
    assert secure.status == 200
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert secure.headers["X-Content-Type-Options"] == "nosniff"
    assert secure.headers["Referrer-Policy"] == "same-origin"


def test_the_health_check_is_not_redirected_for_plain_http_probes(production_server):
    assert http("GET", f"{production_server.url}/api/health").status == 200


def test_api_errors_are_json_with_debug_off(production_server):
    missing = http("GET", f"{production_server.url}/api/nothing-here", headers=HTTPS)
    assert missing.status == 404
    assert missing.json()["errors"][0]["code"] == "NOT_FOUND"
    unauthenticated = http("GET", f"{production_server.url}/api/enterprises/acme/appointments", headers=HTTPS)
    assert unauthenticated.status == 401
    assert unauthenticated.headers["WWW-Authenticate"].startswith("Bearer")


def longest_documented_list_url(schema: dict, slug: str) -> str:
    """The list's path and query with every parameter at its documented maximum: each array filter
    at maxItems values of its longest value (digits, or the longest enum member), date-times with
    microseconds and an offset, brackets percent-encoded as a client's URL encoder writes them."""
    operation = schema["paths"]["/api/enterprises/{enterprise}/appointments"]["get"]
    query = []
    for parameter in operation["parameters"]:
        if parameter["in"] != "query":
            continue
        shape = parameter["schema"]
        if shape["type"] == "array":
            items = shape["items"]
            longest = max(items["enum"], key=len) if "enum" in items else "9" * items["maxLength"]
            query += [(parameter["name"], longest)] * shape["maxItems"]
        elif shape.get("format") == "date-time":
            query.append((parameter["name"], "2026-12-07T09:30:00.123456+01:00"))  # RFC 3339 at its longest
        else:
            query.append((parameter["name"], str(shape["maximum"])))
    return f"/api/enterprises/{slug}/appointments?{urllib.parse.urlencode(query)}"


def test_the_longest_documented_list_request_reaches_the_app(production_server):
    """gunicorn answers a request line it finds too long itself, in HTML: every filter at its cap,
    in the longest enterprise slug there can be, must fit."""
    token = access_token(production_server.url, "acme-read-write", "acme-read-write-demo-secret", **HTTPS)
    schema = http("GET", f"{production_server.url}/api/schema/?format=json", headers=HTTPS).json()
    slug_length = Enterprise._meta.get_field("slug").max_length
    url = longest_documented_list_url(schema, "a" * slug_length)
    assert len(f"GET {url} HTTP/1.1") <= runpy.run_path(str(ROOT / "config" / "gunicorn.py"))["limit_request_line"]

    for slug in ("a" * slug_length, "acme"):
        response = http("GET", production_server.url + longest_documented_list_url(schema, slug),
                        headers={**HTTPS, "Authorization": f"Bearer {token}"})
        assert response.headers["Content-Type"] == "application/json", response.body[:200]
    assert response.status == 200
    assert response.json()["data"] == []


def test_logs_are_json_lines_with_the_correlation_id(production_server):
    token = access_token(production_server.url, "acme-read-write", "acme-read-write-demo-secret", **HTTPS)
    listed = http(
        "GET", f"{production_server.url}/api/enterprises/acme/appointments?limit=1",
        headers={**HTTPS, "Authorization": f"Bearer {token}"},
    ).json()
    assert listed["meta"]["totalCount"] == 0
    correlation_id = secrets.token_hex(8)
    body = {
        "subjectId": "1", "officeId": "1", "meetingType": "OFFICE",
        "appointmentParticipants": [
            {"role": "PRIMARY", "participantId": "1", "type": "EMPLOYEE"},
            {"role": "PRIMARY", "participantId": "1", "type": "CUSTOMER"},
        ],
    }
    created = http(
        "POST", f"{production_server.url}/api/enterprises/acme/appointments/_actions/invite", json.dumps(body).encode(),
        headers={**HTTPS, "Authorization": f"Bearer {token}", "Content-Type": "application/json",
                 "X-Correlation-Id": correlation_id},
    )
    assert created.status == 201, created.body

    lines = [json.loads(line) for line in production_server.log().splitlines() if line.startswith("{")]
    mine = [line for line in lines if line.get("correlation_id") == correlation_id]
    assert mine, production_server.log()[-3000:]
    assert mine[0]["message"].startswith("Invite ")
    assert {"timestamp", "level", "logger"} <= set(mine[0])


def test_gunicorn_sizes_workers_to_the_cores_and_freezes_what_a_worker_loaded(monkeypatch):
    import gc
    import os
    import runpy

    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    server = runpy.run_path(str(ROOT / "config" / "gunicorn.py"))
    assert server["workers"] == os.cpu_count() + 1
    monkeypatch.setenv("WEB_CONCURRENCY", "7")
    assert runpy.run_path(str(ROOT / "config" / "gunicorn.py"))["workers"] == 7

    assert gc.get_freeze_count() == 0
    try:
        server["post_worker_init"](worker=None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()

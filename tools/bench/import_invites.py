"""Benchmark of ``manage.py import_invites`` against the API's sequential invite rate, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/invites_bench .venv/bin/python tools/bench/import_invites.py

In one run it: migrates the database, creates (or resets) the enterprise ``bench-import``, writes
N rows that carry coordinates to a temporary file, imports them in a child process (wall time
including the child's start-up, its CPU time and its peak resident memory), and POSTs M equivalent
bodies one after another through the API (DRF's test client, in this process: no network, so the
API's best case) before and after the import. It prints the import rate, the faster API rate, their
ratio and the peak memory against their targets. The machine is shared, so compare the ratio rather
than absolute numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SLUG = "bench-import"
TARGET_ROWS_PER_SECOND = 1200
TARGET_PEAK_MB = 200
EXTERNAL_PREFIX = "external://"  # the import's way to name a row by its own externalId


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000, help="Rows in the imported file (default 200000).")
    parser.add_argument("--api-requests", type=int, default=300, help="Sequential API invites (default 300).")
    parser.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    parser.add_argument("--batch-size", type=int, help="Default: the command's.")
    args = parser.parse_args()

    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        print("Set DATABASE_URL to a PostgreSQL database (the benchmark measures PostgreSQL).", file=sys.stderr)
        return 2
    ensure_database(os.environ["DATABASE_URL"])
    # Production-like settings for this process and the import's: DEBUG would log every query.
    os.environ.update(DJANGO_DEBUG="false", DJANGO_SECRET_KEY="benchmark-only", DJANGO_ALLOWED_HOSTS="testserver")
    # Production settings, but the in-process API calls are neither HTTPS nor rate limited.
    os.environ.update(DJANGO_SECURE_SSL_REDIRECT="false", API_THROTTLE_RATE="100000000/min")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    enterprise = reset_enterprise()
    load_before = os.getloadavg()[0]
    # The API's rate drifts with the machine (and PostgreSQL vacuums after a large import): it is
    # measured before and after the import, and the ratio is taken against the faster of the two.
    api_before = api_sequential_rate(enterprise, args.api_requests)

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"invites.{args.format}"
        write_rows(path, enterprise, args.rows, args.format)
        size_mb = path.stat().st_size / 2**20
        print(f"{args.rows} rows with coordinates, {args.format}, {size_mb:.0f} MB; batch size {args.batch_size or 'default'}")
        started = time.perf_counter()
        with tempfile.TemporaryFile("w+") as stderr:
            child = subprocess.Popen(
                [sys.executable, "manage.py", "import_invites", str(path), "--enterprise", SLUG,
                 *(["--batch-size", str(args.batch_size)] if args.batch_size else [])],
                cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True,
            )
            peak_kb = 0
            while child.poll() is None:
                peak_kb = max(peak_kb, high_water_mark_kb(child.pid))
                time.sleep(0.1)
            import_seconds = time.perf_counter() - started
            output = child.stdout.read().strip()
            stderr.seek(0)
            errors = stderr.read()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_seconds = usage.ru_utime + usage.ru_stime
    print(f"import: {output}")
    if child.returncode != 0:
        print(errors[-2000:], file=sys.stderr)
        return 1
    created = count_appointments(enterprise)
    if created != args.rows:
        print(f"expected {args.rows} appointments, found {created}", file=sys.stderr)
        return 1
    import_rate = args.rows / import_seconds
    peak_mb = peak_kb / 1024

    api_after = api_sequential_rate(enterprise, args.api_requests)
    api_rate = max(api_before, api_after)
    ratio = import_rate / api_rate

    print(f"machine:       {os.cpu_count()} CPUs, load average {load_before:.1f} at start, "
          f"{os.getloadavg()[0]:.1f} at end (other work slows both rates alike)")

    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    print(f"import rate:   {import_rate:8.0f} rows/s  (wall time {import_seconds:.1f} s, incl. start-up)  "
          f"target >= {TARGET_ROWS_PER_SECOND}: {verdict(import_rate >= TARGET_ROWS_PER_SECOND)}")
    print(f"import CPU:    {cpu_seconds / args.rows * 1e6:8.0f} µs/row  (user+sys of the import process; "
          f"{args.rows / cpu_seconds:.0f} rows per CPU-second: the rate without other load on the machine, "
          f"PostgreSQL's own work aside)")
    print(f"API rate:      {api_rate:8.0f} invites/s  (the faster of {api_before:.0f} before and {api_after:.0f} after "
          f"the import; {args.api_requests} sequential POSTs each, DRF test client)")
    print(f"ratio:         {ratio:8.1f} x  (import rate / API rate)")
    print(f"peak RSS:      {peak_mb:8.0f} MB  (import process, {args.rows} rows)  "
          f"target < {TARGET_PEAK_MB}: {verdict(peak_mb < TARGET_PEAK_MB)}")
    return 0


def high_water_mark_kb(pid: int) -> int:
    """Peak resident memory of a running process (VmHWM). Unlike ``ru_maxrss`` of a child it
    does not count the memory of this process, which the child shares until it execs."""
    try:
        with open(f"/proc/{pid}/status") as status:
            return next((int(line.split()[1]) for line in status if line.startswith("VmHWM:")), 0)
    except OSError:  # the process just ended
        return 0


def ensure_database(url: str) -> None:
    """Create the benchmark's database if it does not exist yet."""
    import environ
    import psycopg
    from psycopg import sql

    config = environ.Env.db_url_config(url)
    server = {"host": config["HOST"], "port": config["PORT"] or None, "user": config["USER"], "password": config["PASSWORD"] or None}
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone():
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))


def reset_enterprise():
    """The benchmark's enterprise with what invites reference, without earlier runs' invites."""
    from django.db import connection, transaction

    from appointments.models import Appointment, AppointmentParticipant, Office, Subject
    from locations.models import Location
    from participants.models import Customer, Employee, Enterprise

    with transaction.atomic():
        enterprise, _ = Enterprise.objects.get_or_create(slug=SLUG, defaults={"name": "Benchmark"})
        appointments, participants = Appointment._meta.db_table, AppointmentParticipant._meta.db_table
        with connection.cursor() as cursor:
            # Raw deletes: hundreds of thousands of rows, and nothing listens to these deletions.
            cursor.execute(
                f"DELETE FROM {participants} WHERE appointment_id IN (SELECT id FROM {appointments} WHERE enterprise_id = %s)",
                [enterprise.pk],
            )
            cursor.execute(f"DELETE FROM {appointments} WHERE enterprise_id = %s RETURNING location_id", [enterprise.pk])
            location_ids = {row[0] for row in cursor.fetchall()} - {None}
        office = Office.objects.filter(enterprise=enterprise).first()
        if office is None:
            location = Location.objects.create(
                country_code="BE", city_en="Ghent", latitude=51.0543, longitude=3.7214, time_zone="Europe/Brussels"
            )
            office = Office.objects.create(enterprise=enterprise, external_id="office", name="Office", location=location)
            Subject.objects.create(enterprise=enterprise, external_id="subject", name="Subject")
            Employee.objects.bulk_create(
                Employee(enterprise=enterprise, external_id=f"employee-{i}", first_name="E", last_name=str(i))
                for i in range(50)
            )
            Customer.objects.bulk_create(
                Customer(enterprise=enterprise, external_id=f"customer-{i}", first_name="C", last_name=str(i))
                for i in range(1000)
            )
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {Location._meta.db_table} WHERE id = ANY(%s)", [list(location_ids - {office.location_id})]
            )
    # Each run starts from fresh statistics and no dead rows, not from the last run's leftovers.
    with connection.cursor() as cursor:
        for model in (Location, Appointment, AppointmentParticipant):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    return enterprise


def reference(model, enterprise, external_refs: bool):
    """A picker of references: half of them by external id when ``external_refs`` (like a file
    from another system), all by id otherwise (the API takes ids only)."""
    ids = list(model.objects.filter(enterprise=enterprise).order_by("pk").values_list("pk", "external_id"))

    def pick(i: int) -> str:
        pk, external_id = ids[i % len(ids)]
        return f"{EXTERNAL_PREFIX}{external_id}" if external_refs and i % 2 else str(pk)

    return pick


def bodies(enterprise, count: int, prefix: str, external_refs: bool = True):
    """Invite bodies with coordinates (ON_LOCATION meetings in Belgium), reproducibly random."""
    from appointments.models import Office, Subject
    from participants.models import Customer, Employee

    employee, customer, subject, office = (
        reference(model, enterprise, external_refs) for model in (Employee, Customer, Subject, Office)
    )
    rng = random.Random(6)
    for i in range(count):
        yield {
            "externalId": f"{prefix}-{i}",
            "subjectId": subject(i),
            "officeId": office(i),
            "meetingType": "ON_LOCATION",
            "appointmentParticipants": [
                {"role": "PRIMARY", "type": "EMPLOYEE", "participantId": employee(i)},
                {"role": "PRIMARY", "type": "CUSTOMER", "participantId": customer(i)},
            ],
            "location": {
                "countryCode": "BE",
                "postalCode": str(1000 + i % 8000),
                "geolocation": {"latitude": round(rng.uniform(50.7, 51.3), 5), "longitude": round(rng.uniform(3.3, 5.5), 5)},
                "translations": {
                    "city": [{"language": "en", "value": "Ghent"}, {"language": "nl", "value": "Gent"}],
                    "street1": [{"language": "nl", "value": f"Veldstraat {i % 300 + 1}"}],
                },
            },
            "trailingBufferTime": 15,
            "message": "We would like to meet you at your place.",
        }


def write_rows(path: Path, enterprise, count: int, format: str) -> None:
    import csv

    with path.open("w", newline="", encoding="utf-8") as file:
        if format == "jsonl":
            for body in bodies(enterprise, count, "row"):
                file.write(json.dumps(body) + "\n")
            return
        columns = ["externalId", "subjectId", "officeId", "meetingType", "participants", "trailingBufferTime",
                   "message", "countryCode", "postalCode", "latitude", "longitude", "city_en", "city_nl", "street1_nl"]
        writer = csv.writer(file)
        writer.writerow(columns)
        for body in bodies(enterprise, count, "row"):
            location = body["location"]
            writer.writerow([
                body["externalId"], body["subjectId"], body["officeId"], body["meetingType"],
                ";".join(f"{p['role']}:{p['type']}:{p['participantId']}" for p in body["appointmentParticipants"]),
                body["trailingBufferTime"], body["message"], location["countryCode"], location["postalCode"],
                location["geolocation"]["latitude"], location["geolocation"]["longitude"],
                *(item["value"] for item in location["translations"]["city"]),
                location["translations"]["street1"][0]["value"],
            ])


def api_sequential_rate(enterprise, count: int) -> float:
    """Invites per second through ``POST …/_actions/invite``, one after another."""
    from django.conf import settings
    from django.utils import timezone
    from oauth2_provider.models import AccessToken
    from rest_framework.test import APIClient

    from participants.models import ApiClient

    client_app, _ = ApiClient.objects.get_or_create(
        client_id="bench-import",
        defaults={
            "enterprise": enterprise,
            "name": "Benchmark",
            "client_type": ApiClient.CLIENT_CONFIDENTIAL,
            "authorization_grant_type": ApiClient.GRANT_CLIENT_CREDENTIALS,
            "allowed_scopes": settings.SCOPE_READ_WRITE,
        },
    )
    token = AccessToken.objects.create(
        application=client_app,
        token=f"bench-{time.time_ns()}",
        scope=settings.SCOPE_READ_WRITE,
        expires=timezone.now() + timedelta(hours=1),
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.token}")
    url = f"/api/enterprises/{SLUG}/appointments/_actions/invite"
    prefix = f"api-{time.time_ns()}"
    requests = list(bodies(enterprise, count + 1, prefix, external_refs=False))
    client.post(url, requests.pop(), format="json")  # warm-up: first-request imports and caches
    started = time.perf_counter()
    for body in requests:
        response = client.post(url, body, format="json")
        if response.status_code != 201:
            raise SystemExit(f"API answered {response.status_code}: {response.content[:500]!r}")
    return count / (time.perf_counter() - started)


def count_appointments(enterprise) -> int:
    from appointments.models import Appointment

    return Appointment.objects.filter(enterprise=enterprise, external_id__startswith="row-").count()


if __name__ == "__main__":
    sys.exit(main())

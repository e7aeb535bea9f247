"""Booking under concurrency, and the speed of free slots, on PostgreSQL.

    make bench-booking        # or: .venv/bin/python tools/bench/booking.py --repeat 20

1. **No double booking.** The production server (gunicorn, config/gunicorn.py's workers) on the
   demo data. For a capacity of 1 and of 3 (``maxConcurrentAppointments``), ``--concurrency``
   invites with the same employee are created, then all of them are rescheduled to one free slot
   at the same moment through the API (a thread and connection each). Repeated ``--repeat``
   times. Prints the bookings that succeeded, the 422s, any other answer, and the violations: an
   employee's bookings overlapping beyond the capacity, read back from the database.
2. **Free slots, fast and flat.** In this process (DRF's test client, production settings): an
   office with 20 employees and 5,000 booked appointments over the next 62 days. The median time of
   ``GET …/time-slots`` for 14 and for 62 days against ``GET`` one appointment, measured
   alternately in the same run, and the SQL queries of each, also with no appointment booked.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tools.bench.invite_load import (  # noqa: E402
    DEFAULT_DB,
    ensure_database,
    fetch_token,
    manage,
    server_environment,
    start_server,
    stop_server,
)

TARGET_SLOTS_RATIO = 5.0
SLOTS_SLUG = "bench-slots"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--repeat", type=int, default=20, help="races per capacity (default 20)")
    parser.add_argument("--concurrency", type=int, default=32, help="bookings racing for one slot (default 32)")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--rounds", type=int, default=200, help="timed requests per endpoint (default 200)")
    parser.add_argument("--only", choices=("race", "slots"), help="run one part only")
    args = parser.parse_args()

    env = server_environment(args.database_url)
    ensure_database(args.database_url)
    manage(env, "migrate", "--noinput")
    demo = json.loads(manage(env, "seed_demo", "--json", f"--base-url=http://127.0.0.1:{args.port}"))
    os.environ.update({key: value for key, value in env.items() if key.startswith(("DJANGO", "DATABASE", "API_"))})
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # In this process only the API is called: no static files are collected, nor needed.
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()
    ok = True
    if args.only in (None, "race"):
        ok &= race(args, env, demo)
    if args.only in (None, "slots"):
        ok &= slots(args)
    return 0 if ok else 1


# --- 1. No double booking ------------------------------------------------------------------------


def race(args, env: dict, demo: dict) -> bool:
    from availability.models import SubjectAvailability

    base = f"http://127.0.0.1:{args.port}"
    enterprise, subject, office = "acme", demo["subjects"][0], demo["offices"][0]
    server = start_server(env, args.port)
    totals = {}
    try:
        token = fetch_token(demo)
        for capacity in (1, 3):
            cancel_bookings(enterprise)  # every race starts from a slot nobody holds
            SubjectAvailability.objects.filter(subject_id=subject, office_id=office, meeting_type="OFFICE").update(
                max_concurrent_appointments=capacity, time_slot_earliest_possible=0
            )
            answers, booked_per_race = Counter(), Counter()
            for _ in range(args.repeat):
                ids = [invite(base, token, demo) for _ in range(args.concurrency)]
                start = first_free_slot(base, token, ids[0])
                statuses = reschedule_at_once(base, token, ids, start)
                answers.update(statuses)
                booked_per_race[statuses.count(200)] += 1
            totals[capacity] = (answers, booked_per_race, violations(enterprise, capacity))
    finally:
        stop_server(server)

    print(f"\nNo double booking: {args.concurrency} bookings of one slot at once, {args.repeat} races per capacity")
    ok = True
    for capacity, (answers, booked_per_race, violated) in totals.items():
        exact = booked_per_race == Counter({capacity: args.repeat})
        server_errors = sum(count for status, count in answers.items() if status >= 500)
        ok &= exact and violated == 0 and server_errors == 0 and set(answers) <= {200, 422}
        print(
            f"  capacity {capacity}: successes per race {dict(booked_per_race)}, answers {dict(sorted(answers.items()))}, "
            f"violations {violated}, 5xx {server_errors}: {'ok' if exact and violated == 0 and server_errors == 0 else 'FAILED'}"
        )
    return ok


def cancel_bookings(slug: str) -> None:
    from appointments.models import Appointment
    from appointments.services import Actor, appointment_cancel

    actor = Actor(type=Appointment.ActorType.SYSTEM, id=None, channel=Appointment.Channel.IMPORT)
    booked = Appointment.objects.filter(enterprise__slug=slug, status__in=Appointment.BOOKED_STATUSES)
    for appointment in booked.select_related("enterprise"):
        appointment_cancel(enterprise=appointment.enterprise, appointment_id=appointment.pk, actor=actor)


def request(method: str, url: str, token: str, body: dict | None = None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": "application/json"}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers, method=method), timeout=30) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, {}


def invite(base: str, token: str, demo: dict) -> str:
    body = {
        "subjectId": demo["subjects"][0], "officeId": demo["offices"][0], "meetingType": "OFFICE",
        "appointmentParticipants": [
            {"role": "PRIMARY", "participantId": demo["employees"][0], "type": "EMPLOYEE"},
            {"role": "PRIMARY", "participantId": demo["customers"][0], "type": "CUSTOMER"},
        ],
    }
    status, answer = request("POST", f"{base}/api/enterprises/acme/appointments/_actions/invite", token, body)
    assert status == 201, status
    return answer["data"]["id"]


def first_free_slot(base: str, token: str, appointment_id: str) -> str:
    status, answer = request("GET", f"{base}/api/enterprises/acme/appointments/{appointment_id}/time-slots", token)
    assert status == 200 and answer["data"], (status, answer)
    return answer["data"][0]["start"]


def reschedule_at_once(base: str, token: str, ids: list[str], start: str) -> list[int]:
    barrier, statuses = threading.Barrier(len(ids)), []

    def book(appointment_id: str) -> None:
        barrier.wait()
        url = f"{base}/api/enterprises/acme/appointments/{appointment_id}/_actions/reschedule"
        statuses.append(request("POST", url, token, {"start": start})[0])

    threads = [threading.Thread(target=book, args=(appointment_id,)) for appointment_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def violations(enterprise: str, capacity: int) -> int:
    """Moments where one employee has more than ``capacity`` booked appointments: counted at each
    booking's start, over the bookings themselves (appointments, not our BusyTime rows)."""
    from appointments.models import Appointment, AppointmentParticipant

    booked = list(
        AppointmentParticipant.objects.filter(
            appointment__enterprise__slug=enterprise,
            appointment__status__in=Appointment.BOOKED_STATUSES,
            type="EMPLOYEE",
            role="PRIMARY",
        ).values_list("employee_id", "appointment__start", "appointment__end")
    )
    found = 0
    for employee, start, _end in booked:
        overlapping = sum(1 for other, s, e in booked if other == employee and s <= start < e)
        found += overlapping > capacity
    return found


# --- 2. Free slots, fast and flat ----------------------------------------------------------------


def slots(args) -> bool:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    client = APIClient()
    now = datetime.now().astimezone()

    def paths_for(appointment: int) -> dict[str, str]:
        one = f"/api/enterprises/{SLOTS_SLUG}/appointments/{appointment}"
        window = {days: {"from": now.isoformat(), "to": (now + timedelta(days=days)).isoformat()} for days in (14, 62)}
        return {
            "GET one appointment": one,
            **{f"time-slots, {days} days": f"{one}/time-slots?{urllib.parse.urlencode(q)}" for days, q in window.items()},
        }

    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200, path
        return len(captured)

    appointment, token = slots_fixture(bookings=0)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    empty = {name: queries(path) for name, path in paths_for(appointment).items()}
    appointment, token = slots_fixture(bookings=5000)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    paths = paths_for(appointment)
    full = {name: queries(path) for name, path in paths.items()}
    found = {name: len(client.get(path).json()["data"]) for name, path in paths.items() if "time-slots" in name}

    times = {name: [] for name in paths}
    for _ in range(args.rounds):
        for name, path in paths.items():
            started = time.perf_counter()
            client.get(path)
            times[name].append(time.perf_counter() - started)
    baseline = median(times["GET one appointment"])

    print("\nFree slots: 20 employees, 5,000 booked appointments in the next 62 days (in-process, PostgreSQL)")
    ok = True
    for name, measured in times.items():
        ratio = median(measured) / baseline
        line = f"  {name}: median {median(measured) * 1000:.2f} ms, {ratio:.2f}× GET one"
        if "time-slots" in name:
            ok &= ratio <= TARGET_SLOTS_RATIO
            line += f" (target ≤ {TARGET_SLOTS_RATIO:g}×), {found[name]} slots"
        print(f"{line}; queries {empty[name]} with no bookings, {full[name]} with 5,000")
    slot_queries = {counts[name] for counts in (empty, full) for name in paths if "time-slots" in name}
    flat = len(slot_queries) == 1
    print(f"  queries the same for 14 and 62 days and for 0 and 5,000 bookings: {'yes' if flat else 'NO'}")
    return ok and flat


def slots_fixture(*, bookings: int) -> tuple[int, str]:
    """A fresh ``bench-slots`` enterprise: one office open on weekdays, 20 employees, ``bookings``
    accepted appointments spread over them and the next 62 days, and an invite of employee 1 to
    measure. Returns its id and a read-only token. Bookings are written in bulk, as data."""
    from datetime import time as clock
    from zoneinfo import ZoneInfo

    from django.conf import settings
    from django.utils import timezone
    from oauth2_provider.models import AccessToken

    from appointments.models import Appointment, Office, Subject
    from appointments.services import Actor, ParticipantInput, invite_create
    from availability.models import OpeningHours, SubjectAvailability
    from locations.models import Location
    from participants.models import ApiClient, Customer, Employee, Enterprise

    old = Enterprise.objects.filter(slug=SLOTS_SLUG).first()
    if old is not None:  # a previous run's: appointments first, they protect what they reference
        Appointment.objects.filter(enterprise=old).delete()
        for model in (Subject, Office, Employee, Customer):
            model.objects.filter(enterprise=old).delete()
        old.delete()
    enterprise = Enterprise.objects.create(slug=SLOTS_SLUG, name="Benchmark: free slots")
    location = Location.objects.create(country_code="BE", latitude=51.05, longitude=3.72, time_zone="Europe/Brussels", city_en="Ghent")
    office = Office.objects.create(enterprise=enterprise, name="Ghent", location=location)
    subject = Subject.objects.create(enterprise=enterprise, name="Advice")
    OpeningHours.objects.bulk_create(OpeningHours(office=office, weekday=day, start=clock(8), end=clock(20)) for day in range(5))
    SubjectAvailability.objects.create(enterprise=enterprise, office=office, subject=subject, meeting_type="OFFICE", time_slot_earliest_possible=0)
    employees = Employee.objects.bulk_create(Employee(enterprise=enterprise, first_name="E", last_name=str(i)) for i in range(20))
    customer = Customer.objects.create(enterprise=enterprise, first_name="C", last_name="1")
    actor = Actor(type="SYSTEM", id=None, channel="IMPORT")

    # Every other hour of every working day in the next 62 days, each employee in turn: about half
    # of each employee's time is booked, so that free slots remain between the bookings.
    zone, now = ZoneInfo("Europe/Brussels"), timezone.now()
    today = now.astimezone(zone).date()
    days = [today + timedelta(days=n) for n in range(1, 62)]
    starts = [
        (employee, datetime.combine(day, clock(hour), tzinfo=zone))
        for day in days
        if day.weekday() < 5
        for hour in range(8, 20, 2)
        for employee in employees
    ]
    book_in_bulk(subject, office, starts[:bookings])
    measured = invite_create(
        enterprise=enterprise, actor=actor, subject_id=str(subject.pk), office_id=str(office.pk), meeting_type="OFFICE",
        participants=[ParticipantInput("PRIMARY", "EMPLOYEE", str(employees[0].pk)), ParticipantInput("PRIMARY", "CUSTOMER", str(customer.pk))],
    )
    client = ApiClient.objects.create(
        enterprise=enterprise, name="bench", client_type="confidential", authorization_grant_type="client-credentials",
        allowed_scopes=settings.SCOPE_READ_ONLY,
    )
    token = AccessToken.objects.create(
        application=client, token=f"bench-slots-{measured.pk}", scope=settings.SCOPE_READ_ONLY, expires=now + timedelta(hours=1)
    )
    return measured.pk, token.token


def book_in_bulk(subject, office, starts: list[tuple]) -> None:
    """An accepted 60-minute appointment of ``subject`` at ``office`` for each (employee, start),
    with its PRIMARY employee and busy time: written in bulk, as data, not through the services."""
    from appointments.models import Appointment, AppointmentParticipant
    from availability.models import BusyTime

    booked = Appointment.objects.bulk_create(
        Appointment(
            enterprise_id=subject.enterprise_id, status="ACCEPTED", subject=subject, office=office, meeting_type="OFFICE",
            start=start, end=start + timedelta(minutes=60), created_by_type="SYSTEM", created_from="IMPORT",
            updated_by_type="SYSTEM", updated_from="IMPORT",
        )
        for _employee, start in starts
    )
    AppointmentParticipant.objects.bulk_create(
        AppointmentParticipant(appointment=a, role="PRIMARY", type="EMPLOYEE", employee=employee)
        for a, (employee, _start) in zip(booked, starts)
    )
    BusyTime.objects.bulk_create(
        BusyTime(appointment=a, employee=employee, start=a.start, end=a.end, exclusive=True)
        for a, (employee, _start) in zip(booked, starts)
    )


if __name__ == "__main__":
    sys.exit(main())

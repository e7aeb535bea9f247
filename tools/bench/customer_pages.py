"""The customer's slot page against the back office's appointment page, on PostgreSQL.

    make bench-pages          # or: .venv/bin/python tools/bench/customer_pages.py --pairs 400

Both pages show the same invite's free times for two weeks, grouped by day: the customer's page
(``/i/<token>/``, opened from the link in the invite, public) in the customer's language and time
zone with the office's time beside each slot, and the back office's page of the appointment
(``/backoffice/appointments/<pk>/``, a staff login that may change it) in the office's zone. The
customer's page should cost at most ``TARGET_RATIO`` times the back office's: it shows the same
data to someone else.

In this process (Django's test client, production settings), on the demo data: an invite of
``acme``'s first employee (the demo staff login's) with its first customer (English, in New York)
at the Ghent office (open weekdays 09:00–17:00), and a new link for that customer, made as the
invite's message makes it. It prints:

- the median time of ``GET`` the customer's page and of ``GET`` the back office's page, taken in
  turn (the first of the two alternates from one timed pair to the next, so that the machine's
  drift weighs on both alike), and their ratio, with no booking and with ``--bookings`` accepted
  appointments of the employee (every other hour of each working day from today on; half of the
  employee's time in the window is taken);
- the SQL queries of the customer's page on its first page (two weeks) and on its last (at most
  a day: ``?from=`` a date past the last day the subject can be booked, which the page brings back
  to that day), with no booking and with ``--bookings``: all four must be equal.

The exit status is 1 when a page does not answer 200 (with free times, but for the last page), or
when the customer's page's queries differ. The ratio is printed with its target but does not
decide the exit status: the machine is shared, take the median of several runs. Each run first
deletes ``acme``'s appointments in its database (``BENCH_DATABASE_URL``, default
``invites_bench_pages``, created if missing; the demo data has no appointment of its own).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tools.bench.booking import book_in_bulk  # noqa: E402
from tools.bench.invite_load import ensure_database, manage, server_environment  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/invites_bench_pages"
TARGET_RATIO = 3.0
CUSTOMER, BACK_OFFICE = "customer's page", "back office's page"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--pairs", type=int, default=200, help="timed pairs of requests per calendar (default 200)")
    parser.add_argument("--bookings", type=int, default=2000, help="the employee's bookings in the busy calendar (default 2,000)")
    args = parser.parse_args()

    env = server_environment(args.database_url)
    ensure_database(args.database_url)
    manage(env, "migrate", "--noinput")
    demo = json.loads(manage(env, "seed_demo", "--json"))
    os.environ.update({key: value for key, value in env.items() if key.startswith(("DJANGO", "DATABASE", "API_"))})
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # The pages name their static files; none is served here, nor collected.
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()
    return pages(args, demo)


def pages(args, demo: dict) -> int:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    appointment, link = invite_fixture(demo)
    staff = Client()
    staff.force_login(get_user_model().objects.get(username=demo["staff"]["username"]))
    customer = Client()
    paths = {CUSTOMER: link, BACK_OFFICE: f"/backoffice/appointments/{appointment.pk}/"}
    last_page = f"{link}?from=2999-12-31"
    clients = {CUSTOMER: customer, BACK_OFFICE: staff}
    broken = []

    def get(name: str, path: str | None = None):
        """A page, as its client GETs it; a failure noted (a last page may have no free time)."""
        response = clients[name].get(path or paths[name])
        if response.status_code != 200 or (path is None and not slot_count(response)):
            broken.append(f"{name} {path or paths[name]}: {response.status_code}, {slot_count(response)} free times")
        return response

    def queries(name: str, path: str | None = None) -> tuple[int, int]:
        """The SQL queries of a GET of the page, and the free times it shows."""
        with CaptureQueriesContext(connection) as captured:
            response = get(name, path)
        return len(captured), slot_count(response)

    figures = {}
    for calendar in ("no booking", f"{args.bookings:,} bookings"):
        if calendar != "no booking":
            book_employee(appointment, args.bookings)
        counts = {
            "first page": queries(CUSTOMER),
            "last page": queries(CUSTOMER, last_page),
            BACK_OFFICE: queries(BACK_OFFICE),
        }
        times = {name: [] for name in paths}
        for pair in range(args.pairs):
            for name in paths if pair % 2 == 0 else reversed(paths):
                started = time.perf_counter()
                get(name)
                times[name].append(time.perf_counter() - started)
        figures[calendar] = counts, {name: median(measured) for name, measured in times.items()}

    print(
        f"\nThe customer's slot page against the back office's appointment page: one invite, its first two weeks "
        f"(in-process, PostgreSQL, {args.pairs} alternating pairs per calendar, medians)"
    )
    for calendar, (counts, medians) in figures.items():
        ratio = medians[CUSTOMER] / medians[BACK_OFFICE]
        print(
            f"  {calendar}: {CUSTOMER} {medians[CUSTOMER] * 1000:.2f} ms ({counts['first page'][1]} free times), "
            f"{BACK_OFFICE} {medians[BACK_OFFICE] * 1000:.2f} ms ({counts[BACK_OFFICE][1]}): "
            f"RATIO {ratio:.2f}× (target ≤ {TARGET_RATIO:g}×)"
        )
    print("  SQL queries of the customer's page, first page (two weeks) / last page (at most a day):")
    for calendar, (counts, _medians) in figures.items():
        (first, first_slots), (last, last_slots), (back_office, _) = counts.values()
        print(
            f"    {calendar}: {first} ({first_slots} free times) / {last} ({last_slots} free times); "
            f"the back office's page: {back_office}"
        )
    customer_counts = {counts[page][0] for counts, _medians in figures.values() for page in ("first page", "last page")}
    flat = len(customer_counts) == 1
    print(f"  the customer's page's queries the same for both pages and both calendars: {'yes' if flat else 'NO'}")
    for failure in broken[:10]:
        print(f"  FAILED: {failure}")
    return 0 if flat and not broken else 1


def invite_fixture(demo: dict):
    """An invite of acme's first employee and first customer at the first office, and the path of a
    link for that customer; acme's appointments of an earlier run deleted first."""
    from appointments.models import Appointment
    from appointments.services import Actor, ParticipantInput, invite_create
    from invitations.services import invite_link_issue
    from participants.models import Customer, Enterprise

    enterprise = Enterprise.objects.get(slug=demo["enterprise"])
    Appointment.objects.filter(enterprise=enterprise).delete()
    appointment = invite_create(
        enterprise=enterprise,
        actor=Actor(type="EMPLOYEE", id=demo["employees"][0], channel="BACKOFFICE_APP"),
        subject_id=demo["subjects"][0], office_id=demo["offices"][0], meeting_type="OFFICE",
        participants=[
            ParticipantInput("PRIMARY", "EMPLOYEE", demo["employees"][0]),
            ParticipantInput("PRIMARY", "CUSTOMER", demo["customers"][0]),
        ],
        message="Please pick a time that suits you.",
    )
    url = invite_link_issue(appointment=appointment, customer=Customer.objects.get(pk=demo["customers"][0]))
    return appointment, "/" + url.split("/", 3)[3]


def book_employee(appointment, bookings: int) -> None:
    """``bookings`` accepted appointments of the invite's employee: every other hour of the
    office's opening hours (09:00, 11:00, 13:00, 15:00) of each working day from today on."""
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    participant = next(p for p in appointment.participants.all() if p.employee_id)
    zone = ZoneInfo(appointment.office.location.time_zone)
    today = timezone.now().astimezone(zone).date()
    starts = []
    day = today
    while len(starts) < bookings:
        if day.weekday() < 5:
            starts += [(participant.employee, datetime.combine(day, clock(hour), tzinfo=zone)) for hour in (9, 11, 13, 15)]
        day += timedelta(days=1)
    book_in_bulk(appointment.subject, appointment.office, starts[:bookings])


def slot_count(response) -> int:
    return response.content.count(b'name="start"')


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark of the messages' delivery: nothing lost, nothing twice, and how fast, on PostgreSQL.

    .venv/bin/python tools/bench/notifications.py [--count 2000] [--refuse-for 60]

(or `make bench-notifications BENCH_ARGS="--count 500"`). The database is BENCH_DATABASE_URL
(default postgres://postgres@127.0.0.1:5432/invites_bench_notify, created if missing); RQ uses
BENCH_REDIS_URL (default redis://127.0.0.1:6379/15, emptied before and after).

For each engine (the database's db_worker, then RQ) and each SMTP server's behaviour (accepting;
refusing with 451 for the first --refuse-for seconds), it creates --count invites (one customer
each) while no worker runs, starts a local SMTP server (tools/smtp_sink.py, a process of its own)
and 2 worker processes, and waits until every invite e-mail has arrived. It prints, per run, the
e-mails received, how many distinct ones (by Message-ID), duplicates, lost ones and whether every
message row says SENT; then the delivery rate of the 2 workers against `send_mail` in a loop from
this process to the same kind of server (measured just before and just after each accepting run:
the machine's speed drifts, so the ratio is against their mean), and that ratio (target >= 0.5), and the CPU each e-mail cost the workers, their PostgreSQL backends and
the SMTP server. The machine is shared: compare ratios rather than absolute numbers. It exits with
status 1 if an e-mail was lost or sent twice, or a message row is not SENT.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SLUG = "bench-notify"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/invites_bench_notify"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
WORKERS = 2
TARGET_RATIO = 0.5
LANGUAGES = ("da", "de", "el", "en", "es", "fr", "ja", "nl", "no", "pl")


@dataclass
class Run:
    engine: str
    refusing: float
    received: int = 0
    distinct: int = 0
    all_sent: bool = False
    seconds: float = 0.0  # from starting the workers to the last e-mail
    window: float = 0.0  # from the first e-mail to the last
    refused_until: float = 0.0
    cpu: dict | None = None  # CPU seconds: the workers, their PostgreSQL backends, the SMTP server
    baselines: list[float] = field(default_factory=list)  # send_mail's e-mails/s just before and after

    def rate(self, count: int) -> float:
        return (count - 1) / self.window if self.window > 0 else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=2000, help="Invites per run (default 2000).")
    parser.add_argument("--refuse-for", type=float, default=60, help="Seconds the SMTP server refuses (default 60).")
    parser.add_argument(
        "--retry-base", type=int, default=10,
        help="The workers' MESSAGE_RETRY_BASE in seconds (default 10: attempts at 0, 10, 30, 70 s, ...).",
    )
    parser.add_argument("--baseline-count", type=int, help="send_mail calls per baseline (default: --count).")
    parser.add_argument("--skip-rq", action="store_true", help="Only the database engine.")
    args = parser.parse_args()

    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    if not database_url.startswith(("postgres://", "postgresql://")):
        print("BENCH_DATABASE_URL must name a PostgreSQL database.", file=sys.stderr)
        return 2
    ensure_database(database_url)
    sink_port = free_port()
    # This process and the workers: production settings (DEBUG would keep every query), console
    # logging at WARNING, mail to the local SMTP server.
    common = {
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
        "EMAIL_URL": f"smtp://127.0.0.1:{sink_port}",
        "PUBLIC_BASE_URL": "https://invites.example.com",
        "REMINDER_BEFORE": "0",
    }
    os.environ.update(common, DJANGO_SETTINGS_MODULE="config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    people = prepare_enterprise()
    count, baseline_count = args.count, args.baseline_count or args.count
    engines = ["database"] if args.skip_rq else ["database", "rq"]
    if "rq" in engines and not redis_reachable(redis_url):
        print(f"no Redis at {redis_url}: RQ skipped")
        engines.remove("rq")

    print(f"Notifications benchmark: {count} invites per run, {WORKERS} worker processes, PostgreSQL "
          f"{database_url.rsplit('/', 1)[1]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    runs = []
    for engine in engines:
        for refusing in (0.0, args.refuse_for):
            env = {**os.environ, **common, "MESSAGE_RETRY_BASE": str(args.retry_base), "TASKS_BACKEND": engine}
            if engine == "rq":
                env["REDIS_URL"] = redis_url
            run = Run(engine=engine, refusing=refusing)
            queue_invites(run, people, count, redis_url)
            if not refusing:  # the rate's baseline, measured just before and just after it
                run.baselines = [send_mail_rate(sink_port, baseline_count)]
            deliver(run, count, sink_port, env)
            if not refusing:
                run.baselines.append(send_mail_rate(sink_port, baseline_count))
            runs.append(run)
            print_run(run, count)

    print()
    exact = all(run.distinct == run.received == count and run.all_sent for run in runs)
    for run in runs:
        if run.refusing:
            continue
        baseline = sum(run.baselines) / len(run.baselines)
        ratio = run.rate(count) / baseline
        print(f"{run.engine + ' workers:':20} {run.rate(count):6.0f} e-mails/s  (first to last e-mail; "
              f"{count / run.seconds:.0f}/s counting the workers' start-up)  against send_mail's "
              f"{baseline:.0f}/s (mean of {run.baselines[0]:.0f} before and {run.baselines[1]:.0f} after)  "
              f"ratio {ratio:.2f}  target >= {TARGET_RATIO}: {'ok' if ratio >= TARGET_RATIO else 'MISSED'}")
    print(f"every e-mail once, every row SENT, in every run: {'ok' if exact else 'MISSED'}")
    return 0 if exact else 1  # the rate's verdict is printed; the machine's load decides it as much


# --- One run ------------------------------------------------------------------------------------


def queue_invites(run: Run, people, count: int, redis_url: str) -> None:
    """Invites, their messages and their jobs, while no worker runs."""
    from notifications.models import Message

    reset(redis_url)
    with tasks_on(run.engine, redis_url):
        create_invites(people, count)
    assert Message.objects.filter(status="PENDING").count() == count


def deliver(run: Run, count: int, sink_port: int, env: dict) -> None:
    """The SMTP server and the workers, until every queued invite's e-mail arrived."""
    from notifications.models import Message

    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "received.log"
        log.touch()
        sink = subprocess.Popen(
            [sys.executable, "-m", "tools.smtp_sink", "--port", str(sink_port), "--log", str(log),
             "--refuse-for", str(run.refusing)],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )
        sink.stdout.readline()  # listening
        run.refused_until = time.time() + run.refusing
        command = (
            ["db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2"]
            if run.engine == "database"
            else ["rqworker", "--with-scheduler", "default"]
        )
        started = time.time()
        # Each worker in a process group of its own (RQ's worker forks its scheduler), its output
        # in a file: a pipe nobody reads would fill and stop it.
        outputs = [open(Path(folder) / f"worker-{index}.log", "w+") for index in range(WORKERS)]
        workers = [
            subprocess.Popen([sys.executable, "manage.py", *command], cwd=ROOT, env=env,
                             stdout=output, stderr=subprocess.STDOUT, process_group=0)
            for output in outputs
        ]
        try:
            deadline = started + run.refusing + 600
            lines = []
            while time.time() < deadline:
                lines = log.read_text().splitlines()
                if len({line.split(" ", 1)[1] for line in lines}) >= count:
                    break
                if any(worker.poll() is not None for worker in workers):
                    break
                time.sleep(0.2)
            time.sleep(3)  # any e-mail sent twice would arrive now
            lines = log.read_text().splitlines()
            run.cpu = {
                "workers": sum(cpu_seconds(worker.pid) for worker in workers),
                "database": sum(cpu_seconds(pid) for pid in database_backends()),
                "smtp": cpu_seconds(sink.pid),
            }
        finally:
            for worker in workers:
                stop(worker)
            sink.terminate()
            sink.wait()
        if len(lines) != count:
            for output in outputs:
                output.seek(0)
                print(output.read()[-3000:], file=sys.stderr)
        for output in outputs:
            output.close()
    stamps = sorted(float(line.split(" ", 1)[0]) for line in lines)
    run.received = len(lines)
    run.distinct = len({line.split(" ", 1)[1] for line in lines})
    run.all_sent = Message.objects.exclude(status="SENT").count() == 0 and Message.objects.count() == count
    if stamps:
        run.seconds = stamps[-1] - started
        run.window = stamps[-1] - stamps[0]


def print_run(run: Run, count: int) -> None:
    label = f"SMTP refusing (451) for {run.refusing:.0f} s" if run.refusing else "SMTP accepting"
    verdict = "ok" if run.distinct == run.received == count and run.all_sent else "MISSED"
    print(f"{run.engine:8}  {label:30}  received {run.received:5}  distinct {run.distinct:5}  "
          f"twice {run.received - run.distinct:3}  lost {count - run.distinct:3}  all rows SENT: "
          f"{'yes' if run.all_sent else 'no '}  last e-mail after {run.seconds:6.1f} s  {verdict}")
    if run.cpu and not run.refusing:  # with retries, the CPU is mostly the workers' waiting and polling
        print(" " * 10 + "CPU per e-mail: " + ", ".join(f"{name} {seconds / count * 1000:.1f} ms" for name, seconds in run.cpu.items())
              + " (the workers' start-up included)")


# --- Data ----------------------------------------------------------------------------------------


@dataclass
class People:
    enterprise: object
    subject: str
    office: str
    employee: str
    customers: list[str]


def prepare_enterprise() -> People:
    """An enterprise with an office, a subject, an employee and a customer in each language, all
    with addresses."""
    from appointments.models import Office, Subject
    from locations.models import Location
    from participants.models import Customer, Employee, Enterprise

    enterprise, _ = Enterprise.objects.get_or_create(slug=SLUG, defaults={"name": "Benchmark Bank"})
    location = Location.objects.filter(city_en="Ghent", country_code="BE").first() or Location.objects.create(
        country_code="BE", postal_code="9000", city_en="Ghent", street1_en="Korenmarkt 1",
        latitude=51.0543, longitude=3.7214, time_zone="Europe/Brussels",
    )
    office, _ = Office.objects.get_or_create(enterprise=enterprise, external_id="office", defaults={"name": "Ghent", "location": location})
    subject, _ = Subject.objects.get_or_create(enterprise=enterprise, external_id="subject", defaults={"name": "Advice", "name_en": "Advice"})
    employee, _ = Employee.objects.get_or_create(
        enterprise=enterprise, external_id="employee", defaults={"first_name": "Anna", "last_name": "Bench", "email": "anna@bench.example"}
    )
    customers = [
        Customer.objects.get_or_create(
            enterprise=enterprise, external_id=f"customer-{language}",
            defaults={"first_name": "Customer", "last_name": language, "email": f"{language}@customers.example",
                      "language": language, "time_zone": "Europe/Brussels"},
        )[0]
        for language in LANGUAGES
    ]
    return People(enterprise, str(subject.pk), str(office.pk), str(employee.pk), [str(c.pk) for c in customers])


def create_invites(people: People, count: int) -> None:
    from appointments.models import Appointment
    from appointments.services import Actor, ParticipantInput, invite_create

    actor = Actor(type=Appointment.ActorType.SYSTEM, id=None, channel=Appointment.Channel.IMPORT)
    for index in range(count):
        invite_create(
            enterprise=people.enterprise,
            actor=actor,
            subject_id=people.subject,
            office_id=people.office,
            meeting_type="OFFICE",
            participants=[
                ParticipantInput("PRIMARY", "EMPLOYEE", people.employee),
                ParticipantInput("PRIMARY", "CUSTOMER", people.customers[index % len(people.customers)]),
            ],
            message="See you soon",
        )


def reset(redis_url: str) -> None:
    """No invites, messages or jobs from an earlier run."""
    from django_tasks_db.models import DBTaskResult

    from appointments.models import Appointment

    Appointment.objects.filter(enterprise__slug=SLUG).delete()
    DBTaskResult.objects.all().delete()
    if redis_reachable(redis_url):
        import redis

        redis.Redis.from_url(redis_url).flushdb()


class tasks_on:
    """This process queues its jobs on ``engine`` (the workers are told by TASKS_BACKEND)."""

    def __init__(self, engine: str, redis_url: str):
        from django.test.utils import override_settings

        if engine == "rq":
            self.override = override_settings(
                TASKS={"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}},
                RQ_QUEUES={"default": {"URL": redis_url, "DEFAULT_TIMEOUT": 300}},
                RQ={"JOB_CLASS": "django_tasks_rq.Job"},
            )
        else:
            self.override = override_settings()

    def __enter__(self):
        self.override.enable()

    def __exit__(self, *exc):
        self.override.disable()


# --- The baseline -------------------------------------------------------------------------------


def send_mail_rate(port: int, count: int) -> float:
    """``send_mail`` in a loop to a fresh local SMTP server process: e-mails per second. Prints
    the CPU it took per e-mail."""
    from django.core.mail import send_mail

    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "received.log"
        sink = subprocess.Popen(
            [sys.executable, "-m", "tools.smtp_sink", "--port", str(port), "--log", str(log)],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )
        sink.stdout.readline()
        try:
            body = "Hello,\n\nAcme Bank invites you to an appointment. Choose a time:\nhttps://invites.example.com/i/x/\n" * 4
            started, cpu = time.perf_counter(), time.process_time()
            for index in range(count):
                send_mail(f"Invitation {index}", body, "invites@localhost", [f"customer{index}@customers.example"])
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            while len(log.read_text().splitlines()) < count:
                time.sleep(0.05)
            print(f"send_mail in a loop: {count / elapsed:.0f} e-mails/s; CPU per e-mail: this process "
                  f"{cpu / count * 1000:.1f} ms, smtp {cpu_seconds(sink.pid) / count * 1000:.1f} ms")
        finally:
            sink.terminate()
            sink.wait()
    return count / elapsed


# --- Helpers -------------------------------------------------------------------------------------


def stop(worker: subprocess.Popen) -> None:
    """Stop a worker and what it started: a warm shutdown, then a cold one."""
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(worker.pid, sig)
        except ProcessLookupError:
            return
        try:
            worker.wait(timeout=wait)
            time.sleep(0.5)  # its children (RQ's scheduler) stop after it
        except subprocess.TimeoutExpired:
            continue
        try:
            os.killpg(worker.pid, 0)
        except ProcessLookupError:
            return


def cpu_seconds(pid: int) -> float:
    """User and system CPU a process has used so far (Linux: /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database_backends() -> list[int]:
    """The PostgreSQL server processes of the other connections to this database (the workers')."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return [pid for (pid,) in cursor.fetchall()]


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


def redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


if __name__ == "__main__":
    sys.exit(main())

"""The notification flow on both task engines: the database's ``db_worker`` and RQ on a real Redis
(``TEST_RQ_REDIS_URL``, database 14 by default), run in their documented batch/burst modes, and as
real worker processes racing for the same messages (PostgreSQL only: a worker process needs to see
the test's database)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from appointments.services import appointment_reschedule
from notifications.models import Message
from notifications.sweep import messages_sweep
from notifications.tasks import deliver_messages, enqueue_delivery

from .support import MONDAY, act, give_addresses, invite, local, open_every_day, pending_ids, rules

ROOT = Path(__file__).resolve().parents[2]
RQ_REDIS_URL = os.environ.get("TEST_RQ_REDIS_URL", "redis://127.0.0.1:6379/14")
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="a worker process needs a server database")


def redis_reachable() -> bool:
    try:
        return redis.Redis.from_url(RQ_REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.fixture
def rq(settings):
    """Jobs go to RQ on the test Redis database, emptied before and after."""
    if not redis_reachable():
        pytest.skip(f"no Redis server at {RQ_REDIS_URL}")
    server = redis.Redis.from_url(RQ_REDIS_URL)
    server.flushdb()
    settings.RQ_QUEUES = {"default": {"URL": RQ_REDIS_URL, "DEFAULT_TIMEOUT": 60}}
    settings.RQ = {"JOB_CLASS": "django_tasks_rq.Job", "WORKER_CLASS": "rq.worker.SimpleWorker"}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    yield server
    server.flushdb()


@pytest.fixture
def flow(acme, settings):
    """Messages of every engine's flow: three to send (an invite, a booking's confirmation to its
    customer and to its employee) and one to skip."""
    settings.PUBLIC_BASE_URL = "http://testserver"
    settings.MESSAGE_RETRY_BASE = 0  # a refused message is due again at once
    give_addresses(acme)
    open_every_day(acme.office, weekdays=range(5))
    rules(acme)

    def run(start=None):
        """An invite; and another one booked at once, whose invite is then skipped (out of date)."""
        invite(acme, message="Welcome")
        booked = invite(acme)
        act(appointment_reschedule, acme, booked, start=start or local(MONDAY, 10))

    return run


@contextmanager
def signal_handlers_kept():
    """The workers install their own SIGINT/SIGTERM handlers; the test run keeps its own."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def db_worker_batch() -> None:
    with signal_handlers_kept():
        call_command("db_worker", batch=True, reload=False, startup_delay=False, interval=0, verbosity=0)


def rq_worker_burst() -> None:
    import django_rq

    with signal_handlers_kept():
        # Scheduled jobs (retries) are queued when a burst starts: a few bursts take the retries too.
        for _ in range(5):
            django_rq.get_worker("default").work(burst=True, with_scheduler=True, logging_level="WARNING")
            if not pending_ids():
                return


def assert_all_sent_once(smtp, count: int) -> None:
    """``count`` e-mails arrived, each once, and every message is done with (sent, or skipped
    because its invite was booked meanwhile)."""
    emails = smtp.wait_for(count)
    time.sleep(0.1)
    assert len(smtp.messages) == count
    assert len({email["Message-ID"] for email in emails}) == count
    assert Message.objects.filter(status="SENT").count() == count
    assert set(Message.objects.exclude(status="SENT").values_list("status", "kind")) <= {("SKIPPED", "INVITE")}


class TestDatabaseEngine:
    def test_the_flow_through_db_worker(self, transactional_db, flow, smtp):
        flow()
        smtp.refuse(times=1)  # the first attempt is refused and retried
        db_worker_batch()
        assert_all_sent_once(smtp, 3)
        assert smtp.refused == 1
        sent = Message.objects.filter(status="SENT")
        assert sorted(sent.values_list("kind", flat=True)) == ["BOOKING_CONFIRMED", "BOOKING_CONFIRMED", "INVITE"]


class TestRQEngine:
    def test_the_flow_through_an_rq_worker(self, transactional_db, rq, flow, smtp):
        flow()
        assert rq.llen("rq:queue:default") == 3  # the invites' jobs, the booking's job
        smtp.refuse(times=1)
        rq_worker_burst()
        assert_all_sent_once(smtp, 3)
        assert smtp.refused == 1

    def test_rq_cron_runs_the_sweep(self, transactional_db, rq, flow, smtp):
        """RQ's own schedule (notifications/cron.py) queues the sweep, which queues lost messages."""
        from django_rq.cron import DjangoCronScheduler

        flow()
        rq.delete("rq:queue:default")  # the jobs were lost
        Message.objects.update(next_attempt_at=timezone.now() - timedelta(hours=1))
        scheduler = DjangoCronScheduler()
        scheduler.load_config_from_file("notifications.cron")
        (cron_job,) = scheduler.get_jobs()
        assert (cron_job.func_name, cron_job.interval) == ("notifications.tasks.send_due_messages", 60)
        scheduler.enqueue_jobs()
        rq_worker_burst()
        assert_all_sent_once(smtp, 3)

    def test_a_queue_that_is_down_loses_nothing(self, transactional_db, settings, flow, smtp):
        """Redis unreachable when the job is queued: the rows are saved, the sweep queues them later."""
        settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:1/14", "DEFAULT_TIMEOUT": 60}}
        settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
        flow()  # no error for the caller
        assert Message.objects.filter(status="PENDING").count() == 4


# --- Real worker processes ------------------------------------------------------------------------


def worker_env(smtp, **extra) -> dict[str, str]:
    database = connection.settings_dict
    url = f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "DJANGO_"))}
    env.update(
        DATABASE_URL=url,
        EMAIL_URL=smtp.url,
        PUBLIC_BASE_URL="http://testserver",
        LOG_LEVEL="WARNING",
        MESSAGE_RETRY_BASE="0",
        **extra,
    )
    return env


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", *command], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def finish(workers: list[subprocess.Popen], timeout: float = 60) -> None:
    for worker in workers:
        output, _ = worker.communicate(timeout=timeout)
        assert worker.returncode == 0, output.decode()


def many_messages(flow, count: int) -> int:
    for index in range(count):  # at 9:00 … 15:00 on the days from Monday
        flow(local(MONDAY + timedelta(days=index // 7), 9 + index % 7))
    ids = pending_ids()
    enqueue_delivery(ids)  # every message has a second job: the workers race for each
    return len(ids) * 3 // 4  # one in four is an invite skipped


@postgresql_only
class TestWorkerProcesses:
    def test_two_db_workers_send_each_message_once(self, transactional_db, flow, smtp):
        to_send = many_messages(flow, 10)
        env = worker_env(smtp)
        finish([start(["db_worker", "--batch", "--no-reload", "--no-startup-delay", "--interval", "0"], env) for _ in range(2)])
        assert_all_sent_once(smtp, to_send)

    def test_two_rq_workers_send_each_message_once(self, transactional_db, rq, flow, smtp):
        to_send = many_messages(flow, 10)
        env = worker_env(smtp, TASKS_BACKEND="rq", REDIS_URL=RQ_REDIS_URL)
        finish([start(["rqworker", "--burst", "--with-scheduler", "default"], env) for _ in range(2)])
        assert_all_sent_once(smtp, to_send)

    def test_a_worker_killed_while_sending_sends_nothing_twice(self, transactional_db, acme, smtp, settings):
        settings.PUBLIC_BASE_URL = "http://testserver"
        give_addresses(acme)
        invite(acme)
        (message,) = Message.objects.all()
        smtp.hold(30)  # the server has the message and takes its time to say so
        worker = start(["db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1"], worker_env(smtp, MESSAGE_SEND_LEASE="1"))
        try:
            assert smtp.received.wait(30), "the worker never sent"
        finally:
            worker.kill()  # dies before it can record anything
            worker.wait()
        message.refresh_from_db()
        assert message.status == "SENDING"
        time.sleep(max((message.claimed_until - timezone.now()).total_seconds(), 0) + 0.1)

        assert messages_sweep().uncertain == [message.pk]
        assert deliver_messages.call([message.pk])["not_claimed"] == 1
        assert len(smtp.messages) == 1 and Message.objects.get().status == "UNCERTAIN"

"""Background tasks, on Django's tasks API (the ``django-tasks`` backport on Django 5.2): the engine
is the ``TASKS`` setting, the database's ``db_worker`` by default or RQ (see README,
"Configuration"). A task only names message ids; what to send, and whether it was sent, lives in
the message rows, so a job lost or run twice costs a delay, never a message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import datetime

from django.db import close_old_connections, connection
from django_tasks import task

from .delivery import messages_deliver
from .sweep import messages_sweep

logger = logging.getLogger(__name__)

# Message ids per job: a batch (an import) is shared among the workers, and a job stays short.
IDS_PER_JOB = 25
# Messages one job sends at most: those it names, topped up with others that are due. A backlog
# is then sent in batches over one mail connection, and the later jobs find their messages taken.
MESSAGES_PER_JOB = 25


@task
def deliver_messages(message_ids: list[int]) -> dict[str, int]:
    """Send these messages (those still due and not taken by another worker) and other due ones
    up to ``MESSAGES_PER_JOB``, and schedule a retry for each that failed for now."""
    _fresh_connections()
    delivered = messages_deliver(message_ids, others_due=max(MESSAGES_PER_JOB - len(message_ids), 0))
    for message_id, due in delivered.retry.items():
        enqueue_delivery([message_id], run_after=due)
    return delivered.counts()


@task
def send_due_messages() -> dict[str, int]:
    """The periodic sweep as a job (RQ's cron runs it; see notifications/cron.py)."""
    _fresh_connections()
    return sweep_and_enqueue()


def sweep_and_enqueue() -> dict[str, int]:
    """Run the sweep and hand what it found to the workers."""
    swept = messages_sweep()
    enqueue_delivery([*swept.reminders, *swept.due])
    return swept.counts()


def enqueue_delivery(message_ids: Sequence[int], *, run_after: datetime | None = None) -> None:
    """Hand messages to the workers, ``IDS_PER_JOB`` per job, now or at ``run_after``. A queue
    that cannot take them (Redis down) is logged and left to the sweep: the rows are saved."""
    job = deliver_messages
    if run_after is not None:
        if not job.get_backend().supports_defer:
            return  # the sweep hands it over once it is overdue
        job = job.using(run_after=run_after)
    ids = list(message_ids)
    for start in range(0, len(ids), IDS_PER_JOB):
        try:
            job.enqueue(ids[start : start + IDS_PER_JOB])
        except Exception:
            logger.exception("Messages %s could not be queued; the sweep will queue them", ids[start:])
            return


# Seconds between two checks of the database connection by one worker process.
CONNECTION_CHECK_EVERY = 5.0
_checked_at = 0.0


def _fresh_connections() -> None:
    """Drop a database connection that broke or aged while the worker waited (``db_worker`` does
    this between jobs; RQ's workers do not), at most every few seconds: each check costs a query.
    Never inside a transaction: that is the caller's."""
    global _checked_at
    if not connection.in_atomic_block and time.monotonic() - _checked_at > CONNECTION_CHECK_EVERY:
        close_old_connections()
        _checked_at = time.monotonic()

"""RQ's own schedule for the sweep, with TASKS_BACKEND=rq: `manage.py rqcron notifications.cron`
runs ``send_due_messages`` every MESSAGE_SWEEP_INTERVAL seconds (one scheduler is enough; more
only queue the sweep more often, which does no harm).

RQ's cron enqueues a function by its import path. The path given here is the task's own
(``notifications.tasks.send_due_messages`` is the Task), so the worker's job class
(django-tasks-rq's) finds the Task there and runs it; ``backend_name`` is what that job class reads.
"""

from django.conf import settings
from rq import cron

from .tasks import send_due_messages

cron.register(
    send_due_messages.func,
    queue_name=send_due_messages.queue_name,
    interval=settings.MESSAGE_SWEEP_INTERVAL,
    meta={"backend_name": send_due_messages.backend},
)

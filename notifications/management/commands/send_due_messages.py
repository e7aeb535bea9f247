"""The sweep: run it every minute (cron, a systemd timer, or `--every 60`; with RQ, its own
scheduler can run it: `manage.py rqcron notifications.cron`)."""

import time

from django.core.management.base import BaseCommand, CommandError

from notifications.tasks import sweep_and_enqueue


class Command(BaseCommand):
    help = (
        "Queue the messages that are due or whose job was lost, write the reminders that are due, "
        "and mark UNCERTAIN the messages whose worker stopped while sending them."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--every",
            type=int,
            metavar="SECONDS",
            help="Keep running, sweeping every SECONDS (as `make run` does); stop with Ctrl-C.",
        )

    def handle(self, *args, every=None, verbosity=1, **options):
        if every is not None and every < 1:
            raise CommandError("--every takes a number of seconds, at least 1.")
        try:
            while True:
                counts = sweep_and_enqueue()
                if verbosity > 1 or (verbosity == 1 and every is None) or any(counts.values()):
                    self.stdout.write(
                        "queued {due} overdue, wrote {reminders} reminders, marked {uncertain} uncertain".format(**counts)
                    )
                if every is None:
                    return
                time.sleep(every)
        except KeyboardInterrupt:
            return

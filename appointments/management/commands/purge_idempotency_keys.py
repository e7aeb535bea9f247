"""Delete expired Idempotency-Key records (run it daily, e.g. from cron)."""

from django.core.management.base import BaseCommand

from ...idempotency import purge_expired_keys


class Command(BaseCommand):
    help = "Delete Idempotency-Key records older than IDEMPOTENCY_KEY_TTL_HOURS."

    def handle(self, *args, **options):
        self.stdout.write(f"Deleted {purge_expired_keys()} expired idempotency keys.")

from django.db import models


class RateLimitCounter(models.Model):
    """Requests counted under one key (a limit, a client, a window: see core/throttling.py), shared
    by every worker and server through the database when no shared cache holds the counts."""

    key = models.CharField(max_length=200, primary_key=True)
    count = models.PositiveIntegerField(default=1)
    # The end of the key's window: later, the row is only in the way (purged as new ones come).
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.key}: {self.count}"

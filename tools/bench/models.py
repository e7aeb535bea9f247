from django.db import models


class BaselineWrite(models.Model):
    """One row per request to the benchmark baseline: the least a write can do."""

    created_at = models.DateTimeField(auto_now_add=True)

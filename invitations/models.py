"""The customer's link to an appointment: a credential, of which only a hash is kept."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from appointments.models import Appointment
from participants.models import Customer


class InviteLink(models.Model):
    """One link for one customer to one appointment. The token itself is sent to the customer and
    never stored: ``token_hash`` is its SHA-256. A link works until ``expires_at``, unless revoked
    (a newer link was sent, or the appointment was cancelled or is over)."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["appointment", "customer"], name="invite_link_appointment_idx", condition=Q(revoked_at__isnull=True))
        ]

    def __str__(self):
        return f"Link {self.pk} to appointment {self.appointment_id}"

    @property
    def works(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from locations.models import Location
from participants.models import Customer, Employee, EnterpriseOwned


class Subject(EnterpriseOwned):
    """What an appointment is about ("Mortgage advice", "Viewing"). Its name is translated."""

    name = models.CharField(max_length=255)

    class Meta:
        ordering = ["name", "id"]
        constraints = [EnterpriseOwned.external_id_constraint("subject_external_id_unique")]

    def __str__(self):
        return self.name


class Office(EnterpriseOwned):
    """A place where appointments are offered; an office meeting without a location meets here."""

    name = models.CharField(max_length=255)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["name", "id"]
        constraints = [EnterpriseOwned.external_id_constraint("office_external_id_unique")]

    def __str__(self):
        return self.name


class Listing(EnterpriseOwned):
    """Something on offer that an appointment can be about, e.g. a property for sale."""

    title = models.CharField(max_length=255)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["title", "id"]
        constraints = [EnterpriseOwned.external_id_constraint("listing_external_id_unique")]

    def __str__(self):
        return self.title


class LeadSegment(EnterpriseOwned):
    """A marketing segment; ``code`` is unique within the enterprise."""

    code = models.CharField(max_length=64)
    name = models.CharField(max_length=255)

    class Meta:
        ordering = ["code", "id"]
        constraints = [
            EnterpriseOwned.external_id_constraint("lead_segment_external_id_unique"),
            models.UniqueConstraint(fields=["enterprise", "code"], name="lead_segment_code_unique"),
        ]

    def __str__(self):
        return f"{self.code} – {self.name}"


class CallbackRequest(EnterpriseOwned):
    """A customer's request to be called back."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    phone = models.CharField(max_length=32, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [EnterpriseOwned.external_id_constraint("callback_request_external_id_unique")]

    def __str__(self):
        return f"Callback request {self.pk}"


class Appointment(models.Model):
    class Status(models.TextChoices):
        """The vendor's statuses. The transitions between them are the services' (services.py)."""

        OUTGOING_INVITE = "OUTGOING_INVITE", "Invited: waiting for the customer to pick a time"
        INCOMING_REQUEST = "INCOMING_REQUEST", "Requested: a time waits for an employee to accept it"
        ACCEPTED = "ACCEPTED", "Accepted"
        ALTERNATIVE_DATE_REQUESTED = "ALTERNATIVE_DATE_REQUESTED", "No time suits the customer"
        CANCELLED = "CANCELLED", "Cancelled"
        COMPLETED = "COMPLETED", "Completed"
        NO_SHOW = "NO_SHOW", "The customer did not come"

    # A booked appointment holds its employees' time (availability.BusyTime) in these statuses.
    BOOKED_STATUSES = (Status.INCOMING_REQUEST, Status.ACCEPTED)
    OPEN_STATUSES = (Status.OUTGOING_INVITE, Status.ALTERNATIVE_DATE_REQUESTED, *BOOKED_STATUSES)

    class MeetingType(models.TextChoices):
        OFFICE = "OFFICE"
        ON_LOCATION = "ON_LOCATION"
        PHONE = "PHONE"
        VIDEO = "VIDEO"

    class ActorType(models.TextChoices):
        """Who created or last changed an appointment (``createdByType``)."""

        EMPLOYEE = "EMPLOYEE", "An employee, through the back office or an import"
        API_CLIENT = "API_CLIENT", "An API client, with an OAuth2 client-credentials token"
        SYSTEM = "SYSTEM", "The service itself, e.g. an import run without an employee"
        CUSTOMER = "CUSTOMER", "The customer, through the link sent to them"

    class Channel(models.TextChoices):
        """Through which door it happened (``createdFrom``)."""

        API = "API", "The public API"
        BACKOFFICE_APP = "BACKOFFICE_APP", "The staff pages or the admin"
        IMPORT = "IMPORT", "The bulk import command"
        CUSTOMER_APP = "CUSTOMER_APP", "The customer's pages, opened by their link"

    # No index of its own: the two composite indexes below start with it. One index fewer to
    # keep up on every insert, and the planner can't pick it over the composite for lookups.
    enterprise = models.ForeignKey(
        "participants.Enterprise", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    external_id = models.CharField(max_length=255, blank=True, null=True)
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.OUTGOING_INVITE)
    # An invite has no time yet: the customer chooses the slot later.
    start = models.DateTimeField(null=True, blank=True)
    end = models.DateTimeField(null=True, blank=True)
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")
    callback_request = models.ForeignKey(
        CallbackRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    lead_segment = models.ForeignKey(LeadSegment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    meeting_type = models.CharField(max_length=16, choices=MeetingType.choices)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    hybrid = models.BooleanField(null=True, blank=True)
    trailing_buffer_time = models.IntegerField(default=0, help_text="Minutes kept free after the appointment")
    internal_notes = models.TextField(null=True, blank=True, help_text="Staff only: never shown to the customer")
    message_for_customer = models.TextField(null=True, blank=True)
    # Audit: actors are stored by type and id rather than foreign keys so the trail survives the
    # actor's deletion.
    # Set by the services, with who changed it and through which door: a new appointment's two
    # times are the same instant.
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by_type = models.CharField(max_length=16, choices=ActorType.choices)
    created_by_id = models.CharField(max_length=64, null=True, blank=True)
    created_from = models.CharField(max_length=16, choices=Channel.choices)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_by_type = models.CharField(max_length=16, choices=ActorType.choices)
    updated_by_id = models.CharField(max_length=64, null=True, blank=True)
    updated_from = models.CharField(max_length=16, choices=Channel.choices)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["enterprise", "external_id"], name="appointment_external_id_idx"),
            models.Index(fields=["enterprise", "-created_at", "-id"], name="appointment_recent_idx"),
            models.Index(fields=["enterprise", "start"], name="appointment_start_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(trailing_buffer_time__gte=0), name="appointment_buffer_not_negative"),
            models.CheckConstraint(
                condition=Q(start__isnull=True) | Q(end__isnull=True) | Q(end__gte=F("start")),
                name="appointment_end_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(meeting_type="ON_LOCATION") | Q(location__isnull=False),
                name="appointment_on_location_has_location",
            ),
        ]

    def __str__(self):
        return f"{self.get_meeting_type_display()} appointment {self.pk}"


class AppointmentStatusChange(models.Model):
    """One action on an appointment: who, through which door, when, from which status to which
    (the same one for a new time), and why. Written by the service that acts, in its transaction."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="history")
    action = models.CharField(max_length=32, help_text="reschedule, accept, cancel, complete, no-show, ...")
    from_status = models.CharField(max_length=32, choices=Appointment.Status.choices)
    to_status = models.CharField(max_length=32, choices=Appointment.Status.choices)
    start = models.DateTimeField(null=True, blank=True, help_text="The appointment's time after the action")
    reason = models.TextField(blank=True, help_text="Why, for staff")
    message = models.TextField(
        blank=True, help_text="What the customer was told, or, for the customer's own actions, what they wrote"
    )
    notify_customer = models.BooleanField(
        default=True, help_text="Whether the customer is to hear of this action (the caller's notifyCustomer)"
    )
    at = models.DateTimeField(default=timezone.now)
    by_type = models.CharField(max_length=16, choices=Appointment.ActorType.choices)
    by_id = models.CharField(max_length=64, null=True, blank=True)
    channel = models.CharField(max_length=16, choices=Appointment.Channel.choices)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = "status change"

    def __str__(self):
        return f"{self.action}: {self.from_status} → {self.to_status}"


class AppointmentParticipant(models.Model):
    class Role(models.TextChoices):
        PRIMARY = "PRIMARY"
        SECONDARY = "SECONDARY"

    class Type(models.TextChoices):
        CUSTOMER = "CUSTOMER"
        EMPLOYEE = "EMPLOYEE"

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="participants")
    role = models.CharField(max_length=16, choices=Role.choices)
    type = models.CharField(max_length=16, choices=Type.choices)
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    video_url = models.URLField(max_length=500, null=True, blank=True)
    video_test_url = models.URLField(max_length=500, null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # Exactly the participant that the type names.
            models.CheckConstraint(
                condition=(Q(type="EMPLOYEE") & Q(employee__isnull=False) & Q(customer__isnull=True))
                | (Q(type="CUSTOMER") & Q(customer__isnull=False) & Q(employee__isnull=True)),
                name="participant_matches_type",
            ),
            models.UniqueConstraint(
                fields=["appointment", "employee"], condition=Q(employee__isnull=False), name="participant_employee_once"
            ),
            models.UniqueConstraint(
                fields=["appointment", "customer"], condition=Q(customer__isnull=False), name="participant_customer_once"
            ),
        ]

    @property
    def participant_id(self) -> int:
        return self.employee_id if self.type == self.Type.EMPLOYEE else self.customer_id

    def __str__(self):
        return f"{self.role} {self.type} {self.participant_id}"


IDEMPOTENCY_KEY_MAX_LENGTH = 255


class IdempotencyKey(models.Model):
    """An API client's ``Idempotency-Key`` and what it answered (see idempotency.py)."""

    api_client = models.ForeignKey(settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=IDEMPOTENCY_KEY_MAX_LENGTH)
    request_hash = models.CharField(
        max_length=64, help_text="sha256 of the request's method, path and canonical JSON body (request_fingerprint)"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The request that holds the key (a fencing token) and since when; both cleared when done.
    owner = models.UUIDField(null=True, blank=True)
    locked_at = models.DateTimeField(null=True, blank=True)
    appointment = models.ForeignKey(
        "appointments.Appointment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["api_client", "key"], name="idempotency_key_unique_per_client")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_key_created_idx")]

    def __str__(self):
        return f"{self.key} ({self.api_client_id})"


class FormSubmission(models.Model):
    """A staff invite form's one-time key, claimed by the first submission that creates its invite:
    a second submission of the same form (a double click, a reload) is shown that invite instead
    of creating another."""

    key = models.UUIDField(unique=True)
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return str(self.key)

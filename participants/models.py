from django.conf import settings
from django.db import models
from django.db.models import Q
from oauth2_provider.models import AbstractApplication

from core.languages import API_LANGUAGES

LANGUAGE_CHOICES = [(code, code) for code in API_LANGUAGES]


class Enterprise(models.Model):
    """The tenant: every other resource belongs to exactly one enterprise."""

    slug = models.SlugField(max_length=64, unique=True, help_text="Used in API URLs, e.g. /api/enterprises/acme/…")
    name = models.CharField(max_length=255)
    default_language = models.CharField(
        max_length=2, choices=LANGUAGE_CHOICES, default="en", help_text="Fallback for Accept-Language '*'"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return self.name


class EnterpriseOwned(models.Model):
    """Fields shared by every resource that belongs to an enterprise and can be referenced by the
    caller's own identifier (``externalId``), unique within the enterprise."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="+")
    external_id = models.CharField(max_length=255, blank=True, null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    @classmethod
    def external_id_constraint(cls, name: str) -> models.UniqueConstraint:
        return models.UniqueConstraint(
            fields=["enterprise", "external_id"], condition=Q(external_id__isnull=False), name=name
        )


class ApiClient(AbstractApplication):
    """An OAuth2 client (django-oauth-toolkit application) that belongs to one enterprise.

    Its tokens work only in that enterprise, and only with the scopes it was registered with.
    """

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="api_clients")
    allowed_scopes = models.CharField(
        max_length=255,
        default=settings.SCOPE_READ_ONLY,
        help_text="Space-separated scopes this client may request",
    )

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"
        verbose_name = "API client"


class Employee(EnterpriseOwned):
    """A member of the enterprise's staff; may have a login for the back office."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="employee"
    )
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150)
    email = models.EmailField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [EnterpriseOwned.external_id_constraint("employee_external_id_unique")]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"


def working_employee(user) -> Employee | None:
    """The employee a staff login works as: an active staff user linked to an active employee.
    Both the back office and the admin scope everything a staff member sees by it."""
    employee = getattr(user, "employee", None)
    if user.is_active and user.is_staff and employee is not None and employee.is_active:
        return employee
    return None


class Customer(EnterpriseOwned):
    """Someone the enterprise invites to appointments."""

    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    language = models.CharField(max_length=2, choices=LANGUAGE_CHOICES, default="en")
    time_zone = models.CharField(max_length=64, default="UTC")

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [EnterpriseOwned.external_id_constraint("customer_external_id_unique")]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"

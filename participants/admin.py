"""Admin for enterprises, their API clients, employees and customers.

Superusers see every enterprise; other staff see only their own employee's enterprise (the same
tenancy rule as the back office), and their new rows belong to it.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from oauth2_provider.models import get_access_token_model, get_grant_model, get_id_token_model, get_refresh_token_model

from core.admin import SuperusersOnlyMixin

from .models import ApiClient, Customer, Employee, Enterprise, working_employee

AUDIT_FIELDS = ("created_at", "updated_at")


def staff_enterprise_id(request) -> int | None:
    """The enterprise a staff user works for; None (so: no rows) without an active employee."""
    employee = working_employee(request.user)
    return employee.enterprise_id if employee is not None else None


class EnterpriseScopedAdmin(admin.ModelAdmin):
    """Rows of the user's own enterprise only, unless the user is a superuser."""

    enterprise_path = "enterprise"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.enterprise_path}_id": staff_enterprise_id(request)})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if not request.user.is_superuser:
            enterprise_id = staff_enterprise_id(request)
            if related is Enterprise:
                kwargs["queryset"] = Enterprise.objects.filter(pk=enterprise_id)
            elif related is get_user_model():
                # Logins not yet linked, or linked to this enterprise's employees.
                kwargs["queryset"] = related._default_manager.filter(
                    Q(employee__isnull=True) | Q(employee__enterprise_id=enterprise_id)
                )
            elif any(field.name == "enterprise" for field in related._meta.fields):
                kwargs["queryset"] = related._default_manager.filter(enterprise_id=enterprise_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_list_filter(self, request):
        # Other staff would see every enterprise's name in the filter.
        filters = super().get_list_filter(request)
        return filters if request.user.is_superuser else tuple(f for f in filters if f != "enterprise")

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        # Staff cannot move rows to another enterprise; theirs is set on save.
        return readonly if request.user.is_superuser else (*readonly, "enterprise")

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser and not change:
            obj.enterprise_id = staff_enterprise_id(request)
        super().save_model(request, obj, form, change)


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "default_language", "created_at")
    list_filter = ("default_language",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = AUDIT_FIELDS

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.filter(pk=staff_enterprise_id(request))

    def has_add_permission(self, request):
        return request.user.is_superuser


class PersonAdmin(EnterpriseScopedAdmin):
    list_filter = ("enterprise",)
    search_fields = ("first_name", "last_name", "email", "external_id")
    autocomplete_fields = ("enterprise",)
    readonly_fields = AUDIT_FIELDS


@admin.register(Employee)
class EmployeeAdmin(PersonAdmin):
    list_display = ("__str__", "email", "enterprise", "user", "is_active", "external_id")
    list_filter = ("enterprise", "is_active")
    autocomplete_fields = ("enterprise", "user")


@admin.register(Customer)
class CustomerAdmin(PersonAdmin):
    list_display = ("__str__", "email", "phone", "language", "time_zone", "enterprise", "external_id")
    list_filter = ("enterprise", "language")
    search_fields = (*PersonAdmin.search_fields, "phone")


SCOPE_CHOICES = list(settings.OAUTH2_PROVIDER["SCOPES"].items())


class ApiClientForm(forms.ModelForm):
    """Only what an enterprise decides: a name and the scopes. The client id and secret are
    generated; the client uses the client-credentials grant."""

    allowed_scopes = forms.MultipleChoiceField(
        choices=SCOPE_CHOICES, widget=forms.CheckboxSelectMultiple, initial=[settings.SCOPE_READ_ONLY]
    )

    class Meta:
        model = ApiClient
        fields = ("name", "enterprise", "allowed_scopes")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["allowed_scopes"] = self.instance.allowed_scopes.split()

    def clean_allowed_scopes(self):
        return " ".join(self.cleaned_data["allowed_scopes"])


# django-oauth-toolkit registers a generic admin for the application model; ours replaces it.
if admin.site.is_registered(ApiClient):
    admin.site.unregister(ApiClient)


for _model in (get_access_token_model(), get_refresh_token_model(), get_grant_model(), get_id_token_model()):
    if admin.site.is_registered(_model):
        _admin_class = type(admin.site.get_model_admin(_model))
        admin.site.unregister(_model)
        # DOT's token admins span every enterprise: superusers only (e.g. to revoke a leaked token).
        admin.site.register(_model, type(_admin_class.__name__, (SuperusersOnlyMixin, _admin_class), {}))


@admin.register(ApiClient)
class ApiClientAdmin(EnterpriseScopedAdmin):
    form = ApiClientForm
    list_display = ("name", "client_id", "enterprise", "allowed_scopes", "created")
    list_filter = ("enterprise",)
    search_fields = ("name", "client_id")
    autocomplete_fields = ("enterprise",)
    readonly_fields = ("client_id", "created", "updated")

    def get_fields(self, request, obj=None):
        return ("name", "enterprise", "allowed_scopes") + (("client_id", "created", "updated") if obj else ())

    def save_model(self, request, obj, form, change):
        if not change:
            obj.client_type = ApiClient.CLIENT_CONFIDENTIAL
            obj.authorization_grant_type = ApiClient.GRANT_CLIENT_CREDENTIALS
            # The generated secret is hashed on save: keep the plaintext to show it once.
            request._new_client_secret = obj.client_secret
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        """Redirect to the page that shows the secret: reloading it then creates no second client.
        The secret waits in the session until that page shows it, once."""
        request.session[_secret_key(obj)] = request._new_client_secret
        return redirect("admin:participants_apiclient_secret", obj.pk)

    def get_urls(self):
        secret = self.admin_site.admin_view(self.secret_view)
        return [path("<int:pk>/secret/", secret, name="participants_apiclient_secret"), *super().get_urls()]

    def secret_view(self, request, pk):
        client = self.get_object(request, str(pk))
        if client is None or not self.has_view_permission(request, client):
            raise PermissionDenied
        secret = request.session.pop(_secret_key(client), None)
        if secret is None:
            self.message_user(
                request, "The secret was shown once and is stored hashed: if it is lost, create a new client.",
                messages.WARNING,
            )
            return redirect("admin:participants_apiclient_change", client.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "client": client,
            "client_secret": secret,
            "title": "API client created",
        }
        # Never cached: admin views are served with Cache-Control: no-store.
        return TemplateResponse(request, "admin/participants/apiclient/secret.html", context)


def _secret_key(client: ApiClient) -> str:
    return f"new-api-client-secret-{client.pk}"

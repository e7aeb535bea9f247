"""Admin for what invites reference, and the appointments themselves.

Appointments are never added with the stock add form: "Invite a customer" uses the back office's
form and so ``invite_create``, like every other door.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from modeltranslation.admin import TabbedTranslationAdmin

from availability.admin import EmployeeHoursInline, OfficeClosureInline, OpeningHoursInline
from availability.selectors import office_time_zone
from core.admin import SuperuserReadOnlyAdmin
from locations.models import Location
from notifications.admin import MessageInline, resend_invite
from participants.admin import AUDIT_FIELDS, EnterpriseScopedAdmin, staff_enterprise_id

from .forms import InviteForm
from .models import (
    Appointment,
    AppointmentParticipant,
    AppointmentStatusChange,
    CallbackRequest,
    FormSubmission,
    IdempotencyKey,
    LeadSegment,
    Listing,
    Office,
    Subject,
)
from .views import local_when, staff_employee

admin.site.site_header = f"{settings.PRODUCT_NAME} administration"
admin.site.site_title = settings.PRODUCT_NAME
admin.site.index_title = "Enterprises, staff, customers and appointments"


class EnterpriseOwnedAdmin(EnterpriseScopedAdmin):
    list_filter = ("enterprise",)
    autocomplete_fields = ("enterprise",)
    readonly_fields = AUDIT_FIELDS

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Location and not request.user.is_superuser:
            # Locations belong to no enterprise: staff may pick those of their own offices and listings.
            enterprise_id = staff_enterprise_id(request)
            kwargs["queryset"] = Location.objects.filter(
                Q(pk__in=Office.objects.filter(enterprise_id=enterprise_id).values("location_id"))
                | Q(pk__in=Listing.objects.filter(enterprise_id=enterprise_id).values("location_id"))
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Subject)
class SubjectAdmin(TabbedTranslationAdmin, EnterpriseOwnedAdmin):
    list_display = ("name", "enterprise", "external_id", "updated_at")
    search_fields = ("name", "external_id")


@admin.register(Office)
class OfficeAdmin(EnterpriseOwnedAdmin):
    list_display = ("name", "location", "enterprise", "external_id")
    search_fields = ("name", "external_id")
    autocomplete_fields = ("enterprise", "location")
    list_select_related = ("location", "enterprise")
    inlines = [OpeningHoursInline, EmployeeHoursInline, OfficeClosureInline]


@admin.register(Listing)
class ListingAdmin(EnterpriseOwnedAdmin):
    list_display = ("title", "location", "enterprise", "external_id")
    search_fields = ("title", "external_id")
    autocomplete_fields = ("enterprise", "location")
    list_select_related = ("location", "enterprise")


@admin.register(LeadSegment)
class LeadSegmentAdmin(EnterpriseOwnedAdmin):
    list_display = ("code", "name", "enterprise", "external_id")
    search_fields = ("code", "name", "external_id")


@admin.register(CallbackRequest)
class CallbackRequestAdmin(EnterpriseOwnedAdmin):
    list_display = ("__str__", "customer", "phone", "enterprise", "created_at")
    search_fields = ("phone", "note", "external_id", "customer__last_name", "customer__email")
    autocomplete_fields = ("enterprise", "customer")
    list_select_related = ("customer", "enterprise")


class ParticipantInline(admin.TabularInline):
    model = AppointmentParticipant
    fields = ("role", "type", "employee", "customer", "video_url")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class HistoryInline(admin.TabularInline):
    """Every action on the appointment, oldest first: read only, written by the services."""

    model = AppointmentStatusChange
    fields = ("at", "action", "from_status", "to_status", "start", "reason", "message", "by_type", "by_id", "channel")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "history"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Appointment)
class AppointmentAdmin(EnterpriseScopedAdmin):
    list_display = (
        "__str__", "external_id", "status", "time", "meeting_type", "subject", "office", "enterprise", "created_at"
    )
    list_filter = ("status", "meeting_type", "created_from", "enterprise")
    search_fields = ("external_id", "participants__customer__last_name", "participants__customer__email")
    list_select_related = ("subject", "office__location", "enterprise")
    date_hierarchy = "created_at"
    inlines = [ParticipantInline, HistoryInline, MessageInline]
    actions = [resend_invite]
    fieldsets = [
        (None, {"fields": ("enterprise", "status", "external_id", "subject", "office", "meeting_type", "hybrid")}),
        ("Time", {"fields": ("start", "end", "trailing_buffer_time")}),
        ("References", {"fields": ("location", "listing", "lead_segment", "callback_request")}),
        ("Messages", {"fields": ("message_for_customer", "internal_notes")}),
        (
            "Audit",
            {
                "fields": (
                    ("created_at", "created_by_type", "created_by_id", "created_from"),
                    ("updated_at", "updated_by_type", "updated_by_id", "updated_from"),
                )
            },
        ),
    ]
    # Changes to appointments are business operations (services), not field edits.
    readonly_fields = flatten_fieldsets(fieldsets)
    change_list_template = "admin/appointments/appointment/change_list.html"

    def has_add_permission(self, request):
        return False

    @admin.display(description="Time", ordering=F("start").asc(nulls_last=True))
    def time(self, appointment):
        """When it is, in its office's time zone, named; empty for an invite not booked yet."""
        return appointment.start and local_when(appointment.start, office_time_zone(appointment))

    def may_invite(self, request) -> bool:
        return request.user.has_perm("appointments.add_appointment")

    def get_urls(self):
        invite = self.admin_site.admin_view(self.invite_view)
        return [path("invite/", invite, name="appointments_appointment_invite"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"may_invite": self.may_invite(request), **(extra_context or {})})

    def invite_view(self, request):
        """Invite a customer: the back office's form, ``invite_create`` as the logged-in employee."""
        if not self.may_invite(request):
            raise PermissionDenied
        employee = staff_employee(request)
        form = InviteForm(request.POST if request.method == "POST" else None, employee=employee)
        if request.method == "POST" and form.is_valid():
            appointment = form.create()
            if appointment is not None:
                self.message_user(request, f"Invite {appointment.pk} created.", messages.SUCCESS)
                return redirect(reverse("admin:appointments_appointment_change", args=[appointment.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Invite a customer",
            "form": form,
            "employee": employee,
        }
        return TemplateResponse(request, "admin/appointments/appointment/invite.html", context)


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(SuperuserReadOnlyAdmin):
    """Idempotency keys of API clients, to see why a retry was replayed or refused."""

    list_display = ("key", "api_client", "appointment", "response_status", "created_at")
    list_filter = ("response_status",)
    search_fields = ("key",)


@admin.register(FormSubmission)
class FormSubmissionAdmin(SuperuserReadOnlyAdmin):
    """Staff invite forms already submitted, to see why a second click showed the first invite."""

    list_display = ("key", "appointment", "created_at")
    search_fields = ("key",)

"""Admin for availability: hours and closures as inlines of their office, the subject settings and
closures as pages of their own. Weekly blocks are checked as a whole: none ends before it starts
and no two of one day overlap."""

from collections import defaultdict

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms.models import BaseInlineFormSet

from core.admin import SuperuserReadOnlyAdmin
from participants.admin import EnterpriseScopedAdmin, staff_enterprise_id
from participants.models import Employee

from .models import BusyTime, Closure, EmployeeHours, OpeningHours, SubjectAvailability


class WeeklyHoursFormSet(BaseInlineFormSet):
    """Refuses overlapping blocks among the rows being saved (per weekday, and per employee)."""

    def clean(self):
        super().clean()
        days = defaultdict(list)
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("start") or not data.get("end"):
                continue
            days[(data.get("employee"), data.get("weekday"))].append((data["start"], data["end"]))
        for (employee, weekday), blocks in days.items():
            ordered = sorted(blocks)
            for earlier, later in zip(ordered, ordered[1:]):
                if earlier[1] > later[0]:
                    who = f"{employee}: " if employee else ""
                    raise ValidationError(
                        f"{who}{earlier[0]:%H:%M}–{earlier[1]:%H:%M} and {later[0]:%H:%M}–{later[1]:%H:%M} "
                        "overlap on the same day."
                    )


class EnterpriseEmployeesInline(admin.TabularInline):
    """An inline whose employee choices are the staff member's own enterprise's."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Employee and not request.user.is_superuser:
            kwargs["queryset"] = Employee.objects.filter(enterprise_id=staff_enterprise_id(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    formset = WeeklyHoursFormSet
    fields = ("weekday", "start", "end")
    extra = 0


class EmployeeHoursInline(EnterpriseEmployeesInline):
    model = EmployeeHours
    formset = WeeklyHoursFormSet
    fields = ("employee", "weekday", "start", "end")
    extra = 0
    verbose_name_plural = "employee hours (instead of the opening hours, for these employees)"


class OfficeClosureInline(admin.TabularInline):
    model = Closure
    fields = ("first_day", "last_day", "reason")
    extra = 0
    verbose_name_plural = "closures"


@admin.register(SubjectAvailability)
class SubjectAvailabilityAdmin(EnterpriseScopedAdmin):
    list_display = (
        "__str__",
        "estimated_duration",
        "time_slot_granularity",
        "max_concurrent_appointments",
        "auto_accept",
        "enterprise",
    )
    list_filter = ("auto_accept", "meeting_type", "enterprise")
    list_select_related = ("office", "subject", "enterprise")
    search_fields = ("office__name", "subject__name")
    fieldsets = [
        (
            "Applies to (leave all three empty for the enterprise's default)",
            {"fields": ("enterprise", "office", "subject", "meeting_type")},
        ),
        (
            "Slots",
            {
                "fields": (
                    "estimated_duration",
                    "time_slot_granularity",
                    "trailing_buffer_time",
                    ("time_slot_earliest_possible", "time_slot_latest_possible"),
                    "max_concurrent_appointments",
                    "auto_accept",
                )
            },
        ),
    ]


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    """Closures of offices and of employees (an employee's apply at every office). A closure has
    no enterprise of its own: staff see and pick their own enterprise's offices and employees."""

    list_display = ("__str__", "office", "employee", "first_day", "last_day", "reason")
    list_select_related = ("office", "employee")
    date_hierarchy = "first_day"
    search_fields = ("reason", "office__name", "employee__last_name")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        enterprise_id = staff_enterprise_id(request)
        return queryset.filter(Q(office__enterprise_id=enterprise_id) | Q(employee__enterprise_id=enterprise_id))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            kwargs["queryset"] = db_field.related_model._default_manager.filter(
                enterprise_id=staff_enterprise_id(request)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(BusyTime)
class BusyTimeAdmin(SuperuserReadOnlyAdmin):
    """The time booked appointments hold, kept by the booking services: to see why a slot is taken."""

    list_display = ("employee", "start", "end", "exclusive", "appointment")
    list_select_related = ("employee", "appointment")
    date_hierarchy = "start"
    search_fields = ("employee__last_name",)

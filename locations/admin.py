from django.contrib import admin
from modeltranslation.admin import TabbedTranslationAdmin

from .models import Location


@admin.register(Location)
class LocationAdmin(TabbedTranslationAdmin):
    """Locations belong to no enterprise (offices, listings and appointments point at them), so
    only superusers manage them directly."""

    list_display = ("__str__", "street1", "postal_code", "country_code", "time_zone", "latitude", "longitude")
    list_filter = ("country_code", "time_zone")
    search_fields = ("city", "street1", "postal_code")
    readonly_fields = ("created_at", "updated_at")

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

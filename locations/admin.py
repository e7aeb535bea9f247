from django.contrib import admin
from modeltranslation.admin import TabbedTranslationAdmin

from core.admin import SuperuserReadOnlyAdmin

from .models import GeocodingCacheEntry, Location


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


@admin.register(GeocodingCacheEntry)
class GeocodingCacheEntryAdmin(SuperuserReadOnlyAdmin):
    """The shared geocoding cache, to inspect or evict entries (``manage.py geocoding_cache`` warms
    and clears it in bulk)."""

    list_display = ("query", "provider", "latitude", "longitude", "created_at", "expires_at")
    list_filter = ("provider",)
    search_fields = ("query",)

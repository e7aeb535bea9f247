from django.contrib import admin

from core.admin import SuperuserReadOnlyAdmin

from .models import InviteLink


@admin.register(InviteLink)
class InviteLinkAdmin(SuperuserReadOnlyAdmin):
    """Links sent to customers (their hashes only): to see whether one still works."""

    list_display = ("appointment", "customer", "created_at", "expires_at", "revoked_at")
    list_select_related = ("appointment", "customer")
    search_fields = ("customer__last_name", "customer__email")

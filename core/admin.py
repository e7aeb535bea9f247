"""Admin wiring shared by the apps."""

from django.contrib import admin


class SuperusersOnlyMixin:
    """A ModelAdmin that only superusers see or use (tables that span every enterprise)."""

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class SuperuserReadOnlyAdmin(SuperusersOnlyMixin, admin.ModelAdmin):
    """Infrastructure tables the service writes itself (caches, idempotency keys): superusers may
    look and evict; nobody edits."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

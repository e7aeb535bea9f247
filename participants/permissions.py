"""API access: a token works only in its own client's enterprise, and only for its scopes."""

from django.conf import settings
from rest_framework import exceptions, permissions

from .models import Enterprise


class EnterpriseNotFound(exceptions.NotFound):
    api_code = "ENTERPRISE_NOT_FOUND"
    default_detail = "Enterprise not found."


class WrongEnterprise(exceptions.PermissionDenied):
    api_code = "FORBIDDEN_ENTERPRISE"
    default_detail = "This token does not belong to this enterprise."


class InsufficientScope(exceptions.PermissionDenied):
    api_code = "INSUFFICIENT_SCOPE"
    default_detail = "This token's scope does not allow this operation."


class EnterpriseToken(permissions.BasePermission):
    """Resolves ``view.enterprise`` from the ``enterprise`` URL slug (404 if unknown), then checks
    that the OAuth2 token belongs to it (403) and carries the scope the method needs (403).

    Safe methods accept the read-only or the read-write scope; anything else needs read-write.
    """

    def has_permission(self, request, view):
        token = request.auth
        if token is None:
            return False  # DRF answers 401 with a Bearer challenge.
        # The token came with its client's enterprise: the usual case costs no query.
        enterprise = token.application.enterprise
        if enterprise.slug != view.kwargs["enterprise"]:
            if not Enterprise.objects.filter(slug=view.kwargs["enterprise"]).exists():
                raise EnterpriseNotFound()
            raise WrongEnterprise()
        if not self.accepted_scopes(request.method) & set(token.scope.split()):
            raise InsufficientScope()
        view.enterprise = enterprise
        return True

    @staticmethod
    def accepted_scopes(method: str) -> set[str]:
        """Any one of these scopes allows the HTTP method (also published in the API schema)."""
        if method in permissions.SAFE_METHODS:
            return {settings.SCOPE_READ_ONLY, settings.SCOPE_READ_WRITE}
        return {settings.SCOPE_READ_WRITE}

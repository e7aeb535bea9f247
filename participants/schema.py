"""The API's security scheme in the OpenAPI schema: OAuth2 client credentials, with the scopes
``EnterpriseToken`` demands of each operation (drf-spectacular finds the extension once this module
is imported, which the app does when it is ready)."""

from drf_spectacular.contrib.django_oauth_toolkit import DjangoOAuthToolkitScheme

from .permissions import EnterpriseToken


class EnterpriseTokenScheme(DjangoOAuthToolkitScheme):
    """The OAuth2 client-credentials scheme, with the scopes ``EnterpriseToken`` demands."""

    target_class = "participants.authentication.BearerTokenAuthentication"
    priority = 1

    def get_security_requirement(self, auto_schema):
        if any(isinstance(p, EnterpriseToken) for p in auto_schema.view.get_permissions()):
            return [{self.name: [scope]} for scope in sorted(EnterpriseToken.accepted_scopes(auto_schema.method))]
        return super().get_security_requirement(auto_schema)

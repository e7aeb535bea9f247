from oauth2_provider.scopes import SettingsScopes


class ApiClientScopes(SettingsScopes):
    """A client is granted only the scopes it was registered with (``ApiClient.allowed_scopes``)."""

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        known = super().get_available_scopes(application, request, *args, **kwargs)
        if application is None:
            return known
        allowed = set(application.allowed_scopes.split())
        return [scope for scope in known if scope in allowed]

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        """Without a ``scope`` parameter: the least privilege (DEFAULT_SCOPES) the client has,
        else what it has."""
        available = self.get_available_scopes(application, request, *args, **kwargs)
        defaults = super().get_default_scopes(application, request, *args, **kwargs)
        return [scope for scope in available if scope in defaults] or available

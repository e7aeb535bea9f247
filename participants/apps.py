from django.apps import AppConfig


class ParticipantsConfig(AppConfig):
    name = "participants"
    verbose_name = "Enterprises and participants"

    def ready(self):
        # Connect the token cache's signal receivers, and register the API's security scheme
        # with drf-spectacular.
        from . import authentication, schema  # noqa: F401

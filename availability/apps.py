from django.apps import AppConfig


class AvailabilityConfig(AppConfig):
    name = "availability"

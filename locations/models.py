from django.db import models
from django.db.models import Q

from core.languages import API_LANGUAGES, to_storage


class Location(models.Model):
    """A postal address with its coordinates and IANA time zone.

    ``city``, ``state``, ``street1`` and ``street2`` are translated (see translation.py): one column
    per language, e.g. ``city_en``, ``city_nb``.
    """

    country_code = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2, upper case")
    postal_code = models.CharField(max_length=32, blank=True, null=True)
    city = models.CharField(max_length=255, blank=True, null=True)
    state = models.CharField(max_length=255, blank=True, null=True)
    street1 = models.CharField(max_length=255, blank=True, null=True)
    street2 = models.CharField(max_length=255, blank=True, null=True)
    latitude = models.FloatField()
    longitude = models.FloatField()
    time_zone = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    TRANSLATED_FIELDS = ("city", "state", "street1", "street2")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(latitude__gte=-90) & Q(latitude__lte=90), name="location_latitude_range"),
            models.CheckConstraint(
                condition=Q(longitude__gte=-180) & Q(longitude__lte=180), name="location_longitude_range"
            ),
            models.CheckConstraint(condition=Q(country_code__regex=r"^[A-Z]{2}$"), name="location_country_code_format"),
        ]

    def __str__(self):
        return f"{self.city or '?'} ({self.country_code})"

    def translations(self, part: str) -> dict[str, str]:
        """A translated part's values by API language, in ``API_LANGUAGES``' order; languages
        without a value are left out."""
        values = {language: getattr(self, f"{part}_{to_storage(language)}") for language in API_LANGUAGES}
        return {language: value for language, value in values.items() if value}


class GeocodingCacheEntry(models.Model):
    """One provider's answer for one normalized address, shared by every worker and server.

    ``latitude``/``longitude`` are null for a negative answer ("no such place"), which expires
    sooner than a positive one. Outages are never cached.
    """

    provider = models.CharField(max_length=255, help_text="geocoder name and domain that answered")
    key = models.CharField(max_length=64, help_text="SHA-256 of the normalized query")
    query = models.TextField(help_text="the normalized query, for people reading the table")
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "key"], name="geocoding_cache_provider_key_unique"),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="geocoding_cache_both_or_no_coordinates",
            ),
        ]

    @property
    def found(self) -> bool:
        return self.latitude is not None

    def __str__(self):
        return f"{self.provider}: {self.query}"

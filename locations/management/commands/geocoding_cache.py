"""Look after geocoding's caches: the offline gazetteer's index and the database cache of network
providers' answers.

    manage.py geocoding_cache build-index      # the offline index (make migrate runs this)
    manage.py geocoding_cache warm             # geocode every stored location's address
    manage.py geocoding_cache warm addresses.csv   # or the rows of a CSV file
    manage.py geocoding_cache clear [--expired] [--provider NAME]

The CSV has a header with any of countryCode (required), postalCode, city, state, street1,
street2, and an optional language column (API code, default en) saying which language the
translated values are in.
"""

import csv

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from locations.gazetteer import ensure_index
from locations.geocoding import OFFLINE, Address, GeocodingFailed, geocode_many, provider_name
from locations.models import GeocodingCacheEntry, Location


class Command(BaseCommand):
    help = "Build the offline gazetteer index, or warm or clear the geocoding cache."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("build-index", help="build the offline gazetteer index if missing")
        warm = actions.add_parser("warm", help="geocode addresses ahead of time with the configured GEOCODER")
        warm.add_argument("csv_file", nargs="?", help="addresses to geocode (default: every stored location)")
        clear = actions.add_parser("clear", help="delete cached answers")
        clear.add_argument("--expired", action="store_true", help="only entries past their expiry")
        clear.add_argument("--provider", help="only this provider's entries (as stored, e.g. nominatim@host)")

    def handle(self, *args, action, **options):
        getattr(self, action.replace("-", "_"))(**options)

    def build_index(self, **options):
        self.stdout.write(f"Offline gazetteer index: {ensure_index(settings.GEOCODER_OFFLINE_DIR)}")

    def warm(self, *, csv_file=None, **options):
        addresses = self._csv_addresses(csv_file) if csv_file else self._stored_addresses()
        if settings.GEOCODER == OFFLINE:
            self.build_index()
        results = geocode_many(addresses)
        failed = sum(isinstance(result, GeocodingFailed) for result in results)
        self.stdout.write(
            f"{len(results)} addresses geocoded with {provider_name()}: {len(results) - failed} found, {failed} not found"
        )

    def clear(self, *, expired=False, provider=None, **options):
        entries = GeocodingCacheEntry.objects.all()
        if expired:
            entries = entries.filter(expires_at__lte=timezone.now())
        if provider:
            entries = entries.filter(provider=provider)
        deleted, _ = entries.delete()
        self.stdout.write(f"{deleted} cached geocoding answers deleted")

    def _stored_addresses(self) -> list[Address]:
        return [
            Address(
                country_code=location.country_code,
                postal_code=location.postal_code,
                **{part: location.translations(part) for part in Location.TRANSLATED_FIELDS},
            )
            for location in Location.objects.all().iterator()
        ]

    def _csv_addresses(self, path: str) -> list[Address]:
        try:
            with open(path, newline="", encoding="utf-8-sig") as file:
                rows = list(csv.DictReader(file))
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
        addresses = []
        for number, row in enumerate(rows, start=2):
            if not row.get("countryCode"):
                raise CommandError(f"{path} line {number}: countryCode is required")
            language = row.get("language") or "en"
            addresses.append(
                Address(
                    country_code=row["countryCode"].upper(),
                    postal_code=row.get("postalCode") or None,
                    **{part: {language: row[part]} for part in Location.TRANSLATED_FIELDS if row.get(part)},
                )
            )
        return addresses

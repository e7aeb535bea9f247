"""Demo data for trying the service: two enterprises with everything an invite references.

Idempotent: rows are found by their external id (or natural key) and updated, never duplicated.
The printed credentials are fixed, demo-only values: never use this command in production.
"""

import json
from datetime import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand
from django.db import transaction

from availability.models import OpeningHours, SubjectAvailability, Weekday
from core.languages import to_storage
from locations.geocoding import resolve_time_zone
from locations.models import Location
from participants.models import ApiClient, Customer, Employee, Enterprise

from ...models import Appointment, CallbackRequest, LeadSegment, Listing, Office, Subject

# Every demo office is open Monday to Friday, 09:00–17:00 in its own time zone.
WORKING_DAYS = (Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY)
OPENING_HOURS = [(day, time(9), time(17)) for day in WORKING_DAYS]

DEMO = {
    "acme": {
        "name": "Acme Bank",
        "default_language": "en",
        "clients": {
            "readWrite": ("acme-read-write", "acme-read-write-demo-secret", settings.SCOPE_READ_WRITE),
            "readOnly": ("acme-read-only", "acme-read-only-demo-secret", settings.SCOPE_READ_ONLY),
        },
        "staff": ("staff", "demo-staff-password"),
        "subjects": [
            ("acme-subject-mortgage", {"en": "Mortgage advice", "nl": "Hypotheekadvies", "fr": "Conseil hypothécaire"}),
            ("acme-subject-savings", {"en": "Savings and investments", "nl": "Sparen en beleggen", "fr": "Épargne et placements"}),
        ],
        "offices": [
            (
                "acme-office-ghent",
                "Ghent Korenmarkt",
                {"country_code": "BE", "postal_code": "9000", "latitude": 51.0543, "longitude": 3.7214},
                {"city": {"en": "Ghent", "nl": "Gent", "fr": "Gand"}, "street1": {"en": "Korenmarkt 1", "nl": "Korenmarkt 1"}},
            ),
            (
                "acme-office-brussels",
                "Brussels Grand-Place",
                {"country_code": "BE", "postal_code": "1000", "latitude": 50.8467, "longitude": 4.3525},
                {"city": {"en": "Brussels", "nl": "Brussel", "fr": "Bruxelles"}, "street1": {"fr": "Grand-Place 1", "nl": "Grote Markt 1"}},
            ),
        ],
        "employees": [
            ("acme-employee-1", "Anna", "Peeters", "anna.peeters@acme.example"),
            ("acme-employee-2", "Bram", "Claes", "bram.claes@acme.example"),
            ("acme-employee-3", "Chloé", "Dubois", "chloe.dubois@acme.example"),
        ],
        # English, Dutch and French, in this order; the first lives an ocean away from the offices.
        "customers": [
            ("acme-customer-1", "Olivia", "Carter", "olivia@example.com", "en", "America/New_York"),
            ("acme-customer-2", "Daan", "Janssens", "daan@example.com", "nl", "Europe/Brussels"),
            ("acme-customer-3", "Emma", "Lambert", "emma@example.com", "fr", "Europe/Brussels"),
        ],
        # Per subject (in the order above): how it is booked, at every office and for every meeting type.
        "booking": [
            {"estimated_duration": 60, "time_slot_granularity": 30, "auto_accept": True},
            {"estimated_duration": 60, "time_slot_granularity": 30, "auto_accept": False},
        ],
        "listings": [("acme-listing-1", "Townhouse on the Graslei")],
        "lead_segments": [("acme-segment-young", "YOUNG_FAMILIES", "Young families")],
        "callback_requests": [("acme-callback-1", 0, "+32 9 123 45 67", "Please call me about a mortgage.")],
    },
    "globex": {
        "name": "Globex Estates",
        "default_language": "nl",
        "clients": {
            "readWrite": ("globex-read-write", "globex-read-write-demo-secret", settings.SCOPE_READ_WRITE),
        },
        "staff": ("globex-staff", "demo-globex-staff-password"),
        "subjects": [("globex-subject-viewing", {"en": "Viewing", "nl": "Bezichtiging"})],
        "booking": [{"estimated_duration": 30, "time_slot_granularity": 30, "auto_accept": True}],
        "offices": [
            (
                "globex-office-amsterdam",
                "Amsterdam Dam",
                {"country_code": "NL", "postal_code": "1012 JS", "latitude": 52.3731, "longitude": 4.8926},
                {"city": {"en": "Amsterdam", "nl": "Amsterdam"}, "street1": {"nl": "Dam 1"}},
            ),
        ],
        "employees": [("globex-employee-1", "Gerrit", "de Vries", "gerrit@globex.example")],
        "customers": [("globex-customer-1", "Hanna", "Bakker", "hanna@example.com", "nl", "Europe/Amsterdam")],
        "listings": [("globex-listing-1", "Canal house on the Herengracht")],
        "lead_segments": [("globex-segment-buyers", "FIRST_BUYERS", "First-time buyers")],
        "callback_requests": [("globex-callback-1", 0, "+31 20 123 4567", "Call me about a viewing.")],
    },
}


class Command(BaseCommand):
    help = "Create (or refresh) the demo enterprises 'acme' and 'globex'. Demo credentials only."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print the ids and credentials as one JSON object.")
        parser.add_argument(
            "--base-url",
            default=settings.PUBLIC_BASE_URL,
            help="Base URL used for tokenUrl in the output (default: PUBLIC_BASE_URL).",
        )

    @transaction.atomic
    def handle(self, *args, **options):
        summary = seed_enterprise("acme", options["base_url"])
        summary["other"] = seed_enterprise("globex", options["base_url"])
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
        else:
            self.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2))
            self.stdout.write(self.style.SUCCESS("Demo data ready (demo-only credentials above)."))


def seed_enterprise(slug: str, base_url: str) -> dict:
    spec = DEMO[slug]
    enterprise, _ = Enterprise.objects.update_or_create(
        slug=slug, defaults={"name": spec["name"], "default_language": spec["default_language"]}
    )

    def upsert(model, external_id, **fields):
        row, _ = model.objects.update_or_create(enterprise=enterprise, external_id=external_id, defaults=fields)
        return row

    clients = {}
    for kind, (client_id, secret, scope) in spec["clients"].items():
        ApiClient.objects.update_or_create(
            client_id=client_id,
            defaults={
                "enterprise": enterprise,
                "name": f"{spec['name']} demo {kind} client",
                "client_type": ApiClient.CLIENT_CONFIDENTIAL,
                "authorization_grant_type": ApiClient.GRANT_CLIENT_CREDENTIALS,
                "client_secret": secret,  # hashed on save
                "allowed_scopes": scope,
            },
        )
        clients[kind] = {"clientId": client_id, "clientSecret": secret}

    subjects = [upsert(Subject, ext, **{f"name_{to_storage(k)}": v for k, v in names.items()}, name=names["en"]) for ext, names in spec["subjects"]]
    offices = []
    for ext, name, place, translated in spec["offices"]:
        office = Office.objects.filter(enterprise=enterprise, external_id=ext).select_related("location").first()
        location = office.location if office else Location()
        for key, value in place.items():
            setattr(location, key, value)
        for part, values in translated.items():
            for language, value in values.items():
                setattr(location, f"{part}_{to_storage(language)}", value)
        location.time_zone = resolve_time_zone(place["latitude"], place["longitude"])
        location.save()
        offices.append(upsert(Office, ext, name=name, location=location))

    for office in offices:
        for weekday, start, end in OPENING_HOURS:
            OpeningHours.objects.update_or_create(office=office, weekday=weekday, defaults={"start": start, "end": end})
    for subject, booking in zip(subjects, spec["booking"]):
        for office in offices:
            for meeting_type in Appointment.MeetingType.values:
                SubjectAvailability.objects.update_or_create(
                    enterprise=enterprise, office=office, subject=subject, meeting_type=meeting_type, defaults=booking
                )

    employees = [
        upsert(Employee, ext, first_name=first, last_name=last, email=email)
        for ext, first, last, email in spec["employees"]
    ]
    customers = [
        upsert(Customer, ext, first_name=first, last_name=last, email=email, language=language, time_zone=zone)
        for ext, first, last, email, language, zone in spec["customers"]
    ]
    listings = [upsert(Listing, ext, title=title, location=offices[0].location) for ext, title in spec["listings"]]
    segments = [upsert(LeadSegment, ext, code=code, name=name) for ext, code, name in spec["lead_segments"]]
    callbacks = [
        upsert(CallbackRequest, ext, customer=customers[customer], phone=phone, note=note)
        for ext, customer, phone, note in spec["callback_requests"]
    ]

    username, password = spec["staff"]
    user, _ = get_user_model().objects.update_or_create(
        username=username, defaults={"is_staff": True, "is_active": True, "first_name": employees[0].first_name}
    )
    user.set_password(password)
    user.save()
    # A back-office employee: may view, add and change the enterprise's records in the admin
    # (including "Invite a customer"), but not delete them or touch enterprises.
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["appointments", "availability", "participants", "notifications"],
            codename__regex=r"^(view|add|change)_",
        ).exclude(content_type__model="enterprise")
    )
    Employee.objects.filter(user=user).exclude(pk=employees[0].pk).update(user=None)
    employees[0].user = user
    employees[0].save(update_fields=["user"])

    def ids(rows):
        return [str(row.pk) for row in rows]

    return {
        "enterprise": slug,
        "tokenUrl": f"{base_url.rstrip('/')}/o/token/",
        "clients": clients,
        "staff": {"username": username, "password": password},
        "subjects": ids(subjects),
        "offices": ids(offices),
        "employees": ids(employees),
        "customers": ids(customers),
        "listings": ids(listings),
        "leadSegments": ids(segments),
        "callbackRequests": ids(callbacks),
    }

"""Print, as JSON, the SQL queries of one whole API invite request with 2 and with 10 participants
(the token's lookup and the rate limit's counter included), on the database in DATABASE_URL. Run
by invite_load.py; it writes two appointments and their rows there."""

import json
import os
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.cache import caches  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from oauth2_provider.models import AccessToken  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from appointments.models import CallbackRequest, LeadSegment, Listing, Office, Subject  # noqa: E402
from participants.models import ApiClient, Customer, Employee, Enterprise  # noqa: E402


def main():
    enterprise = Enterprise.objects.get(slug="acme")
    for n in range(5):  # enough participants for 10
        Employee.objects.get_or_create(enterprise=enterprise, external_id=f"bench-employee-{n}", defaults={"first_name": "B", "last_name": str(n)})
        Customer.objects.get_or_create(enterprise=enterprise, external_id=f"bench-customer-{n}", defaults={"first_name": "B", "last_name": str(n)})
    employees = list(Employee.objects.filter(enterprise=enterprise).values_list("pk", flat=True)[:5])
    customers = list(Customer.objects.filter(enterprise=enterprise).values_list("pk", flat=True)[:5])
    client = ApiClient.objects.get(client_id="acme-read-write")
    token = AccessToken.objects.create(
        application=client, token=f"bench-queries-{timezone.now().timestamp()}", scope="engage:appointments:readWrite",
        expires=timezone.now() + timedelta(minutes=5),
    )

    def ref(model):
        return str(model.objects.filter(enterprise=enterprise).values_list("pk", flat=True).first())

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token.token}")
    counts = {}
    for size in (2, 10):
        people = [("EMPLOYEE", pk) for pk in employees[: size // 2]] + [("CUSTOMER", pk) for pk in customers[: size // 2]]
        body = {
            "subjectId": ref(Subject), "officeId": ref(Office), "meetingType": "ON_LOCATION",
            "listingId": ref(Listing), "leadSegmentId": ref(LeadSegment), "callbackRequestId": ref(CallbackRequest),
            "appointmentParticipants": [{"role": "PRIMARY", "participantId": str(pk), "type": t} for t, pk in people],
            "location": {"countryCode": "BE", "geolocation": {"latitude": 51.05, "longitude": 3.72},
                         "translations": {"city": [{"language": "en", "value": "Ghent"}]}},
        }
        # The window's rate-limit counter exists, as for all but a client's first request in it.
        api.get("/api/enterprises/acme/appointments?limit=1", SERVER_NAME="127.0.0.1")
        caches["tokens"].clear()  # the token looked up, as on a client's first request to this process
        with CaptureQueriesContext(connection) as queries:
            response = api.post("/api/enterprises/acme/appointments/_actions/invite", body, format="json", SERVER_NAME="127.0.0.1")
        assert response.status_code == 201, response.content
        counts[str(size)] = len(queries)
    token.delete()
    print(json.dumps(counts))


if __name__ == "__main__":
    main()

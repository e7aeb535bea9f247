"""Test helpers: an enterprise with one of everything an invite references, and API shortcuts."""

import threading
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone
from oauth2_provider.models import AccessToken
from rest_framework.test import APIClient

from tests.factories import (
    ApiClientFactory,
    CallbackRequestFactory,
    CustomerFactory,
    EmployeeFactory,
    EnterpriseFactory,
    LeadSegmentFactory,
    ListingFactory,
    OfficeFactory,
    SubjectFactory,
)


class EnterpriseWithEverything:
    """An enterprise with one of everything an invite references."""

    def __init__(self, slug: str):
        self.enterprise = EnterpriseFactory(slug=slug)
        kw = {"enterprise": self.enterprise}
        self.subject = SubjectFactory(**kw)
        self.office = OfficeFactory(**kw)
        self.employees = EmployeeFactory.create_batch(3, **kw)
        self.customers = CustomerFactory.create_batch(3, **kw)
        self.listing = ListingFactory(**kw)
        self.lead_segment = LeadSegmentFactory(**kw)
        self.callback_request = CallbackRequestFactory(**kw)

    def token(self, scope: str = settings.SCOPE_READ_WRITE) -> str:
        client = ApiClientFactory(enterprise=self.enterprise, allowed_scopes=scope)
        token = AccessToken.objects.create(
            application=client, token=f"token-{client.client_id}", scope=scope, expires=timezone.now() + timedelta(hours=1)
        )
        return token.token

    def api(self, scope: str = settings.SCOPE_READ_WRITE, **headers) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {self.token(scope)}", **headers)
        return client

    def invite_body(self, **overrides) -> dict:
        body = {
            "subjectId": str(self.subject.pk),
            "officeId": str(self.office.pk),
            "appointmentParticipants": [
                {"role": "PRIMARY", "participantId": str(self.employees[0].pk), "type": "EMPLOYEE"},
                {"role": "PRIMARY", "participantId": str(self.customers[0].pk), "type": "CUSTOMER"},
            ],
            "meetingType": "OFFICE",
        }
        body.update(overrides)
        return body



def invite_url(slug: str = "acme") -> str:
    return f"/api/enterprises/{slug}/appointments/_actions/invite"


def post_invite(client: APIClient, body, slug: str = "acme", **extra):
    return client.post(invite_url(slug), body, format="json", **extra)


def on_another_connection(function) -> None:
    """Run ``function`` with a database connection of its own, as another app server or worker
    would (in a thread of its own, which this waits for)."""

    def run():
        try:
            function()
        finally:
            connection.close()  # the thread's own connection

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()

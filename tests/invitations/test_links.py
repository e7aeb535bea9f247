"""The customer's link is a credential: hashed, expiring, revocable; opening it changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from appointments.models import Appointment
from invitations.models import InviteLink
from invitations.services import invite_link_issue, invite_links_revoke, token_hash
from tests.availability.support import invite

pytestmark = pytest.mark.django_db


def path_of(url: str) -> str:
    return url.removeprefix("http://testserver")


@pytest.fixture
def link(acme, settings):
    settings.PUBLIC_BASE_URL = "http://testserver/"
    appointment = invite(acme, message="Bring your ID")
    return appointment, invite_link_issue(appointment=appointment, customer=acme.customers[0])


def test_a_link_is_absolute_and_opens_its_invite(client, link):
    appointment, url = link
    assert url.startswith("http://testserver/i/")
    page = client.get(path_of(url))
    assert page.status_code == 200 and "Bring your ID" in page.content.decode()


def test_only_a_hash_of_the_token_is_stored(link):
    _appointment, url = link
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert len(token) >= 43  # 256 bits
    stored = InviteLink.objects.get()
    assert stored.token_hash == token_hash(token) and token not in stored.token_hash


def test_unknown_expired_and_revoked_links_get_the_same_neutral_page(client, acme, link):
    appointment, url = link
    newer = invite_link_issue(appointment=appointment, customer=acme.customers[0])  # the older stops working
    expired = invite_link_issue(appointment=invite(acme), customer=acme.customers[0])
    InviteLink.objects.filter(token_hash=token_hash(expired.rstrip("/").rsplit("/", 1)[1])).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    unknown = url[:-5] + "AAAA/"
    pages = [client.get(path_of(u)) for u in (url, expired, unknown)]
    assert {page.status_code for page in pages} == {404}
    assert len({page.content for page in pages}) == 1
    assert client.get(path_of(newer)).status_code == 200
    invite_links_revoke(appointment=appointment)
    assert client.get(path_of(newer)).status_code == 404


def test_opening_a_link_changes_nothing(client, link):
    appointment, url = link
    before = Appointment.objects.filter(pk=appointment.pk).values().get(), list(InviteLink.objects.values())
    for _ in range(3):
        client.get(path_of(url))
        client.head(path_of(url))
    assert (Appointment.objects.filter(pk=appointment.pk).values().get(), list(InviteLink.objects.values())) == before

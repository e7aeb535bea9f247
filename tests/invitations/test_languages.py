"""The customer's pages in the customer's language, with a switch among the ten that changes no data."""

import re

import pytest

from appointments.models import Appointment
from participants.models import Customer
from tests.availability.support import invite, next_weekday

from .support import link_path, slot_controls, snapshot

pytestmark = pytest.mark.django_db
MONDAY = next_weekday(0)
Status = Appointment.Status


def page_of(response) -> str:
    return response.content.decode()


def test_the_page_speaks_the_customers_language_then_the_enterprises(client, acme, customer, office_hours):
    customer.language = "nl"
    customer.save()
    appointment = invite(acme)
    path = link_path(appointment)
    page = page_of(client.get(path, {"from": MONDAY.isoformat()}))
    assert '<html lang="nl">' in page and "Kies een tijdstip" in page
    assert "maandag" in page  # the days too

    customer.language = ""
    customer.save()
    acme.enterprise.default_language = "fr"
    acme.enterprise.save()
    assert "Choisissez un créneau" in page_of(client.get(path))


def test_the_language_switch_changes_the_page_and_no_data(client, acme, customer, office_hours):
    appointment = invite(acme)
    path = link_path(appointment)
    english = page_of(client.get(path))
    switch = re.findall(r'<a href="([^"]+)" lang="([^"]+)" hreflang', english)
    assert [tag for _href, tag in switch] == ["da", "de", "el", "en", "es", "fr", "ja", "nl", "nb", "pl"]
    before = snapshot()

    french = page_of(client.get(path + dict((tag, href) for href, tag in switch)["fr"]))

    assert '<html lang="fr">' in french and "Choisissez un créneau" in french
    assert snapshot() == before
    # Every form and link of the page keeps the language; a booking says so in French too.
    assert f'action="{path}book/?lang=fr"' in french and f'action="{path}other-times/?lang=fr"' in french
    response = client.post(f"{path}book/?lang=fr", {"start": next(iter(slot_controls(french)))})
    assert response["Location"] == f"{path}?lang=fr"
    assert "Votre rendez-vous est réservé" in page_of(client.get(response["Location"]))
    assert Appointment.objects.get(pk=appointment.pk).status == Status.ACCEPTED
    assert Customer.objects.get(pk=customer.pk).language == "en"
    # Any of the ten: Norwegian is "no" in the API and "nb" for Django.
    assert '<html lang="nb">' in page_of(client.get(path, {"lang": "no"}))
    assert '<html lang="en">' in page_of(client.get(path, {"lang": "xx"}))

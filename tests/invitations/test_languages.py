"""The customer's pages in the customer's language, with a switch among the ten that changes no data."""

import re

import pytest
from babel.messages.pofile import read_po
from django.conf import settings

from appointments.models import Appointment
from participants.models import Customer
from tests.availability.support import invite, next_weekday

from .support import link_path, slot_controls, snapshot, text_of

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


def english_left(text: str) -> list[str]:
    """The English source strings (or their pieces between placeholders) that ``text`` still shows."""
    with open(settings.BASE_DIR / "locale" / "en" / "LC_MESSAGES" / "django.po", "rb") as po:
        sources = [form for message in read_po(po) if message.id for form in ([message.id] if isinstance(message.id, str) else message.id)]
    pieces = {piece.strip(" ,.:") for source in sources for piece in re.split(r"%\(\w+\)s", source)}
    return sorted(piece for piece in pieces if len(piece) > 2 and re.search(rf"(?<!\w){re.escape(piece)}(?!\w)", text))


def test_the_page_speaks_languages_in_other_scripts(client, acme, customer, office_hours):
    """Japanese and Greek: every sentence of the invite and of the booked appointment is translated,
    none is left in English."""
    customer.language = "ja"
    customer.save()
    appointment = invite(acme)
    path = link_path(appointment)
    page = page_of(client.get(path, {"from": MONDAY.isoformat()}))
    text = text_of(page)
    assert '<html lang="ja">' in page
    assert f"{customer.first_name} 様、ご都合のよい日時をお選びください。" in text
    assert "日時を選ぶ" in text and "この日時で予約する" in text and "別の日時をリクエストする" in text
    assert re.search(r"時刻は .+ \(America/New_York\) で表示しています。", text)
    assert "オフィスの現地時刻" in text and "月曜日" in text
    assert english_left(text) == []
    assert "Choose a time" in english_left(text_of(page_of(client.get(path, {"lang": "en"}))))  # the check sees English

    # A booking in Greek, chosen on the page: its notice, and the booked page until when it may change.
    greek = page_of(client.get(path, {"lang": "el", "from": MONDAY.isoformat()}))
    response = client.post(f"{path}book/?lang=el", {"start": next(iter(slot_controls(greek)))})
    booked = page_of(client.get(response["Location"]))
    text = text_of(booked)
    assert '<html lang="el">' in booked
    assert re.search(r"Το ραντεβού σας \(Δευτέρα .+\) κλείστηκε\.", text)
    assert "Αλλαγή ή ακύρωση" in text and "Προσθήκη στο ημερολόγιό μου (.ics)" in text
    assert english_left(text_of(greek)) == english_left(text) == []
    assert Appointment.objects.get(pk=appointment.pk).status == Status.ACCEPTED

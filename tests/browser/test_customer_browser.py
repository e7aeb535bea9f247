"""A customer in a real browser, on a phone-sized screen (390 px): the link in the invite, a
language of their own, a time booked, the calendar file, a new time, a cancellation; and "none of
these times suit me". Every page is checked with axe (no serious or critical violation) and for
sideways scrolling."""

import re
from datetime import UTC
from pathlib import Path

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from appointments.models import Appointment, AppointmentStatusChange
from invitations.services import invite_link_issue
from tests.availability.support import book, invite, local, next_weekday, open_every_day, rules

from .accessibility import axe_violations, scrolls_sideways

MONDAY = next_weekday(0)
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="en-US", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def invited(acme, live_server, settings):
    """An invite to acme's Brussels office for its first customer, who lives in New York and reads
    English; the path of the link they were sent."""
    settings.PUBLIC_BASE_URL = live_server.url
    open_every_day(acme.office, weekdays=range(5))
    rules(acme, time_slot_latest_possible=90 * 24 * 60)
    customer = acme.customers[0]
    customer.time_zone, customer.language = "America/New_York", "en"
    customer.save()
    appointment = invite(acme, message="Please bring your ID.", internal_notes="Staff only: VIP")
    url = invite_link_issue(appointment=appointment, customer=customer)
    return appointment, url.removeprefix(live_server.url)


def utc(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check(page, screenshot_dir: Path, name: str) -> None:
    """What every customer page must be: accessible, and no wider than the phone."""
    assert axe_violations(page) == [], name
    assert not scrolls_sideways(page), name
    page.screenshot(path=str(screenshot_dir / f"customer-{name}.png"), full_page=True)


def test_a_customer_books_moves_and_cancels_in_their_own_language(phone, invited, screenshot_dir):
    appointment, path = invited
    page = phone

    # The link opens the invite: in English, the customer's language, in New York time.
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text(appointment.subject.name)
    expect(page.get_by_text("Please bring your ID.")).to_be_visible()
    expect(page.get_by_text("Eastern Time (America/New_York)", exact=False)).to_be_visible()
    expect(page.get_by_text("Staff only")).to_have_count(0)
    check(page, screenshot_dir, "invite-en")

    # The switch, without script: a link per language.
    page.get_by_text("Language: English").click()
    page.get_by_role("link", name="Nederlands").click()
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_role("heading", name="Kies een tijdstip")).to_be_visible()
    check(page, screenshot_dir, "invite-nl")

    # Monday 10:00 in Brussels, 4:00 in New York, a week or more ahead.
    page.locator(f'input[name="start"][value="{utc(local(MONDAY, 10))}"]').check()
    page.get_by_role("button", name="Dit tijdstip boeken").click()

    expect(page.get_by_role("heading", name="Uw afspraak", exact=True)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Uw afspraak is geboekt op")
    expect(page.get_by_text("04:00 – 05:00").first).to_be_visible()
    booked = Appointment.objects.get(pk=appointment.pk)
    assert (booked.status, booked.start, booked.updated_by_type) == ("ACCEPTED", local(MONDAY, 10), "CUSTOMER")
    check(page, screenshot_dir, "booking-nl")

    # The calendar file.
    with page.expect_download() as download:
        page.get_by_role("link", name="Toevoegen aan mijn agenda (.ics)").click()
    [event] = Calendar.from_ical(Path(download.value.path()).read_bytes()).walk("VEVENT")
    assert event.decoded("DTSTART") == local(MONDAY, 10)
    assert str(event["UID"]).startswith(f"appointment-{appointment.pk}@")

    # Another time: Monday 14:00 in Brussels.
    page.get_by_role("link", name="Kies een ander tijdstip").click()
    expect(page.get_by_role("heading", name="Kies een ander tijdstip", level=1)).to_be_visible()
    check(page, screenshot_dir, "reschedule-nl")
    page.locator(f'input[name="start"][value="{utc(local(MONDAY, 14))}"]').check()
    page.get_by_role("button", name="Mijn afspraak naar dit tijdstip verplaatsen").click()
    expect(page.get_by_role("status")).to_contain_text("Uw afspraak is verplaatst naar")
    assert Appointment.objects.get(pk=appointment.pk).start == local(MONDAY, 14)

    # Cancelling, with a message; the link then stops working.
    page.get_by_label("Bericht (optioneel)").fill("Ik heb al een adviseur gevonden.")
    page.get_by_role("button", name="Afspraak annuleren").click()
    expect(page.get_by_role("heading", name="Afspraak geannuleerd")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("is geannuleerd")
    check(page, screenshot_dir, "cancelled-nl")
    cancelled = Appointment.objects.get(pk=appointment.pk)
    assert cancelled.status == "CANCELLED"
    assert AppointmentStatusChange.objects.filter(appointment=appointment).last().message == "Ik heb al een adviseur gevonden."

    page.goto(path)
    expect(page.get_by_role("heading", name="This link no longer works")).to_be_visible()
    check(page, screenshot_dir, "link-not-working")


def test_none_of_the_times_suit_the_customer(phone, invited, screenshot_dir):
    appointment, path = invited
    page = phone
    page.goto(path)
    page.get_by_label("Message (optional)").fill("Only evenings, please.")
    page.get_by_role("button", name="Ask for other times").click()

    expect(page.get_by_text(re.compile("You asked for other times"))).to_be_visible()
    expect(page.locator('input[name="start"]')).to_have_count(0)
    check(page, screenshot_dir, "other-times")
    asked = Appointment.objects.get(pk=appointment.pk)
    assert asked.status == "ALTERNATIVE_DATE_REQUESTED"
    assert AppointmentStatusChange.objects.get(appointment=appointment).message == "Only evenings, please."


def test_a_time_taken_meanwhile_is_said_plainly_and_on_a_wide_screen_too(page, invited, acme, screenshot_dir):
    appointment, path = invited
    page.goto(path + f"?from={MONDAY.isoformat()}")
    page.locator(f'input[name="start"][value="{utc(local(MONDAY, 10))}"]').check()
    book(acme, local(MONDAY, 10))  # someone else is quicker
    page.get_by_role("button", name="Book this time").click()

    expect(page.get_by_role("alert")).to_contain_text("that time is no longer free. Nothing was booked")
    assert Appointment.objects.get(pk=appointment.pk).status == "OUTGOING_INVITE"
    check(page, screenshot_dir, "taken-wide")

"""A staff member's day in a real browser: log in, invite, find it again, see the API agree, and
book a time for the customer."""

import re

from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from appointments.models import Appointment
from tests.appointments.backoffice_support import STAFF_PASSWORD, staff_user
from tests.availability.support import invite, local, next_weekday, open_every_day, rules


def log_in(page, username, path="/backoffice/"):
    page.goto(path)
    expect(page).to_have_url(re.compile(r"/login/"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def choose_participants(page, everything):
    """Row 1 is the logged-in employee already; make row 2 the customer."""
    page.select_option("#id_participants-1-type", "CUSTOMER")
    page.select_option("#id_participants-1-customer", str(everything.customers[0].pk))


def test_staff_member_creates_a_geocoded_invite_and_the_api_returns_it(page, acme, nominatim, screenshot_dir):
    nominatim.answer(51.05, 3.72)
    staff_user(acme, username="anna", password=STAFF_PASSWORD)

    log_in(page, "anna")
    expect(page.get_by_role("heading", name="Appointments")).to_be_visible()
    page.get_by_role("link", name="New invite").first.click()
    expect(page.get_by_role("heading", name="New invite")).to_be_visible()

    page.get_by_label("Subject").select_option(str(acme.subject.pk))
    page.get_by_label("Office").select_option(str(acme.office.pk))
    page.get_by_label("Meeting type").select_option("ON_LOCATION")
    choose_participants(page, acme)
    # Rows can be added and removed with the keyboard; only the type's select is shown.
    page.get_by_role("button", name="+ Add participant").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#id_participants-2-role")).to_be_focused()
    expect(page.locator("#id_participants-2-customer")).to_be_visible()
    expect(page.locator("#id_participants-2-employee")).to_be_hidden()
    page.locator("[data-participant-row]").nth(2).get_by_role("button", name="Remove").click()
    expect(page.locator("[data-participant-row]:visible")).to_have_count(2)

    page.get_by_label("Country code").fill("BE")
    page.get_by_label("Postal code").fill("9000")
    page.get_by_label("Street (English)").fill("Korenmarkt 1")
    page.get_by_label("City (English)").fill("Ghent")
    page.get_by_text("The address in other languages").click()
    page.get_by_label("City (Nederlands)").fill("Gent")
    page.get_by_label("External id").fill("BROWSER-1")
    page.get_by_label("Message to the customer").fill("Looking forward to meeting you.")
    page.screenshot(path=str(screenshot_dir / "new-invite.png"), full_page=True)
    page.get_by_role("button", name="Create invite").click()

    expect(page.get_by_text(re.compile(r"Invite \d+ created"))).to_be_visible()
    appointment = Appointment.objects.get(external_id="BROWSER-1")
    expect(page.get_by_text("Korenmarkt 1, 9000 Ghent, BE")).to_be_visible()
    expect(page.get_by_text("Europe/Brussels", exact=True)).to_be_visible()  # the location's zone

    page.get_by_role("link", name="Appointments").first.click()
    row = page.locator("tbody tr", has_text="BROWSER-1")
    expect(row).to_contain_text(str(acme.customers[0]))
    expect(row).to_contain_text("On Location")

    response = page.request.get(
        f"/api/enterprises/acme/appointments/{appointment.pk}",
        headers={"Authorization": f"Bearer {acme.token()}", "Accept-Language": "nl"},
    )
    data = response.json()["data"]
    assert response.status == 200
    assert data["externalId"] == "BROWSER-1"
    assert data["createdFrom"] == "BACKOFFICE_APP"
    assert data["createdBy"] == {"id": str(acme.employees[0].pk)}
    assert data["location"]["city"] == {"language": "nl", "value": "Gent"}
    assert data["location"]["geolocation"] == {"latitude": 51.05, "longitude": 3.72}
    assert len(data["appointmentParticipants"]) == 2


def test_on_location_invite_without_location_shows_the_error_at_the_location(page, acme):
    staff_user(acme, username="anna", password=STAFF_PASSWORD)
    log_in(page, "anna", "/backoffice/appointments/new/")

    page.get_by_label("Subject").select_option(str(acme.subject.pk))
    page.get_by_label("Office").select_option(str(acme.office.pk))
    page.get_by_label("Meeting type").select_option("ON_LOCATION")
    choose_participants(page, acme)
    page.get_by_role("button", name="Create invite").click()

    expect(page.locator("#form-errors")).to_be_focused()
    expect(page.locator("#location [data-errors-for=location]")).to_have_text(
        "A location is required for on-location meetings"
    )
    # What was typed is kept.
    expect(page.get_by_label("Meeting type")).to_have_value("ON_LOCATION")
    assert not Appointment.objects.exists()


def test_admin_invites_a_customer_with_the_same_form(page, acme):
    staff_user(acme, username="root", password=STAFF_PASSWORD, is_superuser=True)
    page.goto("/admin/")
    page.get_by_label("Username:").fill("root")
    page.get_by_label("Password:").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Invites administration")).to_be_visible()

    page.goto("/admin/appointments/appointment/")
    page.get_by_role("link", name="Invite a customer").click()
    page.get_by_label("Subject").select_option(str(acme.subject.pk))
    page.get_by_label("Office").select_option(str(acme.office.pk))
    choose_participants(page, acme)
    page.get_by_label("External id").fill("ADMIN-1")
    page.get_by_role("button", name="Create invite").click()

    expect(page.get_by_text(re.compile(r"Invite \d+ created"))).to_be_visible()
    appointment = Appointment.objects.get(external_id="ADMIN-1")
    assert (appointment.created_from, appointment.created_by_id) == ("BACKOFFICE_APP", str(acme.employees[0].pk))


def test_staff_member_books_a_free_time_for_the_customer_then_cancels_it(page, acme, screenshot_dir):
    open_every_day(acme.office)
    rules(acme)
    user = staff_user(acme, username="anna", password=STAFF_PASSWORD)
    user.user_permissions.add(Permission.objects.get(codename="change_appointment"))
    appointment = invite(acme)
    monday = next_weekday(0)
    ten, eleven = local(monday, 10), local(monday, 11)

    log_in(page, "anna", f"/backoffice/appointments/{appointment.pk}/")

    # The free times, by day, in the office's time zone, which the page names.
    slots = page.locator("#slots")
    expect(slots.get_by_role("heading", name="Book a free time for the customer")).to_be_visible()
    expect(slots).to_contain_text("Times are in the office's time zone, Europe/Brussels.")
    day = slots.get_by_role("group", name=f"{monday:%A} {monday.day} {monday:%B}")
    slot = day.get_by_role("button", name=f"Book {ten:%a} {ten.day} {ten:%b}, 10:00 {ten.tzname()}")
    expect(slot).to_have_text(f"10:00 {ten.tzname()}")
    page.screenshot(path=str(screenshot_dir / "free-times.png"), full_page=True)
    slot.click()

    when = f"{ten:%a} {ten.day} {ten:%b %Y}, 10:00 {ten.tzname()} (Europe/Brussels)"
    expect(page.get_by_role("status")).to_have_text(f"Booked for {when}. Status: Accepted.")
    expect(page.locator(".lede .badge")).to_have_text("Accepted")
    expect(page.locator("#appointment-time")).to_have_text(
        f"{ten:%a} {ten.day} {ten:%b %Y}, 10:00 – 11:00 {eleven.tzname()} (Europe/Brussels)"
    )
    appointment.refresh_from_db()
    assert (appointment.status, appointment.start) == ("ACCEPTED", ten)

    page.get_by_label("Reason").fill("The customer is ill")
    page.get_by_role("button", name="Cancel the appointment").click()

    expect(page.get_by_role("status")).to_have_text(f"Appointment {appointment.pk} cancelled.")
    expect(page.locator(".lede .badge")).to_have_text("Cancelled")
    history = page.locator("#history tbody tr")
    expect(history).to_have_count(2)
    expect(history.nth(1)).to_contain_text("The customer is ill")
    expect(history.nth(1)).to_contain_text(str(acme.employees[0]))
    page.screenshot(path=str(screenshot_dir / "cancelled.png"), full_page=True)
    appointment.refresh_from_db()
    assert appointment.status == "CANCELLED"

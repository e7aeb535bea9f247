"""A staff member's day in a real browser: log in, invite, find it again, and see the API agree."""

import re

from playwright.sync_api import expect

from appointments.models import Appointment
from tests.appointments.backoffice_support import STAFF_PASSWORD, staff_user


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
    expect(page.get_by_text("Europe/Brussels")).to_be_visible()

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

"""The customer's pages through Django's test client: what a customer reads, and what their
link lets them do (and nothing more)."""

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar

from appointments.models import Appointment, AppointmentStatusChange
from availability.models import BusyTime
from availability.selectors import free_slots
from tests.availability.support import book, invite, local, next_weekday, open_every_day, rules

from .support import (
    BRUSSELS,
    NEW_YORK,
    days_of,
    english_day,
    hours_between_zones,
    link_path,
    next_weekday_where,
    slot_controls,
    snapshot,
    text_of,
)

pytestmark = pytest.mark.django_db
MONDAY = next_weekday(0)
Status = Appointment.Status
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def page_of(response) -> str:
    return response.content.decode()


def first_slot(client, path, day=MONDAY) -> str:
    """The first free time the page offers from ``day`` (by default a week or more ahead, so that
    the booking can still be changed)."""
    return next(iter(slot_controls(page_of(client.get(path, {"from": day.isoformat()})))))


# --- The invite: its free times in the customer's zone ------------------------------------------


def test_times_are_in_the_customers_zone_named_and_follow_each_zones_daylight_saving(client, acme, customer, office_hours):
    """A New York customer of a Brussels office: 10:00 in Brussels is 4:00 in New York, except in
    the weeks when America has moved its clocks and Europe not yet (then it is 5:00)."""
    usual = next_weekday_where(lambda day: hours_between_zones(day) == 6)
    apart = next_weekday_where(lambda day: hours_between_zones(day) == 5)
    path = link_path(invite(acme))

    for day, expected in ((usual, "4:00 AM"), (apart, "5:00 AM")):
        page = page_of(client.get(path, {"from": day.isoformat()}))
        ten_in_brussels = datetime.combine(day, time(10), tzinfo=BRUSSELS).astimezone(UTC)
        controls = slot_controls(page)
        assert controls[ten_in_brussels.strftime("%Y-%m-%dT%H:%M:%SZ")] == f"{expected} 10:00 AM at the office"
        legends = [legend for legend, _values in days_of(page)]
        assert english_day(day) in legends
        assert "Times are shown in Eastern Time (America/New_York)." in text_of(page)
        assert "The office is in Central European Time (Europe/Brussels)." in text_of(page)


def test_days_are_the_customers_days(client, acme, customer, office_hours):
    """16:00 in Brussels is already the next day in Tokyo: that slot is listed under it."""
    customer.time_zone = "Asia/Tokyo"
    customer.save()
    monday = MONDAY
    page = page_of(client.get(link_path(invite(acme)), {"from": monday.isoformat()}))
    four_pm = datetime.combine(monday, time(16), tzinfo=BRUSSELS).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    day_of = {value: legend for legend, values in days_of(page) for value in values}
    assert day_of[four_pm] == english_day(monday + timedelta(days=1))
    assert "Japan Time (Asia/Tokyo)" in text_of(page)


def test_a_customer_in_the_offices_zone_sees_one_zone(client, acme, customer, office_hours):
    customer.time_zone = "Europe/Brussels"
    customer.save()
    page = page_of(client.get(link_path(invite(acme)), {"from": MONDAY.isoformat()}))
    assert "Times are shown in Central European Time (Europe/Brussels)." in text_of(page)
    assert "The office is in" not in page and "at the office" not in page


def test_each_slot_is_a_control_named_start_holding_its_rfc3339_utc_start(client, acme, customer, office_hours):
    appointment = invite(acme)
    page = page_of(client.get(link_path(appointment)))
    assert page.count('name="start"') == len(slot_controls(page)) > 0
    assert all(RFC3339_UTC.match(value) for value in slot_controls(page))
    now = datetime.now(UTC)
    expected = free_slots(appointment=appointment, window_start=now, window_end=now + timedelta(days=14))
    shown = [datetime.fromisoformat(value) for value in slot_controls(page)]
    # The page's window is whole days in the customer's zone: every free slot of the next 13 days.
    assert {slot.start for slot in expected if slot.start < now + timedelta(days=13)} <= set(shown)
    assert set(shown) <= {slot.start for slot in free_slots(appointment=appointment, window_start=now, window_end=now + timedelta(days=15))}


def test_later_times_run_until_the_latest_bookable_day(client, acme, customer, office_hours):
    rules(acme, time_slot_latest_possible=20 * 24 * 60)
    path = link_path(invite(acme))
    first = page_of(client.get(path))
    later = re.search(r'<a class="button" href="([^"]+)">Later times', first).group(1)
    assert "Earlier times" not in first
    second = page_of(client.get(later))
    assert set(slot_controls(second)).isdisjoint(slot_controls(first))
    assert "Later times" not in second and "Earlier times" in second
    latest = datetime.now(UTC) + timedelta(days=20)
    assert all(datetime.fromisoformat(value) <= latest for value in slot_controls(second))
    # Past the last day, the page brings the days back into range rather than failing.
    far = client.get(path, {"from": "2999-01-01"})
    assert far.status_code == 200 and set(slot_controls(page_of(far))) <= set(slot_controls(second))
    assert client.get(path, {"from": "not-a-date"}).status_code == 200


def test_the_page_shows_what_the_customer_needs_and_never_the_internal_notes(client, acme, customer, office_hours):
    appointment = invite(acme, message="Bring your ID", internal_notes="VIP: ask about the mortgage")
    path = link_path(appointment)
    page = text_of(page_of(client.get(path)))
    assert acme.subject.name in page and "Bring your ID" in page
    assert "At the office" in page and acme.office.name in page and "Korenmarkt 1, 9000 Ghent, BE" in page

    client.post(f"{path}book/", {"start": first_slot(client, path)})
    booked = [client.get(path), client.get(f"{path}reschedule/"), client.get(f"{path}appointment.ics")]
    for response in [client.get(path), *booked]:
        assert "VIP" not in response.content.decode() and "mortgage" not in response.content.decode()


def test_the_address_is_in_the_customers_language_where_it_is_translated(client, acme, customer, office_hours):
    customer.language = "nl"
    customer.save()
    assert "Korenmarkt 1, 9000 Gent, BE" in text_of(page_of(client.get(link_path(invite(acme)))))


# --- Booking ------------------------------------------------------------------------------------


def test_booking_a_time_books_it_as_the_customer_and_shows_the_booking(client, acme, customer, office_hours):
    appointment = invite(acme)
    path = link_path(appointment)
    start = first_slot(client, path)

    response = client.post(f"{path}book/", {"start": start})

    assert response.status_code == 302 and response["Location"] == path  # post, redirect, get
    booked = Appointment.objects.get(pk=appointment.pk)
    assert (booked.status, booked.start) == (Status.ACCEPTED, datetime.fromisoformat(start))
    assert (booked.updated_by_type, booked.updated_by_id, booked.updated_from) == ("CUSTOMER", str(customer.pk), "CUSTOMER_APP")
    change = AppointmentStatusChange.objects.get(appointment=appointment)
    assert (change.action, change.by_type, change.channel) == ("reschedule", "CUSTOMER", "CUSTOMER_APP")

    page = text_of(page_of(client.get(path)))
    local_start = booked.start.astimezone(NEW_YORK)
    assert "Your appointment is booked" in page
    assert f"{english_day(local_start.date())}, {local_start:%-I:%M %p}" in page
    assert "Eastern Time (America/New_York)" in page
    assert "Add to my calendar (.ics)" in page and "Cancel the appointment" in page


def test_a_subject_that_needs_an_employee_to_accept_shows_a_request(client, acme, customer, office_hours):
    rules(acme, auto_accept=False)
    appointment = invite(acme)
    path = link_path(appointment)
    client.post(f"{path}book/", {"start": first_slot(client, path)})
    assert Appointment.objects.get(pk=appointment.pk).status == Status.INCOMING_REQUEST
    assert "Your requested time" in text_of(page_of(client.get(path)))


def test_a_time_taken_meanwhile_shows_the_times_again_with_a_message_and_books_nothing(client, acme, customer, office_hours):
    appointment = invite(acme)
    path = link_path(appointment)
    start = first_slot(client, path)
    book(acme, datetime.fromisoformat(start))  # someone else, a moment before
    before = list(Appointment.objects.filter(pk=appointment.pk).values())

    response = client.post(f"{path}book/", {"start": start})

    assert response.status_code == 409
    page = page_of(response)
    assert "that time is no longer free. Nothing was booked" in text_of(page)
    assert 'role="alert"' in page and start not in slot_controls(page) and slot_controls(page)
    assert list(Appointment.objects.filter(pk=appointment.pk).values()) == before


@pytest.mark.parametrize("start", ["", "tomorrow", "2030-01-01T10:00:00", "2030-01-01", "x" * 500])
def test_a_start_that_is_not_an_rfc3339_time_books_nothing(client, acme, customer, office_hours, start):
    appointment = invite(acme)
    response = client.post(f"{link_path(appointment)}book/", {"start": start})
    assert response.status_code == 400 and "Please choose one of the times." in text_of(page_of(response))
    assert Appointment.objects.get(pk=appointment.pk).status == Status.OUTGOING_INVITE


def test_a_link_books_its_own_appointment_whatever_the_form_says(client, acme, customer, office_hours):
    mine, theirs = invite(acme), invite(acme)
    mine_path, theirs_path = link_path(mine), link_path(theirs)
    start = first_slot(client, mine_path)
    tampered = {
        "start": start,
        "appointment": theirs.pk,
        "appointment_id": theirs.pk,
        "id": theirs.pk,
        "token": theirs_path.split("/")[2],
        "customer": acme.customers[1].pk,
    }

    client.post(f"{mine_path}book/", tampered)

    assert Appointment.objects.get(pk=mine.pk).status == Status.ACCEPTED
    assert Appointment.objects.get(pk=mine.pk).updated_by_id == str(customer.pk)
    assert Appointment.objects.get(pk=theirs.pk).status == Status.OUTGOING_INVITE
    assert not AppointmentStatusChange.objects.filter(appointment=theirs).exists()


def test_another_enterprises_link_opens_only_its_own_appointment(client, acme, globex, office_hours):
    open_every_day(globex.office, weekdays=range(5))
    ours, theirs = invite(acme, message="Acme's"), invite(globex, message="Globex's")
    ours_page = page_of(client.get(link_path(ours)))
    assert "Acme&#x27;s" in ours_page and "Globex" not in ours_page
    assert "Globex&#x27;s" in page_of(client.get(link_path(theirs)))


def test_posts_need_the_csrf_token(acme, customer, office_hours):
    browser = Client(enforce_csrf_checks=True)
    appointment = invite(acme)
    path = link_path(appointment)
    page = page_of(browser.get(path))
    start = next(iter(slot_controls(page)))
    before = snapshot()

    for action, data in (("book/", {"start": start}), ("other-times/", {"message": "No"})):
        assert browser.post(f"{path}{action}", data).status_code == 403
    assert snapshot() == before

    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert browser.post(f"{path}book/", {"start": start, "csrfmiddlewaretoken": token}).status_code == 302
    assert Appointment.objects.get(pk=appointment.pk).status == Status.ACCEPTED


def test_a_post_from_another_site_is_refused_even_with_the_token(acme, customer, office_hours):
    browser = Client(enforce_csrf_checks=True)
    appointment = invite(acme)
    path = link_path(appointment)
    page = page_of(browser.get(path))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    message = {"message": "No", "csrfmiddlewaretoken": token}

    for origin in ("https://elsewhere.example", "null"):
        assert browser.post(f"{path}other-times/", message, HTTP_ORIGIN=origin).status_code == 403
    assert Appointment.objects.get(pk=appointment.pk).status == Status.OUTGOING_INVITE
    assert browser.post(f"{path}other-times/", message, HTTP_ORIGIN="http://testserver").status_code == 302
    assert Appointment.objects.get(pk=appointment.pk).status == Status.ALTERNATIVE_DATE_REQUESTED


# --- Opening a link changes nothing -------------------------------------------------------------


def test_opening_any_page_of_a_link_changes_nothing(client, acme, customer, office_hours):
    invited, booked = invite(acme), book(acme, local(MONDAY, 10))
    paths = [link_path(invited), link_path(booked)]
    before = snapshot()
    for path in paths:
        for suffix in ("", "?lang=fr", "reschedule/", "appointment.ics", "book/", "cancel/", "other-times/"):
            client.get(f"{path}{suffix}")
            client.head(f"{path}{suffix}")
    client.get("/i/cancelled/")
    assert snapshot() == before
    assert client.get(f"{paths[0]}book/").status_code == 405  # only a POST acts


# --- The booking: calendar file, moving, cancelling, the cut-off ---------------------------------


def test_the_calendar_file_keeps_its_uid_and_raises_its_sequence(client, acme, customer, office_hours):
    appointment = invite(acme, message="Bring your ID", internal_notes="Staff only")
    path = link_path(appointment)
    client.post(f"{path}book/", {"start": first_slot(client, path)})

    first = client.get(f"{path}appointment.ics")
    assert first["Content-Type"].startswith("text/calendar")
    assert first["Content-Disposition"].startswith("attachment;")
    calendar = Calendar.from_ical(first.content)
    [event] = calendar.walk("VEVENT")
    booked = Appointment.objects.get(pk=appointment.pk)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == f"appointment-{appointment.pk}@testserver"
    assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (booked.start, booked.end)
    assert str(event["DESCRIPTION"]) == "Bring your ID" and b"Staff only" not in first.content
    assert event["SEQUENCE"] == 1

    client.post(f"{path}book/", {"start": first_slot(client, f"{path}reschedule/")})
    [moved] = Calendar.from_ical(client.get(f"{path}appointment.ics").content).walk("VEVENT")
    moved_to = Appointment.objects.get(pk=appointment.pk)
    assert str(moved["UID"]) == str(event["UID"]) and moved["SEQUENCE"] == 2
    assert moved.decoded("DTSTART") == moved_to.start != booked.start


def test_the_calendar_file_waits_for_a_booking(client, acme, customer, office_hours):
    path = link_path(invite(acme))
    response = client.get(f"{path}appointment.ics")
    assert response.status_code == 302 and response["Location"] == path


def test_moving_a_booking_to_another_free_time(client, acme, customer, office_hours):
    appointment = book(acme, local(MONDAY, 10))
    path = link_path(appointment)
    times = page_of(client.get(f"{path}reschedule/"))
    assert "Choose another time" in times and local(MONDAY, 10).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") not in times
    new_start = local(MONDAY, 14).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    response = client.post(f"{path}book/", {"start": new_start})

    assert response.status_code == 302 and response["Location"] == path
    moved = Appointment.objects.get(pk=appointment.pk)
    assert (moved.status, moved.start, moved.updated_by_type) == (Status.ACCEPTED, local(MONDAY, 14), "CUSTOMER")
    assert "Your appointment has been moved to" in text_of(page_of(client.get(path)))


def test_cancelling_with_a_message_ends_the_link(client, acme, customer, office_hours):
    appointment = book(acme, local(MONDAY, 10))
    path = link_path(appointment)

    response = client.post(f"{path}cancel/", {"message": "I found another adviser"})

    assert response.status_code == 302 and response["Location"] == "/i/cancelled/?lang=en"
    cancelled = Appointment.objects.get(pk=appointment.pk)
    assert (cancelled.status, cancelled.updated_by_type, cancelled.updated_from) == (Status.CANCELLED, "CUSTOMER", "CUSTOMER_APP")
    change = AppointmentStatusChange.objects.filter(appointment=appointment).last()
    assert (change.action, change.message) == ("cancel", "I found another adviser")
    assert not BusyTime.objects.filter(appointment=appointment).exists()
    confirmation = client.get(response["Location"])
    assert confirmation.status_code == 200 and "Appointment cancelled" in text_of(page_of(confirmation))
    assert acme.subject.name in text_of(page_of(confirmation))
    # The link no longer works, and the confirmation was shown once.
    assert client.get(path).status_code == 404
    assert client.get("/i/cancelled/").status_code == 404


def test_after_the_cut_off_the_customer_is_told_whom_to_contact_and_nothing_changes(client, acme, customer, office_hours, settings):
    settings.CUSTOMER_CHANGE_CUTOFF = timedelta(days=60)  # the booking next week is inside it
    employee = acme.employees[0]
    employee.email = "anna@acme.example"
    employee.save()
    appointment = book(acme, local(MONDAY, 10))
    path = link_path(appointment)
    before = snapshot()

    page = text_of(page_of(client.get(path)))
    assert "It can no longer be changed or cancelled here less than 1440 hours before it starts." in page
    assert "Please contact us instead:" in page and "anna@acme.example" in page and acme.office.name in page
    assert "Cancel the appointment" not in page and "Choose another time" not in page

    # The server refuses whatever is posted, not only the page that hides the buttons.
    assert client.post(f"{path}cancel/", {"message": "Late"})["Location"] == path
    new_start = local(MONDAY, 14).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert client.post(f"{path}book/", {"start": new_start})["Location"] == path
    assert client.get(f"{path}reschedule/")["Location"] == path
    assert snapshot() == before


def test_the_cut_off_is_a_number_of_hours_before_the_start(client, acme, customer, office_hours, settings):
    appointment = book(acme, local(MONDAY, 10))
    hours_left = (local(MONDAY, 10) - datetime.now(UTC)) / timedelta(hours=1)
    settings.CUSTOMER_CHANGE_CUTOFF = timedelta(hours=int(hours_left) - 1)
    path = link_path(appointment)
    assert "Cancel the appointment" in text_of(page_of(client.get(path)))
    settings.CUSTOMER_CHANGE_CUTOFF = timedelta(hours=int(hours_left) + 1)
    assert "Cancel the appointment" not in text_of(page_of(client.get(path)))


# --- None of these times suit me ------------------------------------------------------------------


def test_none_of_the_times_suit_the_customer(client, acme, customer, office_hours):
    appointment = invite(acme)
    path = link_path(appointment)

    response = client.post(f"{path}other-times/", {"message": "Only evenings"})

    assert response.status_code == 302 and response["Location"] == path
    asked = Appointment.objects.get(pk=appointment.pk)
    assert (asked.status, asked.updated_by_type) == (Status.ALTERNATIVE_DATE_REQUESTED, "CUSTOMER")
    assert AppointmentStatusChange.objects.get(appointment=appointment).message == "Only evenings"
    page = page_of(client.get(path))
    assert "You asked for other times." in text_of(page) and not slot_controls(page)
    # Staff offer again; until then the link books nothing.
    client.post(f"{path}book/", {"start": local(MONDAY, 10).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")})
    assert Appointment.objects.get(pk=appointment.pk).status == Status.ALTERNATIVE_DATE_REQUESTED


# --- Links that do not work, and headers ---------------------------------------------------------


def test_an_appointment_that_is_over_has_a_link_that_no_longer_works(client, acme, customer, office_hours):
    appointment = book(acme, local(MONDAY, 10))
    path = link_path(appointment)
    # Ended some other way than through a service that revokes links: the link still stops.
    Appointment.objects.filter(pk=appointment.pk).update(status=Status.COMPLETED)
    neutral = client.get(path)
    assert neutral.status_code == 404 and "This link no longer works" in text_of(page_of(neutral))
    assert client.get("/i/" + "A" * 43 + "/").content == neutral.content
    assert client.post(f"{path}cancel/").status_code == 404


def test_every_page_keeps_the_token_to_itself_and_out_of_search_engines(client, acme, customer, office_hours):
    appointment = invite(acme)
    path = link_path(appointment)
    responses = [
        client.get(path),
        client.post(f"{path}book/", {"start": first_slot(client, path)}),
        client.get(path),
        client.get(f"{path}appointment.ics"),
        client.get("/i/" + "A" * 43 + "/"),
    ]
    for response in responses:
        assert response["Referrer-Policy"] == "same-origin"
        assert "noindex" in response["X-Robots-Tag"]
        assert "no-store" in response["Cache-Control"]
    assert '<meta name="robots" content="noindex, nofollow">' in page_of(responses[0])


def test_the_invite_page_takes_the_same_number_of_queries_however_busy_the_calendar(client, acme, customer, office_hours):
    path = link_path(invite(acme))

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    quiet = queries()
    for day in range(5):
        for hour in (9, 11, 13, 15):
            book(acme, local(MONDAY + timedelta(days=day), hour))
    assert queries() == quiet


def test_a_link_works_only_while_its_customer_takes_part(client, acme, customer, office_hours):
    appointment = invite(acme)
    path = link_path(appointment)
    assert client.get(path).status_code == 200
    appointment.participants.filter(customer=customer).delete()
    assert client.get(path).status_code == 404


def test_an_on_location_meeting_is_named_in_every_language(client, acme, customer, office_hours):
    """One name in the pages and the e-mails: the e-mails' "At a location" ("Vor Ort", "指定の場所にて"),
    no longer the pages' "At an address"."""
    appointment = invite(acme)
    Appointment.objects.filter(pk=appointment.pk).update(meeting_type="ON_LOCATION", location=acme.office.location)
    path = link_path(appointment)
    pages = {language: page_of(client.get(path, {"lang": language})) for language in ("en", "de", "ja")}
    assert "At a location" in pages["en"] and "Vor Ort" in pages["de"] and "指定の場所にて" in pages["ja"]

"""Staff pages: who may see them, and that they show only the staff member's enterprise."""

from datetime import time, timedelta

import pytest
from django.contrib.auth import get_user_model

from appointments.models import Appointment
from appointments.services import Actor, ParticipantInput, invite_create
from tests.appointments.backoffice_support import STAFF_PASSWORD, staff_user
from tests.availability.support import book, local, next_weekday, open_every_day, rules

LIST = "/backoffice/"


def invite(everything, customer=0, **kwargs):
    kwargs.setdefault("meeting_type", "OFFICE")
    return invite_create(
        enterprise=everything.enterprise,
        actor=Actor(type="API_CLIENT", id="1", channel="API"),
        subject_id=str(everything.subject.pk),
        office_id=str(everything.office.pk),
        participants=[
            ParticipantInput("PRIMARY", "EMPLOYEE", str(everything.employees[0].pk)),
            ParticipantInput("PRIMARY", "CUSTOMER", str(everything.customers[customer].pk)),
        ],
        **kwargs,
    )


@pytest.fixture
def staff(acme, client):
    client.force_login(staff_user(acme))
    return client


@pytest.mark.parametrize("url", [LIST, "/backoffice/appointments/new/", "/backoffice/appointments/1/"])
def test_anonymous_visitors_are_sent_to_the_login(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_non_staff_users_are_refused(acme, client):
    user = staff_user(acme)
    user.is_staff = False
    user.save()
    client.force_login(user)

    assert client.get(LIST).status_code == 403
    assert client.post("/backoffice/appointments/new/", {}).status_code == 403


def test_staff_without_an_employee_are_refused(db, client):
    client.force_login(get_user_model().objects.create_user("lonely", is_staff=True))

    response = client.get(LIST)

    assert response.status_code == 403
    assert b"linked to an employee" in response.content


def test_login_page_logs_staff_in_to_the_back_office(acme, client):
    staff_user(acme, username="anna", password=STAFF_PASSWORD)

    response = client.post("/accounts/login/", {"username": "anna", "password": STAFF_PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == LIST
    assert response.status_code == 200


def test_list_shows_only_the_enterprises_appointments(staff, acme, globex):
    mine = invite(acme, external_id="ACME-1")
    invite(globex, external_id="GLOBEX-1")

    response = staff.get(LIST)

    assert [a.pk for a in response.context["appointment_list"]] == [mine.pk]
    assert b"GLOBEX-1" not in response.content
    # Filter choices are the enterprise's own too.
    assert [o.pk for o in response.context["filter"].form.fields["office"].queryset] == [acme.office.pk]


def test_another_enterprises_appointment_is_not_found(staff, globex):
    theirs = invite(globex)

    assert staff.get(f"/backoffice/appointments/{theirs.pk}/").status_code == 404


def test_list_filters_and_searches(staff, acme):
    office = invite(acme, external_id="REF-OFFICE")
    phone = invite(acme, customer=1, meeting_type="PHONE", external_id="REF-PHONE")
    customer = acme.customers[1]

    def ids(**params):
        return [a.pk for a in staff.get(LIST, params).context["appointment_list"]]

    assert ids(meeting_type="PHONE") == [phone.pk]
    assert ids(q="ref-office") == [office.pk]
    assert ids(q=f"{customer.first_name} {customer.last_name}") == [phone.pk]
    assert ids(status="CANCELLED") == []
    assert ids(subject=acme.subject.pk, office=acme.office.pk) == [phone.pk, office.pk]


def test_list_is_paginated(staff, acme):
    for _ in range(26):
        invite(acme)

    first, second = staff.get(LIST), staff.get(LIST, {"page": 2})

    assert len(first.context["appointment_list"]) == 25
    assert len(second.context["appointment_list"]) == 1
    assert 'rel="next"' in first.content.decode()


def test_detail_shows_internal_notes_and_the_creator(staff, acme):
    appointment = invite(acme, internal_notes="Prefers mornings", message="Welcome!")
    Appointment.objects.filter(pk=appointment.pk).update(created_by_type="EMPLOYEE", created_by_id=str(acme.employees[0].pk))

    html = staff.get(f"/backoffice/appointments/{appointment.pk}/").content.decode()

    assert "Prefers mornings" in html and "Welcome!" in html
    assert str(acme.employees[0]) in html
    assert "Korenmarkt 1, 9000 Ghent, BE" in html


def test_list_shows_each_time_in_the_offices_zone_named_and_a_dash_for_invites(staff, acme):
    open_every_day(acme.office)
    rules(acme, time_slot_latest_possible=60 * 24 * 400)
    # Half a year apart: Brussels is on CET for one and CEST for the other (mostly).
    soon, later = next_weekday(0), next_weekday(0, weeks_ahead=27)
    book(acme, local(soon, 10), external_id="SOON")
    book(acme, local(later, 14, 30), external_id="LATER")
    invite(acme, external_id="WAITING")

    html = staff.get(LIST).content.decode()

    for reference, moment in (("SOON", local(soon, 10)), ("LATER", local(later, 14, 30))):
        row = _row(html, reference)
        assert f"{moment:%a} {moment.day} {moment:%b %Y, %H:%M} {moment.tzname()}" in row
        assert "Europe/Brussels" in row
        assert f'datetime="{moment.isoformat()}"' in row
    assert "Not booked yet" in _row(html, "WAITING")


def test_list_sorts_by_time_with_invites_last_and_keeps_filters_and_pages(staff, acme):
    open_every_day(acme.office)
    rules(acme)
    day = next_weekday(2)
    late = book(acme, local(day, 15), external_id="LATE")
    early = book(acme, local(day, 9), external_id="EARLY")
    waiting = invite(acme, external_id="WAITING")
    phone = invite(acme, meeting_type="PHONE")

    def ids(**params):
        return [a.pk for a in staff.get(LIST, params).context["appointment_list"]]

    assert ids() == [phone.pk, waiting.pk, early.pk, late.pk]  # newest first, as before
    assert ids(sort="start") == [early.pk, late.pk, waiting.pk, phone.pk]
    assert ids(sort="-start") == [late.pk, early.pk, phone.pk, waiting.pk]
    assert ids(sort="created") == [late.pk, early.pk, waiting.pk, phone.pk]
    assert ids(sort="start", meeting_type="OFFICE") == [early.pk, late.pk, waiting.pk]
    assert ids(sort="start", status="ACCEPTED") == [early.pk, late.pk]

    # The Time heading sorts soonest first, then latest first, keeping the filters.
    response = staff.get(LIST, {"meeting_type": "OFFICE"})
    assert response.context["sort_by_time_query"] == "meeting_type=OFFICE&sort=start"
    response = staff.get(LIST, {"meeting_type": "OFFICE", "sort": "start"})
    assert response.context["sort_by_time_query"] == "meeting_type=OFFICE&sort=-start"
    assert 'aria-sort="ascending"' in response.content.decode()


def test_list_sorted_by_time_pages_keep_the_order(staff, acme):
    open_every_day(acme.office, start=time(8), end=time(20))
    rules(acme, time_slot_granularity=15, estimated_duration=15)
    day = next_weekday(3)
    booked = [book(acme, local(day, 8) + timedelta(minutes=15 * n)) for n in range(26)]

    first = staff.get(LIST, {"sort": "start"})
    second = staff.get(LIST, {"sort": "start", "page": 2})

    shown = [a.pk for a in first.context["appointment_list"]] + [a.pk for a in second.context["appointment_list"]]
    assert shown == [a.pk for a in booked]
    assert "sort=start&amp;page=2" in first.content.decode()


def test_status_filter_offers_the_seven_statuses(staff, acme):
    open_every_day(acme.office)
    rules(acme)
    booked = book(acme, local(next_weekday(1), 11))

    response = staff.get(LIST, {"status": "ACCEPTED"})

    choices = [value for value, _ in response.context["filter"].form.fields["status"].choices if value]
    assert choices == [
        "OUTGOING_INVITE",
        "INCOMING_REQUEST",
        "ACCEPTED",
        "ALTERNATIVE_DATE_REQUESTED",
        "CANCELLED",
        "COMPLETED",
        "NO_SHOW",
    ]
    assert [a.pk for a in response.context["appointment_list"]] == [booked.pk]


def _row(html: str, text: str) -> str:
    """The list's table row that contains ``text``."""
    at = html.index(text)
    return html[html.rindex("<tr", 0, at) : html.index("</tr>", at)]

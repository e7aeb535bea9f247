"""Staff pages: who may see them, and that they show only the staff member's enterprise."""

import pytest
from django.contrib.auth import get_user_model

from appointments.models import Appointment
from appointments.services import Actor, ParticipantInput, invite_create
from tests.appointments.backoffice_support import STAFF_PASSWORD, staff_user

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

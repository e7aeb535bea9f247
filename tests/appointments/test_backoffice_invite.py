"""The staff New invite form: same rules, codes and messages as the API, errors next to their
fields, nothing saved on error."""

import threading
import time

import pytest
from django.db import connection
from django.test import Client

from appointments.models import Appointment
from tests.appointments.backoffice_support import invite_post, staff_user
from tests.support import EnterpriseWithEverything, post_invite

URL = "/backoffice/appointments/new/"


@pytest.fixture
def staff(acme, client):
    client.force_login(staff_user(acme))
    return client


def form_of(response):
    return response.context["form"]


def test_get_offers_only_the_staff_members_enterprise(staff, acme, globex):
    response = staff.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert str(acme.subject) in html and str(acme.customers[0]) in html
    assert str(globex.subject) not in html and str(globex.customers[0]) not in html
    # The logged-in employee is preselected as the first participant.
    rows = form_of(response).participants.forms
    assert rows[0]["employee"].value() == str(acme.employees[0].pk)


def test_valid_invite_is_created_as_the_employee_through_the_back_office(staff, acme):
    response = staff.post(URL, invite_post(acme, external_id="BO-1", message="See you", internal_notes="VIP", hybrid="true"))

    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/backoffice/appointments/{appointment.pk}/"
    assert appointment.enterprise == acme.enterprise
    assert (appointment.created_by_type, appointment.created_by_id, appointment.created_from) == (
        "EMPLOYEE",
        str(acme.employees[0].pk),
        "BACKOFFICE_APP",
    )
    assert (appointment.external_id, appointment.hybrid, appointment.message_for_customer) == ("BO-1", True, "See you")
    assert appointment.location == acme.office.location  # an office meeting meets at the office
    assert sorted((p.type, p.participant_id) for p in appointment.participants.all()) == [
        ("CUSTOMER", acme.customers[0].pk),
        ("EMPLOYEE", acme.employees[0].pk),
    ]
    # And the API returns it.
    data = acme.api().get(f"/api/enterprises/acme/appointments/{appointment.pk}").json()["data"]
    assert data["createdFrom"] == "BACKOFFICE_APP" and data["internalNotes"] == "VIP"


def test_on_location_without_location_shows_the_api_message_at_the_location(staff, acme, api):
    response = staff.post(URL, invite_post(acme, meeting_type="ON_LOCATION"))

    assert response.status_code == 200
    location_errors = form_of(response).location.non_field_errors()
    api_error = post_invite(api, acme.invite_body(meetingType="ON_LOCATION")).json()["errors"][0]
    assert api_error["code"] == "APPOINTMENT_LOCATION_REQUIRED"
    assert list(location_errors) == [api_error["message"]]
    assert 'data-errors-for="location"' in response.content.decode()
    assert not Appointment.objects.exists()


def test_another_enterprises_subject_is_not_found_next_to_the_subject(staff, acme, globex):
    response = staff.post(URL, invite_post(acme, subject=globex.subject.pk))

    assert form_of(response).errors["subject"] == [f"Subject {globex.subject.pk} was not found"]
    assert not Appointment.objects.exists()


def test_another_enterprises_customer_is_not_found_on_its_row(staff, acme, globex):
    rows = [
        {"role": "PRIMARY", "type": "EMPLOYEE", "employee": acme.employees[0].pk},
        {"role": "SECONDARY", "type": "CUSTOMER", "customer": globex.customers[0].pk},
    ]
    response = staff.post(URL, invite_post(acme, participants=rows))

    row = form_of(response).participants.forms[1]
    assert row.errors["customer"] == [f"Participant {globex.customers[0].pk} was not found"]
    assert not Appointment.objects.exists()


def test_duplicate_participants_are_refused_above_the_rows(staff, acme):
    rows = [
        {"role": "PRIMARY", "type": "EMPLOYEE", "employee": acme.employees[0].pk},
        {"role": "SECONDARY", "type": "EMPLOYEE", "employee": acme.employees[0].pk},
    ]
    response = staff.post(URL, invite_post(acme, participants=rows))

    assert list(form_of(response).participants.non_form_errors()) == ["Participants need to be unique"]
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    "form_fields, body_changes, where",
    [
        # One participant: the serializer's min-2 rule, shown above the rows.
        (
            {"participants": [{"role": "PRIMARY", "type": "EMPLOYEE", "employee": "EMP"}]},
            {"appointmentParticipants": [{"role": "PRIMARY", "type": "EMPLOYEE", "participantId": "1"}]},
            ("participants", None),
        ),
        ({"external_id": "x" * 256}, {"externalId": "x" * 256}, ("form", "external_id")),
        ({"trailing_buffer_time": "-1"}, {"trailingBufferTime": -1}, ("form", "trailing_buffer_time")),
        ({"meeting_type": "TELEPATHY"}, {"meetingType": "TELEPATHY"}, ("form", "meeting_type")),
        ({"subject": ""}, {"subjectId": None}, ("form", "subject")),
    ],
)
def test_shape_errors_have_the_apis_messages(staff, acme, api, form_fields, body_changes, where):
    participants = form_fields.pop("participants", None)
    if participants:
        participants[0]["employee"] = acme.employees[0].pk
    body = {k: v for k, v in acme.invite_body(**body_changes).items() if v is not None}
    api_messages = [e["message"] for e in post_invite(api, body).json()["errors"]]

    response = staff.post(URL, invite_post(acme, participants=participants, **form_fields))

    form = form_of(response)
    kind, field = where
    shown = form.participants.non_form_errors() if kind == "participants" else form.errors[field]
    assert list(shown) == api_messages
    assert not Appointment.objects.exists()


def test_location_address_is_geocoded_and_kept_in_every_language_given(staff, acme, nominatim):
    nominatim.answer(51.05, 3.72)
    data = invite_post(
        acme,
        meeting_type="ON_LOCATION",
        **{
            "location-country_code": "be",
            "location-postal_code": "9000",
            "location-street1_nl": "Veldstraat 1",
            "location-city_nl": "Gent",
            "location-city_fr": "Gand",
        },
    )
    response = staff.post(URL, data)

    assert response.status_code == 302, form_of(response).errors
    location = Appointment.objects.get().location
    assert (location.country_code, location.latitude, location.longitude) == ("BE", 51.05, 3.72)
    assert (location.city_nl, location.city_fr, location.street1_nl, location.time_zone) == (
        "Gent",
        "Gand",
        "Veldstraat 1",
        "Europe/Brussels",
    )
    assert [(r["postalcode"], r["countrycodes"]) for r in nominatim.requests] == [("9000", "be")]


def test_an_address_that_cannot_be_found_is_reported_at_the_location(staff, acme, nominatim):
    nominatim.results = []
    data = invite_post(
        acme, meeting_type="ON_LOCATION", **{"location-country_code": "BE", "location-city_en": "Nowhere"}
    )
    response = staff.post(URL, data)

    assert list(form_of(response).location.non_field_errors()) == ["The location's address could not be geocoded"]
    assert not Appointment.objects.exists()


def test_a_geocoder_outage_is_reported_above_the_form(staff, acme, nominatim):
    nominatim.status = 503
    data = invite_post(
        acme, meeting_type="ON_LOCATION", **{"location-country_code": "BE", "location-city_en": "Ghent"}
    )
    response = staff.post(URL, data)

    assert list(form_of(response).non_field_errors()) == ["The geocoding service is unavailable, please retry later"]
    assert 'id="form-errors"' in response.content.decode()
    assert not Appointment.objects.exists()


def test_location_errors_are_shown_next_to_their_inputs(staff, acme):
    data = invite_post(
        acme,
        meeting_type="ON_LOCATION",
        **{"location-country_code": "B1", "location-latitude": "91", "location-street1_en": "Main street 1"},
    )
    response = staff.post(URL, data)

    location = form_of(response).location
    assert location.errors["country_code"] == ["Must be an ISO 3166-1 alpha-2 country code."]
    assert location.errors["latitude"] == ["Ensure this value is less than or equal to 90."]
    assert location.errors["longitude"] == ["This field is required."]
    # No city in any language: shown at the city input of the enterprise's language.
    assert location.errors["city_en"] == ["Ensure this field has at least 1 elements."]
    assert not Appointment.objects.exists()


def test_removed_participant_rows_are_ignored(staff, acme):
    rows = [
        {"role": "PRIMARY", "type": "EMPLOYEE", "employee": acme.employees[0].pk},
        {"role": "PRIMARY", "type": "CUSTOMER", "customer": acme.customers[1].pk, "DELETE": "on"},
        {"role": "PRIMARY", "type": "CUSTOMER", "customer": acme.customers[2].pk},
    ]
    staff.post(URL, invite_post(acme, participants=rows))

    customers = [p.customer for p in Appointment.objects.get().participants.all() if p.customer]
    assert customers == [acme.customers[2]]


def test_the_form_needs_a_csrf_token(acme):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user(acme))

    response = client.post(URL, invite_post(acme))

    assert response.status_code == 403
    assert not Appointment.objects.exists()


def test_an_inactive_employee_is_refused_next_to_its_row(staff, acme):
    """Not offered in the form, and refused by the service when posted anyway, as by the API."""
    inactive = acme.employees[1]
    inactive.is_active = False
    inactive.save()
    assert str(inactive) not in staff.get(URL).content.decode()

    participants = [
        {"role": "PRIMARY", "type": "EMPLOYEE", "employee": inactive.pk},
        {"role": "PRIMARY", "type": "CUSTOMER", "customer": acme.customers[0].pk},
    ]
    response = staff.post(URL, invite_post(acme, participants=participants))

    assert response.status_code == 200
    row = form_of(response).participants.forms[0]
    assert row.errors["employee"] == [f"Participant {inactive.pk} was not found"]
    assert not Appointment.objects.exists()


def test_the_same_form_submitted_twice_creates_one_invite(staff, acme):
    """A double click, or a reload of the page the POST answered: the second submission is shown
    the first one's invite."""
    form = staff.get(URL).context["form"]
    data = invite_post(acme, submission=form["submission"].value())

    first, second = staff.post(URL, data), staff.post(URL, data)

    appointment = Appointment.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/backoffice/appointments/{appointment.pk}/"


def test_each_blank_form_is_a_new_submission(staff, acme):
    keys = {staff.get(URL).context["form"]["submission"].value() for _ in range(2)}
    for key in keys:
        staff.post(URL, invite_post(acme, submission=key))
    assert len(keys) == Appointment.objects.count() == 2


def test_a_refused_submission_can_be_corrected_and_sent_again(staff, acme):
    key = staff.get(URL).context["form"]["submission"].value()
    assert staff.post(URL, invite_post(acme, meeting_type="ON_LOCATION", submission=key)).status_code == 200
    assert staff.post(URL, invite_post(acme, submission=key)).status_code == 302
    assert Appointment.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite lets one writer in at a time")
@pytest.mark.django_db(transaction=True)
def test_two_clicks_while_the_first_is_still_geocoding_create_one_invite(client, nominatim):
    """The geocoder is slow: the second click arrives before the first submission has finished."""
    acme = EnterpriseWithEverything("acme")
    client.force_login(staff_user(acme))
    nominatim.answer(51.05, 3.72)
    nominatim.delay = 0.5
    data = invite_post(
        acme, meeting_type="ON_LOCATION", submission=client.get(URL).context["form"]["submission"].value(),
        **{"location-country_code": "BE", "location-city_nl": "Gent"},
    )
    answers = []

    def click():
        try:
            answers.append(client.post(URL, data))
        finally:
            connection.close()  # this thread's own connection

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for thread in clicks:
        thread.start()
        time.sleep(0.1)
    for thread in clicks:
        thread.join()

    appointment = Appointment.objects.get()
    assert [answer["Location"] for answer in answers] == [f"/backoffice/appointments/{appointment.pk}/"] * 2

"""The admin: every model registered and browsable, API clients' secrets shown once, invites only
through "Invite a customer" (the back office's form and invite_create), tenancy for non-superusers."""

import base64

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.apps import apps

from appointments.idempotency import IdempotencyKey
from appointments.models import Appointment, FormSubmission
from availability.models import BusyTime
from invitations.models import InviteLink
from locations.models import GeocodingCacheEntry
from notifications.models import Message
from participants.models import ApiClient
from tests.appointments.backoffice_support import invite_post, staff_user
from tests.availability.support import book, invite, local, next_weekday, open_every_day, rules

OUR_APPS = {"locations", "participants", "appointments", "availability", "invitations", "notifications"}


@pytest.fixture
def superuser_client(acme, client):
    user = staff_user(acme, username="root", is_superuser=True)
    client.force_login(user)
    return client


def test_every_model_of_ours_is_registered_or_inline():
    models = {m for m in apps.get_models() if m._meta.app_label in OUR_APPS}
    inlines = {inline.model for model_admin in admin.site._registry.values() for inline in model_admin.inlines}

    assert models - set(admin.site._registry) - inlines == set()


def test_every_changelist_and_add_form_renders(superuser_client, acme):
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in OUR_APPS:
            continue
        info = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        assert superuser_client.get(info).status_code == 200, info
        assert superuser_client.get(info, {"q": "x"}).status_code == 200, info
        # Appointments are created through the invite view; cache entries, keys, booked time and
        # messages by the services.
        written_by_services = (
            Appointment, BusyTime, FormSubmission, GeocodingCacheEntry, IdempotencyKey, InviteLink, Message
        )
        expected = 403 if model in written_by_services else 200
        assert superuser_client.get(info + "add/").status_code == expected, info


def test_admin_is_branded(superuser_client):
    html = superuser_client.get("/admin/").content.decode()

    assert "Invites administration" in html
    assert "css/admin-brand.css" in html


def test_translated_models_have_tabbed_fields_served_locally(superuser_client):
    html = superuser_client.get("/admin/appointments/subject/add/").content.decode()

    assert 'name="name_en"' in html and 'name="name_nb"' in html
    assert "/static/jquery-ui/jquery-ui.min.js" in html
    assert "googleapis" not in html


def test_new_api_client_shows_its_secret_once_and_the_secret_works(superuser_client, acme, client):
    response = superuser_client.post(
        "/admin/participants/apiclient/add/",
        {"name": "CRM", "enterprise": acme.enterprise.pk, "allowed_scopes": ["engage:appointments:readWrite"]},
    )

    api_client = ApiClient.objects.get(name="CRM")
    assert response.status_code == 302
    assert response["Location"] == f"/admin/participants/apiclient/{api_client.pk}/secret/"
    shown = superuser_client.get(response["Location"])
    secret = shown.context["client_secret"]
    assert secret in shown.content.decode() and "no-store" in shown["Cache-Control"]
    assert api_client.client_secret != secret  # stored hashed
    assert secret not in superuser_client.get(f"/admin/participants/apiclient/{api_client.pk}/change/").content.decode()
    # Reloading the secret's page shows it no more, and creates nothing.
    reloaded = superuser_client.get(response["Location"], follow=True)
    assert secret not in reloaded.content.decode() and "shown once" in reloaded.content.decode()
    assert ApiClient.objects.filter(name="CRM").count() == 1
    basic = base64.b64encode(f"{api_client.client_id}:{secret}".encode()).decode()
    token = client.post(
        "/o/token/",
        {"grant_type": "client_credentials", "scope": "engage:appointments:readWrite"},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert token.status_code == 200, token.content
    assert token.json()["scope"] == "engage:appointments:readWrite"


def test_invite_a_customer_creates_through_the_service(superuser_client, acme):
    page = superuser_client.get("/admin/appointments/appointment/")
    assert "/admin/appointments/appointment/invite/" in page.content.decode()

    response = superuser_client.post("/admin/appointments/appointment/invite/", invite_post(acme, external_id="ADM-1"))

    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/appointments/appointment/{appointment.pk}/change/"
    assert (appointment.external_id, appointment.created_from, appointment.created_by_type) == (
        "ADM-1",
        "BACKOFFICE_APP",
        "EMPLOYEE",
    )


def test_invite_a_customer_shows_business_errors_next_to_fields(superuser_client, acme):
    response = superuser_client.post(
        "/admin/appointments/appointment/invite/", invite_post(acme, meeting_type="ON_LOCATION")
    )

    assert response.status_code == 200
    assert list(response.context["form"].location.non_field_errors()) == ["A location is required for on-location meetings"]
    assert not Appointment.objects.exists()


def test_appointment_audit_fields_are_read_only(superuser_client, acme):
    superuser_client.post("/admin/appointments/appointment/invite/", invite_post(acme))
    appointment = Appointment.objects.get()

    superuser_client.post(
        f"/admin/appointments/appointment/{appointment.pk}/change/",
        {"created_by_type": "SYSTEM", "created_from": "IMPORT", "participants-TOTAL_FORMS": 0, "participants-INITIAL_FORMS": 0},
    )

    appointment.refresh_from_db()
    assert (appointment.created_by_type, appointment.created_from) == ("EMPLOYEE", "BACKOFFICE_APP")


def test_staff_see_only_their_enterprise_in_the_admin(acme, globex, client):
    user = staff_user(acme)
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_customer", "add_appointment", "view_appointment"]))
    client.force_login(user)

    customers = client.get("/admin/participants/customer/").context["cl"].queryset

    assert set(customers) == set(acme.customers)
    assert client.get(f"/admin/participants/customer/{globex.customers[0].pk}/change/").status_code == 302
    assert client.get("/admin/appointments/appointment/invite/").status_code == 200


def test_invite_view_needs_the_add_permission(acme, client):
    client.force_login(staff_user(acme))

    assert client.get("/admin/appointments/appointment/invite/").status_code == 403


def test_superuser_without_employee_cannot_invite(db, client):
    client.force_login(get_user_model().objects.create_superuser("root", password="x"))

    assert client.get("/admin/appointments/appointment/invite/").status_code == 403


def staff_with(acme, client, *codenames):
    user = staff_user(acme)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return user


def test_staff_do_not_see_other_enterprises_names_in_filters(acme, globex, client):
    staff_with(acme, client, "view_customer", "view_appointment")
    for url in ("/admin/participants/customer/", "/admin/appointments/appointment/"):
        page = client.get(url).content.decode()
        assert globex.enterprise.name not in page, url


def test_staff_cannot_point_an_office_at_another_enterprises_location(acme, globex, client):
    staff_with(acme, client, "change_office", "view_office")
    office = acme.office
    form = {"name": "Moved", "location": globex.office.location_id, "external_id": ""}
    response = client.post(f"/admin/appointments/office/{office.pk}/change/", form)
    assert response.status_code == 200 and "location" in response.context["adminform"].form.errors
    office.refresh_from_db()
    assert office.name != "Moved" and office.location_id == acme.office.location_id


def test_staff_cannot_link_another_enterprises_login(acme, globex, client):
    staff_with(acme, client, "change_employee", "view_employee")
    other = staff_user(globex, username="globex-login")
    employee = acme.employees[1]
    form = {"first_name": employee.first_name, "last_name": employee.last_name, "email": "", "user": other.pk,
            "is_active": "on", "external_id": ""}
    response = client.post(f"/admin/participants/employee/{employee.pk}/change/", form)
    assert response.status_code == 200 and "user" in response.context["adminform"].form.errors


def test_a_deactivated_employee_sees_nothing_in_the_admin(acme, client):
    staff_with(acme, client, "view_customer")
    acme.employees[0].is_active = False
    acme.employees[0].save()
    assert list(client.get("/admin/participants/customer/").context["cl"].queryset) == []


def test_oauth_token_admins_are_for_superusers_only(acme, superuser_client):
    assert superuser_client.get("/admin/oauth2_provider/accesstoken/").status_code == 200
    staff_with(acme, superuser_client, "view_accesstoken", "change_accesstoken", "delete_accesstoken")  # same client, now staff
    assert superuser_client.get("/admin/oauth2_provider/accesstoken/").status_code == 403


def test_the_appointment_list_shows_each_time_in_its_offices_zone_and_sorts_by_it(superuser_client, acme):
    open_every_day(acme.office)
    rules(acme)
    day = next_weekday(1)
    late, early = book(acme, local(day, 15)), book(acme, local(day, 9, 30))
    waiting = invite(acme)

    response = superuser_client.get("/admin/appointments/appointment/")
    html = response.content.decode()

    moment = local(day, 9, 30)
    assert f"{moment:%a} {day.day} {moment:%b %Y}, 09:30 {moment.tzname()} (Europe/Brussels)" in html
    column = list(response.context["cl"].list_display).index("time")
    by_time = superuser_client.get("/admin/appointments/appointment/", {"o": str(column)}).context["cl"].result_list
    assert list(by_time) == [early, late, waiting]  # invites, without a time, last
    by_time = superuser_client.get("/admin/appointments/appointment/", {"o": f"-{column}"}).context["cl"].result_list
    assert list(by_time) == [waiting, late, early]  # the same order reversed, on every database

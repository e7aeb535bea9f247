import json
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from appointments.models import Subject
from appointments.services import ParticipantInput, appointment_reschedule, invite_create
from availability.models import OpeningHours
from availability.selectors import free_slots
from participants.models import Customer, Employee, Enterprise
from tests.availability.support import STAFF


def seed(capsys):
    call_command("seed_demo", "--json")
    return json.loads(capsys.readouterr().out)


def test_seed_prints_one_json_object_with_working_credentials(db, capsys):
    data = seed(capsys)
    assert {"enterprise", "tokenUrl", "clients", "staff", "subjects", "offices", "employees", "customers",
            "listings", "leadSegments", "callbackRequests", "other"} <= data.keys()
    assert data["enterprise"] == "acme" and data["other"]["enterprise"] == "globex"
    assert len(data["offices"]) >= 2 and len(data["subjects"]) >= 2
    assert len(data["employees"]) >= 3 and len(data["customers"]) >= 3
    assert all(isinstance(i, str) for key in ("subjects", "offices", "employees", "customers") for i in data[key])

    client = APIClient()
    rw = data["clients"]["readWrite"]
    token = client.post("/o/token/", {"grant_type": "client_credentials", "client_id": rw["clientId"],
                                       "client_secret": rw["clientSecret"]}).json()["access_token"]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    body = {
        "subjectId": data["subjects"][0], "officeId": data["offices"][0], "meetingType": "OFFICE",
        "appointmentParticipants": [
            {"role": "PRIMARY", "participantId": data["employees"][0], "type": "EMPLOYEE"},
            {"role": "PRIMARY", "participantId": data["customers"][0], "type": "CUSTOMER"},
        ],
        "listingId": data["listings"][0], "leadSegmentId": data["leadSegments"][0],
        "callbackRequestId": data["callbackRequests"][0],
    }
    assert client.post("/api/enterprises/acme/appointments/_actions/invite", body, format="json").status_code == 201

    ro = data["clients"]["readOnly"]
    response = client.post("/o/token/", {"grant_type": "client_credentials", "client_id": ro["clientId"],
                                          "client_secret": ro["clientSecret"], "scope": "engage:appointments:readWrite"})
    assert response.json()["error"] == "invalid_scope"

    staff = Employee.objects.get(pk=data["employees"][0]).user
    assert staff.username == data["staff"]["username"] and staff.is_staff
    assert staff.check_password(data["staff"]["password"])
    assert staff.has_perm("appointments.add_appointment") and not staff.has_perm("appointments.delete_appointment")
    assert not staff.has_perm("participants.change_enterprise")


def test_demo_staff_can_use_the_admins_invite_view(db, capsys, client):
    data = seed(capsys)
    assert client.post("/accounts/login/", data["staff"]).status_code == 302
    assert client.get("/admin/appointments/appointment/invite/").status_code == 200


def test_seed_is_idempotent(db, capsys):
    first = seed(capsys)
    counts = Subject.objects.count(), Employee.objects.count()
    assert seed(capsys) == first
    assert (Subject.objects.count(), Employee.objects.count()) == counts



def test_demo_offices_open_on_weekdays_and_subjects_book_as_described(db, capsys):
    data = seed(capsys)
    for office in data["offices"] + data["other"]["offices"]:
        blocks = OpeningHours.objects.filter(office_id=office).values_list("weekday", "start", "end")
        assert sorted((day, f"{start:%H:%M}", f"{end:%H:%M}") for day, start, end in blocks) == [
            (day, "09:00", "17:00") for day in range(5)
        ]
    customers = Customer.objects.in_bulk([int(pk) for pk in data["customers"]])
    assert [customers[int(pk)].language for pk in data["customers"]] == ["en", "nl", "fr"]
    assert "America/New_York" in {customer.time_zone for customer in customers.values()}
    assert all(customer.email for customer in customers.values())
    assert all(Employee.objects.filter(pk__in=data["employees"]).values_list("email", flat=True))

    statuses = []
    for subject in data["subjects"]:
        appointment = invite_create(
            enterprise=Enterprise.objects.get(slug="acme"),
            actor=STAFF,
            subject_id=subject,
            office_id=data["offices"][0],
            meeting_type="OFFICE",
            participants=[
                ParticipantInput("PRIMARY", "EMPLOYEE", data["employees"][0]),
                ParticipantInput("PRIMARY", "CUSTOMER", data["customers"][1]),
            ],
        )
        now = timezone.now()
        slots = free_slots(appointment=appointment, window_start=now, window_end=now + timedelta(days=14))
        zone = ZoneInfo(appointment.office.location.time_zone)
        assert {slot.end - slot.start for slot in slots} == {timedelta(minutes=60)}
        assert {slot.start.astimezone(zone).strftime("%M") for slot in slots} == {"00", "30"}
        assert all(
            slot.start.astimezone(zone).weekday() < 5 and "09:00" <= f"{slot.start.astimezone(zone):%H:%M}" <= "16:00"
            for slot in slots
        )
        booked = appointment_reschedule(
            enterprise=appointment.enterprise, appointment_id=appointment.pk, actor=STAFF, start=slots[0].start
        )
        statuses.append(booked.status)
    assert statuses == ["ACCEPTED", "INCOMING_REQUEST"]  # the second subject needs an employee to accept

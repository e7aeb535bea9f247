import json

from django.core.management import call_command
from rest_framework.test import APIClient

from appointments.models import Subject
from participants.models import Employee


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

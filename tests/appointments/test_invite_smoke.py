from appointments.models import Appointment
from tests.support import post_invite


def test_invite_with_two_participants_is_created(acme, api):
    response = post_invite(api, acme.invite_body())

    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert data["status"] == "OUTGOING_INVITE"
    assert Appointment.objects.get(pk=data["id"]).enterprise == acme.enterprise

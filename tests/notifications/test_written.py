"""Which messages each action writes, to whom, in the action's own transaction."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from appointments.models import Appointment, AppointmentStatusChange
from appointments.services import (
    AppointmentStatusInvalid,
    ParticipantInput,
    appointment_accept,
    appointment_cancel,
    appointment_complete,
    appointment_reschedule,
    appointment_resend_invite,
    invites_create,
)
from availability.services import AppointmentNoAvailability
from notifications.models import Message

from .support import MONDAY, STAFF, act, book, invite, local, open_every_day, rules

Kind = Message.Kind


@pytest.fixture
def office_hours(acme):
    open_every_day(acme.office, weekdays=range(5))
    rules(acme)


def written(appointment=None) -> list[tuple[str, str, int]]:
    rows = Message.objects.order_by("pk")
    if appointment is not None:
        rows = rows.filter(appointment=appointment)
    return list(rows.values_list("kind", "recipient_type", "recipient_id"))


@pytest.mark.django_db
class TestWho:
    def test_an_invite_is_written_for_each_customer_and_no_employee(self, acme):
        appointment = invite(acme, secondary=(acme.employees[1],))
        second = acme.customers[1]
        appointment.participants.create(role="SECONDARY", type="CUSTOMER", customer=second)
        # (Written at creation: the second customer above was added afterwards, by hand.)
        assert written(appointment) == [("INVITE", "CUSTOMER", acme.customers[0].pk)]
        message = Message.objects.get()
        assert (message.status, message.attempts, message.email, message.start) == ("PENDING", 0, "", None)

    def test_a_batch_of_invites_writes_its_messages_in_one_statement(self, acme):
        def body(customer):
            return {
                "subject_id": str(acme.subject.pk),
                "office_id": str(acme.office.pk),
                "meeting_type": "OFFICE",
                "external_id": None,
                "participants": [
                    ParticipantInput("PRIMARY", "EMPLOYEE", str(acme.employees[0].pk)),
                    ParticipantInput("PRIMARY", "CUSTOMER", str(customer.pk)),
                ],
            }

        with CaptureQueriesContext(connection) as queries:
            result = invites_create(enterprise=acme.enterprise, actor=STAFF, invites=[body(c) for c in acme.customers])
        inserts = [q["sql"] for q in queries if q["sql"].startswith('INSERT INTO "notifications_message"')]
        assert len(inserts) == 1
        assert sorted(written()) == sorted(
            ("INVITE", "CUSTOMER", c.pk) for c in acme.customers
        ) and len(result.created) == 3

    def test_each_action_tells_the_customers_and_the_primary_employees(self, acme, office_hours):
        rules(acme, auto_accept=False)
        appointment = invite(acme, acme.employees[0], secondary=(acme.employees[1],))
        customer, employee = acme.customers[0].pk, acme.employees[0].pk
        Message.objects.all().delete()

        def kinds_after(action, **kwargs):
            before = Message.objects.count()
            act(action, acme, appointment, **kwargs)
            return written(appointment)[before:]

        both = lambda kind: [(kind, "CUSTOMER", customer), (kind, "EMPLOYEE", employee)]  # noqa: E731
        assert kinds_after(appointment_reschedule, start=local(MONDAY, 10)) == both("REQUEST_RECEIVED")
        assert kinds_after(appointment_accept) == both("ACCEPTED")
        assert kinds_after(appointment_reschedule, start=local(MONDAY, 14), message="Later, sorry") == both("RESCHEDULED")
        assert kinds_after(appointment_cancel, reason="ill", message="We are sorry") == both("CANCELLED")

        rows = list(Message.objects.filter(recipient_type="CUSTOMER").order_by("pk"))
        assert [m.sequence for m in rows] == [1, 2, 3, 4]  # one more with each action
        assert rows[2].note == "Later, sorry" and rows[3].note == "We are sorry"
        assert (rows[2].start, rows[2].end) == (local(MONDAY, 14), local(MONDAY, 15))
        assert rows[3].start == local(MONDAY, 14)  # the time that was cancelled

    def test_a_time_booked_at_once_is_confirmed(self, acme, office_hours):
        appointment = invite(acme)
        act(appointment_reschedule, acme, appointment, start=local(MONDAY, 10))
        assert [kind for kind, *_ in written(appointment)] == ["INVITE", "BOOKING_CONFIRMED", "BOOKING_CONFIRMED"]

    def test_the_outcome_of_an_appointment_tells_nobody(self, acme, office_hours):
        appointment = invite(acme)
        act(appointment_reschedule, acme, appointment, start=local(MONDAY, 10))
        Appointment.objects.filter(pk=appointment.pk).update(start=local(MONDAY, 10).replace(year=2020))
        count = Message.objects.count()
        act(appointment_complete, acme, appointment)
        assert Message.objects.count() == count


@pytest.mark.django_db
class TestResendInvite:
    def test_an_invite_is_sent_again_with_its_message(self, acme):
        appointment = invite(acme, message="Bring your ID")
        resent = act(appointment_resend_invite, acme, appointment, message="Still interested?")

        assert resent.status == "OUTGOING_INVITE"
        change = AppointmentStatusChange.objects.get(appointment=appointment)
        assert (change.action, change.from_status, change.to_status, change.message, change.by_id) == (
            "resend-invite", "OUTGOING_INVITE", "OUTGOING_INVITE", "Still interested?", STAFF.id
        )
        assert [(m.kind, m.note) for m in Message.objects.order_by("pk")] == [("INVITE", ""), ("INVITE", "Still interested?")]

    def test_no_time_suited_the_customer_so_they_are_invited_again(self, acme):
        appointment = invite(acme)
        Appointment.objects.filter(pk=appointment.pk).update(status="ALTERNATIVE_DATE_REQUESTED")
        assert act(appointment_resend_invite, acme, appointment).status == "OUTGOING_INVITE"
        assert Message.objects.filter(kind="INVITE").count() == 2

    @pytest.mark.parametrize("status", ["INCOMING_REQUEST", "ACCEPTED", "CANCELLED", "COMPLETED", "NO_SHOW"])
    def test_other_statuses_are_refused_and_nothing_is_written(self, acme, status):
        appointment = invite(acme)
        Appointment.objects.filter(pk=appointment.pk).update(status=status)
        with pytest.raises(AppointmentStatusInvalid) as refused:
            act(appointment_resend_invite, acme, appointment)
        assert refused.value.arguments["allowedStates"] == ["OUTGOING_INVITE", "ALTERNATIVE_DATE_REQUESTED"]
        assert Message.objects.count() == 1 and not AppointmentStatusChange.objects.exists()


class TestTransactions:
    def test_the_job_is_queued_after_the_commit(self, transactional_db, acme):
        with transaction.atomic():
            appointment = invite(acme)
            assert not DBTaskResult.objects.exists()  # not before the commit
        (job,) = DBTaskResult.objects.all()
        assert job.task_path == "notifications.tasks.deliver_messages"
        assert job.args_kwargs["args"] == [[Message.objects.get(appointment=appointment).pk]]

    def test_an_action_rolled_back_writes_and_queues_nothing(self, transactional_db, acme, office_hours):
        appointment = invite(acme)
        Message.objects.all().delete()
        DBTaskResult.objects.all().delete()

        with pytest.raises(RuntimeError), transaction.atomic():
            act(appointment_reschedule, acme, appointment, start=local(MONDAY, 10))
            assert Message.objects.count() == 2  # written, inside the transaction
            raise RuntimeError("the caller's transaction fails after the action")

        assert not Message.objects.exists() and not DBTaskResult.objects.exists()
        with pytest.raises(AppointmentNoAvailability):
            act(appointment_reschedule, acme, appointment, start=local(MONDAY, 8))  # before opening time
        assert not Message.objects.exists() and not DBTaskResult.objects.exists()


@pytest.mark.django_db
class TestNotifyCustomer:
    """An API action with ``notifyCustomer: false`` writes no message to the customer; the PRIMARY
    employees are told as usual."""

    @staticmethod
    def post(api, appointment, action, body):
        response = api.post(f"/api/enterprises/acme/appointments/{appointment.pk}/_actions/{action}", body, format="json")
        assert response.status_code == 200, response.content

    def test_a_time_booked_and_moved_without_telling_the_customer(self, acme, api, office_hours):
        appointment = invite(acme, secondary=(acme.employees[1],))
        employee = acme.employees[0].pk

        self.post(api, appointment, "reschedule", {"start": local(MONDAY, 10).isoformat(), "notifyCustomer": False})
        self.post(api, appointment, "reschedule", {"start": local(MONDAY, 14).isoformat(), "notifyCustomer": False})

        assert written(appointment) == [
            ("INVITE", "CUSTOMER", acme.customers[0].pk),  # written when it was created
            ("BOOKING_CONFIRMED", "EMPLOYEE", employee),
            ("RESCHEDULED", "EMPLOYEE", employee),
        ]

    def test_a_cancel_without_telling_the_customer(self, acme, api, office_hours):
        booked = book(acme, local(MONDAY, 10))
        before = len(written(booked))

        self.post(api, booked, "cancel", {"reason": "Booked twice", "notifyCustomer": False})

        assert written(booked)[before:] == [("CANCELLED", "EMPLOYEE", acme.employees[0].pk)]

    @pytest.mark.parametrize("told", [{}, {"notifyCustomer": True}])
    @pytest.mark.parametrize("action", ["reschedule", "cancel"])
    def test_otherwise_the_customer_is_told_too(self, acme, api, office_hours, action, told):
        booked = book(acme, local(MONDAY, 10))
        before = len(written(booked))
        body = {"start": local(MONDAY, 14).isoformat()} if action == "reschedule" else {}

        self.post(api, booked, action, {**body, **told})

        assert [recipient_type for _kind, recipient_type, _id in written(booked)[before:]] == ["CUSTOMER", "EMPLOYEE"]

"""Delivery through a real SMTP server: sent once, retried with backoff when refused, never sent
twice when two workers race or when the server may already have it."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from notifications.delivery import messages_deliver, retry_delay
from notifications.models import Message
from notifications.services import messages_send_again
from notifications.sweep import messages_sweep
from notifications.tasks import deliver_messages
from tests.support import on_another_connection
from tools.smtp_sink import free_port

from .support import give_addresses, invite, pending_ids, send_pending

Status = Message.Status
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need a server database")


@pytest.fixture
def message(acme, settings):
    """One invite message, waiting."""
    settings.PUBLIC_BASE_URL = "http://testserver"
    give_addresses(acme)
    invite(acme)
    return Message.objects.get()


def due_now(message: Message) -> None:
    """Time passes: the message's next attempt is due."""
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())


@pytest.mark.django_db
class TestOutcomes:
    def test_sent_once_and_recorded(self, message, smtp):
        assert send_pending().sent == [message.pk]
        assert messages_deliver([message.pk]).not_claimed == [message.pk]  # a second job for it

        message.refresh_from_db()
        (email,) = smtp.messages
        assert (message.status, message.attempts, message.last_error) == ("SENT", 1, "")
        assert message.sent_at is not None and message.claim is None
        assert (message.email, message.language, message.subject) == ("customer0@example.com", "en", email["Subject"].strip())
        assert email["Message-ID"] == f"<message-{message.pk}.{int(message.created_at.timestamp())}@localhost>"

    def test_refused_for_now_then_sent_after_a_backoff(self, message, smtp, settings):
        settings.MESSAGE_RETRY_BASE = 60
        smtp.refuse(times=1)
        before = timezone.now()
        delivered = send_pending()

        message.refresh_from_db()
        assert delivered.retry == {message.pk: message.next_attempt_at}
        assert (message.status, message.attempts) == ("PENDING", 1)
        assert "451" in message.last_error and message.email == "customer0@example.com"
        assert before + timedelta(seconds=47) <= message.next_attempt_at <= timezone.now() + timedelta(seconds=73)
        assert messages_deliver([message.pk]).not_claimed == [message.pk]  # not due yet

        due_now(message)
        assert send_pending().sent == [message.pk]
        assert len(smtp.messages) == 1 and smtp.refused == 1
        message.refresh_from_db()
        assert (message.status, message.attempts, message.last_error) == ("SENT", 2, "")

    def test_a_server_that_does_not_answer_delays_the_message(self, message, smtp, settings):
        settings.EMAIL_PORT = free_port()  # nobody listens
        assert list(send_pending().retry) == [message.pk]
        message.refresh_from_db()
        assert message.status == "PENDING" and "ConnectionRefusedError" in message.last_error

        settings.EMAIL_PORT = smtp.port
        due_now(message)
        assert send_pending().sent == [message.pk] and len(smtp.messages) == 1

    def test_a_recipient_refused_for_good_fails_at_once(self, message, smtp):
        smtp.unknown_recipients.add("customer0@example.com")
        assert send_pending().failed == [message.pk]
        message.refresh_from_db()
        assert (message.status, message.attempts) == ("FAILED", 1) and "550" in message.last_error
        assert not smtp.messages

    def test_it_gives_up_after_the_last_attempt(self, message, smtp, settings):
        settings.MESSAGE_MAX_ATTEMPTS = 3
        smtp.refuse(times=10)
        for _ in range(3):
            send_pending()
            due_now(message)
        message.refresh_from_db()
        assert (message.status, message.attempts) == ("FAILED", 3) and smtp.refused == 3
        assert not pending_ids()

    def test_the_wait_doubles_up_to_a_maximum(self, settings):
        settings.MESSAGE_RETRY_BASE, settings.MESSAGE_RETRY_MAX = 30, 3600
        for attempts, seconds in ((1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600), (20, 3600)):
            for _ in range(20):
                assert 0.8 * seconds <= retry_delay(attempts).total_seconds() <= 1.2 * seconds

    def test_a_lost_reply_is_not_sent_again(self, message, smtp):
        """The server took the message and hung up before saying so: it may have it."""
        smtp.hang_up()
        assert send_pending().uncertain == [message.pk]
        message.refresh_from_db()
        assert message.status == "UNCERTAIN" and "SMTPServerDisconnected" in message.last_error
        assert messages_deliver([message.pk]).not_claimed == [message.pk]
        assert len(smtp.messages) == 1


@pytest.mark.django_db
class TestBatches:
    def test_a_job_also_sends_other_due_messages_over_one_connection(self, acme, smtp, settings):
        settings.PUBLIC_BASE_URL = "http://testserver"
        give_addresses(acme)
        for _ in range(4):
            invite(acme)
        first, *others = pending_ids()
        Message.objects.filter(pk=others[-1]).update(next_attempt_at=timezone.now() + timedelta(hours=1))

        assert deliver_messages.call([first]) == {
            "sent": 3, "retry": 0, "failed": 0, "skipped": 0, "uncertain": 0, "not_claimed": 0
        }
        assert smtp.conversations == 1 and len(smtp.messages) == 3
        assert deliver_messages.call([others[0]])["not_claimed"] == 1  # its own job, later: nothing to do
        assert Message.objects.get(pk=others[-1]).status == "PENDING"  # not due yet

    def test_a_server_that_is_down_is_not_tried_for_each_message(self, acme, smtp, settings):
        settings.PUBLIC_BASE_URL = "http://testserver"
        settings.EMAIL_PORT = free_port()
        give_addresses(acme)
        for _ in range(3):
            invite(acme)
        delivered = send_pending()
        assert len(delivered.retry) == 3
        assert set(Message.objects.values_list("status", "attempts")) == {("PENDING", 1)}
        assert all("ConnectionRefusedError" in error for error in Message.objects.values_list("last_error", flat=True))

    def test_messages_a_run_cannot_finish_within_its_claim_are_given_back(self, message, smtp, settings):
        settings.MESSAGE_SEND_LEASE = 0  # the claim is over at once
        delivered = send_pending()
        message.refresh_from_db()
        assert delivered.retry == {message.pk: message.next_attempt_at}
        assert (message.status, message.attempts, message.claim) == ("PENDING", 0, None)
        assert not smtp.messages


@pytest.mark.django_db
class TestWorkerThatStopped:
    def test_a_send_whose_worker_died_is_marked_uncertain_not_resent(self, message, smtp, caplog):
        """A worker claimed the message and died before recording what the server said."""
        Message.objects.filter(pk=message.pk).update(
            status=Status.SENDING, attempts=1, claimed_until=timezone.now() - timedelta(seconds=1)
        )
        assert messages_sweep().uncertain == [message.pk]

        message.refresh_from_db()
        assert message.status == "UNCERTAIN" and "may have accepted it" in message.last_error
        assert f"Message {message.pk} (appointment {message.appointment_id}) may have been sent" in caplog.text
        assert messages_deliver([message.pk]).not_claimed == [message.pk] and not smtp.messages
        assert messages_sweep().uncertain == []  # once

        # Staff checked: it did not arrive.
        assert messages_send_again(message_ids=[message.pk], by="staff") == 1
        assert send_pending().sent == [message.pk] and len(smtp.messages) == 1

    def test_a_send_still_within_its_lease_is_left_alone(self, message):
        Message.objects.filter(pk=message.pk).update(status=Status.SENDING, claimed_until=timezone.now() + timedelta(minutes=1))
        assert messages_sweep().uncertain == []
        assert Message.objects.get().status == "SENDING"

    def test_staff_send_again_only_what_was_not_sent(self, message, smtp):
        send_pending()
        assert messages_send_again(message_ids=[message.pk], by="staff") == 0
        assert Message.objects.get().status == "SENT" and len(smtp.messages) == 1


@postgresql_only
def test_a_worker_that_was_only_slow_records_what_it_sent(transactional_db, acme, smtp, settings):
    settings.PUBLIC_BASE_URL = "http://testserver"
    give_addresses(acme)
    invite(acme)
    message = Message.objects.get()
    smtp.hold(1.0)  # the server takes its time to say yes
    results = []
    worker = threading.Thread(target=on_another_connection, args=(lambda: results.append(messages_deliver([message.pk])),))
    worker.start()
    assert smtp.received.wait(5)
    Message.objects.filter(pk=message.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert messages_sweep().uncertain == [message.pk]  # the lease ran out while it waited
    worker.join()

    assert results[0].sent == [message.pk]
    assert Message.objects.get().status == "SENT" and len(smtp.messages) == 1


@postgresql_only
def test_workers_racing_for_the_same_messages_send_each_once(transactional_db, acme, smtp, settings):
    settings.PUBLIC_BASE_URL = "http://testserver"
    give_addresses(acme)
    for _ in range(12):
        invite(acme)
    ids = pending_ids()
    barrier = threading.Barrier(4)
    results = []

    def worker():
        barrier.wait()
        results.append(messages_deliver(ids))

    threads = [threading.Thread(target=on_another_connection, args=(worker,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(pk for result in results for pk in result.sent) == sorted(ids)
    assert sum(len(result.not_claimed) for result in results) == 3 * len(ids)
    message_ids = [email["Message-ID"] for email in smtp.wait_for(len(ids))]
    assert len(message_ids) == len(set(message_ids)) == len(ids)
    time.sleep(0.2)
    assert len(smtp.messages) == len(ids)
    assert set(Message.objects.values_list("status", flat=True)) == {"SENT"}

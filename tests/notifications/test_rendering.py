"""Every message as its recipient gets it, through a real SMTP server: in their language, with
times in their zone and the zone named, calendar files that update one event, and never the
appointment's internal notes."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_time, get_timezone_name
from django.utils import timezone
from icalendar import Calendar

from appointments.models import Appointment
from appointments.services import (
    ParticipantInput,
    appointment_accept,
    appointment_cancel,
    appointment_reschedule,
    appointment_resend_invite,
    invite_create,
)
from core.languages import to_storage
from invitations.models import InviteLink
from invitations.services import token_hash
from notifications.models import Message
from notifications.tasks import sweep_and_enqueue
from tests.invitations.support import link_path, text_of

from .support import MONDAY, STAFF, act, bodies, calendar_of, give_addresses, invite, local, open_every_day, rules, send_pending

pytestmark = pytest.mark.django_db

SECRET = "INTERNAL-NOTE-7731"
ZONES = {"en": "America/New_York", "nl": "Europe/Amsterdam", "el": "Europe/Athens", "ja": "Asia/Tokyo"}
GREETING = {"en": "Hello Daan,", "nl": "Beste Daan,", "el": "Γεια σας Daan,", "ja": "Daan 様"}
CUSTOMER_SUBJECTS = {
    "en": ["Choose a time for your appointment", "Appointment confirmed", "Request received", "Appointment accepted",
           "New time for your appointment", "Appointment cancelled", "Reminder"],
    "nl": ["Kies een tijdstip voor uw afspraak", "Afspraak bevestigd", "Aanvraag ontvangen", "Afspraak geaccepteerd",
           "Nieuw tijdstip voor uw afspraak", "Afspraak geannuleerd", "Herinnering"],
    "el": ["Επιλέξτε ώρα για το ραντεβού σας", "Το ραντεβού επιβεβαιώθηκε", "Το αίτημα ελήφθη",
           "Το ραντεβού έγινε αποδεκτό", "Νέα ώρα για το ραντεβού σας", "Το ραντεβού ακυρώθηκε", "Υπενθύμιση"],
    "ja": ["ご予約の日時をお選びください", "予約が確定しました", "リクエストを受け付けました", "予約が承認されました",
           "予約の日時が変更されました", "予約がキャンセルされました", "リマインダー"],
}
EMPLOYEE_SUBJECTS = {
    "en": ["New appointment", "To accept", "Accepted", "New time", "Cancelled"],
    "nl": ["Nieuwe afspraak", "Te accepteren", "Geaccepteerd", "Nieuw tijdstip", "Geannuleerd"],
    "el": ["Νέο ραντεβού", "Προς αποδοχή", "Αποδεκτό", "Νέα ώρα", "Ακυρώθηκε"],
    "ja": ["新しい予約", "承認待ち", "承認済み", "日時変更", "キャンセル"],
}
CUSTOMER_KINDS = ["INVITE", "BOOKING_CONFIRMED", "REQUEST_RECEIVED", "ACCEPTED", "RESCHEDULED", "CANCELLED", "REMINDER"]
EMPLOYEE_KINDS = ["BOOKING_CONFIRMED", "REQUEST_RECEIVED", "ACCEPTED", "RESCHEDULED", "CANCELLED"]


def every_kind(acme, smtp, settings) -> dict:
    """Two appointments through their lives, each message delivered as soon as it is written:
    ``(kind, recipient type) -> (e-mail, message row)``."""
    open_every_day(acme.office, weekdays=range(5))
    rules(acme)  # booked at once
    first = invite(acme, internal_notes=SECRET, message="Bring your ID")
    send_pending()
    act(appointment_reschedule, acme, first, start=local(MONDAY, 10))
    send_pending()
    act(appointment_reschedule, acme, first, start=local(MONDAY, 11), message="A room came free")
    send_pending()
    # A day before: booked long ago, so the sweep reminds the customer.
    settings.REMINDER_BEFORE = timedelta(days=30)
    Appointment.objects.filter(pk=first.pk).update(updated_at=timezone.now() - timedelta(days=40))
    sweep_and_enqueue()
    send_pending()
    act(appointment_cancel, acme, first, reason=SECRET, message="The advisor is ill")
    send_pending()
    rules(acme, auto_accept=False)  # an employee accepts each booking
    second = invite(acme, internal_notes=SECRET)
    act(appointment_reschedule, acme, second, start=local(MONDAY, 14))
    send_pending()
    act(appointment_accept, acme, second)
    send_pending()

    received = {email["Message-ID"]: email for email in smtp.messages}
    assert len(received) == len(smtp.messages)  # each once
    found = {}
    for message in Message.objects.filter(status="SENT").order_by("pk"):
        found.setdefault((message.kind, message.recipient_type), (received[_message_id(message)], message))
    return found


def _message_id(message: Message) -> str:
    return f"<message-{message.pk}.{int(message.created_at.timestamp())}@localhost>"


@pytest.fixture
def people(acme, settings):
    settings.PUBLIC_BASE_URL = "http://testserver"
    return acme


@pytest.mark.parametrize("language", ["en", "nl", "el", "ja"])
def test_every_kind_in_the_recipients_language_and_zone(people, smtp, settings, language):
    acme = people
    give_addresses(acme, customer_language=language, customer_zone=ZONES[language])
    acme.enterprise.default_language = language  # what the employees read
    acme.enterprise.save()

    found = every_kind(acme, smtp, settings)

    assert sorted(found) == sorted(
        [(kind, "CUSTOMER") for kind in CUSTOMER_KINDS] + [(kind, "EMPLOYEE") for kind in EMPLOYEE_KINDS]
    )
    for recipient_type, kinds, subjects in (
        ("CUSTOMER", CUSTOMER_KINDS, CUSTOMER_SUBJECTS[language]),
        ("EMPLOYEE", EMPLOYEE_KINDS, EMPLOYEE_SUBJECTS[language]),
    ):
        zone = ZoneInfo(ZONES[language] if recipient_type == "CUSTOMER" else "Europe/Brussels")
        for kind, subject in zip(kinds, subjects):
            email, message = found[(kind, recipient_type)]
            text, html = bodies(email)
            assert email["Subject"].strip().startswith(subject), (kind, email["Subject"])
            assert "Subject" in email["Subject"]  # the appointment's subject, in English only
            assert email["Content-Language"] == language and f'<html lang="{language}">' in html
            assert (message.email, message.language) == (email["X-Envelope-To"], language)
            if recipient_type == "CUSTOMER":
                assert text.startswith(GREETING[language]), text
            if message.start is not None:
                # As the customer's pages show them: the CLDR's short times, the zone named.
                locale = to_storage(language)
                start = format_time(message.start, "short", tzinfo=zone, locale=locale)  # 10:00 AM; 10:00
                end = format_time(message.end, "short", tzinfo=zone, locale=locale)
                named = f"{get_timezone_name(zone, 'long', locale=locale)} ({zone.key})"
                for body in (text, html):
                    assert start in body and end in body and named in body, (kind, recipient_type, body)


def test_internal_notes_reach_no_one(people, smtp, settings):
    give_addresses(people)
    found = every_kind(people, smtp, settings)
    assert len(found) == len(CUSTOMER_KINDS) + len(EMPLOYEE_KINDS)
    for email in smtp.messages:
        assert SECRET not in email.as_string()
        for part in email.walk():
            if not part.is_multipart():
                assert SECRET not in part.get_content() if part.get_content_maintype() == "text" else True
        calendar = calendar_of(email)
        assert calendar is None or SECRET.encode() not in calendar


def test_calendar_files_update_one_event(people, smtp, settings):
    give_addresses(people)
    found = every_kind(people, smtp, settings)

    def event(kind, recipient="CUSTOMER"):
        email, message = found[(kind, recipient)]
        calendar = Calendar.from_ical(calendar_of(email))
        (vevent,) = calendar.walk("VEVENT")
        return calendar, vevent

    first = [event(kind) for kind in ("BOOKING_CONFIRMED", "RESCHEDULED", "CANCELLED")]
    assert [str(calendar["METHOD"]) for calendar, _ in first] == ["REQUEST", "REQUEST", "CANCEL"]
    assert [str(vevent["STATUS"]) for _, vevent in first] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]
    assert len({str(vevent["UID"]) for _, vevent in first}) == 1
    sequences = [int(vevent["SEQUENCE"]) for _, vevent in first]
    assert sequences == sorted(set(sequences)), sequences  # rising with every change
    times = [(vevent.decoded("DTSTART"), vevent.decoded("DTEND")) for _, vevent in first]
    assert times == [
        (local(MONDAY, 10), local(MONDAY, 11)),
        (local(MONDAY, 11), local(MONDAY, 12)),
        (local(MONDAY, 11), local(MONDAY, 12)),
    ]
    calendar, vevent = first[0]
    assert vevent["DTSTART"].params["TZID"] == "Europe/Brussels"
    assert [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")] == ["Europe/Brussels"]
    attendees = {str(attendee) for attendee in vevent.get("ATTENDEE")}
    assert attendees == {"mailto:customer0@example.com", "mailto:employee0@acme.example"}
    assert str(vevent["ORGANIZER"]) == "mailto:invites@localhost"

    # The employee's file is the same event.
    _, for_employee = event("RESCHEDULED", "EMPLOYEE")
    assert (str(for_employee["UID"]), int(for_employee["SEQUENCE"])) == (str(first[1][1]["UID"]), sequences[1])

    # A requested time is tentative until accepted; another appointment has another UID.
    requested, accepted = event("REQUEST_RECEIVED")[1], event("ACCEPTED")[1]
    assert (str(requested["STATUS"]), str(accepted["STATUS"])) == ("TENTATIVE", "CONFIRMED")
    assert requested["UID"] == accepted["UID"] != first[0][1]["UID"]
    assert int(accepted["SEQUENCE"]) > int(requested["SEQUENCE"])
    assert accepted.decoded("DTSTART") == local(MONDAY, 14)

    for kind in ("INVITE", "REMINDER"):
        assert calendar_of(found[(kind, "CUSTOMER")][0]) is None


def test_the_invite_link_opens_the_invite_and_a_resent_one_replaces_it(people, smtp, client):
    give_addresses(people)
    appointment = invite(people, message="Bring your ID")
    send_pending()
    act(appointment_resend_invite, people, appointment, message="Still interested?")
    send_pending()

    first, second = smtp.messages
    links = [_link(bodies(email)[0]) for email in (first, second)]
    assert all(link.startswith("http://testserver/i/") for link in links)
    assert "Bring your ID" in bodies(first)[0] and "Still interested?" in bodies(second)[0]
    assert client.get(links[1].removeprefix("http://testserver")).status_code == 200
    assert client.get(links[0].removeprefix("http://testserver")).status_code == 404  # the older stopped working
    assert links[1] in bodies(second)[1]  # the HTML's button and fallback


def _link(text: str) -> str:
    return next(word for word in text.split() if word.startswith("http://testserver/i/"))


def booked_video_call(acme, *people: tuple[str, object], **fields) -> Appointment:
    """A video call of ``people`` (``(role, employee or customer)``), booked Monday 10:00."""
    open_every_day(acme.office, weekdays=range(5))
    appointment = invite_create(
        enterprise=acme.enterprise,
        actor=STAFF,
        subject_id=str(acme.subject.pk),
        office_id=str(acme.office.pk),
        meeting_type="VIDEO",
        participants=[ParticipantInput(role, type(person).__name__.upper(), str(person.pk)) for role, person in people],
        **fields,
    )
    return act(appointment_reschedule, acme, appointment, start=local(MONDAY, 10))


def test_a_video_call_gives_each_recipient_their_own_link(people, smtp):
    give_addresses(people)
    appointment = booked_video_call(people, ("PRIMARY", people.employees[0]), ("PRIMARY", people.customers[0]))
    send_pending()

    links = {p.type: p.video_url for p in appointment.participants.all()}
    confirmations = {email["X-Envelope-To"]: email for email in smtp.messages if "confirmed" in email["Subject"] or "New" in email["Subject"]}
    for address, own, other in (
        ("customer0@example.com", links["CUSTOMER"], links["EMPLOYEE"]),
        ("employee0@acme.example", links["EMPLOYEE"], links["CUSTOMER"]),
    ):
        text, html = bodies(confirmations[address])
        assert own in text and own in html and other not in text + html
        assert "Where:" not in text  # no place to go to


def test_a_message_without_an_address_is_skipped(people, smtp):
    invite(people)  # the factory's customers have no address
    delivered = send_pending()
    message = Message.objects.get()
    assert delivered.skipped == [message.pk] and not smtp.messages
    assert (message.status, message.last_error) == ("SKIPPED", "The recipient has no e-mail address.")


def test_an_invite_for_an_appointment_booked_since_is_not_sent(people, smtp):
    give_addresses(people)
    open_every_day(people.office, weekdays=range(5))
    rules(people)
    appointment = invite(people)
    act(appointment_reschedule, people, appointment, start=local(MONDAY, 10))
    send_pending()
    invite_message = Message.objects.get(kind="INVITE")
    assert invite_message.status == "SKIPPED" and "ACCEPTED" in invite_message.last_error
    assert [email["Subject"].split(":")[0] for email in smtp.messages] == ["Appointment confirmed", "New appointment"]


def test_invites_sent_together_each_get_their_own_link_and_a_stale_one_takes_no_link_away(people, smtp, client):
    give_addresses(people)
    open_every_day(people.office, weekdays=range(5))
    rules(people)
    first = invite(people)
    send_pending()
    first_link = _link(bodies(smtp.messages[0])[0])
    act(appointment_resend_invite, people, first)  # waits, and goes stale when the time is booked
    act(appointment_reschedule, people, first, start=local(MONDAY, 10))
    second, third = invite(people), invite(people)
    smtp.reset()
    send_pending()

    stale = Message.objects.get(appointment=first, kind="INVITE", status="SKIPPED")
    assert "ACCEPTED" in stale.last_error
    invites = [email for email in smtp.messages if email["Subject"].startswith("Choose a time")]
    links = [_link(bodies(email)[0]).removeprefix("http://testserver") for email in invites]
    opened = {InviteLink.objects.get(token_hash=token_hash(link.split("/")[2])).appointment for link in links}
    assert opened == {second, third}
    assert all(client.get(link).status_code == 200 for link in links)
    assert client.get(first_link.removeprefix("http://testserver")).status_code == 200  # still the booking's


def test_an_e_mail_shows_the_time_zone_and_place_as_the_customers_page_does(people, smtp, client):
    """One formatter for both: the same date, times (with Japanese's ～), zone and place. A customer
    without a zone of their own reads the office's times in both (the e-mails read them in UTC)."""
    give_addresses(people, customer_language="ja", customer_zone="")
    open_every_day(people.office, weekdays=range(5))
    rules(people)
    appointment = invite(people)
    act(appointment_reschedule, people, appointment, start=local(MONDAY, 10))
    send_pending()

    [email] = [email for email in smtp.messages if email["X-Envelope-To"] == "customer0@example.com"]
    page = text_of(client.get(link_path(appointment)).content.decode())
    when = f"{MONDAY.year}年{MONDAY.month}月{MONDAY.day}日月曜日, 10:00～11:00"
    for shown in (bodies(email)[0], page):
        assert when in shown and "中央ヨーロッパ時間 (Europe/Brussels)" in shown
        assert "オフィスにて" in shown and "Korenmarkt 1, 9000" in shown


def test_an_e_mails_calendar_file_is_the_one_on_the_customers_page(people, smtp, client):
    """One builder for both: to the letter but for DTSTAMP. Neither shows a customer the other
    customers (the e-mails' files listed everyone), and a SECONDARY employee is optional."""
    give_addresses(people)
    daan, eva = people.customers[:2]
    appointment = booked_video_call(
        people,
        ("PRIMARY", people.employees[0]),
        ("SECONDARY", people.employees[1]),
        ("PRIMARY", daan),
        ("PRIMARY", eva),
        message="Test your camera first",
    )
    send_pending()

    def attached(address: str) -> bytes:
        return calendar_of(next(email for email in smtp.messages if email["X-Envelope-To"] == address))

    def without_dtstamp(body: bytes) -> list[bytes]:
        return [line for line in body.splitlines() if not line.startswith(b"DTSTAMP")]

    on_page = client.get(f"{link_path(appointment, daan)}appointment.ics").content
    assert without_dtstamp(attached(daan.email)) == without_dtstamp(on_page)

    def attendees(body: bytes) -> dict[str, str]:
        [event] = Calendar.from_ical(body).walk("VEVENT")
        return {str(attendee): str(attendee.params["ROLE"]) for attendee in event["ATTENDEE"]}

    staff = {"mailto:employee0@acme.example": "REQ-PARTICIPANT", "mailto:employee1@acme.example": "OPT-PARTICIPANT"}
    assert attendees(on_page) == {**staff, f"mailto:{daan.email}": "REQ-PARTICIPANT"}
    assert attendees(attached(eva.email)) == {**staff, f"mailto:{eva.email}": "REQ-PARTICIPANT"}
    everyone = {**staff, f"mailto:{daan.email}": "REQ-PARTICIPANT", f"mailto:{eva.email}": "REQ-PARTICIPANT"}
    assert attendees(attached("employee0@acme.example")) == everyone

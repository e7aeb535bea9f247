"""The appointment's page in the back office: its free slots in the office's time zone, booking one
for the customer, and the lifecycle's actions, each a POST through its service."""

import re
from datetime import UTC, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from appointments.models import Appointment, AppointmentStatusChange
from appointments.services import appointment_cancel
from tests.appointments.backoffice_support import invite_post, staff_user
from tests.availability.support import STAFF, book, invite, local, next_weekday, open_every_day, rules

Status = Appointment.Status
MONDAY = next_weekday(0)  # 7 to 13 days ahead: always in the page's first two weeks
ACTIONS = ["reschedule", "accept", "cancel", "complete", "no-show", "resend-invite"]


@pytest.fixture
def office_hours(acme):
    """Brussels office hours, 9 to 17 every day, and no earliest-booking limit."""
    open_every_day(acme.office)
    rules(acme)


@pytest.fixture
def staff(acme, client, office_hours):
    """A staff member of acme who may change appointments (as the seeded staff may)."""
    client.force_login(with_change_permission(staff_user(acme)))
    return client


def with_change_permission(user):
    user.user_permissions.add(Permission.objects.get(codename="change_appointment"))
    return user


def page_url(appointment) -> str:
    return f"/backoffice/appointments/{appointment.pk}/"


def action_url(appointment, action: str) -> str:
    return f"{page_url(appointment)}{action}/"


def utc(moment) -> str:
    """A slot's value as the page's buttons send it."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def shown_messages(response) -> list[tuple[str, str]]:
    return [(message.level_tag, message.message) for message in get_messages(response.wsgi_request)]


def offered(html: str) -> set[str]:
    """The actions whose forms the page shows."""
    return set(re.findall(r'<form method="post" action="/backoffice/appointments/\d+/([a-z-]+)/"', html))


def unchanged(appointment) -> bool:
    before = (appointment.status, appointment.start, appointment.end)
    appointment.refresh_from_db()
    return (appointment.status, appointment.start, appointment.end) == before


def history_count(appointment) -> int:
    return AppointmentStatusChange.objects.filter(appointment=appointment).count()


# --- The page: free slots, in the office's zone ----------------------------------------------------


def test_invite_page_lists_the_free_slots_by_day_in_the_offices_zone(staff, acme):
    appointment = invite(acme)

    response = staff.get(page_url(appointment))
    html = response.content.decode()

    slots = response.context["slots"]
    assert slots.first_day == timezone.localdate(timezone.now(), local(MONDAY, 0).tzinfo)
    assert (slots.last_day - slots.first_day).days == 13
    days = dict(slots.days)
    # 09:00 to 16:00 local (an hour long, every half hour), whatever the offset from UTC that day.
    nine = local(MONDAY, 9)
    assert [choice.start for choice in days[MONDAY]] == [nine + timedelta(minutes=30 * n) for n in range(15)]
    assert "Europe/Brussels" in html
    ten = local(MONDAY, 10)
    label = f"Book {ten:%a} {ten.day} {ten:%b}, 10:00 {ten.tzname()}"
    assert f'name="start" value="{utc(ten)}" aria-label="{label}">10:00 {ten.tzname()}</button>' in html
    assert f"<legend>{MONDAY:%A} {MONDAY.day} {MONDAY:%B}</legend>" in html
    assert "Not booked yet" in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_the_page_shows_the_following_two_weeks_on_request(staff, acme):
    appointment = invite(acme)
    first = staff.get(page_url(appointment)).context["slots"]
    later = MONDAY + timedelta(days=14)

    response = staff.get(page_url(appointment), {"from": first.next_from.isoformat()})

    slots = response.context["slots"]
    assert slots.first_day == first.first_day + timedelta(days=14)
    assert MONDAY not in dict(slots.days) and later in dict(slots.days)
    assert slots.previous_from == first.first_day
    html = response.content.decode()
    assert f'href="?from={first.first_day.isoformat()}#slots" rel="prev"' in html
    assert f'href="?from={(first.first_day + timedelta(days=28)).isoformat()}#slots" rel="next"' in html


@pytest.mark.parametrize("wanted", ["2000-01-01", "yesterday", "9999-12-31"])
def test_the_two_weeks_shown_are_never_before_today_nor_after_the_last_bookable_day(staff, acme, wanted):
    appointment = invite(acme)
    today = timezone.localdate(timezone.now(), local(MONDAY, 0).tzinfo)

    slots = staff.get(page_url(appointment), {"from": wanted}).context["slots"]

    # The subject's rules let one book up to 60 days ahead.
    last = timezone.localdate(timezone.now() + timedelta(days=60), local(MONDAY, 0).tzinfo)
    if wanted.startswith("9999"):
        assert (slots.first_day, slots.next_from) == (last, None)
    else:
        assert (slots.first_day, slots.previous_from) == (today, None)


def test_a_booked_appointment_shows_its_time_named_and_offers_to_move_it(staff, acme):
    booked = book(acme, local(MONDAY, 10))

    html = staff.get(page_url(booked)).content.decode()

    ten = local(MONDAY, 10)
    assert f"{ten:%a} {ten.day} {ten:%b %Y}, 10:00</time> – " in html
    assert f"11:00 {local(MONDAY, 11).tzname()}</time> <span class=\"muted\">(Europe/Brussels)</span>" in html
    # Its own time is shown among the free ones, but not as a button.
    assert f'<time datetime="{utc(ten)}">10:00 {ten.tzname()}</time> (its time now)' in html
    assert f'value="{utc(ten)}"' not in html
    assert f'aria-label="Move to {ten:%a} {ten.day} {ten:%b}, 11:00 {ten.tzname()}"' in html
    assert offered(html) == {"reschedule", "cancel"}


def test_the_page_shows_the_history_with_who_when_how_and_why(staff, acme):
    booked = book(acme, local(MONDAY, 10))
    staff.post(action_url(booked, "cancel"), {"reason": "The customer moved abroad"})

    html = staff.get(page_url(booked)).content.decode()

    history = html[html.index('id="history"') :]
    assert "OUTGOING_INVITE</span> → " in history and "ACCEPTED</span> <span class=\"muted\">(reschedule)" in history
    assert "ACCEPTED</span> → " in history and "CANCELLED</span> <span class=\"muted\">(cancel)" in history
    assert "The customer moved abroad" in history
    assert str(acme.employees[0]) in history  # the staff member's employee, who cancelled
    assert ">BACKOFFICE_APP</abbr>" in history
    cancel = AppointmentStatusChange.objects.get(appointment=booked, action="cancel")
    cancelled_at = cancel.at.astimezone(local(MONDAY, 0).tzinfo)
    assert f"{cancelled_at:%H:%M} {cancelled_at.tzname()}" in history


# --- Booking a free slot for the customer ----------------------------------------------------------


def test_a_new_invite_leads_to_its_free_times(staff, acme):
    response = staff.post("/backoffice/appointments/new/", invite_post(acme), follow=True)

    appointment = Appointment.objects.get()
    assert shown_messages(response) == [
        ("success", f"Invite {appointment.pk} created. Book one of its free times below for the customer.")
    ]
    assert "Book a free time for the customer" in response.content.decode()


def test_staff_book_a_free_slot_for_the_customer(staff, acme):
    appointment = invite(acme)
    ten = local(MONDAY, 10)

    response = staff.post(action_url(appointment, "reschedule"), {"start": utc(ten), "from": MONDAY.isoformat()})

    assert response.status_code == 302 and response["Location"] == page_url(appointment)
    appointment.refresh_from_db()
    assert (appointment.status, appointment.start, appointment.end) == (Status.ACCEPTED, ten, local(MONDAY, 11))
    assert (appointment.updated_by_type, appointment.updated_by_id, appointment.updated_from) == (
        "EMPLOYEE", str(acme.employees[0].pk), "BACKOFFICE_APP"
    )
    change = AppointmentStatusChange.objects.get(appointment=appointment)
    assert (change.action, change.by_id, change.channel) == ("reschedule", str(acme.employees[0].pk), "BACKOFFICE_APP")
    when = f"{ten:%a} {ten.day} {ten:%b %Y}, 10:00 {ten.tzname()} (Europe/Brussels)"
    assert shown_messages(response) == [("success", f"Booked for {when}. Status: Accepted.")]


def test_a_subject_that_needs_accepting_waits_for_an_employee(staff, acme):
    rules(acme, auto_accept=False)
    appointment = invite(acme)

    response = staff.post(action_url(appointment, "reschedule"), {"start": utc(local(MONDAY, 10))}, follow=True)

    appointment.refresh_from_db()
    assert appointment.status == Status.INCOMING_REQUEST
    assert offered(response.content.decode()) == {"reschedule", "accept", "cancel"}


def test_a_slot_someone_else_took_meanwhile_is_an_error_and_changes_nothing(staff, acme):
    appointment = invite(acme)
    ten = local(MONDAY, 10)
    assert utc(ten) in staff.get(page_url(appointment)).content.decode()
    book(acme, ten)  # another booking of the same employee, a moment before the click

    response = staff.post(action_url(appointment, "reschedule"), {"start": utc(ten), "from": MONDAY.isoformat()})

    assert response.status_code == 302
    assert response["Location"] == f"{page_url(appointment)}?from={MONDAY.isoformat()}#slots"
    assert shown_messages(response) == [
        ("error", "Nothing was changed. This time is not available (any more): pick another free slot.")
    ]
    assert unchanged(appointment) and history_count(appointment) == 0
    # The page shown next no longer offers it.
    assert f'value="{utc(ten)}"' not in staff.get(response["Location"]).content.decode()


@pytest.mark.parametrize("start", ["", "tomorrow at ten", "2030-13-01T10:00:00Z"])
def test_a_start_that_is_no_time_is_an_error(staff, acme, start):
    appointment = invite(acme)

    response = staff.post(action_url(appointment, "reschedule"), {"start": start})

    assert shown_messages(response) == [("error", "Nothing was changed. Pick one of the free times.")]
    assert unchanged(appointment) and history_count(appointment) == 0


# --- Accept, cancel, complete, no-show ----------------------------------------------------------


def test_staff_accept_a_requested_time(staff, acme):
    rules(acme, auto_accept=False)
    requested = book(acme, local(MONDAY, 10))

    response = staff.post(action_url(requested, "accept"))

    requested.refresh_from_db()
    assert requested.status == Status.ACCEPTED
    assert shown_messages(response) == [("success", f"Appointment {requested.pk} accepted.")]
    assert AppointmentStatusChange.objects.filter(appointment=requested).last().action == "accept"


def test_staff_cancel_with_a_reason(staff, acme):
    booked = book(acme, local(MONDAY, 10))

    response = staff.post(action_url(booked, "cancel"), {"reason": "Customer ill"}, follow=True)

    booked.refresh_from_db()
    assert booked.status == Status.CANCELLED
    change = AppointmentStatusChange.objects.filter(appointment=booked).last()
    assert (change.action, change.reason, change.by_id) == ("cancel", "Customer ill", str(acme.employees[0].pk))
    assert shown_messages(response) == [("success", f"Appointment {booked.pk} cancelled.")]
    html = response.content.decode()
    assert offered(html) == set() and "Nothing more can be done" in html
    # Its time is free again: another invite can have it.
    assert utc(local(MONDAY, 10)) in staff.get(page_url(invite(acme))).content.decode()


def test_a_reason_too_long_is_an_error(staff, acme):
    booked = book(acme, local(MONDAY, 10))

    response = staff.post(action_url(booked, "cancel"), {"reason": "x" * 1001})

    [(level, text)] = shown_messages(response)
    assert level == "error" and "at most 1000 characters" in text
    assert unchanged(booked) and history_count(booked) == 1


@pytest.mark.parametrize(("action", "status", "message"), [
    ("complete", Status.COMPLETED, "marked completed"), ("no-show", Status.NO_SHOW, "marked as a no-show")
])
def test_staff_record_the_outcome_once_it_has_started(staff, acme, action, status, message):
    booked = book(acme, local(MONDAY, 10))
    started = timezone.now() - timedelta(minutes=5)
    Appointment.objects.filter(pk=booked.pk).update(start=started, end=started + timedelta(hours=1))

    assert offered(staff.get(page_url(booked)).content.decode()) == {"reschedule", "cancel", "complete", "no-show"}
    response = staff.post(action_url(booked, action))

    booked.refresh_from_db()
    assert booked.status == status
    assert shown_messages(response) == [("success", f"Appointment {booked.pk} {message}.")]


def test_the_outcome_waits_for_the_start(staff, acme):
    booked = book(acme, local(MONDAY, 10))

    html = staff.get(page_url(booked)).content.decode()
    response = staff.post(action_url(booked, "complete"))

    assert "complete" not in offered(html) and "Once it has started" in html
    assert shown_messages(response) == [("error", "Nothing was changed. The appointment has not started yet.")]
    assert unchanged(booked) and history_count(booked) == 1


# Which actions each status offers, and that the others are refused with a message if posted anyway.
OFFERED = {
    Status.OUTGOING_INVITE: {"reschedule", "resend-invite", "cancel"},
    Status.ALTERNATIVE_DATE_REQUESTED: {"reschedule", "resend-invite", "cancel"},
    Status.INCOMING_REQUEST: {"reschedule", "accept", "cancel"},
    Status.ACCEPTED: {"reschedule", "cancel", "complete", "no-show"},  # started
    Status.CANCELLED: set(),
    Status.COMPLETED: set(),
    Status.NO_SHOW: set(),
}


@pytest.mark.parametrize("status", Status.values)
def test_only_the_actions_the_status_allows_are_offered_and_done(staff, acme, status):
    appointment = book(acme, local(MONDAY, 10)) if status in Appointment.BOOKED_STATUSES else invite(acme)
    started = timezone.now() - timedelta(minutes=5)
    Appointment.objects.filter(pk=appointment.pk).update(status=status, start=started, end=started + timedelta(hours=1))
    appointment.refresh_from_db()

    assert offered(staff.get(page_url(appointment)).content.decode()) == OFFERED[status]
    for action in set(ACTIONS) - OFFERED[status] - {"reschedule"}:
        response = staff.post(action_url(appointment, action), follow=True)  # the page shows the message
        label = Status(status).label
        assert shown_messages(response) == [
            ("error", f"Nothing was changed. The appointment's status does not allow this action: it is “{label}” now.")
        ], action
        assert unchanged(appointment) and history_count(appointment) == (status in Appointment.BOOKED_STATUSES)


def test_a_closed_appointment_cannot_be_booked(staff, acme):
    booked = book(acme, local(MONDAY, 10))
    cancelled = appointment_cancel(enterprise=acme.enterprise, appointment_id=booked.pk, actor=STAFF)

    html = staff.get(page_url(cancelled)).content.decode()
    response = staff.post(action_url(cancelled, "reschedule"), {"start": utc(local(MONDAY, 14))})

    assert "Book a free time" not in html and "Move to another free time" not in html
    [(level, text)] = shown_messages(response)
    assert level == "error" and text.endswith("it is “Cancelled” now.")
    assert unchanged(cancelled) and history_count(cancelled) == 2


# --- Who may --------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ACTIONS)
def test_another_enterprises_appointment_is_not_found(staff, globex, action):
    theirs = invite(globex)

    assert staff.get(page_url(theirs)).status_code == 404
    assert staff.post(action_url(theirs, action), {"start": utc(local(MONDAY, 10))}).status_code == 404
    assert unchanged(theirs) and history_count(theirs) == 0


@pytest.mark.parametrize("action", ACTIONS)
def test_actions_need_the_change_permission(acme, client, office_hours, action):
    client.force_login(staff_user(acme))  # staff, linked to an employee, without the permission
    appointment = invite(acme)

    html = client.get(page_url(appointment)).content.decode()
    response = client.post(action_url(appointment, action), {"start": utc(local(MONDAY, 10))})

    assert offered(html) == set() and "needs the “Can change appointment” permission" in html
    assert response.status_code == 403
    assert unchanged(appointment)


@pytest.mark.parametrize("action", ACTIONS)
def test_anonymous_visitors_go_to_the_login_and_non_staff_are_refused(acme, client, office_hours, action):
    appointment = invite(acme)
    url = action_url(appointment, action)

    response = client.post(url)
    assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={url}")

    user = with_change_permission(staff_user(acme))
    user.is_staff = False
    user.save()
    client.force_login(user)
    assert client.post(url).status_code == 403
    assert unchanged(appointment)


@pytest.mark.parametrize("action", ACTIONS)
def test_actions_are_posts_only(staff, acme, action):
    assert staff.get(action_url(invite(acme), action)).status_code == 405


@pytest.mark.parametrize("action", ["reschedule", "cancel"])
def test_actions_need_the_csrf_token(acme, office_hours, action):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(with_change_permission(staff_user(acme)))
    appointment = invite(acme)
    data = {"start": utc(local(MONDAY, 10)), "reason": "Forged"}

    refused = browser.post(action_url(appointment, action), data)

    assert refused.status_code == 403
    assert unchanged(appointment) and history_count(appointment) == 0
    # With the token the page's forms carry, the same post is done.
    browser.get(page_url(appointment))
    token = browser.cookies["csrftoken"].value
    done = browser.post(action_url(appointment, action), {**data, "csrfmiddlewaretoken": token})
    assert done.status_code == 302 and not unchanged(appointment)


def test_actions_are_recorded_as_the_staff_members_employee(acme, client, office_hours):
    """Not as whoever created the invite: the employee linked to the login that clicked."""
    user = with_change_permission(staff_user(acme))
    acme.employees[0].user = None
    acme.employees[0].save(update_fields=["user"])
    acme.employees[2].user = user
    acme.employees[2].save(update_fields=["user"])
    client.force_login(user)
    appointment = invite(acme)

    client.post(action_url(appointment, "cancel"), {"reason": "Duplicate"})

    change = AppointmentStatusChange.objects.get(appointment=appointment)
    assert (change.by_type, change.by_id, change.channel) == ("EMPLOYEE", str(acme.employees[2].pk), "BACKOFFICE_APP")
    assert str(acme.employees[2]) in client.get(page_url(appointment)).content.decode()

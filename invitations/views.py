"""The customer's pages, opened by the link in the invite. Public: the link's token is the
credential, so every page is ``noindex``, sends no ``Referer`` (the token is in the URL) and is
never cached. Opening a link changes nothing (mail scanners open links too): only a POST, with
CSRF, books, moves or cancels, and then redirects to a page to GET (so a reload posts nothing).

Pages speak the customer's language (``Customer.language``, then the enterprise's default); a
``?lang=`` among the ten API languages switches it for this visit only, and every link and form
of the page keeps it. Choosing a language changes no data. Times are in the customer's zone,
named, with the office's alongside where it differs.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_safe

from appointments.models import Appointment, AppointmentParticipant
from availability.selectors import office_time_zone
from availability.services import AppointmentNoAvailability
from core.languages import API_LANGUAGES, to_api, to_storage

from . import actions, display
from .calendar import CONTENT_TYPE, appointment_calendar
from .selectors import invite_link_find, slot_page

# The message a customer may leave (a cancellation, a request for other times): a few paragraphs.
MESSAGE_MAX_LENGTH = 2000
LANGUAGE_NAMES = {to_api(code): name for code, name in settings.LANGUAGES}


def private(response: HttpResponse, language: str | None = None) -> HttpResponse:
    """The headers every customer page carries, whatever it answers."""
    # The link's token is in the page's URL: it goes to no other site. Same-origin still lets the
    # browser name this site as the origin of the page's own posts, which Django's CSRF checks.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "no-store, private"
    if language:
        response["Content-Language"] = to_storage(language)
    return response


def chosen_language(request) -> str | None:
    """A language picked with the page's switch (``?lang=``, an API code), if any."""
    language = request.GET.get("lang", "")
    return language if language in API_LANGUAGES else None


def visitor_language(request) -> str:
    """The language of a page that knows no customer: the switch's, else the browser's."""
    language = chosen_language(request) or to_api(translation.get_language_from_request(request))
    return language if language in API_LANGUAGES else settings.LANGUAGE_CODE


def language_links(request, current: str) -> list[dict]:
    """The switch: this page in each of the ten languages (``lang`` replaced). Relative, so the
    neutral page reads the same whichever token it answers."""
    query = request.GET.copy()
    links = []
    for code in API_LANGUAGES:
        query["lang"] = code
        links.append(
            {"code": code, "tag": to_storage(code), "name": LANGUAGE_NAMES[code], "url": f"?{query.urlencode()}", "current": code == current}
        )
    return links


def link_not_working(request) -> HttpResponse:
    """The one page for every link that does not work: unknown, expired, revoked, or to an
    appointment that is over. It says nothing about which, and the same to everyone."""
    language = visitor_language(request)
    with translation.override(to_storage(language)):
        response = render(
            request,
            "invitations/link_not_working.html",
            {"languages": language_links(request, language), "language": language},
            status=404,
        )
    return private(response, language)


class LinkView(View):
    """A page reached through a link: finds the link (or answers the neutral page), speaks the
    customer's language, and sets the private headers."""

    def dispatch(self, request, *args, token: str, **kwargs):
        if request.method.lower() not in self.http_method_names or not hasattr(self, request.method.lower()):
            return private(self.http_method_not_allowed(request))
        self.token = token
        self.link = invite_link_find(token)
        if self.link is None:
            return link_not_working(request)
        self.appointment: Appointment = self.link.appointment
        self.customer = self.link.customer
        self.language = display.customer_language(self.customer, chosen_language(request))
        with translation.override(to_storage(self.language)):
            response = super().dispatch(request, *args, **kwargs)
        return private(response, self.language)

    # --- URLs that keep the chosen language --------------------------------------------------

    def url(self, name: str, **query) -> str:
        if chosen_language(self.request):
            query["lang"] = self.language
        path = reverse(f"invitations:{name}", args=[self.token])
        query = {key: value for key, value in query.items() if value is not None}
        return f"{path}?{urlencode(query)}" if query else path

    def redirect(self, name: str, **query) -> HttpResponseRedirect:
        return HttpResponseRedirect(self.url(name, **query))

    # --- What every page shows ------------------------------------------------------------------

    @cached_property
    def zone(self):
        return display.customer_zone(self.customer, fallback=self.office_zone)

    @cached_property
    def office_zone(self):
        return office_time_zone(self.appointment)

    @property
    def zones_differ(self) -> bool:
        return str(self.zone) != str(self.office_zone)

    @cached_property
    def participant(self) -> AppointmentParticipant | None:
        """The link's customer as a participant (their own video link)."""
        return next((p for p in self.appointment.participants.all() if p.customer_id == self.customer.pk), None)

    def employees(self) -> list:
        return [
            p.employee
            for p in self.appointment.participants.all()
            if p.type == AppointmentParticipant.Type.EMPLOYEE and p.role == AppointmentParticipant.Role.PRIMARY
        ]

    def context(self, **extra) -> dict:
        appointment = self.appointment
        return {
            "appointment": appointment,
            "customer": self.customer,
            "enterprise": appointment.enterprise,
            "subject": display.subject_name(appointment, self.language),
            "place": display.place(appointment, self.language, self.participant),
            "employees": self.employees(),
            "language": self.language,
            "languages": language_links(self.request, self.language),
            "zone": display.zone_label(self.zone, self.language),
            "office_zone": display.zone_label(self.office_zone, self.language) if self.zones_differ else None,
            "urls": {
                name.replace("-", "_"): self.url(name)
                for name in ("invite", "book", "reschedule", "cancel", "other-times", "calendar")
            },
            "message_max_length": MESSAGE_MAX_LENGTH,
            **extra,
        }

    def page(self, template: str, status: int = 200, **extra) -> HttpResponse:
        return render(self.request, f"invitations/{template}", self.context(**extra), status=status)

    # --- The free times -------------------------------------------------------------------------

    def slots(self, first_day: date | None = None) -> dict:
        page = slot_page(self.appointment, self.zone, first_day)
        days = [
            {
                "label": display.day_label(day.day, self.language),
                "slots": [self.slot(slot.start) for slot in day.slots],
            }
            for day in page.days
        ]
        view = "invite" if actions.may_book(self.appointment) else "reschedule"
        return {
            "days": days,
            "first_day": display.day_label(page.first_day, self.language),
            "earlier_url": self.url(view, **{"from": page.earlier.isoformat()}) if page.earlier else None,
            "later_url": self.url(view, **{"from": page.later.isoformat()}) if page.later else None,
        }

    def slot(self, start: datetime) -> dict:
        own = display.time_label(start, self.zone, self.language)
        office = display.time_label(start, self.office_zone, self.language)
        same_wall_clock = start.astimezone(self.zone).replace(tzinfo=None) == start.astimezone(self.office_zone).replace(tzinfo=None)
        return {"value": display.utc_rfc3339(start), "time": own, "office_time": None if same_wall_clock else office}

    def first_day(self) -> date | None:
        try:
            return date.fromisoformat(self.request.GET.get("from", ""))
        except ValueError:
            return None

    def booking(self) -> dict:
        appointment = self.appointment
        deadline = actions.change_deadline(appointment)
        return {
            "when": display.when_label(appointment.start, appointment.end, self.zone, self.language),
            "office_when": (
                display.when_label(appointment.start, appointment.end, self.office_zone, self.language)
                if self.zones_differ
                else None
            ),
            "may_change": actions.may_change(appointment),
            "deadline": display.when_label(deadline, None, self.zone, self.language) if deadline else None,
            "cutoff_hours": int(settings.CUSTOMER_CHANGE_CUTOFF / timedelta(hours=1)),
        }


class InviteView(LinkView):
    """The link's page, as the appointment now is: the free times of an invite, the booking, or
    the request for other times."""

    http_method_names = ["get", "head"]

    def get(self, request, *args, **kwargs):
        if actions.may_book(self.appointment):
            return self.page("invite.html", **self.slots(self.first_day()))
        if self.appointment.status in Appointment.BOOKED_STATUSES:
            return self.page("booking.html", **self.booking())
        return self.page("alternative_requested.html")


class RescheduleView(LinkView):
    """A booking's other free times, until the cut-off."""

    http_method_names = ["get", "head"]

    def get(self, request, *args, **kwargs):
        if not actions.may_change(self.appointment):
            return self.redirect("invite")
        return self.page("reschedule.html", **self.booking(), **self.slots(self.first_day()))


class BookView(LinkView):
    """POST ``start`` (RFC 3339): book the invite at that time, or move the booking there."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        booked = self.appointment.status in Appointment.BOOKED_STATUSES
        start = parse_start(request.POST.get("start", ""))
        if start is None:
            return self.again(_("Please choose one of the times."), status=400)
        try:
            appointment = actions.customer_book(link=self.link, start=start)
        except AppointmentNoAvailability:
            return self.again(_("Sorry, that time is no longer free. Nothing was booked: please choose another time."), status=409)
        except actions.NotOfferedNow:
            return self.redirect("invite")
        when = display.when_label(appointment.start, appointment.end, self.zone, self.language)
        if appointment.status == Appointment.Status.INCOMING_REQUEST:
            text = _("Your request for %(when)s has been sent. We will confirm it soon.")
        elif booked:
            text = _("Your appointment has been moved to %(when)s.")
        else:
            text = _("Your appointment is booked for %(when)s.")
        messages.success(request, text % {"when": when})
        return self.redirect("invite")

    def again(self, error: str, status: int) -> HttpResponse:
        """The times to choose from again, as they are now, with what went wrong."""
        if actions.may_book(self.appointment):
            return self.page("invite.html", status=status, error=error, **self.slots())
        if actions.may_change(self.appointment):
            return self.page("reschedule.html", status=status, error=error, **self.booking(), **self.slots())
        return self.redirect("invite")


class CancelView(LinkView):
    """POST (an optional ``message``): cancel the booking, until the cut-off."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        message = request.POST.get("message", "").strip()[:MESSAGE_MAX_LENGTH]
        when = display.when_label(self.appointment.start, self.appointment.end, self.zone, self.language)
        subject = display.subject_name(self.appointment, self.language)
        try:
            actions.customer_cancel(link=self.link, message=message)
        except actions.NotOfferedNow:
            return self.redirect("invite")
        messages.success(request, _("Your appointment “%(subject)s” on %(when)s is cancelled.") % {"subject": subject, "when": when})
        # The link works no more: the confirmation is a page of its own, in the customer's language.
        return HttpResponseRedirect(f"{reverse('invitations:cancelled')}?{urlencode({'lang': self.language})}")


class OtherTimesView(LinkView):
    """POST (an optional ``message``): none of the invite's times suits the customer."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        message = request.POST.get("message", "").strip()[:MESSAGE_MAX_LENGTH]
        try:
            actions.customer_request_alternative(link=self.link, message=message)
        except actions.NotOfferedNow:
            pass  # the page shows where the appointment now stands
        return self.redirect("invite")


class CalendarView(LinkView):
    """The booking as a calendar file (``text/calendar``)."""

    http_method_names = ["get", "head"]

    def get(self, request, *args, **kwargs):
        if self.appointment.status not in Appointment.BOOKED_STATUSES:
            return self.redirect("invite")
        body = appointment_calendar(self.appointment, language=self.language, recipient=self.participant)
        response = HttpResponse(body, content_type=f"{CONTENT_TYPE}; method=REQUEST")
        response["Content-Disposition"] = f'attachment; filename="appointment-{self.appointment.pk}.ics"'
        return response


@require_safe
def cancelled(request) -> HttpResponse:
    """Where a cancellation leads: its confirmation, carried by a one-time message (the link itself
    no longer works). Without one, the neutral page."""
    if not len(messages.get_messages(request)):
        return link_not_working(request)
    language = visitor_language(request)
    with translation.override(to_storage(language)):
        # No language switch: the confirmation is shown once, and another language would find none.
        response = render(request, "invitations/cancelled.html", {"language": language})
    return private(response, language)


def parse_start(value: str) -> datetime | None:
    """A slot's start as the page sends it: RFC 3339 with a zone (``2026-03-16T09:00:00Z``)."""
    if not 20 <= len(value) <= 35 or "T" not in value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(UTC)


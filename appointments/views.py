"""The back office: server-rendered staff pages under /backoffice/ (the API lives in api/).

Every page belongs to the logged-in staff member's employee record and shows only that
employee's enterprise. Staff users without an employee are refused.

The appointment's actions (book a free time, accept, cancel, complete, no-show, send the invite
again) are POSTs to URLs of their own, each a thin door over its service, acting as the staff
member's employee; they need the "change appointment" permission, and answer with a message on
the appointment's page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import F, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.generic import DetailView, FormView, ListView, View

from availability.selectors import Slot, availability_rules, free_slots, office_time_zone
from core.errors import DomainError
from core.languages import LanguagePreference
from notifications.models import Message
from notifications.selectors import appointment_messages
from participants.models import ApiClient, Employee, working_employee

from .api.serializers import location_representation
from .forms import LANGUAGE_NAMES, CancelForm, InviteForm, RescheduleForm, ResendInviteForm, staff_actor
from .models import Appointment, AppointmentParticipant, Office, Subject
from .services import (
    ACCEPT_FROM,
    CANCEL_FROM,
    OUTCOME_FROM,
    RESCHEDULE_FROM,
    RESEND_INVITE_FROM,
    AppointmentNotFound,
    AppointmentStatusInvalid,
    appointment_accept,
    appointment_cancel,
    appointment_complete,
    appointment_mark_no_show,
    appointment_reschedule,
    appointment_resend_invite,
)

# What the appointment's actions need, like the admin's change form.
CHANGE_PERMISSION = "appointments.change_appointment"
# How many days of free slots the appointment's page shows at once.
SLOT_DAYS = 14
# An instant as people read it: "Mon 7 Dec 2026, 10:00 CET" (in the time zone it is given in).
WHEN_FORMAT = "D j M Y, H:i T"


def staff_employee(request) -> Employee:
    """The employee the logged-in staff user works as; 403 for anyone else."""
    employee = working_employee(request.user)
    if employee is None:
        raise PermissionDenied("The back office is for staff members linked to an employee.")
    return employee


class StaffMixin(LoginRequiredMixin):
    """Anonymous visitors go to the login page; logged-in non-staff get 403."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.employee = staff_employee(request)
        self.enterprise = self.employee.enterprise
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(employee=self.employee, enterprise=self.enterprise, **kwargs)


def _enterprise_rows(model):
    return lambda request: model.objects.filter(enterprise=staff_employee(request).enterprise)


# The list's orders other than the default: by the appointment's time (invites, without one, last),
# or oldest first. The id breaks ties so that pages never repeat or skip a row.
SORTS = {
    "start": ("Time, soonest first", (F("start").asc(nulls_last=True), "id")),
    "-start": ("Time, latest first", (F("start").desc(nulls_last=True), "-id")),
    "created": ("Created, oldest first", ("created_at", "id")),
}


class AppointmentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search",
        label="Search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "External id or customer"}),
    )
    status = django_filters.ChoiceFilter(choices=Appointment.Status.choices, empty_label="Any status")
    meeting_type = django_filters.ChoiceFilter(
        label="Meeting type", choices=Appointment.MeetingType.choices, empty_label="Any meeting type"
    )
    office = django_filters.ModelChoiceFilter(queryset=_enterprise_rows(Office), empty_label="Any office")
    subject = django_filters.ModelChoiceFilter(queryset=_enterprise_rows(Subject), empty_label="Any subject")
    # Empty: the model's order (newest invite first).
    sort = django_filters.ChoiceFilter(
        label="Sort by",
        method="sort_by",
        choices=[(key, label) for key, (label, _ordering) in SORTS.items()],
        empty_label="Created, newest first",
    )

    class Meta:
        model = Appointment
        fields = ["q", "status", "meeting_type", "office", "subject", "sort"]

    def sort_by(self, queryset, name, value):
        return queryset.order_by(*SORTS[value][1])

    def search(self, queryset, name, value):
        """Every word must match the external id or a customer's name, e-mail or phone."""
        for word in value.split():
            customers = AppointmentParticipant.objects.filter(
                Q(customer__first_name__icontains=word)
                | Q(customer__last_name__icontains=word)
                | Q(customer__email__icontains=word)
                | Q(customer__phone__icontains=word),
                type=AppointmentParticipant.Type.CUSTOMER,
            )
            queryset = queryset.filter(Q(external_id__icontains=word) | Q(pk__in=customers.values("appointment_id")))
        return queryset


def _participants_prefetch() -> Prefetch:
    return Prefetch(
        "participants", queryset=AppointmentParticipant.objects.select_related("employee", "customer").order_by("id")
    )


class AppointmentListView(StaffMixin, ListView):
    template_name = "backoffice/appointment_list.html"
    paginate_by = 25

    def get_queryset(self):
        mine = Appointment.objects.filter(enterprise=self.enterprise).select_related("subject", "office__location")
        self.filter = AppointmentFilter(self.request.GET, queryset=mine, request=self.request)
        return self.filter.qs.prefetch_related(_participants_prefetch())

    def get_context_data(self, **kwargs):
        query = self.request.GET.copy()
        query.pop("page", None)
        # The Time column's heading sorts by time: soonest first, then (clicked again) latest first.
        by_time = query.copy()
        by_time["sort"] = "-start" if query.get("sort") == "start" else "start"
        return super().get_context_data(
            filter=self.filter,
            query=query.urlencode(),
            sorted_by=query.get("sort", ""),
            sort_by_time_query=by_time.urlencode(),
            **kwargs,
        )


class AppointmentDetailView(StaffMixin, DetailView):
    """The appointment, its history, the messages sent about it, and what staff may do with it
    now: the actions its status allows, and its free slots (``?from=`` a local date shows the two
    weeks from then)."""

    template_name = "backoffice/appointment_detail.html"
    context_object_name = "appointment"

    def get_queryset(self):
        return (
            Appointment.objects.filter(enterprise=self.enterprise)
            .select_related("subject", "office__location", "listing", "lead_segment", "callback_request", "location")
            .prefetch_related(_participants_prefetch(), "history")
        )

    def get_context_data(self, **kwargs):
        appointment = self.object
        location = appointment.location and location_representation(
            appointment.location, LanguagePreference(), self.enterprise.default_language
        )
        history = list(appointment.history.all())
        names = _actor_names(
            self.enterprise,
            [(appointment.created_by_type, appointment.created_by_id)]
            + [(change.by_type, change.by_id) for change in history],
        )
        for change in history:
            change.who = names[(change.by_type, change.by_id)]
        now = timezone.now()
        status = appointment.status
        allowed = {
            "reschedule": status in RESCHEDULE_FROM,
            "accept": status in ACCEPT_FROM,
            "cancel": status in CANCEL_FROM,
            "resend_invite": status in RESEND_INVITE_FROM,
            # Complete and no-show: once an accepted appointment has started.
            "outcome": status in OUTCOME_FROM and appointment.start <= now,
        }
        may_change = self.request.user.has_perm(CHANGE_PERMISSION)
        context = {
            "location": location,
            "created_by": names[(appointment.created_by_type, appointment.created_by_id)],
            "history": history,
            "sent_messages": _messages_to_show(appointment),
            "zone": office_time_zone(appointment),
            "allowed": allowed,
            "any_allowed": any(allowed.values()),
            "may_change": may_change,
            "cancel_form": CancelForm(),
            "resend_form": ResendInviteForm(),
            "awaits_start": status in OUTCOME_FROM and not allowed["outcome"],
        }
        if may_change and allowed["reschedule"]:
            context["slots"] = SlotPage.load(appointment, context["zone"], self.request.GET.get("from"), now)
        return super().get_context_data(**context, **kwargs)


@dataclass(frozen=True)
class SlotChoice:
    start: datetime  # UTC
    value: str  # RFC 3339, UTC: what the form sends
    current: bool  # the appointment's own time now


@dataclass
class SlotPage:
    """The free slots of ``SLOT_DAYS`` local days of the office, from ``first_day``, by day."""

    first_day: date
    last_day: date
    days: list[tuple[date, list[SlotChoice]]]
    previous_from: date | None
    next_from: date | None

    @classmethod
    def load(cls, appointment: Appointment, zone: ZoneInfo, wanted: str | None, now: datetime) -> SlotPage:
        rules = availability_rules(appointment)
        today = timezone.localdate(now, zone)
        # The last day any slot can be on: pages after it would only be empty.
        last_possible = timezone.localdate(now + timedelta(minutes=rules.time_slot_latest_possible), zone)
        first_day = min(max(_parse_date(wanted) or today, today), last_possible)
        after = first_day + timedelta(days=SLOT_DAYS)
        slots = free_slots(
            appointment=appointment,
            window_start=_local_midnight(first_day, zone),
            window_end=_local_midnight(after, zone),
            rules=rules,
            now=now,
        )
        days: dict[date, list[SlotChoice]] = {}
        for slot in slots:
            days.setdefault(slot.start.astimezone(zone).date(), []).append(_choice(slot, appointment))
        return cls(
            first_day=first_day,
            last_day=after - timedelta(days=1),
            days=list(days.items()),
            previous_from=max(first_day - timedelta(days=SLOT_DAYS), today) if first_day > today else None,
            next_from=after if after <= last_possible else None,
        )


def _choice(slot: Slot, appointment: Appointment) -> SlotChoice:
    return SlotChoice(
        start=slot.start,
        value=slot.start.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        current=slot.start == appointment.start,
    )


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def _parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _messages_to_show(appointment: Appointment) -> list[Message]:
    """The appointment's messages (``appointment_messages``), each with ``recipient_name`` (the
    participant it is for, from the prefetched participants; else its kind and id) and
    ``language_name``. One query, however many messages."""
    people = {
        (participant.type, participant.customer_id or participant.employee_id): participant.customer or participant.employee
        for participant in appointment.participants.all()
    }
    rows = list(appointment_messages(appointment_id=appointment.pk))
    for message in rows:
        person = people.get((message.recipient_type, message.recipient_id))
        message.recipient_name = str(person) if person else f"{message.get_recipient_type_display()} {message.recipient_id}"
        message.language_name = LANGUAGE_NAMES.get(message.language, message.language)
    return rows


ACTOR_KINDS = {
    Appointment.ActorType.EMPLOYEE: "Employee",
    Appointment.ActorType.API_CLIENT: "API client",
    Appointment.ActorType.SYSTEM: "The system",
}


def _actor_names(enterprise, actors: Iterable[tuple[str, str | None]]) -> dict[tuple[str, str | None], str]:
    """A readable name for each (type, id) of who acted: the enterprise's employee or API client
    by that id, else the kind and the id (e.g. one since deleted). Two queries at most."""
    actors = set(actors)
    wanted = {
        kind: {actor_id for actor_type, actor_id in actors if actor_type == kind and (actor_id or "").isdigit()}
        for kind in (Appointment.ActorType.EMPLOYEE, Appointment.ActorType.API_CLIENT)
    }
    found: dict[tuple[str, str], str] = {}
    if wanted[Appointment.ActorType.EMPLOYEE]:
        for employee in Employee.objects.filter(enterprise=enterprise, pk__in=wanted[Appointment.ActorType.EMPLOYEE]):
            found[(Appointment.ActorType.EMPLOYEE, str(employee.pk))] = str(employee)
    if wanted[Appointment.ActorType.API_CLIENT]:
        for client in ApiClient.objects.filter(enterprise=enterprise, pk__in=wanted[Appointment.ActorType.API_CLIENT]):
            found[(Appointment.ActorType.API_CLIENT, str(client.pk))] = f"API client {client.name}"
    return {
        (kind, actor_id): found.get((kind, actor_id)) or " ".join(filter(None, [ACTOR_KINDS.get(kind, kind), actor_id]))
        for kind, actor_id in actors
    }


def local_when(moment: datetime, zone: ZoneInfo) -> str:
    """``moment`` in ``zone``, with the zone named: "Mon 7 Dec 2026, 10:00 CET (Europe/Brussels)"."""
    return f"{date_format(timezone.localtime(moment, zone), WHEN_FORMAT)} ({zone.key})"


class AppointmentActionView(StaffMixin, View):
    """One action on the appointment: POST only (with CSRF), through ``service`` as the logged-in
    employee, with ``form_class``'s fields as its arguments. Success or a ``DomainError`` (then
    nothing changed) is a message on the appointment's page; another enterprise's appointment is a
    404, and staff without the permission get 403."""

    http_method_names = ["post"]
    service: Callable[..., Appointment] | None = None  # given to as_view()
    form_class: type[forms.Form] = forms.Form
    done_message = ""  # "{pk}": the appointment's id

    def post(self, request, pk):
        get_object_or_404(Appointment.objects.filter(enterprise=self.enterprise), pk=pk)
        if not request.user.has_perm(CHANGE_PERMISSION):
            raise PermissionDenied("Changing appointments needs the “Can change appointment” permission.")
        form = self.form_class(request.POST)
        if not form.is_valid():
            errors = [error for field_errors in form.errors.values() for error in field_errors]
            messages.error(request, f"Nothing was changed. {' '.join(errors)}")
            return self.back(pk)
        try:
            appointment = self.service(
                enterprise=self.enterprise, appointment_id=pk, actor=staff_actor(self.employee), **form.cleaned_data
            )
        except AppointmentNotFound as error:
            raise Http404 from error
        except DomainError as error:
            messages.error(request, f"Nothing was changed. {_explained(error)}")
            return self.back(pk)
        messages.success(request, self.done(appointment))
        return self.back(pk, succeeded=True)

    def done(self, appointment: Appointment) -> str:
        return self.done_message.format(pk=appointment.pk)

    def back(self, pk, succeeded: bool = False):
        return redirect("backoffice:appointment-detail", pk=pk)


def _explained(error: DomainError) -> str:
    if isinstance(error, AppointmentStatusInvalid) and error.arguments.get("status") in Appointment.Status.values:
        return f"{error.message}: it is “{Appointment.Status(error.arguments['status']).label}” now."
    return f"{error.message}."


class RescheduleView(AppointmentActionView):
    """Book one of the free slots for the customer (an invite), or move the appointment to it."""

    form_class = RescheduleForm

    def done(self, appointment):
        when = local_when(appointment.start, office_time_zone(appointment))
        return f"Booked for {when}. Status: {appointment.get_status_display()}."

    def back(self, pk, succeeded=False):
        url = reverse("backoffice:appointment-detail", kwargs={"pk": pk})
        first_day = _parse_date(self.request.POST.get("from"))
        if succeeded or first_day is None:
            return redirect(url)
        # After a failure, the same two weeks of slots again (without the one taken meanwhile).
        return redirect(f"{url}?{urlencode({'from': first_day.isoformat()})}#slots")


reschedule = RescheduleView.as_view(service=appointment_reschedule)
accept = AppointmentActionView.as_view(service=appointment_accept, done_message="Appointment {pk} accepted.")
cancel = AppointmentActionView.as_view(
    service=appointment_cancel, form_class=CancelForm, done_message="Appointment {pk} cancelled."
)
complete = AppointmentActionView.as_view(
    service=appointment_complete, done_message="Appointment {pk} marked completed."
)
no_show = AppointmentActionView.as_view(
    service=appointment_mark_no_show, done_message="Appointment {pk} marked as a no-show."
)
resend_invite = AppointmentActionView.as_view(
    service=appointment_resend_invite,
    form_class=ResendInviteForm,
    done_message="Invite {pk} sent again: the customer gets a new link, and older links stop working.",
)


class InviteCreateView(StaffMixin, FormView):
    """New invite: the same form and the same ``invite_create`` as the admin's invite view."""

    template_name = "backoffice/invite_form.html"
    form_class = InviteForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "employee": self.employee}

    def form_valid(self, form):
        appointment = form.create()
        if appointment is None:
            return self.form_invalid(form)
        messages.success(
            self.request, f"Invite {appointment.pk} created. Book one of its free times below for the customer."
        )
        return redirect("backoffice:appointment-detail", pk=appointment.pk)

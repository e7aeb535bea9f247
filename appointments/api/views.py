from datetime import datetime, timedelta

from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from availability.selectors import office_time_zone
from participants.permissions import EnterpriseToken

from ..idempotency import idempotent
from ..models import Appointment
from ..selectors import parse_id
from ..services import (
    Actor,
    AppointmentNotFound,
    appointment_accept,
    appointment_cancel,
    appointment_complete,
    appointment_mark_no_show,
    appointment_reschedule,
    appointment_resend_invite,
    appointment_time_slots,
    invite_create,
)
from .fields import InvalidDateTime, parse_rfc3339
from .filters import AppointmentFilter, TimeWindowFilterBackend
from .schema import (
    accept_schema,
    cancel_schema,
    complete_schema,
    invite_schema,
    list_schema,
    no_show_schema,
    reschedule_schema,
    resend_invite_schema,
    retrieve_schema,
    time_slots_schema,
)
from .serializers import (
    appointment_representation,
    parse_cancel_request,
    parse_invite_request,
    parse_no_properties,
    parse_reschedule_request,
    parse_resend_invite_request,
    timestamp,
)

DEFAULT_LIMIT = 25
MAX_LIMIT = 1000
# Far beyond any real list, and within every database's integer range (found by fuzzing: a
# 28-digit offset reached the database and failed there).
MAX_OFFSET = 2_147_483_647
# The time-slots window: its length when ``to`` is not given, and at most.
DEFAULT_SLOT_WINDOW = timedelta(days=14)
MAX_SLOT_WINDOW = timedelta(days=62)


def appointment_id(pk: str) -> int:
    """The appointment id in a path; one that cannot be an id names no appointment (404)."""
    parsed = parse_id(pk)
    if parsed is None:
        raise AppointmentNotFound(arguments={"id": pk})
    return parsed


class InvalidParameter(exceptions.ValidationError):
    def __init__(self, name: str, message: str, code: str = "invalid"):
        super().__init__({name: [exceptions.ErrorDetail(message, code=code)]})


def _integer_parameter(params, name: str, default: int, minimum: int, maximum: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    message = f"Must be an integer between {minimum} and {maximum}."
    digits = raw.removeprefix("-")
    if not (digits.isascii() and digits.isdigit()):
        raise InvalidParameter(name, message)
    if raw.startswith("-"):
        raise InvalidParameter(name, message, code="min_value")
    # The length first: Python refuses to convert thousands of digits.
    if len(digits) > len(str(maximum)) or int(raw) > maximum:
        raise InvalidParameter(name, message, code="max_value")
    if int(raw) < minimum:
        raise InvalidParameter(name, message, code="min_value")
    return int(raw)


def _slot_window(params) -> tuple[datetime, datetime]:
    """``from`` and ``to`` of the time-slots: RFC 3339, ``to`` after ``from`` and at most
    ``MAX_SLOT_WINDOW`` later; by default from now, for ``DEFAULT_SLOT_WINDOW``."""
    given, errors = {}, {}
    for name in ("from", "to"):
        if (raw := params.get(name)) is not None:
            try:
                given[name] = parse_rfc3339(raw)
            except InvalidDateTime as error:
                errors[name] = [exceptions.ErrorDetail(error.message, code=error.code)]
    if errors:
        raise exceptions.ValidationError(errors)
    start = given.get("from") or timezone.now()
    end = given.get("to") or start + DEFAULT_SLOT_WINDOW
    if end <= start:
        raise InvalidParameter("to", "Must be after from (now, when from is not given).", code="min_value")
    if end - start > MAX_SLOT_WINDOW:
        raise InvalidParameter("to", f"Must be at most {MAX_SLOT_WINDOW.days} days after from.", code="max_value")
    return start, end


def _refuse_bracketless_filters(params) -> None:
    """``meeting-type=OFFICE`` would be ignored and list everything: the filters take ``name[]=``."""
    for name in AppointmentFilter.base_filters:
        if name in params:
            raise InvalidParameter(name, f"Use {name}[]=value (repeatable).", code="invalid_format")


class AppointmentViewSet(viewsets.GenericViewSet):
    """Appointments of one enterprise: read them, invite customers to new ones, offer their free
    times, and act on them (reschedule, accept, cancel, complete, no-show, resend the invite)."""

    permission_classes = [EnterpriseToken]
    filter_backends = [DjangoFilterBackend, TimeWindowFilterBackend]
    filterset_class = AppointmentFilter
    lookup_value_regex = "[^/]+"  # any id reaches the view, which answers APPOINTMENT_NOT_FOUND
    # No OPTIONS: it answers 405 (no metadata class), so Allow must not name it.
    http_method_names = ["get", "post", "head"]
    enterprise = None  # set by EnterpriseToken

    def get_queryset(self):
        return (
            Appointment.objects.filter(enterprise=self.enterprise)
            .select_related("location")
            .prefetch_related("participants")
        )

    def represent(self, appointment: Appointment) -> dict:
        return appointment_representation(
            appointment, self.request.language_preference, self.enterprise.default_language
        )

    def actor(self) -> Actor:
        """The API client that calls, as the services record it."""
        return Actor(
            type=Appointment.ActorType.API_CLIENT,
            id=str(self.request.auth.application_id),
            channel=Appointment.Channel.API,
        )

    def act(self, request, pk: str, service, **arguments) -> Response:
        """Run a lifecycle service on appointment ``pk`` (once per Idempotency-Key) and answer
        ``200 {"data": appointment}``. The body is parsed before this (400), then the appointment
        is looked for (404), then the service decides (422)."""
        pk = appointment_id(pk)
        return idempotent(
            request,
            perform=lambda: service(enterprise=self.enterprise, appointment_id=pk, actor=self.actor(), **arguments),
            render=lambda appointment: Response({"data": self.represent(appointment)}),
        )

    @list_schema(default_limit=DEFAULT_LIMIT, max_limit=MAX_LIMIT, max_offset=MAX_OFFSET)
    def list(self, request, enterprise):
        _refuse_bracketless_filters(request.query_params)
        offset = _integer_parameter(request.query_params, "offset", 0, 0, MAX_OFFSET)
        limit = _integer_parameter(request.query_params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        appointments = self.filter_queryset(self.get_queryset())
        return Response(
            {
                "data": [self.represent(a) for a in appointments[offset : offset + limit]],
                "meta": {"offset": offset, "limit": limit, "totalCount": appointments.count()},
            }
        )

    @retrieve_schema
    def retrieve(self, request, enterprise, pk):
        appointment = self.get_queryset().filter(pk=appointment_id(pk)).first()
        if appointment is None:
            raise AppointmentNotFound(arguments={"id": pk})
        return Response({"data": self.represent(appointment)})

    @time_slots_schema(default_days=DEFAULT_SLOT_WINDOW.days, max_days=MAX_SLOT_WINDOW.days)
    @action(detail=True, methods=["get"], url_path="time-slots")
    def time_slots(self, request, enterprise, pk):
        window_start, window_end = _slot_window(request.query_params)
        appointment, slots = appointment_time_slots(
            enterprise=self.enterprise, appointment_id=appointment_id(pk), window_start=window_start, window_end=window_end
        )
        return Response(
            {
                "data": [{"start": timestamp(slot.start), "end": timestamp(slot.end)} for slot in slots],
                "meta": {"timeZone": office_time_zone(appointment).key},
            }
        )

    @invite_schema
    @action(detail=False, methods=["post"], url_path="_actions/invite")
    def invite(self, request, enterprise):
        invite = parse_invite_request(request.data)
        # A retry with the same Idempotency-Key replays the first answer instead of creating again.
        return idempotent(
            request,
            perform=lambda: invite_create(enterprise=self.enterprise, actor=self.actor(), **invite),
            render=lambda appointment: Response({"data": self.represent(appointment)}, status=status.HTTP_201_CREATED),
        )

    @reschedule_schema
    @action(detail=True, methods=["post"], url_path="_actions/reschedule")
    def reschedule(self, request, enterprise, pk):
        return self.act(request, pk, appointment_reschedule, **parse_reschedule_request(request.data))

    @accept_schema
    @action(detail=True, methods=["post"], url_path="_actions/accept")
    def accept(self, request, enterprise, pk):
        return self.act(request, pk, appointment_accept, **parse_no_properties(request.data))

    @cancel_schema
    @action(detail=True, methods=["post"], url_path="_actions/cancel")
    def cancel(self, request, enterprise, pk):
        return self.act(request, pk, appointment_cancel, **parse_cancel_request(request.data))

    @complete_schema
    @action(detail=True, methods=["post"], url_path="_actions/complete")
    def complete(self, request, enterprise, pk):
        return self.act(request, pk, appointment_complete, **parse_no_properties(request.data))

    @no_show_schema
    @action(detail=True, methods=["post"], url_path="_actions/no-show")
    def no_show(self, request, enterprise, pk):
        return self.act(request, pk, appointment_mark_no_show, **parse_no_properties(request.data))

    @resend_invite_schema
    @action(detail=True, methods=["post"], url_path="_actions/resend-invite")
    def resend_invite(self, request, enterprise, pk):
        return self.act(request, pk, appointment_resend_invite, **parse_resend_invite_request(request.data))

"""The OpenAPI description of the appointments API (drf-spectacular).

Requests are described by the serializers that parse them. Responses are rendered by plain
functions (``appointment_representation``), so they are described here by documentation-only
serializers that state the representation exactly: every property present, ``null`` where it may
be, no others. Error responses (``core.schema``) are generated from the exception classes.
"""

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers

from core.languages import API_LANGUAGES
from core.schema import error_responses

from ..idempotency import HEADER as IDEMPOTENCY_HEADER
from ..idempotency import MAX_KEY_LENGTH, REPLAYED_HEADER
from ..models import Appointment, AppointmentParticipant
from .fields import StrictSerializer
from .filters import MAX_FILTER_VALUES, AppointmentFilter, AppointmentTimeFilter
from .serializers import (
    CancelRequestSerializer,
    GeolocationSerializer,
    InviteRequestSerializer,
    NoPropertiesRequestSerializer,
    RescheduleRequestSerializer,
    ResendInviteRequestSerializer,
    TranslationListSerializer,
    TranslationSerializer,
)


# A string with no NUL character and no lone surrogate: what DRF reads as text.
PLAIN_TEXT = "^[^\\x00\\ud800-\\udfff]*$"


class StrictSerializerExtension(OpenApiSerializerExtension):
    """Strict objects reject unknown properties: say so (``additionalProperties: false``)."""

    target_class = StrictSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        schema["additionalProperties"] = False
        cls = self.target if isinstance(self.target, type) else type(self.target)
        if not cls.__dict__.get("__doc__"):
            schema.pop("description", None)  # not StrictSerializer's own docstring
        for name, field in cls().fields.items():
            # drf-spectacular leaves out a ListSerializer's bounds on the number of items.
            if isinstance(field, serializers.ListSerializer):
                for bound, keyword in ((field.min_length, "minItems"), (field.max_length, "maxItems")):
                    if bound is not None:
                        schema["properties"][name][keyword] = bound
            # ...and that DRF refuses NUL and lone surrogates in every string it reads (none is
            # ever written back either).
            if isinstance(field, serializers.CharField):
                schema["properties"][name].setdefault("pattern", PLAIN_TEXT)
            if isinstance(field, TranslationListSerializer):
                schema["properties"][name].update(
                    maxItems=len(API_LANGUAGES), allOf=[_one_value_per_language(auto_schema)]
                )
        return schema


def _one_value_per_language(auto_schema) -> dict:
    """The reference to a schema for "no two items share a language". JSON Schema has no
    uniqueness by property; it can say that at most one item holds each language."""
    component = ResolvedComponent(
        name="OneValuePerLanguage",
        type=ResolvedComponent.SCHEMA,
        object="OneValuePerLanguage",
        schema={
            "description": "Each language at most once (a repeated one is 400 NOT_UNIQUE).",
            "allOf": [
                {
                    "contains": {"properties": {"language": {"const": code}}, "required": ["language"]},
                    "minContains": 0,
                    "maxContains": 1,
                }
                for code in API_LANGUAGES
            ],
        },
    )
    auto_schema.registry.register_on_missing(component)
    return component.ref


# --- Documentation-only serializers for the representation ---------------------------------------
# They subclass StrictSerializer for its "additionalProperties: false"; nothing parses with them.


def _nullable_string(**kwargs) -> serializers.CharField:
    return serializers.CharField(allow_null=True, **kwargs)


@extend_schema_serializer(component_name="Reference")
class ReferenceDoc(StrictSerializer):
    id = serializers.CharField(min_length=1)


@extend_schema_serializer(component_name="LocationTranslations")
class TranslationsDoc(StrictSerializer):
    city = TranslationSerializer(many=True)
    state = TranslationSerializer(many=True)
    street1 = TranslationSerializer(many=True)
    street2 = TranslationSerializer(many=True)


@extend_schema_serializer(component_name="AppointmentLocation")
class LocationDoc(StrictSerializer):
    city = TranslationSerializer(allow_null=True, help_text="In the negotiated language (Accept-Language)")
    state = TranslationSerializer(allow_null=True)
    street1 = TranslationSerializer(allow_null=True)
    street2 = TranslationSerializer(allow_null=True)
    postalCode = _nullable_string()
    countryCode = serializers.CharField(min_length=2, max_length=2)
    formattedAddress = serializers.CharField(allow_blank=True)
    geolocation = GeolocationSerializer()
    timeZone = serializers.CharField(help_text="IANA time zone, e.g. Europe/Brussels")
    translations = TranslationsDoc(help_text="Every language that has a value")


@extend_schema_serializer(component_name="AppointmentParticipant")
class ParticipantDoc(StrictSerializer):
    role = serializers.ChoiceField(choices=AppointmentParticipant.Role.choices)
    participant = ReferenceDoc()
    type = serializers.ChoiceField(choices=AppointmentParticipant.Type.choices)
    videoUrl = serializers.URLField(allow_null=True, help_text="Set for VIDEO meetings")
    videoTestUrl = serializers.URLField(allow_null=True, help_text="Set for VIDEO meetings")


def _timestamp(**kwargs) -> serializers.DateTimeField:
    return serializers.DateTimeField(help_text="RFC 3339, UTC, millisecond precision, e.g. 2022-08-17T19:05:21.362Z", **kwargs)


@extend_schema_serializer(component_name="Appointment")
class AppointmentDoc(StrictSerializer):
    id = serializers.CharField()
    externalId = _nullable_string()
    start = _timestamp(allow_null=True)
    end = _timestamp(allow_null=True)
    status = serializers.ChoiceField(choices=Appointment.Status.choices)
    subject = ReferenceDoc()
    office = ReferenceDoc()
    appointmentParticipants = ParticipantDoc(many=True)
    answers = serializers.ListField(child=serializers.DictField(), max_length=0, help_text="Always empty for invites")
    callbackRequest = ReferenceDoc(allow_null=True)
    listing = ReferenceDoc(allow_null=True)
    leadSegment = ReferenceDoc(allow_null=True)
    meetingType = serializers.ChoiceField(choices=Appointment.MeetingType.choices)
    hybrid = serializers.BooleanField(allow_null=True)
    trailingBufferTime = serializers.IntegerField(min_value=0, help_text="Minutes")
    internalNotes = _nullable_string(help_text="Staff only: never shown to the customer")
    messageForCustomer = _nullable_string()
    createdAt = _timestamp()
    createdBy = ReferenceDoc(allow_null=True, help_text="The API client or employee, by createdByType")
    createdByType = serializers.ChoiceField(choices=Appointment.ActorType.choices)
    createdFrom = serializers.ChoiceField(choices=Appointment.Channel.choices)
    updatedAt = _timestamp()
    updatedBy = ReferenceDoc(allow_null=True)
    updatedByType = serializers.ChoiceField(choices=Appointment.ActorType.choices)
    updatedFrom = serializers.ChoiceField(choices=Appointment.Channel.choices)
    location = LocationDoc(allow_null=True)


@extend_schema_serializer(component_name="AppointmentResponse")
class AppointmentEnvelopeDoc(StrictSerializer):
    data = AppointmentDoc()


@extend_schema_serializer(component_name="ListMeta")
class ListMetaDoc(StrictSerializer):
    offset = serializers.IntegerField(min_value=0)
    limit = serializers.IntegerField(min_value=1)
    totalCount = serializers.IntegerField(min_value=0)


@extend_schema_serializer(component_name="AppointmentListResponse", many=False)
class AppointmentListEnvelopeDoc(StrictSerializer):
    data = AppointmentDoc(many=True)
    meta = ListMetaDoc()


@extend_schema_serializer(component_name="TimeSlot")
class TimeSlotDoc(StrictSerializer):
    start = _timestamp()
    end = serializers.DateTimeField(
        help_text="start + the subject's estimated duration (its trailing buffer is not part of it), as start"
    )


@extend_schema_serializer(component_name="TimeSlotsMeta")
class TimeSlotsMetaDoc(StrictSerializer):
    timeZone = serializers.CharField(help_text="The office's IANA time zone, in which the opening hours are kept")


@extend_schema_serializer(component_name="TimeSlotsResponse", many=False)
class TimeSlotsEnvelopeDoc(StrictSerializer):
    data = TimeSlotDoc(many=True, help_text="In time order")
    meta = TimeSlotsMetaDoc()


# --- Examples (each one is validated against the schema by the test suite) -----------------------

EXAMPLE_APPOINTMENT = {
    "id": "123",
    "externalId": "ABCD1234",
    "start": None,
    "end": None,
    "status": "OUTGOING_INVITE",
    "subject": {"id": "12"},
    "office": {"id": "3"},
    "appointmentParticipants": [
        {"role": "PRIMARY", "participant": {"id": "7"}, "type": "EMPLOYEE", "videoUrl": None, "videoTestUrl": None},
        {"role": "PRIMARY", "participant": {"id": "42"}, "type": "CUSTOMER", "videoUrl": None, "videoTestUrl": None},
    ],
    "answers": [],
    "callbackRequest": None,
    "listing": None,
    "leadSegment": None,
    "meetingType": "ON_LOCATION",
    "hybrid": False,
    "trailingBufferTime": 5,
    "internalNotes": "Prefers mornings",
    "messageForCustomer": "Let's chat!",
    "createdAt": "2022-08-17T19:05:21.362Z",
    "createdBy": {"id": "1"},
    "createdByType": "API_CLIENT",
    "createdFrom": "API",
    "updatedAt": "2022-08-17T19:05:21.362Z",
    "updatedBy": {"id": "1"},
    "updatedByType": "API_CLIENT",
    "updatedFrom": "API",
    "location": {
        "city": {"language": "en", "value": "Ghent"},
        "state": None,
        "street1": {"language": "en", "value": "Korenmarkt 1"},
        "street2": None,
        "postalCode": "9000",
        "countryCode": "BE",
        "formattedAddress": "Korenmarkt 1, 9000 Ghent, BE",
        "geolocation": {"latitude": 51.0543, "longitude": 3.7214},
        "timeZone": "Europe/Brussels",
        "translations": {
            "city": [{"language": "en", "value": "Ghent"}, {"language": "nl", "value": "Gent"}],
            "state": [],
            "street1": [{"language": "en", "value": "Korenmarkt 1"}],
            "street2": [],
        },
    },
}

# Ids of the demo data (manage.py seed_demo), so that the example works as it is.
EXAMPLE_INVITE = {
    "subjectId": "1",
    "officeId": "1",
    "appointmentParticipants": [
        {"role": "PRIMARY", "participantId": "1", "type": "EMPLOYEE"},
        {"role": "PRIMARY", "participantId": "1", "type": "CUSTOMER"},
    ],
    "meetingType": "ON_LOCATION",
    "externalId": "ABCD1234",
    "hybrid": False,
    "trailingBufferTime": 5,
    "internalNotes": "Prefers mornings",
    "message": "Let's chat!",
    "location": {
        "countryCode": "BE",
        "postalCode": "9000",
        "geolocation": {"latitude": 51.0543, "longitude": 3.7214},
        "translations": {
            "city": [{"language": "en", "value": "Ghent"}, {"language": "nl", "value": "Gent"}],
            "street1": [{"language": "en", "value": "Korenmarkt 1"}],
        },
    },
}

EXAMPLE_NOT_UNIQUE = {
    "errors": [
        {
            "message": "Participants need to be unique",
            "code": "APPOINTMENT_PARTICIPANTS_NOT_UNIQUE",
            "type": "BUSINESS_VALIDATION",
            "statusCode": "422",
            "arguments": {"type": "EMPLOYEE", "participantId": "7"},
        }
    ]
}

# --- Operations ------------------------------------------------------------------------------------

# Any operation can meet these (400: an invalid X-Correlation-Id header, for one).
READ_ERRORS = (400, 401, 403, 404, 406, 429, 500, 503)
DATE_TIME = {"type": "string", "format": "date-time"}


def _error_example(code: str, message: str, http_status: int = 422, **arguments) -> dict:
    entry_type = {400: "VALIDATION", 404: "NOT_FOUND"}.get(http_status, "BUSINESS_VALIDATION")
    entry = {"message": message, "code": code, "type": entry_type, "statusCode": str(http_status), "arguments": arguments}
    return {"errors": [entry]}


EXAMPLE_STATUS_INVALID = _error_example(
    "APPOINTMENT_STATUS_INVALID",
    "The appointment's status does not allow this action",
    status="CANCELLED",
    allowedStates=["OUTGOING_INVITE", "INCOMING_REQUEST", "ACCEPTED", "ALTERNATIVE_DATE_REQUESTED"],
)

def _filter_items(field) -> dict:
    choices = field.extra.get("choices")
    if choices:
        return {"type": "string", "enum": list(choices)}
    return {"type": "string", "maxLength": field.extra["max_length"], "pattern": PLAIN_TEXT}


def list_schema(*, default_limit: int, max_limit: int, max_offset: int):
    return extend_schema(
        operation_id="appointments_list",
        tags=["appointments"],
        summary="List appointments",
        description=(
            "Newest first. Array filters take the `name[]=value` form only (repeatable), at most "
            f"{MAX_FILTER_VALUES} values each. The request line must stay within 8,190 bytes: with every "
            "filter at its cap and ASCII values it does. `from` and `to` (RFC 3339 with an offset) list "
            "the appointments whose time overlaps `[from, to)`; with either, appointments without a "
            "time (invites) are left out. 400 codes: `INVALID_TYPE`, `TOO_SMALL`, `TOO_LARGE` "
            "(`offset`, `limit`, or a date-time from year 9999 on), `TOO_LONG` (too many values, or "
            "too long a value), `INVALID_ENUM` (an enum filter's value), `INVALID_FORMAT` (a filter "
            "without its brackets, or `from`/`to` not RFC 3339 with an offset)."
        ),
        parameters=[
            OpenApiParameter(
                "offset", {"type": "integer", "minimum": 0, "maximum": max_offset, "default": 0},
                description="How many to skip.",
            ),
            OpenApiParameter(
                "limit", {"type": "integer", "minimum": 1, "maximum": max_limit, "default": default_limit},
                description="How many to return.",
            ),
            *(
                OpenApiParameter(name, DATE_TIME, description=f"RFC 3339 with an offset. {field.extra['help_text']}")
                for name, field in AppointmentTimeFilter.base_filters.items()
            ),
            *(
                OpenApiParameter(
                    f"{name}[]",
                    {"type": "array", "items": _filter_items(field), "maxItems": MAX_FILTER_VALUES},
                    explode=True, style="form",
                    description=f"Only appointments whose {name} is one of these (at most {MAX_FILTER_VALUES}).",
                )
                for name, field in AppointmentFilter.base_filters.items()
            ),
        ],
        filters=False,
        responses={200: AppointmentListEnvelopeDoc, **error_responses(*READ_ERRORS)},
        examples=[
            OpenApiExample(
                "Appointments",
                value={"data": [EXAMPLE_APPOINTMENT], "meta": {"offset": 0, "limit": default_limit, "totalCount": 1}},
                response_only=True,
                status_codes=["200"],
            )
        ],
    )


retrieve_schema = extend_schema(
    operation_id="appointments_retrieve",
    tags=["appointments"],
    summary="Get one appointment",
    parameters=[OpenApiParameter("id", str, OpenApiParameter.PATH, description="The appointment's id.")],
    responses={200: AppointmentEnvelopeDoc, **error_responses(*READ_ERRORS)},
    examples=[OpenApiExample("Appointment", value={"data": EXAMPLE_APPOINTMENT}, response_only=True, status_codes=["200"])],
)

def idempotency_parameters(status: int, first: str) -> list[OpenApiParameter]:
    """The Idempotency-Key request header, and the header that marks a replayed ``status``."""
    return [
        OpenApiParameter(
            IDEMPOTENCY_HEADER, str, OpenApiParameter.HEADER,
            description=(
                "Optional, 1..255 visible ASCII characters, scoped to the API client. The same key, "
                f"method, path and body within 24 hours replays the original {first}; the key with "
                "another body, appointment or action gives 422 IDEMPOTENCY_KEY_REUSED; while the first "
                "request runs, 409 IDEMPOTENCY_KEY_IN_USE."
            ),
            pattern=rf"^[\x21-\x7e]{{1,{MAX_KEY_LENGTH}}}$",
        ),
        OpenApiParameter(
            REPLAYED_HEADER, {"type": "string", "enum": ["true"]}, OpenApiParameter.HEADER, response=[status],
            description="Present when the response is the replay of an earlier request with the same Idempotency-Key.",
        ),
    ]


invite_schema = extend_schema(
    operation_id="appointments_invite",
    tags=["appointments"],
    summary="Invite customers to an appointment",
    description=(
        "Creates an appointment with status OUTGOING_INVITE and no time yet: the customer picks "
        "the slot later. Business rules are checked in the order of the 422 codes' documentation; "
        "the first failure answers. Send an `Idempotency-Key` to retry safely after a timeout."
    ),
    request=InviteRequestSerializer,
    parameters=idempotency_parameters(201, "201"),
    responses={
        201: AppointmentEnvelopeDoc,
        **error_responses(*READ_ERRORS, 409, 411, 413, 415, 422),
    },
    examples=[
        OpenApiExample("Invite on location", value=EXAMPLE_INVITE, request_only=True),
        OpenApiExample("Created", value={"data": EXAMPLE_APPOINTMENT}, response_only=True, status_codes=["201"]),
        OpenApiExample("Participants not unique", value=EXAMPLE_NOT_UNIQUE, response_only=True, status_codes=["422"]),
    ],
)


def time_slots_schema(*, default_days: int, max_days: int):
    return extend_schema(
        operation_id="appointments_time_slots",
        tags=["appointments"],
        summary="Free times for an appointment",
        description=(
            "The starts that `_actions/reschedule` would accept now, in time order: on the office's "
            "grid of its local opening hours, within the subject's earliest and latest limits, where "
            "every PRIMARY employee is available. Times are RFC 3339 in UTC; `meta.timeZone` is the "
            "office's zone, to show them in. A slot is not held: it may be taken before it is "
            "booked (then the reschedule answers 422 APPOINTMENT_NO_AVAILABILITY).\n\n"
            f"The window is `[from, to)`: by default from now for {default_days} days, at most "
            f"{max_days} days. 400 codes: `INVALID_FORMAT` (not RFC 3339 with an offset), `TOO_SMALL` "
            f"(`to` not after `from`), `TOO_LARGE` (longer than {max_days} days, or a year from 9999 "
            "on). 422 `APPOINTMENT_STATUS_INVALID` when the appointment's status allows no reschedule "
            "(`arguments.allowedStates`)."
        ),
        parameters=[
            OpenApiParameter("id", str, OpenApiParameter.PATH, description="The appointment's id."),
            OpenApiParameter(
                "from", DATE_TIME, description="RFC 3339 with an offset, e.g. 2025-03-10T00:00:00Z. Default: now."
            ),
            OpenApiParameter(
                "to", DATE_TIME,
                description=f"RFC 3339 with an offset, after `from`, at most {max_days} days later. "
                f"Default: `from` + {default_days} days.",
            ),
        ],
        responses={200: TimeSlotsEnvelopeDoc, **error_responses(*READ_ERRORS, 422)},
        examples=[
            OpenApiExample(
                "Free times",
                value={
                    "data": [
                        {"start": "2025-03-10T08:00:00.000Z", "end": "2025-03-10T09:00:00.000Z"},
                        {"start": "2025-03-10T08:30:00.000Z", "end": "2025-03-10T09:30:00.000Z"},
                    ],
                    "meta": {"timeZone": "Europe/Brussels"},
                },
                response_only=True,
                status_codes=["200"],
            ),
            OpenApiExample(
                "A window too long",
                value=_error_example("TOO_LARGE", f"Must be at most {max_days} days after from.", 400, pointer="/to"),
                response_only=True,
                status_codes=["400"],
            ),
            OpenApiExample("Cancelled", value=EXAMPLE_STATUS_INVALID, response_only=True, status_codes=["422"]),
        ],
    )


# --- The actions on one appointment --------------------------------------------------------------

# What each action may start from: the contract's transitions (services.py keeps them).
_OPEN = "`OUTGOING_INVITE`, `INCOMING_REQUEST`, `ACCEPTED`, `ALTERNATIVE_DATE_REQUESTED`"
_ACTION_COMMON = (
    " Needs `engage:appointments:readWrite`. The body is checked first (400), then the appointment "
    "(404 `APPOINTMENT_NOT_FOUND` for an id of another enterprise too), then the rules (422). Send an "
    "`Idempotency-Key` to retry safely: the replay answers the first 200 again."
)


def _booked(status: str, start, end) -> dict:
    return {**EXAMPLE_APPOINTMENT, "status": status, "start": start, "end": end,
            "updatedAt": "2025-03-01T10:12:00.000Z", "updatedBy": {"id": "4"}}


EXAMPLE_BOOKED = _booked("ACCEPTED", "2025-03-10T08:00:00.000Z", "2025-03-10T09:00:00.000Z")


def _action_schema(name: str, summary: str, description: str, request, examples: list, **codes) -> extend_schema:
    request_examples = [
        OpenApiExample(title, value=value, request_only=True) for title, value in codes.pop("requests", {}).items()
    ]
    return extend_schema(
        operation_id=f"appointments_{name.replace('-', '_')}",
        tags=["appointments"],
        summary=summary,
        description=description + _ACTION_COMMON,
        request=request,
        parameters=[
            OpenApiParameter("id", str, OpenApiParameter.PATH, description="The appointment's id."),
            *idempotency_parameters(200, "200"),
        ],
        responses={200: AppointmentEnvelopeDoc, **error_responses(*READ_ERRORS, 409, 411, 413, 415, 422)},
        examples=[
            *request_examples,
            *(
                OpenApiExample(title, value=value, response_only=True, status_codes=[str(status)])
                for title, status, value in examples
            ),
        ],
    )


reschedule_schema = _action_schema(
    "reschedule",
    "Book a time, or move the appointment to another",
    "Gives an invite its time (staff booking for the customer) or moves a booked appointment. "
    "`start` must be one of the appointment's free times now (see time-slots), for `end` - `start` "
    "when `end` is given. The appointment is then `ACCEPTED`, or `INCOMING_REQUEST` where the "
    "subject's settings need an employee to accept (an accepted appointment moved there needs "
    "accepting again; a request stays a request). Allowed from " + _OPEN + ". 422 codes: "
    "`APPOINTMENT_STATUS_INVALID` (`arguments.allowedStates`), `APPOINTMENT_NO_AVAILABILITY` (the "
    "time is not free, or was taken a moment before: pick another), `IDEMPOTENCY_KEY_REUSED`. 400: "
    "`end` not after `start` is `TOO_SMALL`, more than 24 hours after it `TOO_LARGE`.",
    RescheduleRequestSerializer,
    [
        ("Booked", 200, {"data": EXAMPLE_BOOKED}),
        ("Time taken", 422, _error_example(
            "APPOINTMENT_NO_AVAILABILITY", "This time is not available (any more): pick another free slot",
            start="2025-03-10T08:00:00+00:00",
        )),
        ("Not open any more", 422, EXAMPLE_STATUS_INVALID),
        ("End before start", 400, _error_example("TOO_SMALL", "Must be after start.", 400, pointer="/end")),
    ],
    requests={
        "Book a slot": {"start": "2025-03-10T08:00:00Z", "message": "See you at the office", "notifyCustomer": True},
        "Book 30 minutes": {"start": "2025-03-10T09:00:00+01:00", "end": "2025-03-10T09:30:00+01:00"},
    },
)

accept_schema = _action_schema(
    "accept",
    "Accept a requested time",
    "An employee accepts the time the customer requested: `INCOMING_REQUEST` → `ACCEPTED`. No "
    "properties: send no body, or `{}`. 422 codes: `APPOINTMENT_STATUS_INVALID` (allowed from "
    "`INCOMING_REQUEST` only), `IDEMPOTENCY_KEY_REUSED`.",
    NoPropertiesRequestSerializer,
    [
        ("Accepted", 200, {"data": EXAMPLE_BOOKED}),
        ("Not a request", 422, _error_example(
            "APPOINTMENT_STATUS_INVALID", "The appointment's status does not allow this action",
            status="ACCEPTED", allowedStates=["INCOMING_REQUEST"],
        )),
    ],
)

cancel_schema = _action_schema(
    "cancel",
    "Cancel the appointment",
    "→ `CANCELLED`, from " + _OPEN + "; the time it held is free again. 422 codes: "
    "`APPOINTMENT_STATUS_INVALID` (`arguments.allowedStates`), `IDEMPOTENCY_KEY_REUSED`.",
    CancelRequestSerializer,
    [
        ("Cancelled", 200, {"data": _booked("CANCELLED", "2025-03-10T08:00:00.000Z", "2025-03-10T09:00:00.000Z")}),
        ("Already over", 422, _error_example(
            "APPOINTMENT_STATUS_INVALID", "The appointment's status does not allow this action",
            status="COMPLETED",
            allowedStates=["OUTGOING_INVITE", "INCOMING_REQUEST", "ACCEPTED", "ALTERNATIVE_DATE_REQUESTED"],
        )),
    ],
    requests={"Cancel": {"reason": "Customer moved away", "message": "Sorry to see you go", "notifyCustomer": True}},
)

_NOT_STARTED = _error_example(
    "APPOINTMENT_NOT_STARTED", "The appointment has not started yet", start="2025-03-10T08:00:00+00:00"
)
_OUTCOME = (
    " Allowed from `ACCEPTED`, once the appointment has started. No properties: send no body, or "
    "`{}`. 422 codes: `APPOINTMENT_STATUS_INVALID` (`arguments.allowedStates`), "
    "`APPOINTMENT_NOT_STARTED` (its start is still ahead, `arguments.start`), `IDEMPOTENCY_KEY_REUSED`."
)

complete_schema = _action_schema(
    "complete",
    "The appointment took place",
    "`ACCEPTED` → `COMPLETED`." + _OUTCOME,
    NoPropertiesRequestSerializer,
    [
        ("Completed", 200, {"data": _booked("COMPLETED", "2025-03-10T08:00:00.000Z", "2025-03-10T09:00:00.000Z")}),
        ("Not started", 422, _NOT_STARTED),
    ],
)

no_show_schema = _action_schema(
    "no-show",
    "The customer did not come",
    "`ACCEPTED` → `NO_SHOW`." + _OUTCOME,
    NoPropertiesRequestSerializer,
    [
        ("No show", 200, {"data": _booked("NO_SHOW", "2025-03-10T08:00:00.000Z", "2025-03-10T09:00:00.000Z")}),
        ("Not started", 422, _NOT_STARTED),
    ],
)

resend_invite_schema = _action_schema(
    "resend-invite",
    "Send the invite again",
    "Invites the customers again: each gets a new invite with a new link, and when it is sent, every "
    "link they were sent before stops working. `OUTGOING_INVITE` stays `OUTGOING_INVITE`; "
    "`ALTERNATIVE_DATE_REQUESTED` (no time suited the customer) becomes `OUTGOING_INVITE` again. "
    "`message`, if given, is shown in the new invite instead of the appointment's own message. "
    "422 codes: `APPOINTMENT_STATUS_INVALID` (allowed from `OUTGOING_INVITE` and "
    "`ALTERNATIVE_DATE_REQUESTED`), `IDEMPOTENCY_KEY_REUSED`.",
    ResendInviteRequestSerializer,
    [
        ("Sent again", 200, {"data": _booked("OUTGOING_INVITE", None, None)}),
        ("Already booked", 422, _error_example(
            "APPOINTMENT_STATUS_INVALID", "The appointment's status does not allow this action",
            status="ACCEPTED", allowedStates=["OUTGOING_INVITE", "ALTERNATIVE_DATE_REQUESTED"],
        )),
    ],
    requests={"Send again": {"message": "We have new times: pick one that suits you"}},
)


def add_links(result, generator, request, public):
    """Postprocessing hook: OpenAPI links from a created invite to its reads, so that clients (and
    stateful fuzzing) can follow a 201 to the appointment it describes."""
    invite = result["paths"].get("/api/enterprises/{enterprise}/appointments/_actions/invite", {}).get("post")
    if invite is None:
        return result
    invite["responses"]["201"]["links"] = {
        "GetCreatedAppointment": {
            "operationId": "appointments_retrieve",
            "parameters": {"enterprise": "$request.path.enterprise", "id": "$response.body#/data/id"},
            "description": "The appointment the invite created.",
        },
        "ListCreatedAppointment": {
            "operationId": "appointments_list",
            "parameters": {"enterprise": "$request.path.enterprise", "id[]": "$response.body#/data/id"},
            "description": "The list, filtered to the appointment the invite created.",
        },
    }
    return result

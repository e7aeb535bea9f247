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
from .filters import MAX_FILTER_VALUES, AppointmentFilter
from .serializers import GeolocationSerializer, InviteRequestSerializer, TranslationListSerializer, TranslationSerializer


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
            "filter at its cap and ASCII values it does."
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
    parameters=[
        OpenApiParameter(
            IDEMPOTENCY_HEADER, str, OpenApiParameter.HEADER,
            description=(
                "Optional, 1..255 visible ASCII characters, scoped to the API client. The same key and "
                "body within 24 hours replays the original 201; another body gives 422 "
                "IDEMPOTENCY_KEY_REUSED; while the first request runs, 409 IDEMPOTENCY_KEY_IN_USE."
            ),
            pattern=rf"^[\x21-\x7e]{{1,{MAX_KEY_LENGTH}}}$",
        ),
        OpenApiParameter(
            REPLAYED_HEADER, {"type": "string", "enum": ["true"]}, OpenApiParameter.HEADER, response=[201],
            description="Present when the response is the replay of an earlier request with the same Idempotency-Key.",
        ),
    ],
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

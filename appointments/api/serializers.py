"""The request bodies of the invite and of the appointment actions (parsed strictly, 400 on shape)
and the appointment representation."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from django.core.validators import RegexValidator
from rest_framework.exceptions import ErrorDetail, ValidationError

from locations.formatting import formatted_address
from core.languages import API_LANGUAGES, LanguagePreference
from locations.models import Location

from ..models import Appointment, AppointmentParticipant
from ..services import LocationInput, ParticipantInput
from .fields import (
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictDateTimeField,
    StrictFloatField,
    StrictIntegerField,
    StrictListSerializer,
    StrictSerializer,
)

# Bounds the contract leaves open, set by what storage holds (documented in docs/api.md).
MAX_INT32 = 2_147_483_647
MAX_TEXT_VALUE = 255
MAX_POSTAL_CODE = 32
# An appointment's people: far more than any meeting has, and a bound on what a body costs to check.
MAX_PARTICIPANTS = 50

# --- Request -------------------------------------------------------------------------------------


class TranslationSerializer(StrictSerializer):
    language = StrictChoiceField(choices=API_LANGUAGES)
    value = StrictCharField(min_length=1, max_length=MAX_TEXT_VALUE)


def repeated_languages(items: list[dict]) -> list[int]:
    """The indexes of the translations whose language an earlier one has already."""
    seen, repeated = set(), []
    for index, item in enumerate(items):
        if item["language"] in seen:
            repeated.append(index)
        seen.add(item["language"])
    return repeated


class TranslationListSerializer(StrictListSerializer):
    """An array of ``{language, value}`` where each language appears at most once."""

    def validate_items(self, items):
        if repeated := repeated_languages(items):
            message = ErrorDetail("Each language may appear only once.", code="not_unique")
            raise ValidationError({index: {"language": [message]} for index in repeated})
        return items


def translations(*, min_length: int = 0, required: bool = False) -> TranslationListSerializer:
    return TranslationListSerializer(
        child=TranslationSerializer(),
        min_length=min_length,
        required=required,
        help_text="Each language at most once (a repeated one is 400 NOT_UNIQUE).",
    )


class TranslationsSerializer(StrictSerializer):
    city = translations(min_length=1, required=True)
    state = translations()
    street1 = translations()
    street2 = translations()


class GeolocationSerializer(StrictSerializer):
    latitude = StrictFloatField(min_value=-90, max_value=90)
    longitude = StrictFloatField(min_value=-180, max_value=180)


class LocationSerializer(StrictSerializer):
    # A validator rather than code in validate_countryCode, so that the schema publishes the pattern.
    countryCode = StrictCharField(
        min_length=2,
        max_length=2,
        # Letters only: the length has its own rule (one violation, one entry).
        validators=[RegexValidator(r"^[A-Za-z]*$", "Must be an ISO 3166-1 alpha-2 country code.", code="invalid_format")],
    )
    postalCode = StrictCharField(min_length=1, max_length=MAX_POSTAL_CODE, allow_null=True, required=False)
    geolocation = GeolocationSerializer(allow_null=True, required=False)
    translations = TranslationsSerializer()

    def validate_countryCode(self, value):
        return value.upper()


class ParticipantSerializer(StrictSerializer):
    role = StrictChoiceField(choices=AppointmentParticipant.Role.values)
    participantId = StrictCharField(min_length=1)
    type = StrictChoiceField(choices=AppointmentParticipant.Type.values)


def _optional_id() -> StrictCharField:
    return StrictCharField(min_length=1, allow_null=True, required=False)


class InviteRequestSerializer(StrictSerializer):
    """The body of ``POST …/appointments/_actions/invite``."""

    subjectId = StrictCharField(min_length=1)
    officeId = StrictCharField(min_length=1)
    appointmentParticipants = StrictListSerializer(
        child=ParticipantSerializer(), min_length=2, max_length=MAX_PARTICIPANTS
    )
    callbackRequestId = _optional_id()
    location = LocationSerializer(allow_null=True, required=False)
    listingId = _optional_id()
    leadSegmentId = _optional_id()
    meetingType = StrictChoiceField(choices=Appointment.MeetingType.values)
    externalId = StrictCharField(min_length=1, max_length=255, allow_null=True, required=False)
    hybrid = StrictBooleanField(allow_null=True, required=False)
    trailingBufferTime = StrictIntegerField(min_value=0, max_value=MAX_INT32, allow_null=True, required=False)
    internalNotes = StrictCharField(min_length=1, allow_null=True, required=False)
    message = StrictCharField(min_length=1, allow_null=True, required=False)

    @staticmethod
    def invite_kwargs(data: dict) -> dict:
        """A validated body as keyword arguments for ``invite_create``."""
        location = data.get("location")
        return {
            "subject_id": data["subjectId"],
            "office_id": data["officeId"],
            "participants": [
                ParticipantInput(role=p["role"], type=p["type"], participant_id=p["participantId"])
                for p in data["appointmentParticipants"]
            ],
            "meeting_type": data["meetingType"],
            "location": location_input(location) if location else None,
            "callback_request_id": data.get("callbackRequestId"),
            "listing_id": data.get("listingId"),
            "lead_segment_id": data.get("leadSegmentId"),
            "external_id": data.get("externalId"),
            "hybrid": data.get("hybrid"),
            "trailing_buffer_time": data.get("trailingBufferTime") or 0,
            "internal_notes": data.get("internalNotes"),
            "message": data.get("message"),
        }


def parse_invite_request(body, serializer: InviteRequestSerializer | None = None) -> dict:
    """An invite request body as ``invite_create``'s keyword arguments; raises ``ValidationError``
    with every violation. The API, the staff forms and the importer all parse through here.

    The importer passes one serializer for all its rows: building one copies every declared
    field, nested serializers included, which cost twice as much as validating a row. (Validation
    keeps no state on the serializer.)"""
    serializer = serializer or InviteRequestSerializer()
    return serializer.invite_kwargs(serializer.run_validation(body))


# --- The actions' bodies ---------------------------------------------------------------------------

# Opening hours are blocks within one day, so a longer appointment never fits (Decision): refusing
# it here also keeps the services' date arithmetic far from the calendar's end.
MAX_APPOINTMENT_LENGTH = timedelta(hours=24)


def _notify_customer() -> StrictBooleanField:
    return StrictBooleanField(
        default=True,
        help_text="Whether the customers get a message about this action (default true). With false they "
        "get none; the PRIMARY employees are told either way. Kept in the appointment's history.",
    )


def _text(help_text: str) -> StrictCharField:
    return StrictCharField(min_length=1, allow_null=True, required=False, help_text=help_text)


class RescheduleRequestSerializer(StrictSerializer):
    """The body of ``POST …/appointments/{id}/_actions/reschedule``."""

    start = StrictDateTimeField(help_text="RFC 3339 with an offset: one of the appointment's free times (time-slots)")
    end = StrictDateTimeField(
        allow_null=True,
        required=False,
        help_text="After start, at most 24 hours later. Default: start + the subject's estimated duration",
    )
    message = _text("For the customer")
    notifyCustomer = _notify_customer()

    def validate(self, data):
        start, end = data["start"], data.get("end")
        if end is not None and end <= start:
            raise ValidationError({"end": [ErrorDetail("Must be after start.", code="min_value")]})
        if end is not None and end - start > MAX_APPOINTMENT_LENGTH:
            raise ValidationError({"end": [ErrorDetail("Must be at most 24 hours after start.", code="max_value")]})
        return data


class CancelRequestSerializer(StrictSerializer):
    """The body of ``POST …/appointments/{id}/_actions/cancel``."""

    reason = _text("Why, for staff (kept in the appointment's history)")
    message = _text("For the customer")
    notifyCustomer = _notify_customer()


class ResendInviteRequestSerializer(StrictSerializer):
    """The body of ``POST …/appointments/{id}/_actions/resend-invite``."""

    message = _text("For the customer: shown in the new invite instead of the appointment's own message")


class NoPropertiesRequestSerializer(StrictSerializer):
    """The body of an action that takes none: absent, or ``{}``."""


def parse_reschedule_request(body) -> dict:
    """A reschedule body as ``appointment_reschedule``'s keyword arguments (400 on its shape)."""
    data = RescheduleRequestSerializer().run_validation(body)
    return {
        "start": data["start"],
        "end": data.get("end"),
        "message": data.get("message"),
        "notify_customer": data["notifyCustomer"],
    }


def parse_cancel_request(body) -> dict:
    """A cancel body as ``appointment_cancel``'s keyword arguments (400 on its shape)."""
    data = CancelRequestSerializer().run_validation(body)
    return {
        "reason": data.get("reason") or "",
        "message": data.get("message"),
        "notify_customer": data["notifyCustomer"],
    }


def parse_resend_invite_request(body) -> dict:
    """A resend-invite body as ``appointment_resend_invite``'s keyword arguments (400 on its shape)."""
    data = ResendInviteRequestSerializer().run_validation(body)
    return {"message": data.get("message")}


def parse_no_properties(body) -> dict:
    """An action that takes no properties: an absent body or ``{}``, and nothing else."""
    NoPropertiesRequestSerializer().run_validation(body)
    return {}


def location_input(location: dict) -> LocationInput:
    geolocation = location.get("geolocation") or {}
    return LocationInput(
        country_code=location["countryCode"],
        postal_code=location.get("postalCode"),
        latitude=geolocation.get("latitude"),
        longitude=geolocation.get("longitude"),
        translations={
            part: {item["language"]: item["value"] for item in items}
            for part, items in location["translations"].items()
        },
    )


# --- Representation ------------------------------------------------------------------------------


def timestamp(value: datetime | None) -> str | None:
    """RFC 3339, UTC, millisecond precision, ``Z``."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def reference(pk) -> dict | None:
    return None if pk is None else {"id": str(pk)}


def location_representation(location: Location, preference: LanguagePreference, default_language: str) -> dict:
    representation, chosen_values, translations = {}, {}, {}
    for part in Location.TRANSLATED_FIELDS:
        given = location.translations(part)
        chosen = preference.pick(given, default_language)
        representation[part] = None if chosen is None else {"language": chosen[0], "value": chosen[1]}
        chosen_values[part] = chosen and chosen[1]
        translations[part] = [{"language": language, "value": value} for language, value in given.items()]
    representation.update(
        postalCode=location.postal_code,
        countryCode=location.country_code,
        formattedAddress=formatted_address(
            country_code=location.country_code, postal_code=location.postal_code, **chosen_values
        ),
        geolocation={"latitude": location.latitude, "longitude": location.longitude},
        timeZone=location.time_zone,
        translations=translations,
    )
    return representation


def appointment_representation(
    appointment: Appointment, preference: LanguagePreference, default_language: str = "en"
) -> dict:
    """The contract's appointment object. Select ``location`` and prefetch ``participants`` to
    render a list without a query per appointment (a new one has its ``participant_list``)."""
    location = appointment.location
    participants = getattr(appointment, "participant_list", None)
    if participants is None:
        participants = appointment.participants.all()
    return {
        "id": str(appointment.pk),
        "externalId": appointment.external_id,
        "start": timestamp(appointment.start),
        "end": timestamp(appointment.end),
        "status": appointment.status,
        "subject": reference(appointment.subject_id),
        "office": reference(appointment.office_id),
        "appointmentParticipants": [
            {
                "role": participant.role,
                "participant": reference(participant.participant_id),
                "type": participant.type,
                "videoUrl": participant.video_url,
                "videoTestUrl": participant.video_test_url,
            }
            for participant in participants
        ],
        "answers": [],
        "callbackRequest": reference(appointment.callback_request_id),
        "listing": reference(appointment.listing_id),
        "leadSegment": reference(appointment.lead_segment_id),
        "meetingType": appointment.meeting_type,
        "hybrid": appointment.hybrid,
        "trailingBufferTime": appointment.trailing_buffer_time,
        "internalNotes": appointment.internal_notes,
        "messageForCustomer": appointment.message_for_customer,
        "createdAt": timestamp(appointment.created_at),
        "createdBy": reference(appointment.created_by_id),
        "createdByType": appointment.created_by_type,
        "createdFrom": appointment.created_from,
        "updatedAt": timestamp(appointment.updated_at),
        "updatedBy": reference(appointment.updated_by_id),
        "updatedByType": appointment.updated_by_type,
        "updatedFrom": appointment.updated_from,
        "location": None if location is None else location_representation(location, preference, default_language),
    }

"""Business operations on appointments. ``invite_create`` is the only code that writes invites:
the API, the staff pages, the admin and the import command all call it."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from config.errors import DomainError
from locations.geocoding import Address, geocode, resolve_time_zone
from locations.languages import to_storage
from locations.models import Location
from participants.models import Customer, Employee, Enterprise

from .models import Appointment, AppointmentParticipant, CallbackRequest, LeadSegment, Listing, Office, Subject

logger = logging.getLogger(__name__)


# --- Errors, in the order the rules are checked ------------------------------------------------


class ResourceNotFound(DomainError):
    """A referenced id does not exist in this enterprise."""

    resource: str = "Resource"

    def __init__(self, *, property: str, id: str, field: str | None = None):
        super().__init__(
            _("%(resource)s %(id)s was not found") % {"resource": self.resource, "id": id},
            arguments={"property": property, "id": id},
            field=field or property,
        )


class SubjectNotFound(ResourceNotFound):
    code = "SUBJECT_NOT_FOUND"
    resource = "Subject"


class OfficeNotFound(ResourceNotFound):
    code = "OFFICE_NOT_FOUND"
    resource = "Office"


class ParticipantNotFound(ResourceNotFound):
    code = "PARTICIPANT_NOT_FOUND"
    resource = "Participant"


class ListingNotFound(ResourceNotFound):
    code = "LISTING_NOT_FOUND"
    resource = "Listing"


class LeadSegmentNotFound(ResourceNotFound):
    code = "LEAD_SEGMENT_NOT_FOUND"
    resource = "Lead segment"


class CallbackRequestNotFound(ResourceNotFound):
    code = "CALLBACK_REQUEST_NOT_FOUND"
    resource = "Callback request"


class AppointmentLocationRequired(DomainError):
    code = "APPOINTMENT_LOCATION_REQUIRED"
    default_message = _("A location is required for on-location meetings")


class AppointmentParticipantsNotUnique(DomainError):
    code = "APPOINTMENT_PARTICIPANTS_NOT_UNIQUE"
    default_message = _("Participants need to be unique")


# --- Input ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParticipantInput:
    role: str
    type: str
    participant_id: str


@dataclass(frozen=True)
class LocationInput:
    """A location as the caller gave it. ``translations`` maps a part (city, state, street1,
    street2) to ``{api_language: value}``."""

    country_code: str
    postal_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    translations: dict[str, dict[str, str]] = field(default_factory=dict)

    def address(self) -> Address:
        return Address(
            country_code=self.country_code,
            postal_code=self.postal_code,
            **{part: self.translations.get(part, {}) for part in Location.TRANSLATED_FIELDS},
        )


@dataclass(frozen=True)
class Actor:
    """Who creates the appointment, and through which door."""

    type: str  # Appointment.ActorType
    id: str | None
    channel: str  # Appointment.Channel


# --- The operation -------------------------------------------------------------------------------


def invite_create(
    *,
    enterprise: Enterprise,
    actor: Actor,
    subject_id: str,
    office_id: str,
    participants: Sequence[ParticipantInput],
    meeting_type: str,
    location: LocationInput | None = None,
    callback_request_id: str | None = None,
    listing_id: str | None = None,
    lead_segment_id: str | None = None,
    external_id: str | None = None,
    hybrid: bool | None = None,
    trailing_buffer_time: int | None = 0,
    internal_notes: str | None = None,
    message: str | None = None,
) -> Appointment:
    """Invite customers to an appointment whose time they will choose later.

    Checks the business rules in the contract's order and raises the ``DomainError`` of the first
    that fails; writes nothing unless all pass. The number of queries does not depend on the number
    of participants.
    """
    subject = _get(Subject.objects, enterprise, subject_id, SubjectNotFound, "subjectId")
    office = _get(Office.objects.select_related("location"), enterprise, office_id, OfficeNotFound, "officeId")
    people = _participants(enterprise, participants)
    listing = _get_optional(Listing.objects, enterprise, listing_id, ListingNotFound, "listingId")
    lead_segment = _get_optional(LeadSegment.objects, enterprise, lead_segment_id, LeadSegmentNotFound, "leadSegmentId")
    callback_request = _get_optional(
        CallbackRequest.objects, enterprise, callback_request_id, CallbackRequestNotFound, "callbackRequestId"
    )
    if meeting_type == Appointment.MeetingType.ON_LOCATION and location is None:
        raise AppointmentLocationRequired(field="location")
    seen = set()
    for participant, person in zip(participants, people):
        # Compare the rows found, not the strings given: "012" and "12" are the same employee.
        if (participant.type, person.pk) in seen:
            raise AppointmentParticipantsNotUnique(
                field="appointmentParticipants",
                arguments={"type": participant.type, "participantId": participant.participant_id},
            )
        seen.add((participant.type, person.pk))
    # Geocoding talks to the network: do it before any transaction is opened.
    new_location = _located(location) if location is not None else None

    with transaction.atomic():
        if new_location is not None:
            new_location.save()
        elif meeting_type == Appointment.MeetingType.OFFICE:
            new_location = office.location
        appointment = Appointment.objects.create(
            enterprise=enterprise,
            external_id=external_id,
            status=Appointment.Status.OUTGOING_INVITE,
            subject=subject,
            office=office,
            callback_request=callback_request,
            listing=listing,
            lead_segment=lead_segment,
            meeting_type=meeting_type,
            location=new_location,
            hybrid=hybrid,
            trailing_buffer_time=trailing_buffer_time or 0,
            internal_notes=internal_notes,
            message_for_customer=message,
            created_by_type=actor.type,
            created_by_id=actor.id,
            created_from=actor.channel,
            updated_by_type=actor.type,
            updated_by_id=actor.id,
            updated_from=actor.channel,
        )
        rows = AppointmentParticipant.objects.bulk_create(
            [
                AppointmentParticipant(
                    appointment=appointment,
                    role=participant.role,
                    type=participant.type,
                    **{participant.type.lower(): person},
                    **_video_links(meeting_type),
                )
                for participant, person in zip(participants, people)
            ]
        )
    # The caller renders what we just wrote; spare it a query for the participants.
    appointment._prefetched_objects_cache = {"participants": rows}
    logger.info(
        "Invite %s created in %s by %s %s via %s", appointment.pk, enterprise.slug, actor.type, actor.id, actor.channel
    )
    return appointment


def parse_id(value: str) -> int | None:
    """API ids are strings; ours are positive 64-bit integers. Anything else matches nothing."""
    if value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


def _get(queryset, enterprise, value, error, property):
    pk = parse_id(value)
    try:
        if pk is None:
            raise queryset.model.DoesNotExist
        return queryset.get(enterprise=enterprise, pk=pk)
    except queryset.model.DoesNotExist:
        raise error(property=property, id=value) from None


def _get_optional(queryset, enterprise, value, error, property):
    return None if value is None else _get(queryset, enterprise, value, error, property)


def _participants(enterprise: Enterprise, participants: Sequence[ParticipantInput]) -> list[Employee | Customer]:
    """Resolve every participant with one query per participant type."""
    models = {AppointmentParticipant.Type.EMPLOYEE: Employee, AppointmentParticipant.Type.CUSTOMER: Customer}
    found = {}
    for type_, model in models.items():
        ids = {parse_id(p.participant_id) for p in participants if p.type == type_} - {None}
        if ids:
            found[type_] = model.objects.filter(enterprise=enterprise, pk__in=ids).in_bulk()
    rows = []
    for index, participant in enumerate(participants):
        person = found.get(participant.type, {}).get(parse_id(participant.participant_id))
        if person is None:
            raise ParticipantNotFound(
                property=f"appointmentParticipants/{index}/participantId",
                id=participant.participant_id,
                field="appointmentParticipants",
            )
        rows.append(person)
    return rows


def _located(location: LocationInput) -> Location:
    """An unsaved Location with coordinates (given, or geocoded) and its time zone."""
    if location.latitude is not None and location.longitude is not None:
        latitude, longitude = location.latitude, location.longitude
    else:
        latitude, longitude = geocode(location.address())
    translated = {
        f"{part}_{to_storage(language)}": value
        for part, values in location.translations.items()
        for language, value in values.items()
    }
    return Location(
        country_code=location.country_code.upper(),
        postal_code=location.postal_code,
        latitude=latitude,
        longitude=longitude,
        time_zone=resolve_time_zone(latitude, longitude),
        **translated,
    )


def _video_links(meeting_type: str) -> dict[str, str | None]:
    if meeting_type != Appointment.MeetingType.VIDEO:
        return {"video_url": None, "video_test_url": None}
    room = secrets.token_urlsafe(16)
    base = settings.VIDEO_BASE_URL.rstrip("/")
    return {"video_url": f"{base}/{room}", "video_test_url": f"{base}/{room}/test"}

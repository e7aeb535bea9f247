"""Business operations on appointments: the one place that writes them. Every door calls these.

``invite_create`` invites customers to one appointment whose time they will choose later (the API,
the staff pages and the admin); ``invites_create`` does the same for a batch (the bulk import).
Both check each invite with ``invite_check``, where the business rules live, in the contract's
order, and write through the ORM in one transaction.

Then the lifecycle: ``appointment_reschedule`` (gives an invite its time, or moves one),
``appointment_accept``, ``appointment_request_alternative`` (the customer finds no time that
suits), ``appointment_cancel``, ``appointment_complete`` and ``appointment_mark_no_show``. Each
locks the appointment, checks that its status allows the action (the contract's transitions,
nothing else), and records who did it, through which door, in a history row.
``appointment_time_slots`` reads the times that a reschedule would take, under the same status rule.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.languages import API_LANGUAGES, to_storage
from locations.geocoding import Address, geocode, resolve_time_zone
from locations.models import Location
from notifications.services import change_messages_write, invite_messages_write
from participants.models import Customer, Employee, Enterprise

from availability.selectors import Slot, availability_rules, free_slots
from availability.services import time_hold, time_release
from invitations.services import invite_links_revoke

from .models import (
    Appointment,
    AppointmentParticipant,
    AppointmentStatusChange,
    CallbackRequest,
    LeadSegment,
    Listing,
    Office,
    Subject,
)
from .selectors import Referenced, referenced_rows

logger = logging.getLogger(__name__)

Geocoder = Callable[[Address], tuple[float, float]]


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


# --- The operations ------------------------------------------------------------------------------

PARTICIPANT_MODELS = {AppointmentParticipant.Type.EMPLOYEE: Employee, AppointmentParticipant.Type.CUSTOMER: Customer}
OPTIONAL_REFERENCES = {"listing_id": Listing, "lead_segment_id": LeadSegment, "callback_request_id": CallbackRequest}


def invite_create(*, enterprise: Enterprise, actor: Actor, geocoder: Geocoder = geocode, **invite) -> Appointment:
    """Invite customers to an appointment whose time they will choose later.

    ``invite`` holds ``invite_check``'s keyword arguments. Raises the ``DomainError`` of the first
    rule that fails, and then writes nothing. The number of queries does not depend on the number
    of participants.
    """
    with transaction.atomic():
        references = referenced_rows(enterprise=enterprise, wanted=invite_references([invite]))
        draft = invite_check(references=references, geocoder=geocoder, **invite)
        [appointment] = _save(enterprise=enterprise, actor=actor, drafts=[draft])
    logger.info(
        "Invite %s created in %s by %s %s via %s", appointment.pk, enterprise.slug, actor.type, actor.id, actor.channel
    )
    return appointment


@dataclass
class BatchResult:
    """What ``invites_create`` did with each invite of a batch, by its index in the batch."""

    created: dict[int, Appointment] = field(default_factory=dict)
    skipped: list[int] = field(default_factory=list)  # its externalId exists already
    failed: dict[int, DomainError] = field(default_factory=dict)


@transaction.atomic
def invites_create(
    *, enterprise: Enterprise, actor: Actor, invites: Sequence[dict], geocoder: Geocoder = geocode
) -> BatchResult:
    """Create a batch of invites (the bulk import): each checked by ``invite_check`` like a single
    one, every one that passes written together, in one transaction.

    References may name rows by their own ``externalId`` (``external://VALUE``). An invite whose
    ``externalId`` already exists in the enterprise, or earlier in the batch, is skipped, so that
    importing the same rows again creates nothing twice. However many invites the batch holds, its
    references take one query and each table one ``bulk_create``.
    """
    # Two imports of the same rows at once: the second waits here, then skips what the first wrote.
    # (A row lock that does not block the API's inserts.)
    Enterprise.objects.select_for_update(no_key=True).filter(pk=enterprise.pk).exists()
    given = {invite["external_id"] for invite in invites} - {None}
    taken = set(
        Appointment.objects.filter(enterprise=enterprise, external_id__in=given).values_list("external_id", flat=True)
    )
    references = referenced_rows(enterprise=enterprise, wanted=invite_references(invites), external_ids=True)
    result, drafts = BatchResult(), {}
    for index, invite in enumerate(invites):
        if invite["external_id"] in taken:
            result.skipped.append(index)
            continue
        try:
            drafts[index] = invite_check(references=references, geocoder=geocoder, **invite)
        except DomainError as error:
            result.failed[index] = error
            continue
        if invite["external_id"] is not None:
            taken.add(invite["external_id"])
    saved = _save(enterprise=enterprise, actor=actor, drafts=list(drafts.values()))
    result.created = dict(zip(drafts, saved))
    return result


def invite_references(invites: Sequence[dict]) -> dict[type, set[str]]:
    """The values that invites (``invite_check``'s keyword arguments) reference, by model."""
    wanted: dict[type, set[str]] = {model: set() for model in (Subject, Office, Employee, Customer)}
    for invite in invites:
        wanted[Subject].add(invite["subject_id"])
        wanted[Office].add(invite["office_id"])
        for participant in invite["participants"]:
            wanted[PARTICIPANT_MODELS[participant.type]].add(participant.participant_id)
        for name, model in OPTIONAL_REFERENCES.items():
            if invite.get(name) is not None:
                wanted.setdefault(model, set()).add(invite[name])
    return wanted


@dataclass
class InviteDraft:
    """An invite that passed every rule: its references found, its location located, nothing saved."""

    subject: Referenced
    office: Referenced
    participants: list[tuple[ParticipantInput, Referenced]]
    meeting_type: str
    location: Location | None  # a new location, to save with the invite
    location_id: int | None  # or an existing one: the office's
    listing: Referenced | None
    lead_segment: Referenced | None
    callback_request: Referenced | None
    external_id: str | None
    hybrid: bool | None
    trailing_buffer_time: int
    internal_notes: str | None
    message: str | None


def invite_check(
    *,
    references: dict[type, dict[str, Referenced]],
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
    geocoder: Geocoder = geocode,
) -> InviteDraft:
    """The business rules of an invite, in the contract's order: the one place they live.

    ``references`` are the rows the invite's values name (``referenced_rows``). Raises the
    ``DomainError`` of the first rule that fails, else returns the unsaved draft. ``geocoder`` turns
    an address without coordinates into ``(latitude, longitude)``.
    """

    def found(model, value, error, property, field=None):
        row = references.get(model, {}).get(value)
        if row is None:
            raise error(property=property, id=value, field=field)
        return row

    def found_optional(model, value, error, property):
        return None if value is None else found(model, value, error, property)

    subject = found(Subject, subject_id, SubjectNotFound, "subjectId")
    office = found(Office, office_id, OfficeNotFound, "officeId")
    people = [
        found(
            PARTICIPANT_MODELS[participant.type],
            participant.participant_id,
            ParticipantNotFound,
            f"appointmentParticipants/{index}/participantId",
            field="appointmentParticipants",
        )
        for index, participant in enumerate(participants)
    ]
    listing = found_optional(Listing, listing_id, ListingNotFound, "listingId")
    lead_segment = found_optional(LeadSegment, lead_segment_id, LeadSegmentNotFound, "leadSegmentId")
    callback_request = found_optional(CallbackRequest, callback_request_id, CallbackRequestNotFound, "callbackRequestId")
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
    new_location = None if location is None else _located(location, geocoder)
    return InviteDraft(
        subject=subject,
        office=office,
        participants=list(zip(participants, people)),
        meeting_type=meeting_type,
        location=new_location,
        # An office meeting without a location of its own meets at the office.
        location_id=office.location_id if location is None and meeting_type == Appointment.MeetingType.OFFICE else None,
        listing=listing,
        lead_segment=lead_segment,
        callback_request=callback_request,
        external_id=external_id,
        hybrid=hybrid,
        trailing_buffer_time=trailing_buffer_time or 0,
        internal_notes=internal_notes,
        message=message,
    )


def _save(*, enterprise: Enterprise, actor: Actor, drafts: list[InviteDraft]) -> list[Appointment]:
    """Write checked drafts: their new locations, the appointments and their participants, one
    ``bulk_create`` per table however many drafts and participants there are."""
    Location.objects.bulk_create([draft.location for draft in drafts if draft.location is not None])
    now = timezone.now()
    appointments = Appointment.objects.bulk_create([_new_appointment(enterprise, actor, draft, now) for draft in drafts])
    for appointment, draft in zip(appointments, drafts):
        # Kept on the appointment, in their order, so that its answer need not read them back.
        appointment.participant_list = [
            AppointmentParticipant(
                appointment=appointment,
                role=participant.role,
                type=participant.type,
                employee_id=person.pk if participant.type == AppointmentParticipant.Type.EMPLOYEE else None,
                customer_id=person.pk if participant.type == AppointmentParticipant.Type.CUSTOMER else None,
                **_video_links(draft.meeting_type),
            )
            for participant, person in draft.participants
        ]
    AppointmentParticipant.objects.bulk_create([p for appointment in appointments for p in appointment.participant_list])
    # Each customer's invite message, sent after commit: one more INSERT for the whole batch.
    invite_messages_write(
        recipients=[
            (appointment.pk, participant.customer_id)
            for appointment in appointments
            for participant in appointment.participant_list
            if participant.type == AppointmentParticipant.Type.CUSTOMER
        ]
    )
    return appointments


def _new_appointment(enterprise: Enterprise, actor: Actor, draft: InviteDraft, now) -> Appointment:
    appointment = Appointment(
        enterprise=enterprise,
        external_id=draft.external_id,
        status=Appointment.Status.OUTGOING_INVITE,
        subject_id=draft.subject.pk,
        office_id=draft.office.pk,
        callback_request_id=draft.callback_request and draft.callback_request.pk,
        listing_id=draft.listing and draft.listing.pk,
        lead_segment_id=draft.lead_segment and draft.lead_segment.pk,
        meeting_type=draft.meeting_type,
        location_id=draft.location_id,
        hybrid=draft.hybrid,
        trailing_buffer_time=draft.trailing_buffer_time,
        internal_notes=draft.internal_notes,
        message_for_customer=draft.message,
        created_at=now,
        created_by_type=actor.type,
        created_by_id=actor.id,
        created_from=actor.channel,
        updated_at=now,
        updated_by_type=actor.type,
        updated_by_id=actor.id,
        updated_from=actor.channel,
    )
    if draft.location is not None:
        appointment.location = draft.location  # its own, saved just before
    return appointment


def _located(location: LocationInput, geocoder: Geocoder) -> Location:
    """An unsaved Location with coordinates (given, or geocoded) and its time zone."""
    if location.latitude is not None and location.longitude is not None:
        latitude, longitude = location.latitude, location.longitude
    else:
        latitude, longitude = geocoder(location.address())
    # Every translation column given, None where the caller gave no value: for one not given,
    # modeltranslation computes the default under its language, which cost a third of an
    # imported row's time.
    translated = {
        f"{part}_{to_storage(language)}": location.translations.get(part, {}).get(language)
        for part in Location.TRANSLATED_FIELDS
        for language in API_LANGUAGES
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


# --- After the invite: booking and the actions of the lifecycle ---------------------------------


class AppointmentNotFound(DomainError):
    code = "APPOINTMENT_NOT_FOUND"
    default_message = _("Appointment not found")
    status = 404
    type = "NOT_FOUND"


class AppointmentStatusInvalid(DomainError):
    code = "APPOINTMENT_STATUS_INVALID"
    default_message = _("The appointment's status does not allow this action")


class AppointmentNotStarted(DomainError):
    code = "APPOINTMENT_NOT_STARTED"
    default_message = _("The appointment has not started yet")


Status = Appointment.Status
# The statuses each action may start from (the contract's table of transitions).
RESCHEDULE_FROM = Appointment.OPEN_STATUSES
ACCEPT_FROM = (Status.INCOMING_REQUEST,)
CANCEL_FROM = Appointment.OPEN_STATUSES
ALTERNATIVE_FROM = (Status.OUTGOING_INVITE,)
OUTCOME_FROM = (Status.ACCEPTED,)  # complete and no-show, once it has started


def appointment_reschedule(
    *,
    enterprise: Enterprise,
    appointment_id: int,
    actor: Actor,
    start: datetime,
    end: datetime | None = None,
    message: str | None = None,
    notify_customer: bool = True,
) -> Appointment:
    """Give the appointment a time, or move it: ``start`` must be one of its free slots now
    (``end`` defaults to start + the subject's duration). It is then ACCEPTED, or, where the
    subject needs an employee to accept, INCOMING_REQUEST. Raises ``AppointmentNoAvailability``
    when the time is not free, also when another booking took it a moment before.
    ``notify_customer`` is recorded on the history row, for the notifications."""
    with transaction.atomic():
        appointment = _locked(enterprise, appointment_id)
        _require_status(appointment, RESCHEDULE_FROM)
        rules = availability_rules(appointment)
        duration = end - start if end is not None else timedelta(minutes=rules.estimated_duration)
        time_hold(appointment=appointment, start=start, duration=duration, rules=rules)
        keeps_request = appointment.status == Status.INCOMING_REQUEST or not rules.auto_accept
        return _transition(
            appointment,
            actor,
            action="reschedule",
            to=Status.INCOMING_REQUEST if keeps_request else Status.ACCEPTED,
            message=message or "",
            notify_customer=notify_customer,
            start=start,
            end=start + duration,
        )


def appointment_time_slots(
    *, enterprise: Enterprise, appointment_id: int, window_start: datetime, window_end: datetime
) -> tuple[Appointment, list[Slot]]:
    """The times ``appointment_reschedule`` would accept now, starting in ``[window_start,
    window_end)``, with the appointment (its office's location selected, for the time zone). Only
    for an appointment that may be rescheduled: else ``AppointmentStatusInvalid``, as the
    reschedule would answer. A read: nothing is locked, and a slot may be gone when it is booked.
    A fixed number of queries, however long the window."""
    appointment = (
        Appointment.objects.select_related("office__location")
        .prefetch_related("participants")
        .filter(enterprise=enterprise, pk=appointment_id)
        .first()
    )
    if appointment is None:
        raise AppointmentNotFound(arguments={"id": str(appointment_id)})
    _require_status(appointment, RESCHEDULE_FROM)
    return appointment, free_slots(appointment=appointment, window_start=window_start, window_end=window_end)


def appointment_accept(*, enterprise: Enterprise, appointment_id: int, actor: Actor) -> Appointment:
    """An employee accepts a requested time: INCOMING_REQUEST → ACCEPTED."""
    with transaction.atomic():
        appointment = _locked(enterprise, appointment_id)
        _require_status(appointment, ACCEPT_FROM)
        return _transition(appointment, actor, action="accept", to=Status.ACCEPTED)


def appointment_request_alternative(
    *, enterprise: Enterprise, appointment_id: int, actor: Actor, message: str | None = None
) -> Appointment:
    """The customer finds none of the free times suits them (with an optional message for staff):
    OUTGOING_INVITE → ALTERNATIVE_DATE_REQUESTED. Staff then offer again or pick a time."""
    with transaction.atomic():
        appointment = _locked(enterprise, appointment_id)
        _require_status(appointment, ALTERNATIVE_FROM)
        return _transition(
            appointment, actor, action="request-alternative", to=Status.ALTERNATIVE_DATE_REQUESTED, message=message or ""
        )


def appointment_cancel(
    *,
    enterprise: Enterprise,
    appointment_id: int,
    actor: Actor,
    reason: str = "",
    message: str | None = None,
    notify_customer: bool = True,
) -> Appointment:
    """Cancel an open appointment; the time it held is free again, and its links stop working.
    ``notify_customer`` is recorded on the history row, for the notifications."""
    with transaction.atomic():
        appointment = _locked(enterprise, appointment_id)
        _require_status(appointment, CANCEL_FROM)
        time_release(appointment=appointment)
        invite_links_revoke(appointment=appointment)
        return _transition(
            appointment,
            actor,
            action="cancel",
            to=Status.CANCELLED,
            reason=reason,
            message=message or "",
            notify_customer=notify_customer,
        )


def appointment_complete(*, enterprise: Enterprise, appointment_id: int, actor: Actor) -> Appointment:
    """An accepted appointment that has started took place: → COMPLETED."""
    return _outcome(enterprise, appointment_id, actor, action="complete", to=Status.COMPLETED)


def appointment_mark_no_show(*, enterprise: Enterprise, appointment_id: int, actor: Actor) -> Appointment:
    """The customer did not come to an accepted appointment that has started: → NO_SHOW."""
    return _outcome(enterprise, appointment_id, actor, action="no-show", to=Status.NO_SHOW)


def _outcome(enterprise: Enterprise, appointment_id: int, actor: Actor, *, action: str, to: str) -> Appointment:
    with transaction.atomic():
        appointment = _locked(enterprise, appointment_id)
        _require_status(appointment, OUTCOME_FROM)
        if appointment.start > timezone.now():
            raise AppointmentNotStarted(arguments={"start": appointment.start.isoformat()})
        time_release(appointment=appointment)
        invite_links_revoke(appointment=appointment)
        return _transition(appointment, actor, action=action, to=to)


def _locked(enterprise: Enterprise, appointment_id: int) -> Appointment:
    """The enterprise's appointment, locked until the transaction ends (its own row only)."""
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("office__location")
        .prefetch_related("participants")
        .filter(enterprise=enterprise, pk=appointment_id)
        .first()
    )
    if appointment is None:
        raise AppointmentNotFound(arguments={"id": str(appointment_id)})
    return appointment


def _require_status(appointment: Appointment, allowed: Sequence[str]) -> None:
    if appointment.status not in allowed:
        allowed_states = [status for status in Status.values if status in allowed]  # in the contract's order
        raise AppointmentStatusInvalid(arguments={"status": appointment.status, "allowedStates": allowed_states})


def _transition(
    appointment: Appointment,
    actor: Actor,
    *,
    action: str,
    to: str,
    reason: str = "",
    message: str = "",
    notify_customer: bool = True,
    **changes,
) -> Appointment:
    """Save the appointment in status ``to`` with ``changes``, who changed it, and a history row."""
    now = timezone.now()
    change = AppointmentStatusChange.objects.create(
        appointment=appointment,
        action=action,
        from_status=appointment.status,
        to_status=to,
        start=changes.get("start", appointment.start),
        reason=reason,
        message=message,
        notify_customer=notify_customer,
        at=now,
        by_type=actor.type,
        by_id=actor.id,
        channel=actor.channel,
    )
    changes.update(
        status=to, updated_at=now, updated_by_type=actor.type, updated_by_id=actor.id, updated_from=actor.channel
    )
    for name, value in changes.items():
        setattr(appointment, name, value)
    appointment.save(update_fields=list(changes))
    change_messages_write(appointment=appointment, change=change)  # who hears of it, sent after commit
    logger.info(
        "Appointment %s: %s, now %s, by %s %s via %s", appointment.pk, action, to, actor.type, actor.id, actor.channel
    )
    return appointment


# --- Sending the invite again --------------------------------------------------------------------

RESEND_INVITE_FROM = (Status.OUTGOING_INVITE, Status.ALTERNATIVE_DATE_REQUESTED)


def appointment_resend_invite(
    *, enterprise: Enterprise, appointment_id: int, actor: Actor, message: str | None = None
) -> Appointment:
    """Invite the customers again, each with a new link that stops every older one (issued when
    the message is sent): an invite stays OUTGOING_INVITE, one where no time suited the customer
    (ALTERNATIVE_DATE_REQUESTED) becomes OUTGOING_INVITE again. ``message`` is shown in the
    invite instead of the appointment's own message."""
    with transaction.atomic():
        appointment = _locked(enterprise, appointment_id)
        _require_status(appointment, RESEND_INVITE_FROM)
        return _transition(
            appointment, actor, action="resend-invite", to=Status.OUTGOING_INVITE, message=message or ""
        )

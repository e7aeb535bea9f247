"""Business operations on appointments. ``invite_create`` is the one operation that writes an
invite: the API, the staff pages and the admin call it. It is two phases, which the bulk import
(appointments/imports.py) calls directly to work in batches: ``invite_check`` (the business rules,
the only copy) and ``invites_write`` (the only code that saves invites)."""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.errors import DomainError
from config.inserts import Condition, Rows, insert_tables
from config.instances import loaded, unsaved
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


class References(Protocol):
    """Where the rules find the rows an invite references, within one enterprise.
    ``invite_create`` presumes them (``PresumedReferences``, confirmed by the write) or loads one
    invite's rows in one query (``PreloadedReferences``); the importer answers from rows it loaded
    for a whole batch."""

    def one(self, model: type[Model], value: str) -> Model | None:
        """The row that ``value`` names, or None."""

    def many(self, model: type[Model], values: Collection[str]) -> dict[str, Model]:
        """The rows that ``values`` name, by value; values that name nothing are left out."""


PARTICIPANT_MODELS = {AppointmentParticipant.Type.EMPLOYEE: Employee, AppointmentParticipant.Type.CUSTOMER: Customer}


def invite_references(fields: dict) -> dict[type[Model], set[str]]:
    """The values an invite's ``invite_check`` keyword arguments reference, by model."""
    wanted: dict[type[Model], set[str]] = {model: set() for model in (Subject, Office, *PARTICIPANT_MODELS.values())}
    wanted[Subject].add(fields["subject_id"])
    wanted[Office].add(fields["office_id"])
    for participant in fields["participants"]:
        if participant.type in PARTICIPANT_MODELS:
            wanted[PARTICIPANT_MODELS[participant.type]].add(participant.participant_id)
    for model, name in ((Listing, "listing_id"), (LeadSegment, "lead_segment_id"), (CallbackRequest, "callback_request_id")):
        if fields.get(name) is not None:
            wanted.setdefault(model, set()).add(fields[name])
    return wanted


class PreloadedReferences:
    """Every row one invite names, found with a single query (a ``UNION ALL`` over the tables).

    Rows come back with only their id and foreign keys loaded (the other fields are deferred, so
    reading one loads it rather than returning a blank). An office meeting without a location
    loads the office's location when it is read.
    """

    def __init__(self, enterprise: Enterprise, wanted: dict[type[Model], Collection[str]]):
        self.found = {model: {} for model in wanted}
        shape, params = _references_query(enterprise, wanted)
        if not shape:
            return
        models = [model for model, _ in shape]
        with connection.cursor() as cursor:
            cursor.execute(_references_sql(shape), params)
            rows = cursor.fetchall()
        for index, pk, location_id in rows:
            model = models[index]
            extra = {"location_id": location_id} if model is Office else {}
            self.found[model][pk] = loaded(model, id=pk, enterprise_id=enterprise.pk, **extra)

    def one(self, model, value):
        return self.found.get(model, {}).get(parse_id(value))

    def many(self, model, values):
        rows = self.found.get(model, {})
        return {value: rows[parse_id(value)] for value in values if parse_id(value) in rows}


class PresumedReferences:
    """Every row one invite names, presumed to exist without a query: a row for every id that
    could name one. ``exist`` is the condition under which the write confirms it, in the same
    statement (``invite_create``)."""

    def __init__(self, enterprise: Enterprise, wanted: dict[type[Model], Collection[str]]):
        self.enterprise = enterprise
        self.enterprise_pk = enterprise.pk  # once, not per presumed row
        self.wanted = wanted

    @functools.cached_property
    def exist(self) -> Condition:
        """True when every presumed row exists (asked only of a draft made, which names a row)."""
        shape, params = _references_query(self.enterprise, self.wanted)
        expected = sum(count for _, count in shape)
        return Condition(f"SELECT COUNT(*) = %s FROM ({_references_sql(shape)}) AS found", [expected, *params])

    def one(self, model, value):
        pk = parse_id(value)
        return None if pk is None else loaded(model, id=pk, enterprise_id=self.enterprise_pk)

    def many(self, model, values):
        return {value: row for value in values if (row := self.one(model, value)) is not None}


def _references_query(
    enterprise: Enterprise, wanted: dict[type[Model], Collection[str]]
) -> tuple[tuple[tuple[type[Model], int], ...], list]:
    """The shape of ``_references_sql`` for ``wanted`` (ids that cannot name a row left out, as
    are models left with none), and its parameters."""
    shape, params, enterprise_pk = [], [], enterprise.pk
    for model, values in wanted.items():
        pks = set(map(parse_id, values))
        pks.discard(None)
        if pks:
            shape.append((model, len(pks)))
            params.append(enterprise_pk)
            params += pks
    return tuple(shape), params


@functools.lru_cache(maxsize=256)
def _references_sql(shape: tuple[tuple[type[Model], int], ...]) -> str:
    """The ``UNION ALL`` for ``(model, number of ids)`` pairs; its parameters are, per model, the
    enterprise's id and the ids. The same shape gives the same text: built once, prepared once."""
    quote = connection.ops.quote_name
    selects = []
    for index, (model, count) in enumerate(shape):
        location = quote(Office._meta.get_field("location").column) if model is Office else "NULL"
        selects.append(
            f"SELECT {index}, {quote(model._meta.pk.column)}, {location} FROM {quote(model._meta.db_table)} "
            f"WHERE {quote(model._meta.get_field('enterprise').column)} = %s "
            f"AND {quote(model._meta.pk.column)} IN ({', '.join(['%s'] * count)})"
        )
    return " UNION ALL ".join(selects)


@dataclass
class InviteDraft:
    """An invite that passed every rule: its rows found, its location located, nothing saved yet."""

    subject: Subject
    office: Office
    participants: list[tuple[ParticipantInput, Employee | Customer]]
    meeting_type: str
    location: Location | None
    saves_location: bool  # False when the location is the office's
    callback_request: CallbackRequest | None
    listing: Listing | None
    lead_segment: LeadSegment | None
    external_id: str | None
    hybrid: bool | None
    trailing_buffer_time: int
    internal_notes: str | None
    message: str | None


def invite_create(
    *, enterprise: Enterprise, actor: Actor, on_created: Callable[[Appointment], None] | None = None, **fields
) -> Appointment:
    """Invite customers to an appointment whose time they will choose later.

    ``fields`` are ``invite_check``'s. Checks the business rules in the contract's order and raises
    the ``DomainError`` of the first that fails; writes nothing unless all pass. The number of
    queries does not depend on the number of participants.

    Usually the rules pass, and one statement checks that the referenced rows exist and writes:
    the draft is made first from rows presumed to exist (``PresumedReferences``), the write
    confirms them. Only when that cannot be settled so (a rule fails on the presumed rows, the
    address needs geocoding, the office's location is needed) or the write finds a row missing,
    the rows are looked up first (``PreloadedReferences``): the rules then answer in their order.

    ``on_created(appointment)``, if given, runs in the transaction that writes the invite: if it
    raises, nothing is saved (an ``Idempotency-Key`` is bound to its appointment this way).
    Otherwise no transaction is opened, the write being atomic by itself; inside a caller's
    transaction the write takes a savepoint, so that its failure leaves that transaction usable.
    """
    wanted = invite_references(fields)

    def check() -> InviteDraft:
        return invite_check(references=PreloadedReferences(enterprise, wanted), **fields)

    def write(draft: InviteDraft, condition: Condition | None = None) -> Appointment | None:
        try:
            if on_created is None and not connection.in_atomic_block:
                written = invites_write(enterprise=enterprise, actor=actor, drafts=[draft], condition=condition)
            else:
                with transaction.atomic():
                    written = invites_write(enterprise=enterprise, actor=actor, drafts=[draft], condition=condition)
                    if written and on_created is not None:
                        on_created(written[0])
        except IntegrityError:
            # A referenced row may have been deleted since the check (a foreign key refused the
            # write, which left nothing behind): then answer as the check does now, else it is a
            # real fault.
            check()
            raise
        return written[0] if written else None

    presumed = PresumedReferences(enterprise, wanted)
    draft = _presumed_draft(presumed, fields)
    appointment = None if draft is None else write(draft, condition=presumed.exist)
    if appointment is None:
        appointment = write(check())
    logger.info(
        "Invite %s created in %s by %s %s via %s", appointment.pk, enterprise.slug, actor.type, actor.id, actor.channel
    )
    return appointment


class _NeedsRows(Exception):
    """Raised where the rules need more than presumed rows."""


def _no_geocoding(address: Address) -> tuple[float, float]:
    # Geocoding goes out to the network: only for an invite whose references were found.
    raise _NeedsRows


def _presumed_draft(references: PresumedReferences, fields: dict) -> InviteDraft | None:
    """The draft the rules make if every referenced row exists, or None where they need more to
    tell: the rows themselves, the network, or the order of their errors (which only the rows
    found can settle: a missing subject is reported before a missing location)."""
    if fields["meeting_type"] == Appointment.MeetingType.OFFICE and fields.get("location") is None:
        return None  # the appointment takes its office's location, read from the office's row
    try:
        return invite_check(references=references, geocoder=_no_geocoding, **fields)
    except (DomainError, _NeedsRows):
        return None


def invite_check(
    *,
    references: References,
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
    geocoder: Callable[[Address], tuple[float, float]] = geocode,
) -> InviteDraft:
    """The business rules of an invite, in the contract's order: the one place they live.

    Raises the ``DomainError`` of the first rule that fails, else returns the unsaved draft.
    ``geocoder`` turns an address without coordinates into ``(latitude, longitude)``.
    """
    subject = _get(references, Subject, subject_id, SubjectNotFound, "subjectId")
    office = _get(references, Office, office_id, OfficeNotFound, "officeId")
    people = _participants(references, participants)
    listing = _get_optional(references, Listing, listing_id, ListingNotFound, "listingId")
    lead_segment = _get_optional(references, LeadSegment, lead_segment_id, LeadSegmentNotFound, "leadSegmentId")
    callback_request = _get_optional(
        references, CallbackRequest, callback_request_id, CallbackRequestNotFound, "callbackRequestId"
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
    # Geocoding talks to the network: callers check before they open a transaction.
    if location is not None:
        new_location = _located(location, geocoder)
    elif meeting_type == Appointment.MeetingType.OFFICE:
        new_location = office.location
    else:
        new_location = None
    return InviteDraft(
        subject=subject,
        office=office,
        participants=list(zip(participants, people)),
        meeting_type=meeting_type,
        location=new_location,
        saves_location=location is not None,
        callback_request=callback_request,
        listing=listing,
        lead_segment=lead_segment,
        external_id=external_id,
        hybrid=hybrid,
        trailing_buffer_time=trailing_buffer_time or 0,
        internal_notes=internal_notes,
        message=message,
    )


def invites_write(
    *, enterprise: Enterprise, actor: Actor, drafts: Sequence[InviteDraft], condition: Condition | None = None
) -> list[Appointment] | None:
    """Save checked drafts, all or none of them: their new locations, appointments and
    participants. On PostgreSQL that is one statement however many drafts and participants there
    are (``config.inserts.insert_tables``); elsewhere one per table, in a transaction.

    With a ``condition`` (e.g. that the rows the drafts reference exist), nothing is written and
    None is returned unless it holds.
    """
    now = timezone.now()
    appointments = [
        unsaved(
            Appointment,
            enterprise_id=enterprise.pk,
            external_id=draft.external_id,
            status=Appointment.Status.OUTGOING_INVITE,
            subject_id=draft.subject.pk,
            office_id=draft.office.pk,
            callback_request_id=_pk(draft.callback_request),
            listing_id=_pk(draft.listing),
            lead_segment_id=_pk(draft.lead_segment),
            meeting_type=draft.meeting_type,
            location_id=None if draft.saves_location else _pk(draft.location),  # a new one: linked below
            hybrid=draft.hybrid,
            trailing_buffer_time=draft.trailing_buffer_time,
            internal_notes=draft.internal_notes,
            message_for_customer=draft.message,
            created_by_type=actor.type,
            created_by_id=actor.id,
            created_from=actor.channel,
            updated_by_type=actor.type,
            updated_by_id=actor.id,
            updated_from=actor.channel,
        )
        for draft in drafts
    ]
    participants = [
        (
            appointment,
            unsaved(
                AppointmentParticipant,
                role=participant.role,
                type=participant.type,
                **{f"{participant.type.lower()}_id": person.pk},
                **_video_links(draft.meeting_type),
            ),
        )
        for appointment, draft in zip(appointments, drafts)
        for participant, person in draft.participants
    ]
    written = insert_tables(
        Rows(Location, [draft.location for draft in drafts if draft.saves_location]),
        Rows(
            Appointment,
            appointments,
            link="location",
            parents=[draft.location if draft.saves_location else None for draft in drafts],
        ),
        Rows(AppointmentParticipant, [row for _, row in participants], link="appointment", parents=[a for a, _ in participants]),
        now=now,
        condition=condition,
    )
    if not written:
        return None
    # The caller renders what was just written: spare it the queries for the location and the
    # participants.
    location_field = Appointment._meta.get_field("location")
    by_appointment = {id(appointment): [] for appointment in appointments}
    for appointment, row in participants:
        by_appointment[id(appointment)].append(row)
    for appointment, draft in zip(appointments, drafts):
        location_field.set_cached_value(appointment, draft.location)
        appointment._prefetched_objects_cache = {"participants": by_appointment[id(appointment)]}
    return appointments


def _pk(instance: Model | None) -> Any:
    return None if instance is None else instance.pk


def parse_id(value: str) -> int | None:
    """API ids are strings; ours are positive 64-bit integers. Anything else matches nothing."""
    if value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


def _get(references: References, model, value, error, property):
    found = references.one(model, value)
    if found is None:
        raise error(property=property, id=value)
    return found


def _get_optional(references: References, model, value, error, property):
    return None if value is None else _get(references, model, value, error, property)


def _participants(references: References, participants: Sequence[ParticipantInput]) -> list[Employee | Customer]:
    """Resolve every participant with one lookup per participant type."""
    found = {}
    for type_, model in PARTICIPANT_MODELS.items():
        values = {p.participant_id for p in participants if p.type == type_}
        if values:
            found[type_] = references.many(model, values)
    rows = []
    for index, participant in enumerate(participants):
        person = found.get(participant.type, {}).get(participant.participant_id)
        if person is None:
            raise ParticipantNotFound(
                property=f"appointmentParticipants/{index}/participantId",
                id=participant.participant_id,
                field="appointmentParticipants",
            )
        rows.append(person)
    return rows


def _located(location: LocationInput, geocoder: Callable[[Address], tuple[float, float]]) -> Location:
    """An unsaved Location with coordinates (given, or geocoded) and its time zone."""
    if location.latitude is not None and location.longitude is not None:
        latitude, longitude = location.latitude, location.longitude
    else:
        latitude, longitude = geocoder(location.address())
    translated = {
        f"{part}_{to_storage(language)}": value
        for part, values in location.translations.items()
        for language, value in values.items()
    }
    return unsaved(
        Location,
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

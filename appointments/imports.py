"""Bulk import of invites: rows of a JSON Lines or CSV file, checked and written in batches.

Every row becomes the API's request body first (a JSONL line *is* one; a CSV row is converted), is
parsed by the API's own ``InviteRequestSerializer`` and goes through the service's own rules
(``invite_check``) and write (``invites_write``). Batching only changes how often the database is
asked: the references of a whole batch are loaded in one query per model, and the batch's invites
are written with three INSERTs. A row that fails never stops the others.
"""

from __future__ import annotations

import csv
import json
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from functools import partial
from itertools import islice
from typing import IO, Any

from django.db import DatabaseError, connection, connections, transaction
from django.db.models import Model, Q
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.utils.json import strict_constant

from config.errors import DomainError
from config.exceptions import EXCEPTION_CODES, validation_code, validation_violations
from config.instances import loaded
from locations.geocoding import Address, GeocodingUnavailable, geocode
from locations.languages import API_LANGUAGES
from locations.models import Location
from participants.models import Enterprise

from .api.serializers import parse_invite_request
from .models import Appointment, Office
from .services import Actor, InviteDraft, invite_check, invite_references, invites_write, parse_id

EXTERNAL_PREFIX = "external://"
DEFAULT_BATCH_SIZE = 1000
# Every value a batch looks up is a bind parameter, and PostgreSQL takes at most 65,535 in a
# statement with server-side binding: lookups go in chunks, and a batch's external ids must fit.
MAX_BATCH_SIZE = 10_000
LOOKUP_CHUNK = 10_000


@dataclass(frozen=True)
class RowError:
    """One violation of one row: ``line`` is where the row starts in the file (1-based)."""

    line: int
    code: str
    message: str
    pointer: str = ""


@dataclass(frozen=True)
class Row:
    """A row as read: the request body it stands for, or why it could not be read."""

    line: int
    body: Any = None
    error: RowError | None = None


# --- Reading -------------------------------------------------------------------------------------


def read_jsonl(stream: IO[str]) -> Iterator[Row]:
    """One request body per line; blank lines are ignored. JSON is parsed as strictly as the API
    does (no NaN or Infinity)."""
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            yield Row(number, body=json.loads(line, parse_constant=strict_constant))
        except ValueError as error:
            yield Row(number, error=RowError(number, EXCEPTION_CODES[ParseError], f"JSON parse error - {error}"))


# CSV columns: the body's scalar properties by name, participants in one cell, the location flat.
CSV_SCALARS = (
    "externalId",
    "subjectId",
    "officeId",
    "meetingType",
    "callbackRequestId",
    "listingId",
    "leadSegmentId",
    "internalNotes",
    "message",
)
CSV_PARTICIPANTS = "participants"
CSV_LOCATION = ("countryCode", "postalCode", "latitude", "longitude")
CSV_TRANSLATED = tuple(f"{part}_{language}" for part in Location.TRANSLATED_FIELDS for language in API_LANGUAGES)
CSV_COLUMNS = (*CSV_SCALARS, CSV_PARTICIPANTS, "hybrid", "trailingBufferTime", *CSV_LOCATION, *CSV_TRANSLATED)
CSV_REQUIRED = ("subjectId", "officeId", "meetingType", CSV_PARTICIPANTS)
_INTEGER = re.compile(r"[+-]?\d+")


class CsvHeaderError(ValueError):
    pass


def read_csv(stream: IO[str]) -> Iterator[Row]:
    """One invite per record after the header row. Cells are trimmed; an empty cell is an absent
    property. Line numbers are those where a record starts (the header is line 1)."""
    reader = csv.reader(stream)
    header = [name.strip() for name in next(reader, [])]
    unknown = [name for name in header if name not in CSV_COLUMNS]
    missing = [name for name in CSV_REQUIRED if name not in header]
    if unknown or missing:
        problems = [f"unknown columns: {', '.join(unknown)}"] * bool(unknown)
        problems += [f"missing columns: {', '.join(missing)}"] * bool(missing)
        raise CsvHeaderError(f"CSV header: {'; '.join(problems)}")
    end = reader.line_num
    for cells in reader:
        start, end = end + 1, reader.line_num
        if not cells:
            continue
        if len(cells) > len(header):
            message = f"The row has {len(cells)} cells, the header names {len(header)}"
            yield Row(start, error=RowError(start, "CSV_TOO_MANY_CELLS", message))
            continue
        yield Row(start, body=csv_body({name: cell.strip() for name, cell in zip(header, cells) if cell.strip()}))


def csv_body(cells: dict[str, str]) -> dict:
    """The API request body for a CSV record (non-empty cells by column). Values that cannot be
    converted are passed on as text, so that the serializer reports them like the API would."""
    body: dict[str, Any] = {name: cells[name] for name in CSV_SCALARS if name in cells}
    if CSV_PARTICIPANTS in cells:
        body["appointmentParticipants"] = [_csv_participant(item) for item in cells[CSV_PARTICIPANTS].split(";")]
    if "hybrid" in cells:
        body["hybrid"] = {"true": True, "false": False}.get(cells["hybrid"].lower(), cells["hybrid"])
    if "trailingBufferTime" in cells:
        value = cells["trailingBufferTime"]
        body["trailingBufferTime"] = int(value) if _INTEGER.fullmatch(value) else value
    if any(name in cells for name in (*CSV_LOCATION, *CSV_TRANSLATED)):
        body["location"] = _csv_location(cells)
    return body


def _csv_participant(item: str) -> dict:
    """``ROLE:TYPE:ID``; the id may contain colons (``external://…``)."""
    parts = [part.strip() for part in item.split(":", 2)]
    return {key: value for key, value in zip(("role", "type", "participantId"), parts) if value}


def _csv_location(cells: dict[str, str]) -> dict:
    location: dict[str, Any] = {name: cells[name] for name in ("countryCode", "postalCode") if name in cells}
    coordinates = {name: _number(cells[name]) for name in ("latitude", "longitude") if name in cells}
    if coordinates:
        location["geolocation"] = coordinates
    translations: dict[str, list] = {}
    for part in Location.TRANSLATED_FIELDS:
        items = [
            {"language": language, "value": cells[f"{part}_{language}"]}
            for language in API_LANGUAGES
            if f"{part}_{language}" in cells
        ]
        if items:
            translations[part] = items
    location["translations"] = translations
    return location


def _number(value: str) -> float | str:
    try:
        return float(value) if value.lower().lstrip("+-") not in ("nan", "inf", "infinity") else value
    except ValueError:
        return value


# --- References ----------------------------------------------------------------------------------


class ImportReferences:
    """References by id or by the resource's own ``external://VALUE``, within the enterprise,
    answered from rows loaded up front: one query per model for a whole batch."""

    querysets = {Office: Office.objects.select_related("location")}

    def __init__(self, enterprise: Enterprise):
        self.enterprise = enterprise
        self.found: dict[type, dict[str, Any]] = {}

    def _queryset(self, model):
        return self.querysets.get(model, model._default_manager).filter(enterprise=self.enterprise)

    def load(self, wanted: dict[type, set[str]]) -> ImportReferences:
        self.found = {model: self._load(model, values) for model, values in wanted.items()}
        return self

    def load_for(self, invites: Iterable[dict]) -> ImportReferences:
        """Load what the given ``invite_check`` keyword arguments reference."""
        wanted: dict[type, set[str]] = defaultdict(set)
        for invite in invites:
            for model, values in invite_references(invite).items():
                wanted[model] |= values
        return self.load(wanted)

    def _load(self, model, values: set[str]) -> dict[str, Any]:
        ids = {parse_id(value) for value in values} - {None}
        external = {value.removeprefix(EXTERNAL_PREFIX) for value in values if value.startswith(EXTERNAL_PREFIX)}
        if not ids and not external:
            return {}
        by_id, by_external = {}, {}
        ids, external = sorted(ids), sorted(external)
        for start in range(0, max(len(ids), len(external)), LOOKUP_CHUNK):
            window = slice(start, start + LOOKUP_CHUNK)
            matching = self._queryset(model).filter(Q(pk__in=ids[window]) | Q(external_id__in=external[window]))
            for row in self._rows(model, matching):
                by_id[row.pk] = row
                by_external[row.external_id] = row
        found = {}
        for value in values:
            row = (
                by_external.get(value.removeprefix(EXTERNAL_PREFIX))
                if value.startswith(EXTERNAL_PREFIX)
                else by_id.get(parse_id(value))
            )
            if row is not None:
                found[value] = row
        return found

    def _rows(self, model, matching) -> Iterable[Model]:
        if model in self.querysets:
            return matching
        # The rows only serve as foreign keys: their id and external id, built without the ORM's
        # per-row work (a batch may reference thousands); other columns load when read.
        pk = model._meta.pk.attname
        return (
            loaded(model, **{pk: id_, "external_id": external_id, "enterprise_id": self.enterprise.pk})
            for id_, external_id in matching.values_list("pk", "external_id")
        )

    def one(self, model, value):
        return self.found.get(model, {}).get(value)

    def many(self, model, values):
        found = self.found.get(model, {})
        return {value: found[value] for value in values if value in found}


# --- Geocoding -----------------------------------------------------------------------------------


def address_key(address: Address) -> tuple:
    """A hashable stand-in for an Address (its translated parts are dicts)."""
    return (
        address.country_code.upper(),
        address.postal_code,
        *(tuple(sorted(getattr(address, part).items())) for part in Location.TRANSLATED_FIELDS),
    )


class GeocodeOnce:
    """Geocode each distinct address once per run. "No such place" is remembered like a success;
    an outage is not (a later row with the same address asks again)."""

    def __init__(self, geocoder: Callable[[Address], tuple[float, float]] = geocode):
        self.geocoder = geocoder
        self.known: dict[tuple, tuple[float, float] | DomainError] = {}

    def __call__(self, address: Address) -> tuple[float, float]:
        key = address_key(address)
        if key not in self.known:
            try:
                self.known[key] = self.geocoder(address)
            except GeocodingUnavailable:
                raise
            except DomainError as error:
                self.known[key] = error
        found = self.known[key]
        if isinstance(found, DomainError):
            raise found.with_traceback(None)
        return found


# --- The run -------------------------------------------------------------------------------------


@dataclass
class ImportSummary:
    rows: int = 0
    created: int = 0  # with dry_run or rolled_back: rows that would have been created
    skipped: int = 0
    failed: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    rolled_back: bool = False

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


class InviteImport:
    """Import rows into one enterprise. ``on_error`` hears of every violation, ``on_batch`` of the
    summary after every batch.

    A row whose ``externalId`` already exists in the enterprise (or earlier in the file) is skipped.
    Without ``atomic`` each batch is written in one transaction and, should that fail, row by row,
    so that each row is all or nothing; with ``atomic`` the whole run is one transaction, rolled
    back if any row failed. ``dry_run`` checks everything and writes nothing.
    """

    def __init__(
        self,
        *,
        enterprise: Enterprise,
        actor: Actor,
        dry_run: bool = False,
        atomic: bool = False,
        batch_size: int = DEFAULT_BATCH_SIZE,
        geocoder: Callable[[Address], tuple[float, float]] = geocode,
        on_error: Callable[[RowError], None] = lambda error: None,
        on_batch: Callable[[ImportSummary], None] = lambda summary: None,
    ):
        self.enterprise = enterprise
        self.actor = actor
        self.atomic = atomic
        self.batch_size = batch_size
        self.geocoder = GeocodeOnce(geocoder)
        self.on_error = on_error
        self.on_batch = on_batch
        self.seen_external_ids: set[str] = set()
        self.summary = ImportSummary(dry_run=dry_run)

    def run(self, rows: Iterable[Row]) -> ImportSummary:
        started = time.monotonic()
        with transaction.atomic() if self.atomic else nullcontext(), self._writer() as write:
            rows = iter(rows)
            pending = None  # the previous batch: how its check went, and its write under way
            while batch := list(islice(rows, self.batch_size)):
                checked, drafts = self._batch(batch)
                if pending is not None:
                    self._finish(*pending, started)
                pending = (checked, write(drafts))
            if pending is not None:
                self._finish(*pending, started)
            if self.atomic and self.summary.failed and not self.summary.dry_run:
                transaction.set_rollback(True)
                self.summary.rolled_back = True
        self.summary.seconds = time.monotonic() - started
        return self.summary

    @contextmanager
    def _writer(self) -> Iterator[Callable[[list], Future]]:
        """How batches are written: in a thread of its own on PostgreSQL, so that the next batch
        is checked while the database works on this one (its foreign-key checks and indexes cost
        as much time as the Python side); in this thread when there is one transaction to stay in
        (``atomic``, or a caller's) or nothing to write."""
        if self.atomic or self.summary.dry_run or connection.vendor != "postgresql" or connection.in_atomic_block:

            def write_here(drafts):
                future = Future()
                future.set_result(self._write(drafts))
                return future

            yield write_here
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-writer") as pool:
            try:
                yield partial(pool.submit, self._write)
            finally:
                pool.submit(connections.close_all).result()  # the writer thread's own connection

    def _finish(self, checked: Checked, write: Future, started: float) -> None:
        """Account for a batch once written, and report its errors in line order."""
        written = write.result()
        for error, external_id in written.refused:
            self.seen_external_ids.discard(external_id)
            checked.fail([error])
        self.summary.rows += checked.rows
        self.summary.created += written.created
        self.summary.skipped += checked.skipped + written.skipped
        self.summary.failed += checked.failed
        for error in sorted(checked.errors, key=lambda error: error.line):
            self.on_error(error)
        self.summary.seconds = time.monotonic() - started
        self.on_batch(self.summary)

    def _batch(self, batch: list[Row]) -> tuple[Checked, list[tuple[int, InviteDraft]]]:
        """Check a batch's rows: how that went, and the drafts to write."""
        checked = Checked(rows=len(batch))
        parsed = [(row.line, invite) for row in batch if (invite := self._parse(row, checked)) is not None]
        external_ids = {invite["external_id"] for _, invite in parsed} - {None}
        existing = self._existing(external_ids)
        references = ImportReferences(self.enterprise).load_for(invite for _, invite in parsed)
        drafts = []
        for line, invite in parsed:
            external_id = invite["external_id"]
            if external_id is not None and (external_id in existing or external_id in self.seen_external_ids):
                checked.skipped += 1
                continue
            try:
                draft = invite_check(references=references, geocoder=self.geocoder, **invite)
            except DomainError as error:
                checked.fail([RowError(line, error.code, error.message, _domain_pointer(error))])
                continue
            if external_id is not None:
                self.seen_external_ids.add(external_id)
            drafts.append((line, draft))
        return checked, drafts

    def _parse(self, row: Row, checked: Checked) -> dict | None:
        """The row's ``invite_check`` keyword arguments, or None after reporting why it has none."""
        if row.error is not None:
            checked.fail([row.error])
            return None
        try:
            return parse_invite_request(row.body)
        except ValidationError as error:
            violations = [
                RowError(row.line, validation_code(detail), str(detail), pointer)
                for pointer, detail in validation_violations(error.detail)
            ]
            checked.fail(violations)
            return None

    def _existing(self, external_ids: set[str]) -> set[str]:
        if not external_ids:
            return set()
        appointments = Appointment.objects.filter(enterprise=self.enterprise, external_id__in=external_ids)
        return set(appointments.values_list("external_id", flat=True))

    def _write(self, drafts: list[tuple[int, InviteDraft]]) -> Written:
        """Write a batch; runs in the writer's thread, so it reports rather than records."""
        written = Written()
        if self.summary.dry_run or (self.atomic and self.summary.failed):
            # Nothing will be kept: checking is all that is left to do.
            written.created = len(drafts)
        elif drafts:
            try:
                self._save(drafts, written)
            except DatabaseError:
                # Find the row(s) the database refused; the others still go in, one transaction each.
                for line, draft in drafts:
                    if draft.saves_location:
                        draft.location.pk = None  # its INSERT was rolled back with the batch
                    try:
                        self._save([(line, draft)], written)
                    except DatabaseError as error:
                        message = str(error).strip().splitlines()[0]
                        written.refused.append((RowError(line, "WRITE_FAILED", message), draft.external_id))
        return written

    def _save(self, drafts: list[tuple[int, InviteDraft]], written: Written) -> None:
        """Write drafts in one transaction (a savepoint under ``atomic``), all or none of them."""
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # Foreign keys are checked at commit by default: checked now, a violation fails
                # this savepoint, not the whole --atomic transaction.
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            # The enterprise's import lock: a row lock that does not block the API's inserts
            # (SQLite serialises writers anyway). Under it, drop the drafts whose externalId
            # appeared since they were checked: another import of the same rows running at once.
            Enterprise.objects.select_for_update(no_key=True).filter(pk=self.enterprise.pk).exists()
            taken = self._existing({draft.external_id for _, draft in drafts} - {None})
            kept = [draft for _, draft in drafts if draft.external_id not in taken]
            invites_write(enterprise=self.enterprise, actor=self.actor, drafts=kept)
        written.skipped += len(drafts) - len(kept)
        written.created += len(kept)


@dataclass
class Checked:
    """How checking a batch went: its rows, those skipped, those failed and their errors."""

    rows: int
    skipped: int = 0
    failed: int = 0
    errors: list[RowError] = field(default_factory=list)

    def fail(self, errors: list[RowError]) -> None:
        self.failed += 1
        self.errors.extend(errors)


@dataclass
class Written:
    """What writing a batch did: rows created, rows skipped (their externalId appeared meanwhile),
    and rows the database refused with their externalIds."""

    created: int = 0
    skipped: int = 0
    refused: list[tuple[RowError, str | None]] = field(default_factory=list)


def _domain_pointer(error: DomainError) -> str:
    """A JSON pointer to what a business error is about: the reference named in its arguments
    (``appointmentParticipants/1/participantId``), else its field, else the whole body."""
    property = error.arguments.get("property") or error.field
    return f"/{property}" if property else ""

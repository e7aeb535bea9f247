"""Bulk import of invites: rows of a JSON Lines or CSV file, checked and written in batches.

Every row becomes the API's request body first (a JSONL line *is* one; a CSV row is converted), is
parsed by the API's own ``InviteRequestSerializer`` and created by ``invites_create``, the batch
form of ``invite_create`` with the same rules. A row that fails never stops the others.
"""

from __future__ import annotations

import csv
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from itertools import islice
from typing import IO, Any

from django.db import DatabaseError, transaction
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.utils.json import strict_constant

from core.errors import DomainError
from core.exceptions import EXCEPTION_CODES, validation_code, validation_violations
from core.languages import API_LANGUAGES
from locations.geocoding import Address, GeocodingUnavailable, geocode
from locations.models import Location
from participants.models import Enterprise

from .api.bulk_parser import InviteBodyParser
from .services import Actor, BatchResult, invites_create

DEFAULT_BATCH_SIZE = 1000
# A batch's external ids are looked up in one statement, within PostgreSQL's 65,535 parameters.
MAX_BATCH_SIZE = 10_000


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
            body = json.loads(line, parse_constant=strict_constant)
        except (ValueError, RecursionError) as error:
            # RecursionError: nested deeper than Python's decoder goes (thousands of levels).
            reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
            yield Row(number, error=RowError(number, EXCEPTION_CODES[ParseError], f"JSON parse error - {reason}"))
        else:
            yield Row(number, body=body)


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
        # Python converts at most 4,300 digits; a number that long is beyond every bound anyway,
        # and its first 4,000 digits say so as well (TOO_LARGE, or TOO_SMALL if negative).
        body["trailingBufferTime"] = int(value[:4000]) if _INTEGER.fullmatch(value) else value
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
    """Import rows into one enterprise through ``invites_create``, a batch at a time.
    ``on_error`` hears of every violation, ``on_batch`` of the summary after every batch.

    A row whose ``externalId`` already exists in the enterprise (or earlier in the file) is skipped.
    Without ``atomic`` each batch is written in one transaction and, should the database refuse it,
    row by row, so that each row is all or nothing; with ``atomic`` the whole run is one
    transaction, rolled back if any row failed. ``dry_run`` checks and writes everything, then
    rolls it back.
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
        self.parse = InviteBodyParser()

    def run(self, rows: Iterable[Row]) -> ImportSummary:
        started = time.monotonic()
        with transaction.atomic() if self.atomic else nullcontext():
            rows = iter(rows)
            while batch := list(islice(rows, self.batch_size)):
                errors = self._import(batch)
                for error in sorted(errors, key=lambda error: error.line):
                    self.on_error(error)
                self.summary.seconds = time.monotonic() - started
                self.on_batch(self.summary)
            if self.atomic and self.summary.failed and not self.summary.dry_run:
                transaction.set_rollback(True)
                self.summary.rolled_back = True
        self.summary.seconds = time.monotonic() - started
        return self.summary

    def _import(self, batch: list[Row]) -> list[RowError]:
        """Import a batch; returns its rows' violations."""
        self.summary.rows += len(batch)
        errors: list[RowError] = []
        invites: list[tuple[int, dict]] = []
        for row in batch:
            try:
                invite = self._parse(row)
            except RowFailed as failed:
                errors.extend(failed.errors)
                continue
            if invite["external_id"] in self.seen_external_ids:
                self.summary.skipped += 1
            else:
                invites.append((row.line, invite))
        try:
            results = [(invites, self._create([invite for _, invite in invites]))]
        except DatabaseError:
            # Find the row(s) the database refused; the others still go in, each all or nothing.
            results = []
            for line, invite in invites:
                try:
                    results.append(([(line, invite)], self._create([invite])))
                except DatabaseError as error:
                    errors.append(RowError(line, "WRITE_FAILED", str(error).strip().splitlines()[0]))
        for rows, result in results:
            for index, error in result.failed.items():
                errors.append(RowError(rows[index][0], error.code, error.message, _domain_pointer(error)))
            self.seen_external_ids.update(rows[index][1]["external_id"] for index in result.created)
            self.seen_external_ids.discard(None)
            self.summary.created += len(result.created)
            self.summary.skipped += len(result.skipped)
        self.summary.failed += len({error.line for error in errors})
        return errors

    def _create(self, invites: list[dict]) -> BatchResult:
        with transaction.atomic():
            result = invites_create(enterprise=self.enterprise, actor=self.actor, invites=invites, geocoder=self.geocoder)
            if self.summary.dry_run:
                transaction.set_rollback(True)
        return result

    def _parse(self, row: Row) -> dict:
        """The row's ``invite_create`` keyword arguments; raises ``RowFailed`` if it has none."""
        if row.error is not None:
            raise RowFailed([row.error])
        try:
            return self.parse(row.body)
        except ValidationError as error:
            raise RowFailed(
                [
                    RowError(row.line, validation_code(detail), str(detail), pointer)
                    for pointer, detail in validation_violations(error.detail)
                ]
            ) from None


class RowFailed(Exception):
    def __init__(self, errors: list[RowError]):
        self.errors = errors


def _domain_pointer(error: DomainError) -> str:
    """A JSON pointer to what a business error is about: the reference named in its arguments
    (``appointmentParticipants/1/participantId``), else its field, else the whole body."""
    property = error.arguments.get("property") or error.field
    return f"/{property}" if property else ""

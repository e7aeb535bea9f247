"""Reads that several doors share, so that they cannot drift apart.

``referenced_rows`` is the one answer to "which row does this id name, for this enterprise": the
API, the staff pages, the admin and the import all resolve an invite's references through it.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

from django.db import models
from django.db.models import F, Q, Value

from participants.models import Customer, Employee, Enterprise

from .models import CallbackRequest, LeadSegment, Listing, Office, Subject

# A door that allows it (the import) may name a row by its own ``externalId``: ``external://VALUE``.
EXTERNAL_PREFIX = "external://"

# The rows an invite may reference, by model: employees only while they are active. (Unordered:
# they are queried together in a UNION, which takes no ordering inside.)
REFERENCEABLE = {
    Subject: Subject.objects.order_by(),
    Office: Office.objects.order_by(),
    Employee: Employee.objects.filter(is_active=True).order_by(),
    Customer: Customer.objects.order_by(),
    Listing: Listing.objects.order_by(),
    LeadSegment: LeadSegment.objects.order_by(),
    CallbackRequest: CallbackRequest.objects.order_by(),
}


# Far below the 65,535 parameters PostgreSQL binds in one statement.
MAX_VALUES_PER_QUERY = 20_000


class Referenced(NamedTuple):
    """What the rules need of a referenced row: its key, and an office's location."""

    pk: int
    location_id: int | None = None


# The most digits an id that names a row can have: every such number fits a 64-bit integer.
ID_MAX_DIGITS = 18


def parse_id(value: str) -> int | None:
    """API ids are strings; ours are positive 64-bit integers. Anything else names nothing."""
    if value.isascii() and value.isdigit() and len(value) <= ID_MAX_DIGITS:
        return int(value)
    return None


def referenced_rows(
    *, enterprise: Enterprise, wanted: dict[type[models.Model], Collection[str]], external_ids: bool = False
) -> dict[type[models.Model], dict[str, Referenced]]:
    """The rows of ``enterprise`` that the given values name, by model and value; values that name
    nothing (in another enterprise, inactive, malformed) are left out. ``external_ids``: the door
    allows ``external://VALUE``.

    One query however many models and values (a ``UNION ALL`` of one ``SELECT`` per model), so that
    an invite costs the same number of queries whatever it references; a large import batch takes
    one query per ``MAX_VALUES_PER_QUERY`` values.
    """
    found: dict[type[models.Model], dict[str, Referenced]] = {model: {} for model in wanted}
    pairs = [(model, value) for model, values in wanted.items() for value in set(values)]
    for start in range(0, len(pairs), MAX_VALUES_PER_QUERY):
        chunk: dict[type[models.Model], list[str]] = {}
        for model, value in pairs[start : start + MAX_VALUES_PER_QUERY]:
            chunk.setdefault(model, []).append(value)
        for model, named in _rows_named(enterprise, chunk, external_ids).items():
            found[model].update(named)
    return found


def _rows_named(enterprise, wanted, external_ids) -> dict[type[models.Model], dict[str, Referenced]]:
    lookups = list(wanted.items())
    selects = []
    for index, (model, values) in enumerate(lookups):
        pks = {pk for pk in map(parse_id, values) if pk is not None}
        names = {v.removeprefix(EXTERNAL_PREFIX) for v in values if v.startswith(EXTERNAL_PREFIX)} if external_ids else set()
        if not pks and not names:
            continue
        location = F("location_id") if model is Office else Value(None, output_field=models.BigIntegerField())
        matching = (Q(pk__in=pks) if pks else Q()) | (Q(external_id__in=names) if names else Q())
        selects.append(
            REFERENCEABLE[model]
            .filter(matching, enterprise_id=enterprise.pk)
            .annotate(ref_model=Value(index), ref_location=location)
        )
    # The columns are named on the union as a whole: Django then selects them in the same order
    # in every SELECT (named on each, they could come out in different orders).
    columns = ("ref_model", "pk", "external_id", "ref_location")
    rows = selects[0].union(*selects[1:], all=True).values_list(*columns) if selects else []

    by_pk = {model: {} for model, _ in lookups}
    by_name = {model: {} for model, _ in lookups}
    for index, pk, external_id, location_id in rows:
        model = lookups[index][0]
        by_pk[model][pk] = by_name[model][external_id] = Referenced(pk, location_id)
    named = {}
    for model, values in lookups:
        named[model] = {}
        for value in values:
            if external_ids and value.startswith(EXTERNAL_PREFIX):
                row = by_name[model].get(value.removeprefix(EXTERNAL_PREFIX))
            else:
                row = by_pk[model].get(parse_id(value))
            if row is not None:
                named[model][value] = row
    return named

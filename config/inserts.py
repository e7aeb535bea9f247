"""Multi-row INSERTs for the invite's write path, which the API and the bulk import share.

``insert_rows`` does what ``QuerySet.bulk_create`` does for these models (one statement per
batch, primary keys set from ``RETURNING``), without what made ``bulk_create`` the largest cost of
an invite: compiling the statement anew on every call, value by value. The SQL text is built once
per model. On PostgreSQL it is the same whatever the number of rows (the rows are one JSON
parameter), so psycopg converts it once and PostgreSQL plans it once (prepared statements, see
``DATABASE_PREPARED_STATEMENTS``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import datetime

from django.db import connection, models
from django.db.models import NOT_PROVIDED, DateTimeField, Field, Model


def insert_rows(model: type[Model], objects: Sequence[Model], *, now: datetime) -> None:
    """INSERT unsaved ``objects`` of ``model`` and set their primary keys.

    Foreign keys are read from their ``_id`` attributes: create related rows first, then the
    instances that point at them. ``auto_now``/``auto_now_add`` columns all get ``now``, so that a
    new row's creation and update times are equal. Call it inside ``transaction.atomic()``: a
    large list may take several statements. No signals are sent, as with ``bulk_create``.
    """
    if not objects:
        return
    fields, stamped = _columns(model)
    prepared_now = fields[stamped.index(True)].get_db_prep_save(now, connection) if any(stamped) else None
    plan = [
        (field.attname, stamp, _plain_type(field), functools.partial(field.get_db_prep_save, connection=connection))
        for field, stamp in zip(fields, stamped)
    ]
    rows = [
        [
            prepared_now
            if stamp
            else value
            if (value := getattr(obj, attname)) is None or type(value) is plain
            else prepare(value)
            for attname, stamp, plain, prepare in plan
        ]
        for obj in objects
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            names = [field.column for field in fields]
            cursor.execute(_json_statement(model), [json.dumps([dict(zip(names, row)) for row in rows], default=_json)])
            # Ids come back in the rows' order, as Django's own bulk_create also assumes.
            pks = [pk for (pk,) in cursor.fetchall()]
        else:
            pks = []
            per_statement = min(connection.ops.bulk_batch_size(fields, objects), len(objects))
            for start in range(0, len(rows), per_statement):
                chunk = rows[start : start + per_statement]
                cursor.execute(_values_statement(model, len(chunk)), [value for row in chunk for value in row])
                pks += [pk for (pk,) in cursor.fetchall()]
    timestamps = {field.attname: now for field, is_stamped in zip(fields, stamped) if is_stamped}
    for obj, pk in zip(objects, pks, strict=True):
        setattr(obj, model._meta.pk.attname, pk)
        obj.__dict__.update(timestamps)
        obj._state.adding = False
        obj._state.db = connection.alias


@functools.cache
def _columns(model: type[Model]) -> tuple[list[Field], list[bool]]:
    """The columns an INSERT names (all but an automatic primary key), and which of them are
    timestamps set on creation."""
    fields = [field for field in model._meta.concrete_fields if field is not model._meta.auto_field]
    for field in fields:
        # What this writer knows how to send: text, numbers, booleans, date-times and foreign keys
        # to them; no database defaults, generated columns or fields that prepare on save.
        target = field.target_field if field.is_relation else field
        supported = target.get_internal_type() in _PLAIN_TYPES or type(field) is DateTimeField
        if not supported or field.db_default is not NOT_PROVIDED or field.generated:
            raise TypeError(f"insert_rows cannot write {model.__name__}.{field.name} ({type(field).__name__})")
    stamped = [isinstance(field, DateTimeField) and (field.auto_now or field.auto_now_add) for field in fields]
    return fields, stamped


# Fields whose value of this exact Python type Django passes to the database unchanged (their
# get_db_prep_save is the identity for it, on every backend we run on); None is passed as is too.
_PLAIN_TYPES = {
    "CharField": str,
    "TextField": str,
    "IntegerField": int,
    "BigIntegerField": int,
    "SmallIntegerField": int,
    "PositiveIntegerField": int,
    "PositiveBigIntegerField": int,
    "PositiveSmallIntegerField": int,
    "AutoField": int,
    "BigAutoField": int,
    "BooleanField": bool,
    "FloatField": float,
}


@functools.cache
def _plain_type(field: Field) -> type | None:
    """The Python type whose values need no preparing for ``field``'s column, if any: preparing
    each of ~60 values per invite one by one was the largest part of writing it."""
    target = field.target_field if field.is_relation else field
    stock = getattr(models, target.get_internal_type(), None)
    if stock is None or type(target).get_db_prep_save is not stock.get_db_prep_save:
        return None
    if type(target).get_prep_value is not stock.get_prep_value:
        return None
    return _PLAIN_TYPES.get(target.get_internal_type())


def _head(model: type[Model]) -> str:
    quote = connection.ops.quote_name
    fields, _ = _columns(model)
    return f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(field.column) for field in fields)})"


@functools.cache
def _json_statement(model: type[Model]) -> str:
    """The rows as one JSON array of objects, one per row, keyed by column. One parameter, not one
    per column: psycopg caches its conversion of a statement only up to 50 parameters, and
    dumps a JSON string in C where it dumps arrays value by value."""
    quote = connection.ops.quote_name
    fields, _ = _columns(model)
    table = quote(model._meta.db_table)
    return (
        f"{_head(model)} SELECT {', '.join(quote(field.column) for field in fields)} "
        f"FROM json_populate_recordset(NULL::{table}, %s) RETURNING {quote(model._meta.pk.column)}"
    )


def _json(value):
    """Values json does not know: datetimes in ISO 8601 with their offset, which PostgreSQL reads
    back exactly; anything else (Decimal, UUID, date) as its string form."""
    return value.isoformat() if isinstance(value, datetime) else str(value)


@functools.lru_cache(maxsize=64)
def _values_statement(model: type[Model], rows: int) -> str:
    fields, _ = _columns(model)
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    returning = connection.ops.quote_name(model._meta.pk.column)
    return f"{_head(model)} VALUES {', '.join([placeholders] * rows)} RETURNING {returning}"

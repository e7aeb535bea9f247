"""Multi-row INSERTs for the invite's write path, which the API and the bulk import share.

``insert_rows`` does what ``QuerySet.bulk_create`` does for these models (one statement per
batch, primary keys set from ``RETURNING``), without what made ``bulk_create`` the largest cost of
an invite: compiling the statement anew on every call, value by value. The SQL text is built once
per model and row count, so that PostgreSQL can also reuse its plan (prepared statements, see
``DATABASE_PREPARED_STATEMENTS``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime

from django.db import connection
from django.db.models import DateTimeField, Field, Model

# The bind-parameter limit of PostgreSQL's protocol (a 16-bit count) with server-side binding.
POSTGRESQL_MAX_PARAMETERS = 65_535


def insert_rows(model: type[Model], objects: Sequence[Model], *, now: datetime) -> None:
    """INSERT unsaved ``objects`` of ``model`` and set their primary keys.

    Foreign keys are read from their ``_id`` attributes: create related rows first, then the
    instances that point at them. ``auto_now``/``auto_now_add`` columns all get ``now``, so that a
    new row's creation and update times are equal. Call it inside ``transaction.atomic()``: a
    large list takes several statements. No signals are sent, as with ``bulk_create``.
    """
    if not objects:
        return
    fields, stamped = _columns(model)
    per_statement = min(
        connection.ops.bulk_batch_size(fields, objects), POSTGRESQL_MAX_PARAMETERS // len(fields), len(objects)
    )
    prepare = [functools.partial(field.get_db_prep_save, connection=connection) for field in fields]
    with connection.cursor() as cursor:
        for start in range(0, len(objects), per_statement):
            chunk = objects[start : start + per_statement]
            params = []
            for obj in chunk:
                params += [
                    prep(now if stamp else getattr(obj, field.attname))
                    for field, stamp, prep in zip(fields, stamped, prepare)
                ]
            cursor.execute(_statement(model, len(chunk), connection.vendor), params)
            for obj, (pk,) in zip(chunk, cursor.fetchall()):
                setattr(obj, model._meta.pk.attname, pk)
                obj.__dict__.update({field.attname: now for field, stamp in zip(fields, stamped) if stamp})
                obj._state.adding = False
                obj._state.db = connection.alias


@functools.cache
def _columns(model: type[Model]) -> tuple[list[Field], list[bool]]:
    """The columns an INSERT names (all but an automatic primary key), and which are timestamps
    the database row gets on creation."""
    fields = [field for field in model._meta.concrete_fields if field is not model._meta.auto_field]
    stamped = [isinstance(field, DateTimeField) and (field.auto_now or field.auto_now_add) for field in fields]
    return fields, stamped


@functools.lru_cache(maxsize=256)
def _statement(model: type[Model], rows: int, vendor: str) -> str:
    quote = connection.ops.quote_name
    fields, _ = _columns(model)
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "
        f"VALUES {', '.join([placeholders] * rows)} RETURNING {quote(model._meta.pk.column)}"
    )

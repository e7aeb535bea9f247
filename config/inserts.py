"""Multi-row INSERTs for the invite's write path, which the API and the bulk import share.

``insert_tables`` does what ``QuerySet.bulk_create`` does, for new rows of several tables where
each table's rows may point at the new rows of the one before (locations ← appointments ←
participants), without what made ``bulk_create`` the largest cost of an invite:

- compiling the statement anew on every call, value by value: the SQL text is built once per
  shape of tables;
- one round trip per table, inside a transaction that costs two more (``BEGIN``, ``COMMIT``):
  on PostgreSQL every table goes in one statement, which is atomic by itself. Its text is the
  same whatever the number of rows (each table's rows are one JSON parameter), so psycopg
  converts it once and PostgreSQL plans it once (prepared statements, see
  ``DATABASE_PREPARED_STATEMENTS``). orjson writes the JSON: Python's json took 4% of an invite's
  instructions doing so.

Elsewhere (SQLite) each table takes its own multi-row ``INSERT``, inside ``transaction.atomic()``.

A ``Condition`` makes the write conditional: nothing is written unless its query answers true when
the rows go in. On PostgreSQL it is part of the same statement, so that checking what the rows
reference costs no round trip of its own.
"""

from __future__ import annotations

import functools
import inspect
import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import orjson
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import NOT_PROVIDED, DateTimeField, Field, Model
from django.utils import timezone
from modeltranslation import utils as translation_utils
from modeltranslation.fields import NONE, TranslationFieldDescriptor
from modeltranslation.thread_context import fallbacks_enabled

# The key that carries, in a row's JSON, the 1-based position of its parent among the previous
# table's new rows. No column has this name: jsonb_populate_record ignores it.
PARENT_KEY = "__parent"


@dataclass(frozen=True)
class Rows:
    """New rows of one table. With ``link`` (the name of a foreign key to the previous table's
    model), ``parents`` pairs each object with one of the previous table's new objects, or with
    None: the foreign key then points at that object's new row, or keeps its own value."""

    model: type[Model]
    objects: Sequence[Model]
    link: str | None = None
    parents: Sequence[Model | None] | None = None


@dataclass(frozen=True)
class Condition:
    """A ``SELECT`` of one boolean value, with its parameters: the rows are written only if it
    answers true. Its text should depend only on the shape of what it checks, so that the
    statement it becomes part of is prepared once."""

    sql: str
    params: Sequence


def insert_tables(*tables: Rows, now: datetime, condition: Condition | None = None) -> bool:
    """INSERT the unsaved objects of each table, all or none of them, and set their primary keys
    and the links to their parents. With a ``condition`` that answers false nothing is written and
    the objects are left as they were; returns whether the rows were written.

    Foreign keys other than ``link`` are read from their ``_id`` attributes. ``auto_now`` and
    ``auto_now_add`` columns all get ``now``, so that a new row's creation and update times are
    equal. No signals are sent, as with ``bulk_create``.
    """
    positions = [_parent_positions(previous, table) for previous, table in zip((None, *tables), tables)]
    # The connection itself, once, for every step of the write: each read through
    # django.db.connection looks it up again in asgiref's Local, 17 K instructions (five per
    # invite were here: 2% of its instructions).
    db = connections[DEFAULT_DB_ALIAS]
    stamp = _prepared_stamp(db, tables, now)
    if db.vendor == "postgresql":
        pks = _insert_in_one_statement(db, tables, positions, stamp, condition)
        if pks is None:
            return False
        for index, (table, parents) in enumerate(zip(tables, positions)):
            _link(table, parents, pks[index - 1] if index else [])
    else:
        with transaction.atomic(using=db.alias):
            if condition is not None and not _holds(db, condition):
                return False
            pks = []
            for table, parents in zip(tables, positions):
                _link(table, parents, pks[-1] if pks else [])
                pks.append(_insert_values(db, table.model, table.objects, stamp))
    for table, table_pks in zip(tables, pks):
        _saved(table, table_pks, now, db.alias)
    return True


def _holds(db: BaseDatabaseWrapper, condition: Condition) -> bool:
    with db.cursor() as cursor:
        cursor.execute(condition.sql, condition.params)
        [(holds,)] = cursor.fetchall()
    return bool(holds)


def _parent_positions(previous: Rows | None, table: Rows) -> list[int | None] | None:
    """For each object of ``table``, the 1-based position of its parent among ``previous``'s
    objects (None: no parent)."""
    if table.link is None:
        return None
    if previous is None or table.parents is None:
        raise ValueError(f"Rows of {table.model.__name__} link to a previous table's rows: give both")
    index = {id(obj): position for position, obj in enumerate(previous.objects, start=1)}
    try:
        return [None if parent is None else index[id(parent)] for parent in table.parents]
    except KeyError:
        raise ValueError(f"A parent of {table.model.__name__} is not among the previous table's rows") from None


def _link(table: Rows, positions: list[int | None] | None, parent_pks: list[int]) -> None:
    """Point each object's ``link`` at its parent's new primary key, if it has a parent."""
    if positions is None:
        return
    attname = table.model._meta.get_field(table.link).attname
    for obj, position in zip(table.objects, positions, strict=True):
        if position is not None:
            setattr(obj, attname, parent_pks[position - 1])


def _saved(table: Rows, pks: list[int], now: datetime, alias: str) -> None:
    """Make the objects what a save to database ``alias`` leaves: their keys and timestamps set,
    their state saved."""
    fields, stamped = _columns(table.model)
    timestamps = {field.attname: now for field, is_stamped in zip(fields, stamped) if is_stamped}
    pk_attname = table.model._meta.pk.attname
    for obj, pk in zip(table.objects, pks, strict=True):
        obj.__dict__[pk_attname] = pk
        obj.__dict__.update(timestamps)
        obj._state.adding = False
        obj._state.db = alias


def _prepared_rows(model: type[Model], objects: Sequence[Model], stamp) -> list[list]:
    """Each object's column values (``_columns`` order), as the database driver takes them;
    ``stamp`` is the creation time, prepared (``_prepared_stamp``)."""
    plan = _current_plan(model)
    return [
        [
            stamp
            if stamped
            else value
            if (value := read(obj)) is None or type(value) is plain
            else prepare(value)
            for _, read, stamped, plain, prepare in plan
        ]
        for obj in objects
    ]


def _documents(model: type[Model], objects: Sequence[Model], stamp) -> list[dict]:
    """Each object as a JSON object keyed by column, without its NULLs: NULL is what
    jsonb_populate_record gives a missing key. ``stamp`` is the creation time, prepared.

    Text of any ``str`` type goes as it is: choices' enum members are ``str`` subclasses, which a
    text column's preparing returns unchanged (a dozen per invite went through it)."""
    plan = _current_plan(model)
    return [
        {
            column: stamp
            if stamped
            else value
            if type(value) is plain or (plain is str and isinstance(value, str))
            else prepare(value)
            for column, read, stamped, plain, prepare in plan
            if stamped or (value := read(obj)) is not None
        }
        for obj in objects
    ]


def _prepared_stamp(db: BaseDatabaseWrapper, tables: Sequence[Rows], now: datetime):
    """``now`` as the database driver takes it, prepared once for every table: each stamped
    column is a plain DateTimeField (``_columns``), and preparing took a few microseconds. On
    PostgreSQL that preparing returns an aware datetime unchanged (psycopg takes it as it is), so
    it is not asked."""
    if db.vendor == "postgresql" and timezone.is_aware(now):
        return now
    for table in tables:
        fields, stamped = _columns(table.model)
        if any(stamped):
            return fields[stamped.index(True)].get_db_prep_save(now, db)
    return None


def _current_plan(model: type[Model]) -> list[tuple[str, Callable, bool, type | None, Callable]]:
    """The plan for the active language (see ``_translated``), asked for once per call."""
    if not _translated(model):
        return _plan(model, None, False)
    return _plan(model, translation_utils.get_language(), fallbacks_enabled())


@functools.lru_cache(maxsize=256)
def _plan(
    model: type[Model], language: str | None, fallbacks: bool
) -> list[tuple[str, Callable, bool, type | None, Callable]]:
    """Per column, how to read and prepare its value: the column, how to read it from an object,
    whether it is a creation timestamp, the type passed as it is, and the field's own preparing
    for other values."""
    fields, stamped = _columns(model)
    translated = _translated(model)
    return [
        (
            field.column,
            _translated_reader(translated[field.attname], language, fallbacks)
            if field.attname in translated
            else operator.attrgetter(field.attname),
            stamp,
            *_preparing(field),
        )
        for field, stamp in zip(fields, stamped)
    ]


def _preparing(field: Field) -> tuple[type | None, Callable]:
    """The type passed as it is, and how other values are prepared. Floats are checked to be
    finite: orjson writes NaN and infinities as JSON's null, which would be stored as NULL; a
    finite float of a plain float column then goes as it is."""
    plain, prepare = _plain_type(field), functools.partial(field.get_db_prep_save, connection=connection)
    if plain is not float:
        return plain, prepare

    def finite(value):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{field.model.__name__}.{field.name} cannot be written: {value} is not a number")
        return value if type(value) is float else prepare(value)

    return None, finite


@functools.cache
def _translated(model: type[Model]) -> dict[str, TranslationFieldDescriptor]:
    """The columns django-modeltranslation keeps for a translated field (``city`` beside
    ``city_en``, …), by attribute. Read as an attribute, such a column asks for the active
    language on every read, which was a tenth of an import's time: the plans ask once a call."""
    found = {}
    for field in _columns(model)[0]:
        descriptor = inspect.getattr_static(model, field.attname, None)
        if isinstance(descriptor, TranslationFieldDescriptor):
            found[field.attname] = descriptor
    return found


def _translated_reader(descriptor: TranslationFieldDescriptor, language: str, fallbacks: bool) -> Callable:
    """What ``descriptor.__get__`` returns with ``language`` active: the first meaningful value
    among the language and its fallbacks, else the fallback value or the field's default
    (``tests/config/test_inserts.py`` holds it to the descriptor)."""
    undefined, default = descriptor.fallback_undefined, NONE
    if undefined is NONE:
        default = undefined = descriptor.field.get_default()
    order = translation_utils.resolution_order(language, descriptor.fallback_languages) if fallbacks else (language,)
    names = tuple(translation_utils.build_localized_fieldname(descriptor.field.name, lang) for lang in order)
    meaningful = descriptor.meaningful_value
    otherwise = descriptor.fallback_value if fallbacks and descriptor.fallback_value is not NONE else default

    def read(obj):
        for name in names:
            if meaningful(value := getattr(obj, name, None), undefined):
                return value
        return descriptor.field.get_default() if otherwise is NONE else otherwise

    return read


# Each table's sequence of primary keys, by model, as the first statement of this process that
# wrote the table looked it up (pg_get_serial_sequence, which searches the catalog on every
# execution); later statements name it, which took 0.012 ms of PostgreSQL's CPU per table off an
# invite's 0.52 (measured side by side). A sequence keeps its name when its table is renamed.
_sequences: dict[type[Model], str] = {}


def _insert_in_one_statement(
    db: BaseDatabaseWrapper,
    tables: Sequence[Rows],
    positions: Sequence[list[int | None] | None],
    stamp,
    condition: Condition | None,
) -> list[list[int]] | None:
    """PostgreSQL: every table in one statement; returns each table's new primary keys, or None
    when the condition did not hold."""
    if isinstance(stamp, datetime):
        stamp = _json(stamp)  # once, rather than orjson's fallback per row
    params = list(condition.params) if condition else []
    for table, parents in zip(tables, positions):
        documents = _documents(table.model, table.objects, stamp)
        for document, position in zip(documents, parents or ()):
            if position is not None:
                document[PARENT_KEY] = position
        params.append(orjson.dumps(documents, default=_json, option=orjson.OPT_PASSTHROUGH_DATETIME).decode())
    shape = tuple((table.model, table.link) for table in tables)
    sequences = tuple(_sequences.get(model) for model, _ in shape)
    with db.cursor() as cursor:
        cursor.execute(_chain_statement(shape, condition.sql if condition else None, sequences), params)
        [(holds, *row)] = cursor.fetchall()
    row, looked_up = row[: len(tables)], iter(row[len(tables) :])
    for (model, _), known in zip(shape, sequences):
        if known is None:
            _sequences[model] = next(looked_up)
    return [list(pks or ()) for pks in row] if holds else None


@functools.lru_cache(maxsize=64)
def _chain_statement(
    shape: tuple[tuple[type[Model], str | None], ...], condition: str | None, sequences: tuple[str | None, ...]
) -> str:
    """One statement for new rows of several tables, each table's rows one JSON array parameter
    (read as jsonb: parsed once, where json would be parsed again by each function reading it).

    ``condition`` is evaluated first, once (an uncorrelated subquery); while it is false no table
    takes a row. Per table ``t<i>``: ``new<i>`` draws a primary key from the table's sequence for
    each row, in the array's order (a volatile CTE is evaluated once, so every reader sees the same
    keys); ``insert<i>`` writes the rows with those keys, the link to the previous table resolved
    from each row's ``__parent`` position. The result is whether the condition held, then one
    array of new keys per table, in order, then the name of each table's sequence that
    ``sequences`` does not give (None there: the statement looks it up).

    The text names no columns, which keeps it under the 4 kB up to which psycopg remembers how it
    converted a statement's placeholders: past that, it parsed all 5 kB of it on every invite. A
    column the model does not know (none of Django's making) is therefore written NULL, not its
    default.
    """
    quote = connection.ops.quote_name
    ctes = [f"condition AS MATERIALIZED (SELECT ({condition}) AS holds)"] if condition else []
    only_if = " WHERE (SELECT holds FROM condition)" if condition else ""
    results = ["(SELECT holds FROM condition)" if condition else "TRUE"]
    previous = None
    looked_up = []
    for index, ((model, link), known) in enumerate(zip(shape, sequences, strict=True)):
        _columns(model)  # refuses what this writer cannot write
        table, pk = quote(model._meta.db_table), model._meta.pk.column
        new, row = f"new{index}", f"row{index}"
        if known is None:
            # Looked up once per execution (an uncorrelated subquery), not per row.
            sequence = f"(SELECT pg_get_serial_sequence('{table}', '{pk}'))"
            looked_up.append(sequence)
        else:
            # A string literal: quotes doubled, and % too (psycopg's placeholders start with it).
            sequence = "'{}'".format(known.replace("'", "''").replace("%", "%%"))
        sequence += "::regclass"
        ctes.append(
            f"{new} AS (SELECT nextval({sequence}) AS id, document, ordinal "
            f"FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS e(document, ordinal){only_if})"
        )
        # Each row is its document's, with its new key and, if it has a parent, the parent's new
        # key laid over it (jsonb_strip_nulls drops the link without a parent: the document's own
        # value stays). Laid over by a second jsonb_populate_record: concatenating the documents
        # (||) rebuilt and sorted each one: 0.03-0.05 ms of PostgreSQL CPU per invite, measured
        # side by side with pgbench.
        keys, parent_join = f"jsonb_build_object('{pk}', {new}.id)", ""
        if link:
            keys = f"jsonb_strip_nulls(jsonb_build_object('{pk}', {new}.id, '{model._meta.get_field(link).column}', {previous}.id))"
            parent_join = f" LEFT JOIN {previous} ON {previous}.ordinal = ({new}.document ->> '{PARENT_KEY}')::bigint"
        # No column list: the record has the table's columns in the table's order.
        ctes.append(
            f"insert{index} AS (INSERT INTO {table} SELECT {row}.* FROM {new}{parent_join} CROSS JOIN LATERAL "
            f"jsonb_populate_record(jsonb_populate_record(NULL::{table}, {new}.document), {keys}) AS {row})"
        )
        results.append(f"(SELECT array_agg(id ORDER BY ordinal) FROM {new})")
        previous = new
    return f"WITH {', '.join(ctes)} SELECT {', '.join(results + looked_up)}"


def _insert_values(db: BaseDatabaseWrapper, model: type[Model], objects: Sequence[Model], stamp) -> list[int]:
    """Other databases: multi-row ``INSERT … VALUES … RETURNING``, as many as the database's
    parameter limit needs; returns the new primary keys."""
    if not objects:
        return []
    fields, _ = _columns(model)
    rows = _prepared_rows(model, objects, stamp)
    pks = []
    per_statement = min(db.ops.bulk_batch_size(fields, objects), len(objects))
    with db.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            cursor.execute(_values_statement(model, len(chunk)), [value for row in chunk for value in row])
            pks += [pk for (pk,) in cursor.fetchall()]
    return pks


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
            raise TypeError(f"insert_tables cannot write {model.__name__}.{field.name} ({type(field).__name__})")
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


def _json(value):
    """Values orjson is not to write itself: datetimes in ISO 8601 with their offset, which
    PostgreSQL reads back exactly; anything else (Decimal, UUID, date) as its string form."""
    return value.isoformat() if isinstance(value, datetime) else str(value)


@functools.lru_cache(maxsize=64)
def _values_statement(model: type[Model], rows: int) -> str:
    quote = connection.ops.quote_name
    fields, _ = _columns(model)
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "
        f"VALUES {', '.join([placeholders] * rows)} RETURNING {quote(model._meta.pk.column)}"
    )

"""Model instances built without ``Model.__init__``, for the invite's hot paths.

Django builds instances this way when it unpickles them: ``__new__``, then the attributes.
``__init__`` resolves every keyword against the model's fields (and modeltranslation wraps it once
more); for the ~50 columns of a location, and the seven rows an invite references, that was a
large share of an invite's Python time. No ``pre_init``/``post_init`` signals are sent.
"""

from __future__ import annotations

import functools

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Model
from django.db.models.base import ModelState


def unsaved(model: type[Model], **values) -> Model:
    """An unsaved ``model(**values)`` (for ``config.inserts.insert_tables``): attribute names
    (``subject_id``, not ``subject``), column defaults for the rest. Related objects can be cached
    with the field's ``set_cached_value``."""
    constants, factories = _defaults(model)
    # A subset test looks up only the values given; a difference walked all ~50 of a location's.
    if not values.keys() <= constants.keys():
        unknown = values.keys() - constants.keys()
        raise TypeError(f"{model.__name__} has no field(s) {', '.join(sorted(unknown))}")
    instance = model.__new__(model)
    state = constants.copy()
    for attname, factory in factories:
        state[attname] = factory()
    state.update(values)
    instance.__dict__.update(state)
    instance._state = ModelState()
    return instance


@functools.cache
def _defaults(model: type[Model]) -> tuple[dict[str, object], list[tuple[str, object]]]:
    """Every concrete field's constant default by attribute name (computed once: modeltranslation's
    fields switch the language to compute theirs), and the fields whose default is a callable."""
    constants, factories = {}, []
    for field in model._meta.concrete_fields:
        callable_default = field.has_default() and callable(field.default)
        constants[field.attname] = None if callable_default else field.get_default()
        if callable_default:
            factories.append((field.attname, field.get_default))
    return constants, factories


def loaded(model: type[Model], **values) -> Model:
    """A row read from the database with only some columns, as ``Model.from_db`` makes it: the
    columns not given are deferred (read from the database if used)."""
    instance = model.__new__(model)
    instance.__dict__.update(values)
    instance._state = ModelState()
    instance._state.adding = False
    instance._state.db = DEFAULT_DB_ALIAS  # what connection.alias answers, without its thread-local lookup
    return instance

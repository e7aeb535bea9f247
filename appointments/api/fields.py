"""Strict JSON fields: DRF's stock fields coerce ("5" → 5, 5 → "5", "true" → True); the contract
types every property, so a value of the wrong JSON type is a 400, never silently converted.

Every field and serializer here also has a fast path for bulk imports, which parse hundreds of
thousands of bodies: it only ever *accepts*, returning what DRF would return for a value it can
prove valid without DRF's generic machinery; anything else (an error, or merely an unusual input)
goes down DRF's own path, so every error is still DRF's, detail for detail."""

import math
import re
import sys
from collections.abc import Mapping
from functools import cached_property

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinLengthValidator,
    MinValueValidator,
    ProhibitNullCharactersValidator,
    RegexValidator,
)
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.fields import SkipField, empty
from rest_framework.settings import api_settings
from rest_framework.validators import ProhibitSurrogateCharactersValidator

NON_FIELD_ERRORS_KEY = api_settings.NON_FIELD_ERRORS_KEY

# Tests turn the fast paths off to compare them with DRF's own path.
FAST_PATHS = True

REJECT = object()  # a fast path's "not proven valid: ask DRF"
_FAILURES = (ValidationError, DjangoValidationError, SkipField)
_SURROGATE = re.compile("[\ud800-\udfff]")
_NUMBER = (int, float)


def _bounds(field, lower: type, upper: type, low, high, ignore: tuple = ()):
    """``(low, high, others)``: every validator of ``lower``/``upper`` type (those DRF's min/max
    options add) passes for ``low <= x <= high``; ``others`` are the validators of ``ignore`` types,
    left to the caller. None when any other validator could fail: only DRF may judge it."""
    others = []
    for validator in field.validators:
        kind = type(validator)
        if kind is lower and type(validator.limit_value) in _NUMBER:  # not a callable limit
            low = max(low, validator.limit_value)
        elif kind is upper and type(validator.limit_value) in _NUMBER:
            high = min(high, validator.limit_value)
        elif kind in ignore:
            others.append(validator)
        else:
            return None
    return low, high, others


def _validated(serializer, value):
    """The end of DRF's ``run_validation`` for a serializer whose members are valid: its validators,
    then ``validate()``; or ``REJECT``. Called only when it could change or refuse the value
    (``_validates``)."""
    try:
        if serializer.validators:
            serializer.run_validators(value)
        value = serializer.validate(value)
    except _FAILURES:
        return REJECT
    return REJECT if value is None else value


def _reject(data):
    return REJECT


class FastAccept:
    """``run_validation`` that first tries the fast path, ``fast(data)``, and takes DRF's path
    (``super()``) when it returns ``REJECT``. Subclasses define ``fast_plan()``, which precomputes
    what the fast path needs or returns None when the field is configured beyond what it knows, and
    ``acceptor(plan)``, which returns the fast path itself: a function of the data alone."""

    @cached_property
    def _validates(self) -> bool:
        """Whether the end of DRF's ``run_validation`` could change or refuse a valid value: not
        without validators and with ``validate()`` as DRF wrote it (asked once per serializer, not
        per object parsed)."""
        inherited = (serializers.Serializer.validate, serializers.ListSerializer.validate)
        return bool(self.validators) or type(self).validate not in inherited

    @cached_property
    def _null(self):
        """What the fast path answers for ``null``: None where DRF accepts it, else ``REJECT``."""
        return None if self.allow_null else REJECT

    @cached_property
    def fast(self):
        """What DRF's ``run_validation(data)`` would return, or ``REJECT``; never DRF's path, so that
        an object whose member is rejected falls back once, as a whole, rather than per level.

        Built once per field, with its plan (and so its configuration) bound in: nested fields then
        cost one call each, where a method and its plan cost two (a quarter of parsing an invite)."""
        # Read-only and source="*" fields take other branches in DRF's validate_empty_values.
        plan = None if self.read_only or self.source == "*" else self.fast_plan()
        return _reject if plan is None else self.acceptor(plan)

    def run_validation(self, data=empty):
        value = self.fast(data) if FAST_PATHS else REJECT
        return super().run_validation(data) if value is REJECT else value


class StrictCharField(FastAccept, serializers.CharField):
    default_error_messages = {"invalid": "Must be a string."}

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)

    def fast_plan(self):
        if self.trim_whitespace:
            return None
        # At least one character: DRF answers "blank" for "" before any validator.
        ignore = (ProhibitNullCharactersValidator, ProhibitSurrogateCharactersValidator, RegexValidator)
        plan = _bounds(self, MinLengthValidator, MaxLengthValidator, 1, sys.maxsize, ignore)
        if plan is None:
            return None
        low, high, others = plan
        # Null and surrogate characters are refused below whether the validators are there or not.
        patterns = tuple((v.regex.search, bool(v.inverse_match)) for v in others if type(v) is RegexValidator)
        return low, high, patterns

    def acceptor(self, plan):
        (low, high, patterns), null = plan, self._null

        def accept(data):
            if (
                type(data) is not str
                or not low <= len(data) <= high
                or "\x00" in data
                or not (data.isascii() or _SURROGATE.search(data) is None)
            ):
                return null if data is None else REJECT
            for search, inverse in patterns:
                if bool(search(data)) is inverse:
                    return REJECT
            return data

        return accept


class StrictChoiceField(FastAccept, serializers.ChoiceField):
    default_error_messages = {"invalid_choice": "Must be one of: {choices}."}

    def to_internal_value(self, data):
        if not isinstance(data, str) or data not in self.choices:
            self.fail("invalid_choice", choices=", ".join(map(str, self.choices)))
        return data

    def fast_plan(self):
        return None if self.validators else ()

    def acceptor(self, plan):
        choices, null = self.choices, self._null

        def accept(data):
            if type(data) is str and data in choices:
                return data
            return null if data is None else REJECT

        return accept


class StrictIntegerField(FastAccept, serializers.IntegerField):
    default_error_messages = {"invalid": "Must be an integer."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)

    def fast_plan(self):
        # Unbounded, DRF's str() round trip refuses integers of thousands of digits: stay far below.
        return _bounds(self, MinValueValidator, MaxValueValidator, -(2**63), 2**63)

    def acceptor(self, plan):
        (low, high, _), null = plan, self._null

        def accept(data):
            if type(data) is int and low <= data <= high:
                return data
            return null if data is None else REJECT

        return accept


class StrictFloatField(FastAccept, serializers.FloatField):
    default_error_messages = {"invalid": "Must be a number."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return super().to_internal_value(data)

    def fast_plan(self):
        return _bounds(self, MinValueValidator, MaxValueValidator, -math.inf, math.inf)

    def acceptor(self, plan):
        (low, high, _), null = plan, self._null

        def accept(data):
            kind = type(data)
            # DRF returns float(data), an int too; float() overflows past ~1e308, hence the int bound.
            if kind is float or (kind is int and -(2**63) <= data <= 2**63):
                value = float(data)
                if math.isfinite(value) and low <= value <= high:
                    return value
            return null if data is None else REJECT

        return accept


class StrictBooleanField(FastAccept, serializers.BooleanField):
    default_error_messages = {"invalid": "Must be a boolean."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data

    def fast_plan(self):
        return None if self.validators else ()

    def acceptor(self, plan):
        null = self._null

        def accept(data):
            if type(data) is bool:
                return data
            return null if data is None else REJECT

        return accept


class StrictSerializer(FastAccept, serializers.Serializer):
    """A JSON object with ``additionalProperties: false``: unknown properties are violations,
    reported together with every other violation of the object."""

    default_error_messages = {"invalid": "Must be an object."}

    # DRF walks the fields mapping anew for every object it parses; once bound, the fields never
    # change, and bulk imports parse hundreds of thousands of objects with one serializer.
    @cached_property
    def _writable_fields(self):
        return [field for field in self.fields.values() if not field.read_only]

    @cached_property
    def _field_names(self) -> frozenset[str]:
        return frozenset(self.fields.keys())

    @cached_property
    def _has_read_only_fields(self) -> bool:
        return any(field.read_only for field in self.fields.values())

    def _read_only_defaults(self):
        # Request bodies have no read-only fields; DRF would walk every field to find none.
        return super()._read_only_defaults() if self._has_read_only_fields else {}

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            raise ValidationError({NON_FIELD_ERRORS_KEY: [ErrorDetail(self.error_messages["invalid"], code="invalid")]})
        errors = {}
        try:
            value = super().to_internal_value(data)
        except ValidationError as exc:
            errors = dict(exc.detail)
        for key in data.keys() - self._field_names:
            errors[key] = [ErrorDetail("Unknown property.", code="unknown_property")]
        if errors:
            raise ValidationError(errors)
        return value

    def fast_plan(self):
        """Per field: its name, its ``fast``, its ``validate_<name>`` method and whether it may be
        absent (DRF skips an absent field that is optional and has no default)."""
        if self._has_read_only_fields:
            return None
        plan = []
        for field in self._writable_fields:
            # Other fields (or a value DRF would nest elsewhere) are beyond the fast path.
            if not isinstance(field, FastAccept) or field.source_attrs != [field.field_name]:
                return None
            optional = not field.required and field.default is empty
            plan.append((field.field_name, field.fast, getattr(self, "validate_" + field.field_name, None), optional))
        return plan

    def acceptor(self, plan):
        null, validates = self._null, self._validates

        def accept(data):
            # DRF's run_validation for a plain dict (no HTML form input), in the same order.
            if type(data) is not dict:
                return null if data is None else REJECT
            value, present = {}, 0
            try:
                for name, fast, validate_field, optional in plan:
                    if name in data:
                        item = fast(data[name])
                        if item is REJECT:
                            return REJECT
                        value[name] = item if validate_field is None else validate_field(item)
                        present += 1
                    elif not optional:
                        return REJECT
            except _FAILURES:  # from a validate_<name> method
                return REJECT
            if present != len(data):  # an unknown property
                return REJECT
            return _validated(self, value) if validates else value

        return accept


class StrictListSerializer(FastAccept, serializers.ListSerializer):
    """A JSON array whose items are validated even when the array is too short, so that every
    violation is reported at once (DRF stops at the length check). Item errors are keyed by index
    (``LIST_SERIALIZER_ERRORS_AS_DICT``)."""

    def to_internal_value(self, data):
        minimum, self.min_length = self.min_length, None
        try:
            items, errors = super().to_internal_value(data), {}
        except ValidationError as exc:
            if NON_FIELD_ERRORS_KEY in exc.detail:  # not an array at all
                raise
            items, errors = None, dict(exc.detail)
        finally:
            self.min_length = minimum
        if minimum is not None and len(data) < minimum:
            message = self.error_messages["min_length"].format(min_length=minimum)
            errors = {NON_FIELD_ERRORS_KEY: [ErrorDetail(message, code="min_length")], **errors}
        if errors:
            raise ValidationError(errors)
        return self.validate_items(items)

    def validate_items(self, items: list) -> list:
        """Rules across items, once every item is valid; raises ``ValidationError`` keyed by index."""
        return items

    def fast_plan(self):
        overridden = type(self).run_child_validation is not serializers.ListSerializer.run_child_validation
        return None if overridden or not isinstance(self.child, FastAccept) else self.child.fast

    def acceptor(self, plan):
        null, validates = self._null, self._validates

        def accept(data):
            # DRF's run_validation for a list. The lengths are read here, not bound in:
            # to_internal_value swaps min_length while it runs.
            if type(data) is not list:
                return null if data is None else REJECT
            size = len(data)
            if (
                not (data or self.allow_empty)
                or (self.min_length is not None and size < self.min_length)
                or (self.max_length is not None and size > self.max_length)
            ):
                return REJECT
            items = []
            for item in data:
                if (item := plan(item)) is REJECT:
                    return REJECT
                items.append(item)
            try:
                items = self.validate_items(items)
            except _FAILURES:
                return REJECT
            return _validated(self, items) if validates else items

        return accept

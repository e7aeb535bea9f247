"""Strict JSON fields: DRF's stock fields coerce ("5" → 5, 5 → "5", "true" → True); the contract
types every property, so a value of the wrong JSON type is a 400, never silently converted."""

from collections.abc import Mapping
from functools import cached_property

from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.settings import api_settings

NON_FIELD_ERRORS_KEY = api_settings.NON_FIELD_ERRORS_KEY


class StrictCharField(serializers.CharField):
    default_error_messages = {"invalid": "Must be a string."}

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictChoiceField(serializers.ChoiceField):
    default_error_messages = {"invalid_choice": "Must be one of: {choices}."}

    def to_internal_value(self, data):
        if not isinstance(data, str) or data not in self.choices:
            self.fail("invalid_choice", choices=", ".join(map(str, self.choices)))
        return data


class StrictIntegerField(serializers.IntegerField):
    default_error_messages = {"invalid": "Must be an integer."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictFloatField(serializers.FloatField):
    default_error_messages = {"invalid": "Must be a number."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be a boolean."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictSerializer(serializers.Serializer):
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


class StrictListSerializer(serializers.ListSerializer):
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
        return items

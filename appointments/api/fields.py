"""Strict JSON fields: DRF's stock fields coerce ("5" → 5, 5 → "5", "true" → True); the contract
types every property, so a value of the wrong JSON type is a 400, never silently converted."""

from collections.abc import Mapping

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
    """A JSON integer. As in JSON Schema (the published schema's "integer"), a number with a zero
    fraction, such as 5.0, is one."""

    default_error_messages = {"invalid": "Must be an integer."}

    def to_internal_value(self, data):
        if isinstance(data, float) and data.is_integer():
            data = int(data)
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

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            raise ValidationError({NON_FIELD_ERRORS_KEY: [ErrorDetail(self.error_messages["invalid"], code="invalid")]})
        errors = {}
        try:
            value = super().to_internal_value(data)
        except ValidationError as exc:
            errors = dict(exc.detail)
        for key in data.keys() - self.fields.keys():
            errors[key] = [ErrorDetail("Unknown property.", code="unknown_property")]
        if errors:
            raise ValidationError(errors)
        return value


class StrictListSerializer(serializers.ListSerializer):
    """A JSON array whose items are validated even when the array is too short, so that every
    violation is reported at once (DRF stops at the length check). Item errors are keyed by index
    (``LIST_SERIALIZER_ERRORS_AS_DICT``)."""

    def to_internal_value(self, data):
        if not isinstance(data, list) or self.min_length is None or len(data) >= self.min_length:
            items = super().to_internal_value(data)
            return self.validate_items(items)
        # Too short: DRF would stop here; report the length and every item's own violations.
        message = self.error_messages["min_length"].format(min_length=self.min_length)
        errors = {NON_FIELD_ERRORS_KEY: [ErrorDetail(message, code="min_length")]}
        for index, item in enumerate(data):
            try:
                self.run_child_validation(item)
            except ValidationError as exc:
                errors[index] = exc.detail
        raise ValidationError(errors)

    def validate_items(self, items: list) -> list:
        """Rules across items, once every item is valid; raises ``ValidationError`` keyed by index."""
        return items

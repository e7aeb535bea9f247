"""Strict JSON fields: DRF's stock fields coerce ("5" → 5, 5 → "5", "true" → True); the contract
types every property, so a value of the wrong JSON type is a 400, never silently converted.

Date-times are RFC 3339 with an offset, and nothing else that ISO 8601 or Python would also read
(a date alone, no offset, week dates): ``parse_rfc3339`` is the one reader, for bodies and query
parameters alike."""

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone

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


# RFC 3339's date-time (section 5.6): a "T" (or "t") between date and time, seconds required, any
# number of fraction digits, "Z" or a numeric offset. ASCII digits only.
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))", re.ASCII
)
# Far beyond any appointment, and early enough that adding a window or an appointment's length to
# an accepted instant never leaves what Python can represent.
LATEST_INSTANT = datetime(9999, 1, 1, tzinfo=UTC)
DATE_TIME_EXAMPLE = "2025-03-10T09:00:00Z"


class InvalidDateTime(ValueError):
    """Not an RFC 3339 date-time we accept; ``code`` is a DRF validation code."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message, self.code = message, code


def parse_rfc3339(value: str) -> datetime:
    """An RFC 3339 date-time with its offset, as an aware UTC datetime (microsecond precision:
    further digits are dropped). Raises ``InvalidDateTime``."""
    match = _RFC3339.fullmatch(value)
    if match is None:
        raise InvalidDateTime(
            f"Must be an RFC 3339 date-time with an offset, e.g. {DATE_TIME_EXAMPLE} "
            "(in a query string, write + as %2B).",
            "invalid_format",
        )
    year, month, day, hour, minute, second, fraction, utc, sign, offset_hours, offset_minutes = match.groups()
    try:
        if utc:
            zone = UTC
        else:
            if int(offset_hours) > 23 or int(offset_minutes) > 59:
                raise ValueError("offset out of range")
            offset = timedelta(hours=int(offset_hours), minutes=int(offset_minutes))
            zone = timezone(-offset if sign == "-" else offset)
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second),
            int((fraction or "0")[:6].ljust(6, "0")), tzinfo=zone,
        )
    except ValueError:  # February 30th, 25 o'clock, a leap second...
        raise InvalidDateTime(
            f"Must be an existing date and time (no leap second), e.g. {DATE_TIME_EXAMPLE}.", "invalid_format"
        ) from None
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # before year 1 or after year 9999 once in UTC
        moment = None
    if moment is None or moment >= LATEST_INSTANT:
        early = moment is None and int(year) < 5000
        raise InvalidDateTime(
            "Must be at or after 0001-01-01T00:00:00Z." if early else "Must be before 9999-01-01T00:00:00Z.",
            "min_value" if early else "max_value",
        )
    return moment


class StrictDateTimeField(serializers.DateTimeField):
    """A JSON string holding an RFC 3339 date-time with an offset (``parse_rfc3339``)."""

    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            return parse_rfc3339(data)
        except InvalidDateTime as error:
            raise ValidationError([ErrorDetail(error.message, code=error.code)]) from None


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

"""Filters for the appointment list. Array filters take the ``name[]=`` form only; ``from`` and
``to`` are single date-times."""

import django_filters
from django import forms
from django_filters.rest_framework import DjangoFilterBackend

from ..models import Appointment, AppointmentParticipant
from ..selectors import ID_MAX_DIGITS, parse_id
from .fields import InvalidDateTime, parse_rfc3339

# Values per array filter. With every filter at it, ids of 18 digits and external ids of 255 ASCII
# characters, the request line stays within gunicorn's 8,190 bytes (tests/appointments/
# test_reads.py sends it): a longer one would be answered by gunicorn, in HTML, before the app.
MAX_FILTER_VALUES = 10


class BracketArrayWidget(forms.Widget):
    """Reads ``name[]=a&name[]=b`` (and nothing else) from the query string."""

    def value_from_datadict(self, data, files, name):
        return data.getlist(f"{name}[]")

    def value_omitted_from_data(self, data, files, name):
        return f"{name}[]" not in data


class StringListField(forms.Field):
    widget = BracketArrayWidget

    def __init__(self, *args, choices=None, max_length=None, **kwargs):
        self.choices = choices
        self.max_length = max_length
        super().__init__(*args, **kwargs)

    def clean(self, value):
        # Every value given counts, empty ones included, as the schema's maxItems and enum read
        # them; an empty one is then left out (to_python).
        value = value or []
        if len(value) > MAX_FILTER_VALUES:
            raise forms.ValidationError(
                "At most %(max)d values.", code="max_length", params={"max": MAX_FILTER_VALUES}
            )
        if self.max_length is not None and any(len(item) > self.max_length for item in value):
            raise forms.ValidationError(
                "Each value has at most %(max)d characters.", code="max_length", params={"max": self.max_length}
            )
        if self.choices is not None and any(item not in self.choices for item in value):
            raise forms.ValidationError(
                "Must be one of: %(choices)s.", code="invalid_choice", params={"choices": ", ".join(self.choices)}
            )
        return super().clean(value)

    def to_python(self, value):
        return [item for item in value or [] if item]


class ArrayFilter(django_filters.Filter):
    """``name[]=a&name[]=b``. With ``choices``, a value outside them is a 400 (it would match
    nothing); with ``ids``, a value that cannot be an id matches nothing."""

    field_class = StringListField

    def __init__(self, *args, ids: bool = False, choices=None, max_length=None, **kwargs):
        self.ids = ids
        super().__init__(*args, choices=choices, max_length=ID_MAX_DIGITS if ids else max_length, **kwargs)

    def clean_values(self, values: list[str]) -> list:
        # A value that cannot be an id matches nothing, rather than being an error.
        return [pk for pk in map(parse_id, values) if pk is not None] if self.ids else values

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__in": self.clean_values(value)})


class ParticipantFilter(ArrayFilter):
    """Appointments with any of the given employees (or customers) among their participants."""

    def __init__(self, type_: str):
        self.type = type_
        super().__init__(field_name=f"{type_.lower()}_id", ids=True)

    def filter(self, qs, value):
        if not value:
            return qs
        having = AppointmentParticipant.objects.filter(
            type=self.type, **{f"{self.field_name}__in": self.clean_values(value)}
        )
        return qs.filter(pk__in=having.values("appointment_id"))


# Filter names carry dashes, so the class is built from a dict rather than a class body.
AppointmentFilter = type(
    "AppointmentFilter",
    (django_filters.FilterSet,),
    {
        "id": ArrayFilter(field_name="pk", ids=True),
        "external-id": ArrayFilter(field_name="external_id", max_length=Appointment._meta.get_field("external_id").max_length),
        "status": ArrayFilter(field_name="status", choices=Appointment.Status.values),
        "meeting-type": ArrayFilter(field_name="meeting_type", choices=Appointment.MeetingType.values),
        "subject-id": ArrayFilter(field_name="subject_id", ids=True),
        "office-id": ArrayFilter(field_name="office_id", ids=True),
        "customer-id": ParticipantFilter(AppointmentParticipant.Type.CUSTOMER),
        "employee-id": ParticipantFilter(AppointmentParticipant.Type.EMPLOYEE),
        "listing-id": ArrayFilter(field_name="listing_id", ids=True),
        "lead-segment-id": ArrayFilter(field_name="lead_segment_id", ids=True),
        "callback-request-id": ArrayFilter(field_name="callback_request_id", ids=True),
        "Meta": type("Meta", (), {"model": Appointment, "fields": []}),
        "__doc__": "The list's array filters, each ``name[]=value`` (repeatable).",
    },
)


# --- The time window: from and to ------------------------------------------------------------------


class DateTimeField(forms.Field):
    """An RFC 3339 date-time with an offset (``parse_rfc3339``); given empty, it is invalid."""

    def to_python(self, value):
        if value is None:
            return None
        try:
            return parse_rfc3339(value)
        except InvalidDateTime as error:
            # As a parameter: the message holds a "%" ("%2B"), which would be read as formatting.
            raise forms.ValidationError("%(message)s", code=error.code, params={"message": error.message}) from None


class TimeOverlapFilter(django_filters.Filter):
    """One bound of ``[from, to)``: appointments whose ``[start, end)`` overlaps it. An appointment
    without a time (an invite) overlaps nothing."""

    field_class = DateTimeField

    def filter(self, qs, value):
        if value is None:
            return qs
        return qs.filter(start__isnull=False, end__isnull=False, **{f"{self.field_name}__{self.lookup_expr}": value})


AppointmentTimeFilter = type(
    "AppointmentTimeFilter",
    (django_filters.FilterSet,),
    {
        "from": TimeOverlapFilter(field_name="end", lookup_expr="gt", help_text="Appointments that end after this."),
        "to": TimeOverlapFilter(field_name="start", lookup_expr="lt", help_text="Appointments that start before this."),
        "Meta": type("Meta", (), {"model": Appointment, "fields": []}),
        "__doc__": "``from`` and ``to`` (RFC 3339): appointments whose time overlaps ``[from, to)``.",
    },
)


class TimeWindowFilterBackend(DjangoFilterBackend):
    """Applies ``AppointmentTimeFilter``, beside the view's own filter set."""

    def get_filterset_class(self, view, queryset=None):
        return AppointmentTimeFilter

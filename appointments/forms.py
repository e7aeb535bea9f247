"""The staff "New invite" form, shared by the back office and the admin.

It only translates: POST data becomes the API's JSON body, which the API's own request serializer
validates (same shape rules, same messages), and ``invite_create`` does the rest (same business
rules, same codes). Every error, from either, is shown next to the field it concerns.
"""

from __future__ import annotations

import uuid

from django import forms
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from rest_framework.exceptions import ValidationError

from core.errors import DomainError
from core.exceptions import validation_violations
from core.languages import API_LANGUAGES, to_api
from participants.models import Customer, Employee

from .api.serializers import parse_invite_request
from .models import (
    Appointment,
    AppointmentParticipant,
    CallbackRequest,
    FormSubmission,
    LeadSegment,
    Listing,
    Office,
    Subject,
)
from .services import Actor, invite_create

LANGUAGE_NAMES = {to_api(code): name for code, name in settings.LANGUAGES}
ADDRESS_PARTS = {"street1": "Street", "street2": "Street (line 2)", "city": "City", "state": "State or region"}
NONE_CHOICE = [("", "—")]


def _select(label: str, *, help_text: str = "", **attrs) -> forms.CharField:
    """A select whose value is passed on as given: the serializer and the service judge it, so a
    tampered or foreign id gets the API's own answer (e.g. SUBJECT_NOT_FOUND)."""
    return forms.CharField(label=label, required=False, help_text=help_text, widget=forms.Select(attrs=attrs))


def _text(label: str, *, textarea: bool = False, help_text: str = "", **attrs) -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": 3, **attrs}) if textarea else forms.TextInput(attrs=attrs)
    return forms.CharField(label=label, required=False, help_text=help_text, widget=widget)


class ParticipantForm(forms.Form):
    role = _select("Role")
    type = _select("Type", **{"data-participant-type": ""})
    employee = _select("Employee", **{"data-participant-for": "EMPLOYEE"})
    customer = _select("Customer", **{"data-participant-for": "CUSTOMER"})

    def __init__(self, *args, people: dict[str, list], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].widget.choices = AppointmentParticipant.Role.choices
        self.fields["type"].widget.choices = AppointmentParticipant.Type.choices
        self.fields["employee"].widget.choices = NONE_CHOICE + people["EMPLOYEE"]
        self.fields["customer"].widget.choices = NONE_CHOICE + people["CUSTOMER"]

    @property
    def participant_field(self) -> str:
        """The select that names this row's participant, by the row's type."""
        return "customer" if self.cleaned_data.get("type") == AppointmentParticipant.Type.CUSTOMER else "employee"

    def as_body(self) -> dict:
        data = self.cleaned_data
        body = {"role": data.get("role"), "type": data.get("type")}
        if data.get(self.participant_field):
            body["participantId"] = data[self.participant_field]
        return {key: value for key, value in body.items() if value}


ParticipantFormSet = forms.formset_factory(ParticipantForm, extra=0, can_delete=True)


class LocationForm(forms.Form):
    """The invite's own location: an address in any of the ten languages, optional coordinates.
    Left entirely empty, the invite has no location of its own."""

    country_code = _text(
        "Country code", help_text="Two letters, e.g. BE", maxlength=2, size=3, autocomplete="country", style="text-transform:uppercase"
    )
    postal_code = _text("Postal code", autocomplete="postal-code", size=10)
    latitude = forms.FloatField(label="Latitude", required=False, widget=forms.NumberInput(attrs={"step": "any"}))
    longitude = forms.FloatField(label="Longitude", required=False, widget=forms.NumberInput(attrs={"step": "any"}))

    def __init__(self, *args, default_language: str = "en", **kwargs):
        super().__init__(*args, **kwargs)
        self.default_language = default_language
        # The enterprise's language first: most addresses are typed in it.
        self.languages = [default_language, *(code for code in API_LANGUAGES if code != default_language)]
        for language in self.languages:
            for part, label in ADDRESS_PARTS.items():
                self.fields[f"{part}_{language}"] = _text(f"{label} ({LANGUAGE_NAMES[language]})")
        # The order in which each part's translations were sent, to route errors back.
        self.sent: dict[str, list[str]] = {}

    def address_rows(self):
        """(language code, language name, [bound fields]) per language, for the address table."""
        return [
            (language, LANGUAGE_NAMES[language], [self[f"{part}_{language}"] for part in ADDRESS_PARTS])
            for language in self.languages
        ]

    def other_languages_used(self) -> bool:
        return any(
            self[f"{part}_{language}"].value() or self[f"{part}_{language}"].errors
            for language in self.languages[1:]
            for part in ADDRESS_PARTS
        )

    def as_body(self) -> dict | None:
        data = self.cleaned_data
        if not any(value not in (None, "") for value in data.values()):
            return None
        body = {"countryCode": data.get("country_code"), "postalCode": data.get("postal_code") or None}
        if data.get("latitude") is not None or data.get("longitude") is not None:
            body["geolocation"] = {
                key: data.get(key) for key in ("latitude", "longitude") if data.get(key) is not None
            }
        translations = {}
        for part in ADDRESS_PARTS:
            self.sent[part] = [language for language in API_LANGUAGES if data.get(f"{part}_{language}")]
            translations[part] = [
                {"language": language, "value": data[f"{part}_{language}"]} for language in self.sent[part]
            ]
        body["translations"] = translations
        return {key: value for key, value in body.items() if value is not None}

    def route_error(self, parts: list[str], message: str) -> None:
        """Show an error about ``/location/<parts>`` next to the matching input."""
        simple = {"countryCode": "country_code", "postalCode": "postal_code"}
        if parts and parts[0] in simple:
            self.add_error(simple[parts[0]], message)
        elif parts and parts[0] == "geolocation":
            self.add_error(parts[1] if len(parts) > 1 else "latitude", message)
        elif len(parts) >= 2 and parts[0] == "translations" and parts[1] in ADDRESS_PARTS:
            part = parts[1]
            sent = self.sent.get(part, [])
            index = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else None
            language = sent[index] if index is not None and index < len(sent) else self.default_language
            self.add_error(f"{part}_{language}", message)
        else:
            self.add_error(None, message)


class InviteForm(forms.Form):
    """Everything the invite body holds, with the participants and the location as sub-forms.

    Use ``is_valid()`` then ``create()``, which returns the appointment or None (errors added)."""

    subject = _select("Subject", required="required")
    office = _select("Office", required="required")
    meeting_type = _select("Meeting type")
    listing = _select("Listing", help_text="Optional: what the appointment is about, e.g. a property.")
    lead_segment = _select("Lead segment")
    callback_request = _select("Callback request", help_text="Optional: the customer's callback request this answers.")
    external_id = _text("External id", help_text="Your own reference (up to 255 characters).", maxlength=255)
    hybrid = forms.NullBooleanField(
        label="Hybrid",
        required=False,
        help_text="Some participants join remotely.",
        widget=forms.Select(choices=[("", "Not specified"), ("true", "Yes"), ("false", "No")]),
    )
    trailing_buffer_time = forms.IntegerField(
        label="Trailing buffer (minutes)",
        required=False,
        initial=0,
        help_text="Time kept free after the appointment.",
        widget=forms.NumberInput(attrs={"min": 0, "step": 1}),
    )
    message = _text("Message to the customer", textarea=True, help_text="The customer sees this in the invitation.")
    internal_notes = _text("Internal notes", textarea=True, help_text="Staff only: never shown to the customer.")

    # Generated with the blank form, sent back with every submission of it (see FormSubmission).
    submission = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4, required=False)

    # Body property → form field, for routing errors.
    FIELDS = {
        "subjectId": "subject",
        "officeId": "office",
        "meetingType": "meeting_type",
        "listingId": "listing",
        "leadSegmentId": "lead_segment",
        "callbackRequestId": "callback_request",
        "externalId": "external_id",
        "hybrid": "hybrid",
        "trailingBufferTime": "trailing_buffer_time",
        "message": "message",
        "internalNotes": "internal_notes",
    }

    def __init__(self, data=None, *, employee: Employee, **kwargs):
        super().__init__(data, **kwargs)
        self.employee = employee
        enterprise = self.enterprise = employee.enterprise
        mine = Q(enterprise=enterprise)
        self._choices("subject", Subject.objects.filter(mine), blank="Choose a subject…")
        self._choices("office", Office.objects.filter(mine), blank="Choose an office…")
        self._choices("listing", Listing.objects.filter(mine))
        self._choices("lead_segment", LeadSegment.objects.filter(mine))
        self._choices("callback_request", CallbackRequest.objects.filter(mine).select_related("customer"))
        self.fields["meeting_type"].widget.choices = Appointment.MeetingType.choices
        self.fields["meeting_type"].initial = Appointment.MeetingType.OFFICE
        people = {
            "EMPLOYEE": _labelled(Employee.objects.filter(mine, is_active=True)),
            "CUSTOMER": _labelled(Customer.objects.filter(mine)),
        }
        self.participants = ParticipantFormSet(
            data,
            prefix="participants",
            form_kwargs={"people": people},
            # Only a blank form starts from these rows: given to a bound formset, rows equal to them
            # would count as unchanged and be skipped.
            initial=None
            if data is not None
            else [
                {"role": "PRIMARY", "type": "EMPLOYEE", "employee": str(employee.pk)},
                {"role": "PRIMARY", "type": "CUSTOMER"},
            ],
        )
        self.location = LocationForm(data, prefix="location", default_language=enterprise.default_language)
        self.invite_kwargs: dict | None = None
        self.rows: list[ParticipantForm] = []  # the participant rows sent, in body order

    def _choices(self, name: str, queryset, blank: str = "—") -> None:
        self.fields[name].widget.choices = [("", blank), *_labelled(queryset)]

    def is_valid(self) -> bool:
        # Evaluate all three (no short-circuit) so every error is shown at once.
        results = [super().is_valid(), self.participants.is_valid(), self.location.is_valid()]
        return all(results)

    def clean(self):
        cleaned = super().clean()
        if not (self.participants.is_valid() and self.location.is_valid()) or self._errors:
            return cleaned
        try:
            self.invite_kwargs = parse_invite_request(self.as_body())
        except ValidationError as error:
            for pointer, message in validation_violations(error.detail):
                self.route_error(pointer, message)
        return cleaned

    def as_body(self) -> dict:
        """The JSON body the API would receive for this form."""
        data = self.cleaned_data
        self.rows = [form for form in self.participants.forms if form not in self.participants.deleted_forms]
        body = {
            prop: data.get(name) for prop, name in self.FIELDS.items() if data.get(name) not in (None, "")
        }
        body["appointmentParticipants"] = [row.as_body() for row in self.rows]
        location = self.location.as_body()
        if location is not None:
            body["location"] = location
        return body

    def route_error(self, pointer: str | None, message: str) -> None:
        """Show an error about a body property (a JSON pointer, or a bare property name) next to
        the input it concerns; anything else goes above the form."""
        parts = [part for part in (pointer or "").split("/") if part]
        head = parts[0] if parts else None
        if head in self.FIELDS:
            self.add_error(self.FIELDS[head], message)
        elif head == "appointmentParticipants":
            index = int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else None
            if index is not None and index < len(self.rows):
                row = self.rows[index]
                row.add_error(row.participant_field if parts[2] == "participantId" else parts[2], message)
            else:
                self.participants.non_form_errors().append(message)
        elif head == "location":
            self.location.route_error(parts[1:], message)
        else:
            self.add_error(None, message)

    def create(self) -> Appointment | None:
        """Invite through ``invite_create`` as the logged-in employee; on a business error, show
        it next to its field and return None (the service has written nothing).

        A form submitted again (a double click, a reload) returns the invite its first submission
        created: the first claims the form's key in the transaction that creates the invite, and a
        second waits for that transaction, then finds the key taken."""
        assert self.invite_kwargs is not None, "call is_valid() first"
        actor = staff_actor(self.employee)
        key = self.cleaned_data.get("submission") or uuid.uuid4()
        try:
            with transaction.atomic():
                claim = FormSubmission.objects.create(key=key)
                claim.appointment = invite_create(enterprise=self.enterprise, actor=actor, **self.invite_kwargs)
                claim.save(update_fields=["appointment"])
                return claim.appointment
        except IntegrityError:
            first = FormSubmission.objects.filter(key=key, appointment__enterprise=self.enterprise).first()
            if first is None:
                raise
            return first.appointment
        except DomainError as error:
            # A participant error names its row in arguments.property ("appointmentParticipants/1/participantId").
            prop = error.arguments.get("property")
            pointer = prop if isinstance(prop, str) and error.field and prop.startswith(error.field) else error.field
            self.route_error(pointer, error.message)
            return None


class RescheduleForm(forms.Form):
    """A free slot the staff member picked: its start, as the slot's button sends it (RFC 3339)."""

    start = forms.DateTimeField(
        error_messages={"required": "Pick one of the free times.", "invalid": "Pick one of the free times."}
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=1000,
        help_text="Optional. Kept in the appointment's history.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ResendInviteForm(forms.Form):
    message = forms.CharField(
        label="Message to the customer",
        required=False,
        help_text="Optional. Shown in the new invite instead of the invite's own message. The customer gets "
        "a new link, and the links sent before stop working.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def staff_actor(employee: Employee) -> Actor:
    """Who acts through the staff pages and the admin: the logged-in staff member's employee."""
    return Actor(type=Appointment.ActorType.EMPLOYEE, id=str(employee.pk), channel=Appointment.Channel.BACKOFFICE_APP)


def _labelled(queryset) -> list[tuple[str, str]]:
    return [(str(row.pk), str(row)) for row in queryset]

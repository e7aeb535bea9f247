"""An appointment as a person reads it: in their language and their time zone, with the zone named.
The customer's pages, the e-mails (to customers and employees) and the calendar files all show
times, zones and places through these functions, so that they never disagree.

Dates, times and zone names come from the CLDR through Babel, so "maandag 16 maart 2026, 05:00"
and "Monday, March 16, 2026, 5:00 AM" are each right for their reader. Translated model fields (a
location's address, a subject's name) are picked in the reader's language, then the enterprise's
default, then any language that has a value. Languages are the API's codes (``no`` for Norwegian).
Nothing here reads ``internal_notes``: they are for staff only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_time, get_timezone_name
from django.utils.translation import gettext, override
from django.utils.translation import gettext_lazy as _

from appointments.models import Appointment, AppointmentParticipant
from core.languages import API_LANGUAGES, LanguagePreference, to_storage
from locations.formatting import formatted_address
from locations.models import Location
from participants.models import Customer

MEETING_TYPES = {
    Appointment.MeetingType.OFFICE: _("At the office"),
    Appointment.MeetingType.ON_LOCATION: _("At a location"),
    Appointment.MeetingType.PHONE: _("By phone"),
    Appointment.MeetingType.VIDEO: _("Video call"),
}


def customer_language(customer: Customer, chosen: str | None = None) -> str:
    """The language to speak to a customer: the one they chose on the page (an API code), else
    their own, else their enterprise's default."""
    for language in (chosen, customer.language, customer.enterprise.default_language):
        if language in API_LANGUAGES:
            return language
    return "en"


def customer_zone(customer: Customer, fallback: tzinfo) -> ZoneInfo | tzinfo:
    try:
        return ZoneInfo(customer.time_zone) if customer.time_zone else fallback
    except (ZoneInfoNotFoundError, ValueError):
        return fallback


def _locale(language: str) -> str:
    return to_storage(language)  # Babel, like Django, calls Norwegian "nb"


def day_label(day: date, language: str) -> str:
    """``Monday, March 16, 2026`` / ``maandag 16 maart 2026``."""
    return format_date(day, "full", locale=_locale(language))


def time_label(moment: datetime, zone: tzinfo, language: str) -> str:
    """The wall-clock time of ``moment`` in ``zone``: ``5:00 AM`` / ``05:00``."""
    return format_time(moment, "short", tzinfo=zone, locale=_locale(language))


def zone_label(zone: tzinfo, language: str) -> str:
    """The zone's name for people, with its IANA id: ``Eastern Time (America/New_York)``."""
    key = getattr(zone, "key", None) or str(zone)
    if key in ("UTC", "Etc/UTC", "Etc/GMT", "GMT"):
        return "UTC"
    return f"{get_timezone_name(zone, 'long', locale=_locale(language))} ({key})"


def times_label(start: datetime, end: datetime | None, zone: tzinfo, language: str) -> str:
    """``5:00 AM – 6:00 AM`` in ``zone``, with the end's day when it is another day."""
    if end is None:
        return time_label(start, zone, language)
    until = time_label(end, zone, language)
    if end.astimezone(zone).date() != start.astimezone(zone).date():
        until = f"{day_label(end.astimezone(zone).date(), language)} {until}"
    with override(_locale(language)):
        # Translated, because not every language puts a dash between two times (Japanese: ～).
        return gettext("%(start)s – %(end)s") % {"start": time_label(start, zone, language), "end": until}


def when_label(start: datetime, end: datetime | None, zone: tzinfo, language: str) -> str:
    """``Monday, March 16, 2026, 5:00 AM – 6:00 AM``, in ``zone``."""
    return f"{day_label(start.astimezone(zone).date(), language)}, {times_label(start, end, zone, language)}"


def translated(values: dict[str, str], language: str, default_language: str) -> str:
    picked = LanguagePreference((language,)).pick(values, default_language)
    return picked[1] if picked else ""


def subject_name(appointment: Appointment, language: str) -> str:
    subject = appointment.subject
    values = {code: getattr(subject, f"name_{to_storage(code)}", None) for code in API_LANGUAGES}
    return translated({k: v for k, v in values.items() if v}, language, appointment.enterprise.default_language) or subject.name


def address(location: Location, language: str, default_language: str) -> str:
    parts = {part: translated(location.translations(part), language, default_language) for part in Location.TRANSLATED_FIELDS}
    return formatted_address(country_code=location.country_code, postal_code=location.postal_code, **parts)


@dataclass(frozen=True)
class Place:
    """Where the meeting happens, for one reader."""

    meeting_type: str  # the translated label
    name: str = ""  # the office's name, for office meetings
    address: str = ""
    video_url: str | None = None

    @property
    def where(self) -> str:
        """Somewhere to go: the office's name and address, or the address; empty by phone or video."""
        return ", ".join(part for part in (self.name, self.address) if part)

    def __str__(self) -> str:
        """One line: where to go, else the video link, else how the meeting happens."""
        return self.where or self.video_url or self.meeting_type


def place(appointment: Appointment, language: str, recipient: AppointmentParticipant | None = None) -> Place:
    """``appointment`` with ``office__location`` and ``enterprise`` selected (and ``location``
    when it is not the office's). ``recipient`` (a participant) gets their own video link."""
    with override(to_storage(language)):
        label = str(MEETING_TYPES.get(appointment.meeting_type, appointment.meeting_type))
    default = appointment.enterprise.default_language
    kind = appointment.meeting_type
    if kind == Appointment.MeetingType.OFFICE:
        office = appointment.office
        # Usually the office's own location, loaded with the office: no query for it.
        location = office.location if appointment.location_id in (None, office.location_id) else appointment.location
        return Place(label, name=office.name, address=address(location, language, default))
    if kind == Appointment.MeetingType.ON_LOCATION and appointment.location is not None:
        return Place(label, address=address(appointment.location, language, default))
    if kind == Appointment.MeetingType.VIDEO:
        return Place(label, video_url=recipient.video_url if recipient is not None else None)
    return Place(label)


def utc_rfc3339(moment: datetime) -> str:
    """``2026-03-16T09:00:00Z``: how a slot's start travels in forms and the API."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

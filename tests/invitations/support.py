"""The customer's pages as a test reads them: links, and the slot controls of a page."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.apps import apps

from appointments.models import Appointment, AppointmentStatusChange
from availability.models import BusyTime
from invitations.models import InviteLink
from invitations.services import invite_link_issue

NEW_YORK = ZoneInfo("America/New_York")
BRUSSELS = ZoneInfo("Europe/Brussels")


def link_path(appointment: Appointment, customer=None) -> str:
    """The path of a new link to ``appointment`` for its (first) customer."""
    customer = customer or next(p.customer for p in appointment.participants.all() if p.customer_id)
    url = invite_link_issue(appointment=appointment, customer=customer)
    return "/" + url.split("/", 3)[3]


_SLOT = re.compile(r'<label class="slot">(.*?)</label>', re.S)
_VALUE = re.compile(r'<input type="radio" name="start" value="([^"]*)"')
_TAG = re.compile(r"<[^>]+>")


def slot_controls(page: str) -> dict[str, str]:
    """Each slot control's value, and the text of its label (spaces collapsed)."""
    controls = {}
    for label in _SLOT.findall(page):
        value = _VALUE.search(label).group(1)
        controls[value] = " ".join(html.unescape(_TAG.sub(" ", label)).split())
    return controls


def days_of(page: str) -> list[tuple[str, list[str]]]:
    """The page's days (their legends) with the slot values under each, in page order."""
    days = []
    for fieldset in re.findall(r'<fieldset class="day">(.*?)</fieldset>', page, re.S):
        legend = html.unescape(re.search(r"<legend>(.*?)</legend>", fieldset).group(1))
        days.append((legend, _VALUE.findall(fieldset)))
    return days


def text_of(page: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", page)).split())


def english_day(day: date) -> str:
    """``Monday, March 15, 2027``: how an English page names a day."""
    return f"{day:%A}, {day:%B} {day.day}, {day.year}"


def next_weekday_where(predicate, after: date | None = None) -> date:
    """The first weekday after ``after`` (default: a week from today) that ``predicate`` accepts."""
    day = after or (datetime.now(UTC).date() + timedelta(days=7))
    for _ in range(800):
        day += timedelta(days=1)
        if day.weekday() < 5 and predicate(day):
            return day
    raise AssertionError("no such day within two years")


def hours_between_zones(day: date, east: ZoneInfo = BRUSSELS, west: ZoneInfo = NEW_YORK) -> float:
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    return (noon.astimezone(east).utcoffset() - noon.astimezone(west).utcoffset()) / timedelta(hours=1)


def snapshot():
    """Every row a customer's action could change, and how many rows every table holds."""
    return (
        list(Appointment.objects.order_by("pk").values()),
        list(AppointmentStatusChange.objects.order_by("pk").values()),
        list(BusyTime.objects.order_by("pk").values()),
        list(InviteLink.objects.order_by("pk").values()),
        {model._meta.label: model._default_manager.count() for model in apps.get_models()},
    )

import re
import time
from pathlib import Path

import django
import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils import translation
from django.utils.translation import ngettext

from core.languages import STORAGE_LANGUAGES, LanguagePreference, parse_accept_language, to_api, to_storage


@pytest.mark.parametrize(
    "header, languages, wildcard",
    [
        (None, (), True),
        ("", (), True),
        ("en *", ("en",), True),
        ("en", ("en",), False),
        ("fr-BE, en;q=0.5", ("fr", "en"), False),
        ("en;q=0.5, fr-BE", ("fr", "en"), False),
        ("en ; q=0.5 , fr-BE;q=0.8", ("fr", "en"), False),
        ("de", ("de",), False),
        ("de *", ("de",), True),
        ("*", (), True),
        ("it, en", ("en",), False),
        ("nb", ("no",), False),
        ("nn-NO", ("no",), False),
        ("no", ("no",), False),
        ("EN-gb", ("en",), False),
        ("fr;q=0, de", ("de",), False),
        ("*;q=0, de", ("de",), False),
        ("fr;q=abc", ("fr",), False),
        ("en, en-GB, en-US", ("en",), False),
        ("ja,el;q=0.9,da;q=0.8,pl;q=0.7,es;q=0.6,nl;q=0.5", ("ja", "el", "da", "pl", "es", "nl"), False),
    ],
)
def test_parse_accept_language(header, languages, wildcard):
    assert parse_accept_language(header) == LanguagePreference(languages, wildcard)


def test_pick_first_language_with_a_value():
    values = {"en": None, "fr": "Gand", "nl": "Gent"}
    assert LanguagePreference(("en", "nl"), False).pick(values) == ("nl", "Gent")
    assert LanguagePreference(("en",), False).pick(values) is None
    assert LanguagePreference(("en",), True).pick(values, "fr") == ("fr", "Gand")
    assert LanguagePreference(("en",), True).pick(values, "de") == ("fr", "Gand")  # then any, in API order
    assert LanguagePreference((), True).pick({}) is None


def test_norwegian_codes():
    assert to_storage("no") == "nb" and to_api("nb") == "no"
    assert to_storage("fr") == "fr" and to_api("fr") == "fr"


def test_a_hostile_header_is_read_in_linear_time():
    """A long run of spaces cost quadratic time: 98 such headers kept a worker busy for seconds."""
    header = "a" + " " * 8000 + "b"
    started = time.process_time()
    for _ in range(98):
        parse_accept_language(header)
    assert time.process_time() - started < 0.5


def test_only_the_start_of_a_long_header_counts():
    assert parse_accept_language("fr, " + "xx, " * 10_000 + "nl") == LanguagePreference(("fr",), False)
    assert parse_accept_language(", ".join(["xx"] * 40 + ["nl"])) == LanguagePreference((), False)


def test_spaces_around_parameters_still_glue_them_to_their_tag():
    assert parse_accept_language("de ; q=0.5 , fr") == LanguagePreference(("fr", "de"), False)


# --- Our gettext catalogues (locale/): every language but the source speaks every string ---------

CATALOGUES = Path(settings.BASE_DIR) / "locale"
SOURCE_LANGUAGE = "en"
TRANSLATED_LANGUAGES = [code for code in STORAGE_LANGUAGES if code != SOURCE_LANGUAGE]
# Named placeholders (%(name)s) and brace fields ({name}), as they must come through a translation.
PLACEHOLDER = re.compile(r"%\(\w+\)[a-z]|\{[^{}]*\}")


def catalogue(language: str) -> Catalog:
    with open(CATALOGUES / language / "LC_MESSAGES" / "django.po", "rb") as po:
        return read_po(po)


def messages(catalog: Catalog) -> list[Message]:
    return [message for message in catalog if message.id]  # without the header


def forms(value: str | tuple[str, ...]) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else (value,)


def test_there_is_a_catalogue_for_each_api_language():
    assert sorted(path.parent.parent.name for path in CATALOGUES.glob("*/LC_MESSAGES/django.po")) == sorted(STORAGE_LANGUAGES)


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_every_message_is_translated(language):
    """Nothing untranslated, fuzzy (a guess gettext would not use) or left over from older sources,
    and the same messages as the source catalogue."""
    catalog = catalogue(language)
    untranslated = [message.id for message in messages(catalog) if not all(forms(message.string))]
    fuzzy = [message.id for message in messages(catalog) if message.fuzzy]
    assert (untranslated, fuzzy, list(catalog.obsolete), catalog.fuzzy) == ([], [], [], False)
    assert {message.id for message in messages(catalog)} == {message.id for message in messages(catalogue(SOURCE_LANGUAGE))}


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_translations_keep_their_placeholders_and_plural_forms(language):
    """Each form of a translation has the placeholders of its message (a plural's: of its singular or
    its plural); a plural has as many forms as the language's Plural-Forms, which are Django's own
    for that language, and Babel's checks of Python format strings pass."""
    catalog = catalogue(language)
    with open(Path(django.__file__).parent / "conf" / "locale" / language / "LC_MESSAGES" / "django.po", "rb") as po:
        djangos = read_po(po)
    assert catalog.plural_forms.replace(" ", "") == djangos.plural_forms.replace(" ", "")
    wrong = [
        (message.id, text)
        for message in messages(catalog)
        for text in forms(message.string)
        if sorted(PLACEHOLDER.findall(text)) not in [sorted(PLACEHOLDER.findall(source)) for source in forms(message.id)]
    ]
    assert wrong == []
    assert [(message.id, errors) for message, errors in catalog.check()] == []


@pytest.mark.parametrize(
    "language, hours, expected",
    [
        ("pl", 1, "1 godzinę"),
        ("pl", 3, "3 godziny"),
        ("pl", 5, "5 godzin"),
        ("el", 2, "2 ώρες"),
        ("ja", 2, "2 時間"),
    ],
)
def test_compiled_catalogues_choose_the_plural_form(language, hours, expected):
    """The .mo that `make install` compiles is the one Django reads, with the language's plural rule."""
    singular = "It can no longer be changed or cancelled here less than %(hours)s hour before it starts."
    plural = "It can no longer be changed or cancelled here less than %(hours)s hours before it starts."
    with translation.override(language):
        assert expected in ngettext(singular, plural, hours) % {"hours": hours}

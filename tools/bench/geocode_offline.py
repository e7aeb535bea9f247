"""Geocoding figures: the offline gazetteer's cost per worker process, and the database cache.

    .venv/bin/python tools/bench/geocode_offline.py      (or: make bench-geocode)

Prints, each with the baseline it is compared with (measured in the same run, same machine):
- cold first geocode in a fresh process (after django.setup()), vs that process's django.setup();
- resident memory growth of that process from the first geocode (and after 1,000 more);
- warm offline lookup, vs one ``SELECT 1`` on an in-memory SQLite database;
- the cache hit rate when the same 1,000 addresses are geocoded twice through a network provider
  (a local Nominatim-speaking server, never the internet), with a temporary SQLite database.
The offline index is built first if missing (not part of the cold figure: it is built once per
machine, at ``make migrate``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

# Runs in a fresh interpreter: everything a worker process would pay on its first geocode.
_COLD = r"""
import json, os, sqlite3, sys, time
def rss_kib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
t0 = time.perf_counter()
import django
django.setup()
t1 = time.perf_counter()
rss_before = rss_kib()
from locations.geocoding import Address, geocode
t2 = time.perf_counter()
first = geocode(Address("DK", city={"da": "København"}))
t3 = time.perf_counter()
rss_first = rss_kib()
cities = [("DK", "København"), ("GR", "Αθήνα"), ("JP", "東京"), ("BE", "Gand"), ("NL", "Den Haag")]
addresses = [Address(c, city={"en": n}) for c, n in cities] * 200
t4 = time.perf_counter()
for address in addresses:
    geocode(address)
warm = (time.perf_counter() - t4) / len(addresses)
rss_after = rss_kib()
db = sqlite3.connect(":memory:")
t5 = time.perf_counter()
for _ in range(len(addresses)):
    db.execute("SELECT 1").fetchone()
select_one = (time.perf_counter() - t5) / len(addresses)
print(json.dumps({"setup": t1 - t0, "first": t3 - t1, "import": t2 - t1, "rss_before": rss_before,
                  "rss_first": rss_first, "rss_after": rss_after, "warm": warm, "select_one": select_one}))
"""


def offline_figures() -> dict:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "GEOCODER": "offline"}
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "geocoding_cache", "build-index"], check=True,
                   env=environment, cwd=ROOT, stdout=subprocess.DEVNULL)
    done = subprocess.run([sys.executable, "-c", _COLD], check=True, env=environment, cwd=ROOT,
                          capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def cache_figures(count: int = 1000) -> dict:
    """Geocode ``count`` distinct addresses twice, one invite at a time, through the DB cache."""
    database = Path(tempfile.mkdtemp()) / "bench.sqlite3"
    os.environ.update({"DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": f"sqlite:///{database}"})
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from locations.geocoding import Address, geocode
    from locations.models import GeocodingCacheEntry
    from tests.geocoder_server import FakeNominatim

    call_command("migrate", verbosity=0)
    server = FakeNominatim().start()
    server.answer(51.05, 3.72)
    settings.GEOCODER, settings.GEOCODER_DOMAIN, settings.GEOCODER_SCHEME = "nominatim", server.domain, "http"
    settings.GEOCODER_MIN_DELAY = 0  # the local server has no rate limit
    addresses = [Address("BE", postal_code="9000", city={"nl": "Gent"}, street1={"nl": f"Teststraat {n}"})
                 for n in range(count)]
    passes = []
    for _ in range(2):
        asked_before, started = len(server.requests), time.perf_counter()
        for address in addresses:
            geocode(address)
        passes.append({"seconds": time.perf_counter() - started, "provider_requests": len(server.requests) - asked_before})
    server.shutdown()
    lookups = 2 * count
    return {"lookups": lookups, "provider_requests": len(server.requests), "passes": passes,
            "cache_entries": GeocodingCacheEntry.objects.count(),
            "hit_rate": (lookups - len(server.requests)) / lookups}


def main():
    offline = offline_figures()
    print("Offline gazetteer (fresh process, GEOCODER=offline)")
    print(f"  cold first geocode      {offline['first'] * 1000:8.1f} ms  (target < 1000 ms; "
          f"{offline['first'] / offline['setup']:.2f}x this process's django.setup() of {offline['setup'] * 1000:.0f} ms)")
    print(f"  RSS growth, first       {(offline['rss_first'] - offline['rss_before']) / 1024:8.1f} MiB "
          f"(target < 100 MiB; from {offline['rss_before'] / 1024:.0f} MiB after django.setup())")
    print(f"  RSS growth, +1000       {(offline['rss_after'] - offline['rss_before']) / 1024:8.1f} MiB")
    print(f"  warm lookup             {offline['warm'] * 1000:8.3f} ms  (target < 2 ms; "
          f"{offline['warm'] / offline['select_one']:.1f}x one in-memory SQLite SELECT 1 of {offline['select_one'] * 1e6:.1f} µs)")
    cache = cache_figures()
    first, second = cache["passes"]
    print(f"Database cache (GEOCODER=nominatim, local server): {cache['lookups'] // 2} addresses geocoded twice")
    print(f"  provider requests       {cache['provider_requests']:8d}  (pass 1: {first['provider_requests']}, pass 2: {second['provider_requests']})")
    print(f"  cache entries           {cache['cache_entries']:8d}")
    print(f"  cache hit rate          {cache['hit_rate'] * 100:7.1f} %  (pass 2 alone: "
          f"{100 * (1 - second['provider_requests'] / (cache['lookups'] // 2)):.1f} %)")
    print(f"  pass 2 / pass 1 time    {second['seconds'] / first['seconds']:8.2f}x  "
          f"({first['seconds'] * 1000 / (cache['lookups'] // 2):.2f} ms vs {second['seconds'] * 1000 / (cache['lookups'] // 2):.2f} ms per address)")


if __name__ == "__main__":
    main()

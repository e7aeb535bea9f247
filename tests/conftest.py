import pytest

from tests.geocoder_server import FakeNominatim
from tests.support import EnterpriseWithEverything


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """API client secrets and passwords are hashed on save; PBKDF2 would dominate the suite."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def no_requests_counted(settings):
    """Rate limits count in this process's memory here (in production: the database, or Redis),
    and each test starts with no counts."""
    from django.core.cache import caches

    settings.CACHES = {
        **settings.CACHES,
        "rate-limits": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "rate-limits"},
    }
    settings.RATE_LIMIT_CACHE = "rate-limits"
    caches["rate-limits"].clear()
    caches["tokens"].clear()  # rolled-back rows send no signal to forget theirs


@pytest.fixture(scope="session")
def nominatim_server():
    server = FakeNominatim().start()
    yield server
    server.shutdown()


@pytest.fixture
def nominatim(nominatim_server, settings):
    """Point the geocoder at the local Nominatim-speaking server."""
    nominatim_server.reset()
    settings.GEOCODER = "nominatim"
    settings.GEOCODER_DOMAIN = nominatim_server.domain
    settings.GEOCODER_SCHEME = "http"
    settings.GEOCODER_TIMEOUT = 1
    settings.GEOCODER_MIN_DELAY = 0  # the local server has no rate limit to respect
    return nominatim_server


@pytest.fixture
def acme(db):
    return EnterpriseWithEverything("acme")


@pytest.fixture
def globex(db):
    return EnterpriseWithEverything("globex")


@pytest.fixture
def api(acme):
    return acme.api()

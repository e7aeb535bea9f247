import pytest

from tests.availability.support import open_every_day, rules


@pytest.fixture
def office_hours(acme, settings):
    """acme's office open on weekdays, 09:00–17:00 in Brussels, bookable from now on for 400 days;
    links to this test server."""
    settings.PUBLIC_BASE_URL = "http://testserver"
    open_every_day(acme.office, weekdays=range(5))
    rules(acme, time_slot_latest_possible=400 * 24 * 60)


@pytest.fixture
def customer(acme):
    """acme's first customer, who lives in New York."""
    customer = acme.customers[0]
    customer.time_zone = "America/New_York"
    customer.save()
    return customer

"""Staff logins are limited: wrong passwords, per username and per address, lock logging in for a
while, the right password included; the back office's and the admin's login count together."""

import pytest
from django.contrib.auth import get_user_model

LOGIN_PAGES = ["/accounts/login/", "/admin/login/"]


@pytest.fixture
def staff(db, settings):
    settings.AXES_FAILURE_LIMIT = 3
    return get_user_model().objects.create_user("clerk", password="right-password", is_staff=True)


def attempt(client, page, username, password, address="192.0.2.1"):
    return client.post(page, {"username": username, "password": password}, REMOTE_ADDR=address)


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_wrong_passwords_lock_the_username_even_for_the_right_one(client, staff, page):
    # The attempt that reaches the limit is told already.
    assert [attempt(client, page, "clerk", "wrong").status_code for _ in range(3)] == [200, 200, 429]

    refused = attempt(client, page, "clerk", "right-password")

    assert refused.status_code == 429
    assert "Too many failed logins" in refused.content.decode()
    assert "_auth_user_id" not in client.session


def test_both_login_pages_count_together_and_other_addresses_too(client, staff):
    attempt(client, "/accounts/login/", "clerk", "wrong", address="192.0.2.1")
    attempt(client, "/admin/login/", "clerk", "wrong", address="192.0.2.2")
    attempt(client, "/accounts/login/", "clerk", "wrong", address="192.0.2.3")
    assert attempt(client, "/accounts/login/", "clerk", "right-password", address="192.0.2.4").status_code == 429


def test_one_address_trying_many_usernames_is_locked(client, staff):
    for name in ("ann", "bob", "cid"):
        attempt(client, "/accounts/login/", name, "wrong", address="198.51.100.7")
    assert attempt(client, "/accounts/login/", "clerk", "right-password", address="198.51.100.7").status_code == 429
    # From elsewhere, the staff member still gets in.
    assert attempt(client, "/accounts/login/", "clerk", "right-password", address="203.0.113.5").status_code == 302


def test_a_successful_login_forgets_earlier_mistakes(client, staff):
    attempt(client, "/accounts/login/", "clerk", "wrong")
    attempt(client, "/accounts/login/", "clerk", "wrong")
    assert attempt(client, "/accounts/login/", "clerk", "right-password").status_code == 302
    client.logout()
    attempt(client, "/accounts/login/", "clerk", "wrong")
    attempt(client, "/accounts/login/", "clerk", "wrong")
    assert attempt(client, "/accounts/login/", "clerk", "right-password").status_code == 302

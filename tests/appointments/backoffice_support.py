"""Helpers for the back office and admin tests: a staff login for a everything, and the POST data of
the New invite form."""

from django.contrib.auth import get_user_model

STAFF_PASSWORD = "staff-password-for-tests"


def staff_user(everything, username: str | None = None, *, password: str | None = None, **extra):
    """A staff login linked to the everything's first employee. Without a password (hashing one takes
    half a second) the user can only be logged in with ``client.force_login``."""
    user = get_user_model().objects.create_user(
        username or f"staff-{everything.enterprise.slug}", password=password, is_staff=True, **extra
    )
    employee = everything.employees[0]
    employee.user = user
    employee.save(update_fields=["user"])
    return user


def invite_post(everything, participants=None, **fields) -> dict:
    """The New invite form's POST data: an office meeting with the everything's first employee and
    first customer, overridable per field."""
    participants = participants or [
        {"role": "PRIMARY", "type": "EMPLOYEE", "employee": everything.employees[0].pk},
        {"role": "PRIMARY", "type": "CUSTOMER", "customer": everything.customers[0].pk},
    ]
    data = {
        "subject": everything.subject.pk,
        "office": everything.office.pk,
        "meeting_type": "OFFICE",
        "trailing_buffer_time": "0",
        "participants-TOTAL_FORMS": len(participants),
        "participants-INITIAL_FORMS": 0,
        "participants-MIN_NUM_FORMS": 0,
        "participants-MAX_NUM_FORMS": 1000,
    }
    for index, row in enumerate(participants):
        data.update({f"participants-{index}-{key}": value for key, value in row.items()})
    data.update(fields)
    return data

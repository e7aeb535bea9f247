"""Appointments saved under the old status names keep their meaning after the upgrade."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("appointments", "0005_form_submission")]
AFTER = [("appointments", "0006_vendor_statuses_and_history")]


@pytest.mark.django_db(transaction=True)
def test_cancelled_and_finished_appointments_get_the_vendors_names_and_back(acme):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("appointments", "Appointment")
    audit = {"created_by_type": "SYSTEM", "created_from": "IMPORT", "updated_by_type": "SYSTEM", "updated_from": "IMPORT"}
    fields = {"enterprise_id": acme.enterprise.pk, "subject_id": acme.subject.pk, "office_id": acme.office.pk,
              "meeting_type": "PHONE", **audit}
    ids = {status: old.objects.create(status=status, **fields).pk for status in ("OUTGOING_INVITE", "CANCELED", "FINISHED")}

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps.get_model("appointments", "Appointment")
    assert {status: new.objects.get(pk=pk).status for status, pk in ids.items()} == {
        "OUTGOING_INVITE": "OUTGOING_INVITE", "CANCELED": "CANCELLED", "FINISHED": "COMPLETED"
    }

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    assert {status: old.objects.get(pk=pk).status for status, pk in ids.items()} == {
        "OUTGOING_INVITE": "OUTGOING_INVITE", "CANCELED": "CANCELED", "FINISHED": "FINISHED"
    }
    MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

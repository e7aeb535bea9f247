"""Migration operations that exist on PostgreSQL only."""

from django.contrib.postgres.fields import DateTimeRangeField
from django.contrib.postgres.operations import BtreeGistExtension
from django.db.migrations.operations.base import Operation
from django.db.models import Func


class AddConstraintOnPostgreSQL(Operation):
    """Add ``constraint`` (e.g. an ``ExclusionConstraint``) on PostgreSQL; elsewhere do nothing.

    The constraint stays out of the migration state and the model's ``Meta``: SQLite cannot
    create it, so the models are the same on every database and SQLite relies on serialised
    writes instead.
    """

    reversible = True

    def __init__(self, model_name: str, constraint):
        self.model_name = model_name
        self.constraint = constraint

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.add_constraint(to_state.apps.get_model(app_label, self.model_name), self.constraint)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.remove_constraint(from_state.apps.get_model(app_label, self.model_name), self.constraint)

    def describe(self):
        return f"Add constraint {self.constraint.name} on {self.model_name} (PostgreSQL only)"

    def deconstruct(self):
        return self.__class__.__qualname__, [], {"model_name": self.model_name, "constraint": self.constraint}


class BtreeGistOnPostgreSQL(BtreeGistExtension):
    """Django's ``BtreeGistExtension``, whose reversal also does nothing off PostgreSQL (Django's
    asks SQLite for ``pg_extension``)."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class TsTzRange(Func):
    """``tstzrange(start, end, '[)')``: two timestamp columns as a range, for exclusion constraints."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()

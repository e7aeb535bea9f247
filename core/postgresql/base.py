"""Django's PostgreSQL backend, for server-side parameter binding (see
``DATABASE_PREPARED_STATEMENTS`` in config/settings.py).

With server-side binding, PostgreSQL's protocol allows at most 65,535 parameters in a statement;
with client-side binding there was no limit, so Django's backend never splits a ``bulk_create``
or a cascading delete's batches for it. This backend does, as Django's Oracle backend does for
the same limit.
"""

from django.db.backends.postgresql import base, features, operations


class DatabaseFeatures(features.DatabaseFeatures):
    max_query_params = 65_535


class DatabaseOperations(operations.DatabaseOperations):
    def bulk_batch_size(self, fields, objs):
        fields = list(fields)
        return self.connection.features.max_query_params // len(fields) if fields else len(objs)


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
    ops_class = DatabaseOperations

"""On PostgreSQL the counters' table is UNLOGGED: an increment then commits without waiting for the
write-ahead log to reach the disk (2 ms here, on every API request). The price is fine for
counters: after a crash, or on a promoted replica, they start again from zero."""

from django.db import migrations


def set_unlogged(apps, schema_editor, logged=False):
    if schema_editor.connection.vendor == "postgresql":
        table = schema_editor.quote_name(apps.get_model("core", "RateLimitCounter")._meta.db_table)
        schema_editor.execute(f"ALTER TABLE {table} SET {'LOGGED' if logged else 'UNLOGGED'}")


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        migrations.RunPython(set_unlogged, lambda apps, schema_editor: set_unlogged(apps, schema_editor, logged=True)),
    ]

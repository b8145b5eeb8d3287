"""SQLite only: the indexes 0005 gives PostgreSQL for 1-2 character typeahead inputs (a prefix),
on UPPER(column) of active users. The typeahead asks for a range of that expression
(twofactor/adapter.py), which SQLite looks up through these instead of scanning every user: a rare
prefix took ~330 ms at a million users (bench/README.md)."""

from django.db import migrations

INDEXES = {
    "user_name_prefix_sqlite": "(UPPER(full_name), id) WHERE is_active",
    "user_email_prefix_sqlite": "(UPPER(email), id) WHERE is_active",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON accounts_user {definition}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_role_always_second_factor")]
    operations = [migrations.RunPython(create, drop)]

"""PostgreSQL only: indexes that let the typeahead stop after its first rows at a million users.

- user_name_prefix / user_email_prefix: UPPER(column) COLLATE "C" of active users, for 1-2
  character inputs (a prefix): the LIKE 'AB%' range is read in index order, no sort.
- user_list_order: the list order (full_name, email) of active users, for a term most users share
  (the email domain, a common surname): PostgreSQL walks it and stops at the 10th match, where the
  trigram index of 0003 would fetch and sort every match.
"""

from django.db import migrations

INDEXES = {
    "user_name_prefix": '((UPPER(full_name::text) COLLATE "C"), id) WHERE is_active',
    "user_email_prefix": '((UPPER(email::text) COLLATE "C"), id) WHERE is_active',
    "user_list_order": "(full_name, email, id) WHERE is_active",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON accounts_user {definition}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_user_email_canonical")]
    operations = [migrations.RunPython(create, drop)]

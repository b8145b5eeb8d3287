"""PostgreSQL only: trigram indexes for "name or email contains" searches (the Reset Enrollment
typeahead and the Users list), so they stay fast at a million users. Django's icontains compiles to
UPPER(column::text) LIKE UPPER(%s), which these expression indexes serve.

Needs the pg_trgm extension; where the database role may not create it, the index is skipped with a
warning and searches fall back to a sequential scan (correct, only slower).
"""

import warnings

from django.db import DatabaseError, migrations, transaction

CREATE = (
    "CREATE INDEX IF NOT EXISTS user_search_trgm ON accounts_user USING gin "
    "((UPPER(full_name::text)) gin_trgm_ops, (UPPER(email::text)) gin_trgm_ops)"
)


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            schema_editor.execute(CREATE)
    except DatabaseError as error:
        warnings.warn(f"user search index not created (pg_trgm unavailable): {error}", stacklevel=1)


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS user_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_administrator_role")]
    operations = [migrations.RunPython(create_trigram_index, drop_trigram_index)]

"""UPDATE … RETURNING: change a counter and read it back in one statement.

Django 5.2's QuerySet.update() returns only the number of rows, so a counter changed by a
conditional UPDATE had to be read again by a second SELECT. update_returning() compiles the
UPDATE exactly as QuerySet.update() does (the same quoting, F() expressions and filters) and
sends it with a RETURNING clause, which PostgreSQL and SQLite (3.35 and later) both accept.
"""

from django.db import connections, transaction
from django.db.models import sql


def update_returning(queryset, returning: list[str], **values) -> list[tuple]:
    """queryset.update(**values), answering the `returning` fields of each updated row, as they
    are after the update (values as the database driver gives them: for counters and flags)."""
    query = queryset.query.chain(sql.UpdateQuery)
    query.add_update_values(values)
    query.clear_select_clause()
    statement, params = query.get_compiler(queryset.db).as_sql()
    quote = connections[queryset.db].ops.quote_name
    fields = queryset.model._meta
    columns = ", ".join(quote(fields.get_field(name).column) for name in returning)
    with transaction.mark_for_rollback_on_error(using=queryset.db):
        with connections[queryset.db].cursor() as cursor:
            cursor.execute(f"{statement} RETURNING {columns}", params)
            return cursor.fetchall()

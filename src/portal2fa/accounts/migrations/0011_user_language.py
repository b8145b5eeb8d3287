"""The user's language choice (blank: the site's default)."""

from importlib import import_module

from django.db import migrations, models

# SQLite adds a NOT NULL column by rebuilding the table, which drops the typeahead's expression
# indexes that 0008 created with SQL of its own: they are created again right after (and, when
# this migration is reversed, after the column is dropped, which rebuilds the table again).
prefix_indexes = import_module("portal2fa.accounts.migrations.0008_user_search_prefix_sqlite")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0010_merge_lists_role_deadlines"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, prefix_indexes.create),
        migrations.AddField(
            model_name="user",
            name="language",
            field=models.CharField(blank=True, default="", max_length=15),
        ),
        migrations.RunPython(prefix_indexes.create, migrations.RunPython.noop),
    ]

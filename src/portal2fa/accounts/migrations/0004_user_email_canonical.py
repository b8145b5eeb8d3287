"""One canonical email per user: Unicode NFKC + case folding, unique, what sign-in looks
up. Existing rows are checked: when two emails are one account in different spellings (say
'alice@x' and 'ALİCE@x' or 'aliſe@x'), the migration stops and names them; rename or merge them,
then migrate again."""

import unicodedata
from collections import defaultdict

from django.db import migrations, models


def canonical(identifier: str) -> str:
    # A frozen copy of portal2fa.twofactor.core.canonical.canonical_identifier (migrations must not
    # change meaning when the code does).
    folded = unicodedata.normalize("NFKC", identifier.strip()).casefold()
    return unicodedata.normalize("NFKC", folded.upper()).casefold()


class SpellingCollision(Exception):
    pass


def fill_canonical_emails(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    by_canonical = defaultdict(list)
    for pk, email in User.objects.values_list("pk", "email").iterator(chunk_size=2000):
        by_canonical[canonical(email)].append((pk, email))
    collisions = [rows for rows in by_canonical.values() if len(rows) > 1]
    if collisions:
        listed = "; ".join(
            " = ".join(f"{email!r} (id {pk})" for pk, email in rows) for rows in collisions[:20]
        )
        raise SpellingCollision(
            f"{len(collisions)} groups of users have emails that are one address in different "
            f"spellings (Unicode or case): {listed}. Rename or merge them, then migrate again."
        )
    for key, [(pk, _)] in by_canonical.items():
        User.objects.filter(pk=pk).update(email_canonical=key)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_user_search_trigram"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_canonical",
            field=models.CharField(editable=False, max_length=320, null=True),
        ),
        migrations.RunPython(fill_canonical_emails, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="user",
            name="email_canonical",
            field=models.CharField(editable=False, max_length=320, unique=True),
        ),
    ]

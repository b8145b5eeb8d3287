"""Enrollment with a passkey alone (no authenticator app secret) and the Overview's method
breakdown: each authenticator's passkey count, and the method counters for existing data."""

from django.db import migrations, models
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce


def fill(apps, schema_editor):
    Authenticator = apps.get_model("twofactor", "Authenticator")
    Credential = apps.get_model("twofactor", "WebAuthnCredential")
    OverviewCounter = apps.get_model("twofactor", "OverviewCounter")
    per_user = (
        Credential.objects.filter(user_id=OuterRef("user_id"))
        .order_by()
        .values("user_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    with_keys = Authenticator.objects.filter(user_id__in=Credential.objects.values("user_id"))
    with_keys.update(passkeys=Coalesce(Subquery(per_user, output_field=IntegerField()), 0))
    OverviewCounter.objects.filter(name__startswith="method:").delete()  # re-applied: no doubles
    enrolled = Authenticator.objects.filter(user_active=True, confirmed_at__isnull=False)
    counts = {
        "method:totp": enrolled.exclude(encrypted_secret="").count(),
        "method:passkey": enrolled.filter(passkeys__gt=0).count(),
    }
    OverviewCounter.objects.bulk_create(
        OverviewCounter(name=name, shard=0, value=n) for name, n in counts.items() if n
    )


def forget(apps, schema_editor):
    """Back to 0009: the method counters go with the fields they count."""
    apps.get_model("twofactor", "OverviewCounter").objects.filter(
        name__startswith="method:"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("twofactor", "0009_trusted_browsers")]

    operations = [
        migrations.AddField(
            model_name="authenticator",
            name="passkeys",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name="authenticator",
            name="encrypted_secret",
            field=models.TextField(blank=True),
        ),
        migrations.RunPython(fill, forget),
    ]

from django.db import migrations


def create_administrator_role(apps, schema_editor):
    SecurityRole = apps.get_model("accounts", "SecurityRole")
    SecurityRole.objects.get_or_create(
        name="Administrator", defaults={"type": "System", "grants_setup": True}
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(create_administrator_role, migrations.RunPython.noop)]

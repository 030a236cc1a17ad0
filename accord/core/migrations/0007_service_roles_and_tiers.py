from django.db import migrations

from accord.core.seed import seed_picklists, seed_roles


class Migration(migrations.Migration):
    dependencies = [("core", "0006_alter_picklistoption_picklist")]

    operations = [
        migrations.RunPython(seed_roles, migrations.RunPython.noop),
        migrations.RunPython(seed_picklists, migrations.RunPython.noop),
    ]

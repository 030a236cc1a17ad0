from django.db import migrations

from accord.sla.seed import seed_sla


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]

    operations = [migrations.RunPython(seed_sla, migrations.RunPython.noop)]

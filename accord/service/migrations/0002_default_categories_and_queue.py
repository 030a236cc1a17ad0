from django.db import migrations

from accord.service.seed import seed_service


class Migration(migrations.Migration):
    dependencies = [("service", "0001_initial"), ("core", "0007_service_roles_and_tiers")]

    operations = [migrations.RunPython(seed_service, migrations.RunPython.noop)]

from django.db import migrations

from accord.sales.seed import seed_pipeline


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]

    operations = [migrations.RunPython(seed_pipeline, migrations.RunPython.noop)]

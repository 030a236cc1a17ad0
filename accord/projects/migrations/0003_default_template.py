from django.db import migrations

from accord.projects.seed import seed_template


class Migration(migrations.Migration):
    dependencies = [("projects", "0002_initial")]

    operations = [migrations.RunPython(seed_template, migrations.RunPython.noop)]

from django.db import migrations

from accord.core.seed import seed_picklists, seed_roles


class Migration(migrations.Migration):
    """Grants on leads, deals, quotes, orders, invoices, projects and the catalogue for the
    built-in roles; the won/lost reason and payment method picklists."""

    dependencies = [("core", "0004_alter_picklistoption_picklist")]

    operations = [
        migrations.RunPython(seed_roles, migrations.RunPython.noop),
        migrations.RunPython(seed_picklists, migrations.RunPython.noop),
    ]

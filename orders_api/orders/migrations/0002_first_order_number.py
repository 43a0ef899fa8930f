from django.db import migrations


def create_counter(apps, schema_editor):
    apps.get_model("orders", "OrderNumber").objects.get_or_create(pk=1, defaults={"last": 0})


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]

    # Elidable: a new database needs no counter row, as 0005 numbers orders from a
    # sequence (started after the highest order); the squash of 0001-0004 leaves it out.
    operations = [
        migrations.RunPython(create_counter, migrations.RunPython.noop, elidable=True)
    ]

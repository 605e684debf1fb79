"""Seed the facility types of GB 50180-2018 with their default walking distances."""

from django.db import migrations


def seed(apps, schema_editor):
    from xiaoqu.lifecircle.standard import DEFAULT_LEVELS, FACILITY_TYPES, LEVEL_DISTANCES_M

    FacilityType = apps.get_model("lifecircle", "FacilityType")
    for code, name in FACILITY_TYPES.items():
        level = DEFAULT_LEVELS[code]
        FacilityType.objects.get_or_create(
            code=code,
            defaults={"name": name, "level": level, "distance_m": LEVEL_DISTANCES_M[level]},
        )


class Migration(migrations.Migration):
    dependencies = [("lifecircle", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
